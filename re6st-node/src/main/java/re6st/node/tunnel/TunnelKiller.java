package re6st.node.tunnel;

/**
 * The coordinated removal of one tunnel (spec/peer-protocol.md 5.3), drain before kill: its
 * Babel cost is raised so that routes move elsewhere; once a route snapshot taken after the
 * raise shows no route through it, the side that owns the outgoing tunnel asks the peer to do
 * the same (code 2), the other side answers when drained (code 3), and only then does the owner
 * hang up. Each step has its own deadline (2 x timeout); a step that times out is undone (the
 * cost restored). Our Babel is in-process, so there is no separate "lock" step (the original's
 * multiplier 0, checked on the next babeld dump): the drained check reads the routes directly.
 */
final class TunnelKiller {
    /** Which end of the tunnel we are. */
    enum Side {
        /** We dialled the tunnel: we decided the kill, send code 2 and hang up on code 3. */
        OWNER,
        /** The peer dialled it and asked (code 2): we drain our side and answer code 3. */
        SERVER
    }

    enum Step {
        /** Cost raised; waiting until no route uses the tunnel. */
        DRAINING,
        /** Drained and our code sent; waiting for the other side (code 3, or the owner's hang-up). */
        LOCKED
    }

    final String peer;
    final Side side;
    private Step step = Step.DRAINING;
    private long deadline;
    /** When our code was last sent (LOCKED only). */
    private long codeSentAt;

    TunnelKiller(String peer, Side side, long deadline) {
        this.peer = peer;
        this.side = side;
        this.deadline = deadline;
    }

    Step step() {
        return step;
    }

    long deadline() {
        return deadline;
    }

    /**
     * Whether a route snapshot with {@code carried} routes through the tunnel ends the drain. Only
     * snapshots given after the raise are asked (the manager checks on each new one), so the
     * check sees Babel's answer to the new cost, not the routes from before.
     */
    boolean drainedBy(int carried) {
        return step == Step.DRAINING && carried == 0;
    }

    /** Drained and our code sent at {@code now}: the next step starts, with a deadline of its own. */
    void locked(long now, long newDeadline) {
        step = Step.LOCKED;
        deadline = newDeadline;
        codeSentAt = now;
    }

    /**
     * Whether our code is due again: locked, and sent at least {@code interval} ago. A code to a
     * peer without a peer-protocol session only starts the handshake and is dropped (the
     * original's rule, spec/node-behaviour.md); without a resend the kill waited out its step
     * (2 x timeout) with the cost raised, and was undone.
     */
    boolean resendDue(long now, long interval) {
        if (step != Step.LOCKED || now - codeSentAt < interval)
            return false;
        codeSentAt = now;
        return true;
    }

    /** The code the side sends once drained. */
    int code() {
        return side == Side.OWNER ? 2 : 3;
    }
}
