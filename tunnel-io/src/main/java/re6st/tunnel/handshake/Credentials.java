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
 * @param crl     may be null (no revocation check); its nextUpdate is not enforced (the registry
 *                decides how often it is refreshed)
 * @param revoked certificate serials revoked by the signed network config (its {@code crl} list, how
 *                re6st nodes learn revocations); refused like CRL entries
 */
public record Credentials(X509Certificate ca, X509Certificate cert, PrivateKey key, X509CRL crl, java.util.Set<java.math.BigInteger> revoked) {
    public Credentials(X509Certificate ca, X509Certificate cert, PrivateKey key, X509CRL crl) {
        this(ca, cert, key, crl, java.util.Set.of());
    }

    public Credentials {
        revoked = revoked == null ? java.util.Set.of() : java.util.Set.copyOf(revoked);
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
        return new Credentials(ca, cert, key, newCrl, revoked);
    }

    /** Why {@code peer} is revoked (in our CRL, or among the network config's serials), or null if it is not. */
    public String revocation(X509Certificate peer) {
        if (crl != null && crl.isRevoked(peer))
            return "revoked (serial " + peer.getSerialNumber() + " is in the CRL)";
        if (revoked.contains(peer.getSerialNumber()))
            return "revoked (serial " + peer.getSerialNumber() + " by the network config)";
        return null;
    }

    /** The same credentials with the revoked serials of a newer network config. */
    public Credentials withRevoked(java.util.Set<java.math.BigInteger> serials) {
        return new Credentials(ca, cert, key, crl, serials);
    }

    @Override
    public String toString() {
        return "Credentials[" + cert.getSubjectX500Principal() + ", CA " + ca.getSubjectX500Principal()
                + (crl != null ? ", CRL of " + crl.getThisUpdate() : ", no CRL") + (revoked.isEmpty() ? "" : ", " + revoked.size() + " revoked serials") + "]"; // never the key
    }
}
