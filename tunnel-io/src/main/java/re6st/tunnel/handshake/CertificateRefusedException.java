package re6st.tunnel.handshake;

import java.io.IOException;

/**
 * The peer's certificate was refused by our checks ({@link PeerVerifier}): the handshake stops,
 * a fatal alert is sent to the peer and no key is derived. {@link #reason()} is meant for
 * counters, {@link #getMessage()} for the log line.
 */
public final class CertificateRefusedException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why a peer certificate was refused. */
    public enum Reason {
        /** The peer sent no certificate at all. */
        NO_CERTIFICATE,
        /** Not issued (signed) by the network CA. */
        OTHER_CA,
        /** Past its notAfter date. */
        EXPIRED,
        /** Before its notBefore date. */
        NOT_YET_VALID,
        /** Listed in the network CA's CRL. */
        REVOKED,
        /** The CN is not the one the client dialled. */
        WRONG_CN,
        /** Unparseable, or without a CN. */
        MALFORMED
    }

    private final Reason reason;

    public CertificateRefusedException(Reason reason, String message) {
        super("peer certificate refused (" + reason + "): " + message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
