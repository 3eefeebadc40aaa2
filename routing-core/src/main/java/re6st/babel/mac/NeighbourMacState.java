package re6st.babel.mac;

import java.security.MessageDigest;
import java.util.random.RandomGenerator;

/**
 * The fields RFC 8967 (section 3.2, and RFC 9467 for the two PCs) adds to a neighbour entry: the
 * neighbour's index, the last PC seen by multicast and by unicast (babeld 1.12.1 keeps them apart
 * so that reordering between the two streams does not drop packets), the nonce of our outstanding
 * challenge and its deadline, and the rate limits on the challenges we send. Times are
 * {@code System.nanoTime()}-style values from the injected clock, compared by difference.
 */
final class NeighbourMacState {
    /** A challenge is answered in time if the reply arrives within this of the request (babeld). */
    static final long CHALLENGE_TIMEOUT_NANOS = 30_000_000_000L;
    /** At most one challenge request, and one challenge reply, per this interval per neighbour (babeld). */
    static final long CHALLENGE_INTERVAL_NANOS = 300_000_000L;
    static final int NONCE_LENGTH = 8;

    private byte[] index;       // null: unknown, challenge before accepting anything
    private long pcMulticast;
    private long pcUnicast;

    private byte[] nonce;       // non-null while a challenge is outstanding
    private long challengeSentAt;
    private boolean requestSent;
    private long lastRequestAt;
    private boolean replySent;
    private long lastReplyAt;

    boolean knowsIndex(byte[] idx) {
        return index != null && MessageDigest.isEqual(index, idx);
    }

    /**
     * Accepts {@code pc} if strictly greater, as an unsigned 32-bit number, than the last one of
     * its kind, and records it. No modular comparison, as in babeld: a sender whose counter wraps
     * changes its index, which forces a new challenge.
     */
    boolean advance(long pc, boolean multicast) {
        long last = multicast ? pcMulticast : pcUnicast;
        if (pc <= last)
            return false;
        if (multicast)
            pcMulticast = pc;
        else
            pcUnicast = pc;
        return true;
    }

    /** After a successful challenge: the index and PC of the answering packet become the reference. */
    void learn(byte[] idx, long pc) {
        index = idx.clone();
        pcMulticast = pc;
        pcUnicast = pc;
    }

    /**
     * Draws a new nonce and returns it if the rate limit allows a request now, else null (the
     * outstanding nonce, if any, stays valid). Like babeld, only the latest nonce is remembered.
     */
    byte[] newChallenge(RandomGenerator random, long now) {
        if (requestSent && now - lastRequestAt <= CHALLENGE_INTERVAL_NANOS)
            return null;
        byte[] n = new byte[NONCE_LENGTH];
        random.nextBytes(n);
        nonce = n;
        challengeSentAt = now;
        requestSent = true;
        lastRequestAt = now;
        return n.clone();
    }

    /**
     * True (and the challenge is consumed) if {@code reply} matches our outstanding nonce and
     * arrived at most {@link #CHALLENGE_TIMEOUT_NANOS} after the request.
     */
    boolean answers(byte[] reply, long now) {
        if (nonce == null)
            return false;
        if (now - challengeSentAt > CHALLENGE_TIMEOUT_NANOS) {
            nonce = null;
            return false;
        }
        if (!MessageDigest.isEqual(nonce, reply))
            return false;
        nonce = null;
        return true;
    }

    /** Whether a challenge reply may be sent now (at most one per interval); records it if so. */
    boolean mayReply(long now) {
        if (replySent && now - lastReplyAt <= CHALLENGE_INTERVAL_NANOS)
            return false;
        replySent = true;
        lastReplyAt = now;
        return true;
    }
}
