package re6st.tunnel.handshake;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;

import re6st.pki.Certificates;

/**
 * What one node brings to a handshake: the network CA (the only trust anchor), its own
 * certificate and RSA private key as issued by the registry, and optionally the CA's current
 * CRL. The certificate and the CRL must be signed by the CA (checked here, so a misconfiguration
 * fails at startup, not at the first handshake).
 *
 * @param crl may be null (no revocation check); its nextUpdate is not enforced (the registry
 *            decides how often it is refreshed)
 */
public record Credentials(X509Certificate ca, X509Certificate cert, PrivateKey key, X509CRL crl) {
    public Credentials {
        if (ca == null || cert == null || key == null)
            throw new IllegalArgumentException("CA, certificate and private key are required");
        if (!"RSA".equalsIgnoreCase(key.getAlgorithm()))
            throw new IllegalArgumentException("node keys are RSA, got " + key.getAlgorithm());
        try {
            cert.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("our certificate " + cert.getSubjectX500Principal()
                    + " is not signed by the network CA " + ca.getSubjectX500Principal(), e);
        }
        if (crl != null) {
            try {
                crl.verify(ca.getPublicKey());
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("the CRL is not signed by the network CA", e);
            }
        }
    }

    /**
     * Loads PEM files (as the registry and re6st-conf write them): the CA certificate, ours,
     * our unencrypted private key (PKCS#1 or PKCS#8), and optionally the CRL (PEM or DER).
     * Errors name the file and what is wrong with it.
     */
    public static Credentials load(java.nio.file.Path ca, java.nio.file.Path cert, java.nio.file.Path key, java.nio.file.Path crl)
            throws java.io.IOException {
        return new Credentials(Certificates.readCertificate(ca), Certificates.readCertificate(cert),
                Certificates.readRsaPrivateKey(key), crl == null ? null : Certificates.readCrl(crl));
    }

    /** The same credentials with a newer CRL (the registry publishes revocations). */
    public Credentials withCrl(X509CRL newCrl) {
        return new Credentials(ca, cert, key, newCrl);
    }

    @Override
    public String toString() {
        return "Credentials[" + cert.getSubjectX500Principal() + ", CA " + ca.getSubjectX500Principal()
                + (crl != null ? ", CRL of " + crl.getThisUpdate() : ", no CRL") + "]"; // never the key
    }
}
