package re6st.peer;

/** A peer datagram that is not one: the reason is counted by whoever received it, and nothing changes. */
public final class MalformedPeerPacketException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a datagram was refused before any cryptography. */
    public enum Reason {
        /** Shorter than its fixed fields (4-byte seqno, fingerprint, HMAC). */
        TRUNCATED,
        /** A packed protocol number running past the datagram. */
        BAD_PROTOCOL,
        /** No certificate after the fixed fields. */
        NO_CERTIFICATE,
        /** A seqno 2 whose encrypted secret and signature are not two halves of one length. */
        ODD_HELLO
    }

    private final Reason reason;

    public MalformedPeerPacketException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
