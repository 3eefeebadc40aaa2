package re6st.tunnel.handshake;

import java.security.GeneralSecurityException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.util.Date;

import re6st.pki.Certificates;
import re6st.tunnel.handshake.CertificateRefusedException.Reason;

/**
 * Checks a peer certificate the way re6st does: issued by the network CA (its issuer name is
 * the CA's and the CA's key verifies its signature; no other anchor, no intermediate), inside its
 * validity dates, not in the CA's CRL nor among the serials the network config revokes, and, for an outgoing tunnel, with the CN that was dialled.
 * The TLS library separately checks that the peer holds the certificate's private key.
 */
public final class PeerVerifier {
    private PeerVerifier() {}

    /** Returns the peer's CN, or throws with the reason it is refused. */
    public static String verify(X509Certificate peer, Credentials trust, String expectedCn, Date now)
            throws CertificateRefusedException {
        X509Certificate ca = trust.ca();
        String who = describe(peer);
        if (!peer.getIssuerX500Principal().equals(ca.getSubjectX500Principal()))
            throw new CertificateRefusedException(Reason.OTHER_CA, who + " is issued by '"
                    + peer.getIssuerX500Principal().getName() + "', not by the network CA '"
                    + ca.getSubjectX500Principal().getName() + "'");
        try {
            peer.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new CertificateRefusedException(Reason.OTHER_CA, who
                    + " names the network CA as issuer but is not signed by it (other CA with the same name?)");
        }
        try {
            peer.checkValidity(now);
        } catch (CertificateExpiredException e) {
            throw new CertificateRefusedException(Reason.EXPIRED, who + " expired on " + peer.getNotAfter().toInstant());
        } catch (CertificateNotYetValidException e) {
            throw new CertificateRefusedException(Reason.NOT_YET_VALID,
                    who + " is not valid before " + peer.getNotBefore().toInstant());
        }
        if (trust.crl() != null) {
            X509CRLEntry entry = trust.crl().getRevokedCertificate(peer);
            if (entry != null)
                throw new CertificateRefusedException(Reason.REVOKED, who + " was revoked on "
                        + entry.getRevocationDate().toInstant() + " (CRL of " + trust.crl().getThisUpdate().toInstant() + ")");
        }
        if (trust.revoked().contains(peer.getSerialNumber()))
            throw new CertificateRefusedException(Reason.REVOKED, who + " is revoked by the network config");
        String cn = Certificates.cn(peer);
        if (cn == null)
            throw new CertificateRefusedException(Reason.MALFORMED, who + " has no CN");
        if (expectedCn != null && !expectedCn.equals(cn))
            throw new CertificateRefusedException(Reason.WRONG_CN,
                    who + " has CN '" + cn + "' but we dialled '" + expectedCn + "'");
        return cn;
    }

    private static String describe(X509Certificate cert) {
        String cn = Certificates.cn(cert);
        return "certificate " + (cn != null ? "CN '" + cn + "'" : "'" + cert.getSubjectX500Principal().getName() + "'")
                + " serial 0x" + cert.getSerialNumber().toString(16);
    }
}
