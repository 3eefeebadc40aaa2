package re6st.registry.ca;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;

/**
 * What {@code renewCertificate} does with a node's current certificate (the original's rule):
 * one expiring within {@link #RENEW_PERIOD} (or already expired: the database still has it
 * during the grace period) gets a new one for 365 days; otherwise a revoked one is re-issued
 * with its notAfter kept (a new serial, off the CRL); otherwise it is returned unchanged.
 * Either way the subject and key stay.
 */
public enum Renewal {
    /** Return the current certificate. */
    KEEP,
    /** New serial, valid from now for {@link CertificateAuthority#CERTIFICATE_VALIDITY}. */
    NEW_PERIOD,
    /** New serial, valid from now until the current notAfter. */
    SAME_NOT_AFTER;

    /** The original's RENEW_PERIOD: nodes renew 30 days before expiry. */
    public static final Duration RENEW_PERIOD = Duration.ofDays(30);

    /** {@code notAfter - RENEW_PERIOD < now} renews; else {@code revoked} re-issues; else keep. */
    public static Renewal decide(X509Certificate current, boolean revoked, Instant now) {
        if (current.getNotAfter().toInstant().minus(RENEW_PERIOD).isBefore(now))
            return NEW_PERIOD;
        return revoked ? SAME_NOT_AFTER : KEEP;
    }
}
