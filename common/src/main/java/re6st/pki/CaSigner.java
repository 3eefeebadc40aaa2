package re6st.pki;

import java.security.PublicKey;

/**
 * What the protocol formats need of the network CA to sign (the registry's hello answers and
 * network versions): its public key and an RSA PKCS#1 v1.5 / SHA-512 signature. The registry's
 * CertificateAuthority is one; nodes only verify, with the CA certificate's key.
 */
public interface CaSigner {
    PublicKey publicKey();

    /** RSA PKCS#1 v1.5 signature with SHA-512 over {@code data}, as the original's {@code sign}. */
    byte[] sign(byte[] data);
}
