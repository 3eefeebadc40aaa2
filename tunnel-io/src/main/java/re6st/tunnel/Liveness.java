package re6st.tunnel;

/**
 * Is the path to the peer alive? A pure state machine (time passed in, monotonic nanoseconds)
 * that turns "what came back" into tunnel-up / tunnel-down decisions fast enough for routing
 * to fail over in well under a second (ARCHITECTURE principle 4):
 * <ul>
 * <li>any authentic packet from the peer proves the path: the tunnel is up;</li>
 * <li>when nothing has come back for {@code probeInterval}, send a probe (the peer answers
 *     every probe at once), at most one per {@code probeInterval};</li>
 * <li>when nothing has come back for {@code deadAfter}, the tunnel is down (the TUN interface
 *     is taken down; Babel treats it as an interface loss). Probing continues, so the first
 *     answer after the path heals brings it up again without a restart.</li>
 * </ul>
 * A probe carries its send time; the echo gives an RTT sample, smoothed like TCP's SRTT (1/8).
 */
public final class Liveness {
    public enum State { UP, DOWN }

    /** What a call asks the caller to do. WENT_DOWN also means: send a probe (the path may heal). */
    public enum Action { NOTHING, SEND_PROBE, WENT_DOWN, WENT_UP }

    private final long probeIntervalNs;
    private final long deadAfterNs;
    private long lastReceived;
    private long lastProbe = Long.MIN_VALUE;
    private State state = State.UP;
    private long srttNs = -1;
    private long downSince = Long.MIN_VALUE;
    private long transitions;

    /** @param probeIntervalNs idle time before probing (e.g. 200 ms); @param deadAfterNs silence that means down (1 s) */
    public Liveness(long probeIntervalNs, long deadAfterNs, long now) {
        if (probeIntervalNs <= 0 || deadAfterNs <= probeIntervalNs)
            throw new IllegalArgumentException("need 0 < probe interval < dead-after, got " + probeIntervalNs + " / " + deadAfterNs);
        this.probeIntervalNs = probeIntervalNs;
        this.deadAfterNs = deadAfterNs;
        this.lastReceived = now; // a fresh tunnel just completed its handshake: it is up
    }

    /** Default: probe after 200 ms of silence, down after 1 s. */
    public static Liveness defaults(long now) {
        return new Liveness(200_000_000L, 1_000_000_000L, now);
    }

    /**
     * The data path starts only now (the TUN interface took time to set up after the handshake):
     * silence is counted from here, so a slow start is not taken for a dead path.
     */
    public void dataPathStarted(long now) {
        if (state == State.UP && now - lastReceived > 0)
            lastReceived = now;
    }

    /** An authentic packet came from the peer (data, probe or probe answer). */
    public Action received(long now) {
        lastReceived = now;
        if (state == State.DOWN) {
            state = State.UP;
            transitions++;
            return Action.WENT_UP;
        }
        return Action.NOTHING;
    }

    /** The answer to one of our probes, sent at {@code probeSentAt}: also an RTT sample. */
    public Action echoReceived(long probeSentAt, long now) {
        long sample = now - probeSentAt;
        if (sample >= 0 && sample < 60_000_000_000L)
            srttNs = srttNs < 0 ? sample : srttNs + (sample - srttNs) / 8;
        return received(now);
    }

    /** Called periodically (at {@link #nextCheck} at the latest): probe, or declare the path dead. */
    public Action tick(long now) {
        long silent = now - lastReceived;
        if (state == State.UP && silent >= deadAfterNs) {
            state = State.DOWN;
            downSince = now;
            transitions++;
            lastProbe = now; // the caller probes along with taking the tunnel down
            return Action.WENT_DOWN;
        }
        if (silent >= probeIntervalNs && (lastProbe == Long.MIN_VALUE || now - lastProbe >= probeIntervalNs)) {
            lastProbe = now;
            return Action.SEND_PROBE;
        }
        return Action.NOTHING;
    }

    /** When {@link #tick} next has something to decide. */
    public long nextCheck(long now) {
        long t = lastReceived + probeIntervalNs;
        if (lastProbe != Long.MIN_VALUE && now - lastReceived >= probeIntervalNs)
            t = Math.max(t, lastProbe + probeIntervalNs);
        if (state == State.UP)
            t = Math.min(t, lastReceived + deadAfterNs);
        return Math.max(t, now);
    }

    public State state() {
        return state;
    }

    /** Smoothed RTT from probe echoes, ns, or -1 before the first echo. */
    public long srttNanos() {
        return srttNs;
    }

    /** When the last authentic packet came from the peer. */
    public long lastReceived() {
        return lastReceived;
    }

    /** When the tunnel went down (valid while {@link #state} is DOWN). */
    public long downSince() {
        return downSince;
    }

    public long transitions() {
        return transitions;
    }
}
