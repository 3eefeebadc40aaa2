package re6st.tunnel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Is the path to the peer alive? A pure state machine (time passed in, monotonic nanoseconds)
 * that turns "what we sent" and "what came back" into probes and tunnel-up / tunnel-down
 * decisions, fast when traffic waits for the path (ARCHITECTURE principle 4), nearly free when
 * the tunnel is idle. As WireGuard reasons (its timers.go: data sent and nothing received
 * within a timeout means trouble; an idle peer needs only a rare keepalive):
 * <ul>
 * <li><b>Any authentic packet from the peer</b> (data, probe, echo, MTU probe...) proves the
 *     path: the tunnel is up, a probe series in progress ends.</li>
 * <li><b>Data sent, nothing back</b>: the data path tells {@link #dataSent} when it sends (once
 *     per batch: an opaque read, and a write only for the first batch after something came back).
 *     When nothing has come back {@link #probeAfterNanos()} after the first unanswered send
 *     ({@value #PROBE_AFTER_MS} ms, or the RTO if larger: the RTO is TCP's, RFC 6298: SRTT +
 *     4 RTTVAR, at least {@value #RTO_MIN_MS} ms), a <em>check</em> probe goes out. The peer
 *     answers every probe at once with an echo carrying the probe's own send time (an
 *     unambiguous RTT sample, no Karn problem).</li>
 * <li><b>Check unanswered</b> for one RTO: a <em>burst</em> of {@code PROBES - 1} more probes
 *     {@value #BURST_GAP_MS} ms apart. When the last one too is unanswered one RTO after it was
 *     sent, with nothing at all from the peer since before the check, the tunnel is down (the
 *     TUN interface is taken down; Babel treats it as an interface loss).</li>
 * <li><b>Keepalive</b>: one probe (a check) when none was sent for {@value #KEEPALIVE_S} s, busy
 *     or idle: on a busy tunnel it keeps the RTT sample (SRTT, RTTVAR, the RTO) fresh, on an idle
 *     one it checks the path; unanswered, it leads to the burst like any check. So an idle
 *     tunnel whose path dies is found within about 10.3 s.</li>
 * <li><b>Start</b>: one probe at the first tick (the RTT sample that sets the RTO; until then
 *     the RTO is {@value #RTO_INITIAL_MS} ms).</li>
 * <li><b>Down</b>: probing continues, so the first answer after the path heals brings the tunnel
 *     up again without a restart: every {@value #DOWN_FAST_MS} ms for {@value #DOWN_FAST_FOR_S} s,
 *     then at intervals doubling up to the keepalive ({@value #KEEPALIVE_S} s). The peer's own
 *     probes bring it up too.</li>
 * </ul>
 *
 * <h2>Timing</h2>
 * A path blackholed under a steady stream (e.g. a 10 ms probe stream each way, 20 ms RTT, so
 * RTO = 50 ms): last packet from the peer at L; check at L + 150 ms; burst from L + 200 ms to
 * L + 250 ms; down at L + 300 ms ({@link #MIN_SILENCE_BEFORE_DOWN_NS} is this sum with the RTO
 * at its floor: no decision of down ever comes after less silence). With 20 ms each way plus
 * 0-20 ms of jitter per packet (RTT 40-80 ms, RTO 120-145 ms) it is 0.45-0.52 s after the cut.
 *
 * <h2>False down under random loss (the number of probes)</h2>
 * With independent loss p per direction, a probe round trip fails with q = 1 - (1 - p)^2; at
 * p = 5%, q = 0.0975. The tunnel goes down only when all {@value #PROBES} probes of one series
 * fail and nothing else comes from the peer meanwhile: P(series) = q^7 = 8.4e-8 (q^5 = 8.8e-6,
 * q^6 = 8.6e-7). The RTO is taken from the measured SRTT and RTTVAR, so 20 ms of jitter delays
 * no answer past its timeout often enough to matter (and a late answer still cancels the series,
 * the probes before the last have more time). How many series start in 60 s:
 * <ul>
 * <li>a steady two-way stream (the failover benchmark's 10 ms probes): a check needs 150 ms
 *     without a single packet back, i.e. about 15 losses in a row (0.05^15): none;</li>
 * <li>an idle tunnel: one keepalive per 10 s each side, 12 series: P = 1e-6 per minute;</li>
 * <li>the worst case, data one way only (the peer never answers but our probes): a series
 *     every 150 ms plus an RTT, at most 400 a minute: P = 400 x 8.4e-8 = 3.4e-5 per minute
 *     (with 5 probes it would be 3.5e-3, with 6 3.4e-4).</li>
 * </ul>
 * Close probes make a series short (detection in ~300 ms); the price is that losses are taken
 * as independent: an outage in which every packet is lost for longer than the series (0.3 s
 * and more) takes the tunnel down, as it should.
 *
 * <h2>Cost</h2>
 * A probe or echo is a 10-byte control message sealed in a data packet: 38 bytes of UDP payload,
 * 66 bytes on an IPv4 wire (86 over IPv6). An idle tunnel: one probe and one echo per 10 s each
 * way (both sides keep alive), 13.2 B/s (17.2 over IPv6). A busy one: the same keepalive, no
 * other probe while answers flow. Traffic one way only: a probe and its echo per 150 ms + RTT.
 *
 * <h2>Threads</h2>
 * Everything runs on the underlay thread but {@link #dataSent}, which the data path (TUN thread)
 * calls; it shares one field with the underlay thread, accessed opaquely (no fence, no lock).
 * A race only moves the start of a wait: a send just before a receive is taken as answered by
 * it, a send seen after it is waited for from the receive ({@code max(unansweredSince,
 * lastReceived)}).
 */
public final class Liveness {
    public enum State { UP, DOWN }

    /** What a call asks the caller to do. WENT_DOWN also means: send a probe (the path may heal). */
    public enum Action { NOTHING, SEND_PROBE, WENT_DOWN, WENT_UP }

    static final int PROBE_AFTER_MS = 150, RTO_MIN_MS = 50, RTO_INITIAL_MS = 1000, BURST_GAP_MS = 10, KEEPALIVE_S = 10,
            DOWN_FAST_MS = 100, DOWN_FAST_FOR_S = 3;
    private static final long MS = 1_000_000L;
    /** Floor of the wait for an answer to sent data before a check probe. */
    public static final long PROBE_AFTER_NS = PROBE_AFTER_MS * MS;
    /** Floor and start of the retransmission timeout (the wait for a probe's echo). */
    public static final long RTO_MIN_NS = RTO_MIN_MS * MS, RTO_INITIAL_NS = RTO_INITIAL_MS * MS, RTO_MAX_NS = 2_000 * MS;
    /** Unanswered probes in a series (the check and the burst) that mean down. */
    public static final int PROBES = 7;
    /** Spacing of the burst's probes. */
    public static final long BURST_GAP_NS = BURST_GAP_MS * MS;
    /** An idle tunnel probes when nothing came back and nothing was probed for this long. */
    public static final long KEEPALIVE_NS = KEEPALIVE_S * 1_000 * MS;
    /** While down: a probe this often for {@link #DOWN_FAST_FOR_NS}, then backing off to the keepalive. */
    public static final long DOWN_FAST_NS = DOWN_FAST_MS * MS, DOWN_FAST_FOR_NS = DOWN_FAST_FOR_S * 1_000 * MS;
    /** The least silence (last packet from the peer to the decision) before down: check, RTO, burst, RTO at their floors. */
    public static final long MIN_SILENCE_BEFORE_DOWN_NS = PROBE_AFTER_NS + RTO_MIN_NS + (PROBES - 2) * BURST_GAP_NS + RTO_MIN_NS;
    /** While nothing is sent, the underlay thread looks this often whether the data path started sending (less than the check's floor: it costs no detection time). */
    static final long ARM_POLL_NS = 100 * MS;

    private static final long NONE = Long.MIN_VALUE;
    private static final VarHandle UNANSWERED_SINCE;
    static {
        try {
            UNANSWERED_SINCE = MethodHandles.lookup().findVarHandle(Liveness.class, "unansweredSince", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** First data send after the last receive (NONE: nothing waits for an answer). Written by both threads, opaque access. */
    @SuppressWarnings("unused") // through UNANSWERED_SINCE
    private long unansweredSince = NONE;
    private long lastReceived;
    private long lastProbe;
    private int series;            // probes of the current series, unanswered (0: none running)
    private boolean startProbe = true;
    private State state = State.UP;
    private long srttNs = -1, rttvarNs;
    private long downSince = NONE, downInterval;
    private long transitions;
    private volatile long probesSent; // one writer (the underlay thread); read by the metrics

    /** A fresh tunnel that just completed its handshake at {@code now}: it is up. */
    public Liveness(long now) {
        this.lastReceived = now;
        this.lastProbe = now;
    }

    /** The liveness of a tunnel established at {@code now}, with the constants above. */
    public static Liveness defaults(long now) {
        return new Liveness(now);
    }

    /**
     * The data path starts only now (the TUN interface took time to set up after the handshake):
     * silence is counted from here, so a slow start is not taken for a dead path.
     */
    public void dataPathStarted(long now) {
        if (state == State.UP && now - lastReceived > 0) {
            lastReceived = now;
            series = 0;
            startProbe = true;
        }
    }

    /**
     * The data path sent data to the peer at {@code now} (any thread; call it once per batch,
     * after the batch is sent). Allocation-free; a write only when nothing was waiting yet.
     */
    public void dataSent(long now) {
        if ((long) UNANSWERED_SINCE.getOpaque(this) == NONE)
            UNANSWERED_SINCE.setOpaque(this, now);
    }

    /** An authentic packet came from the peer (data, probe or probe answer). */
    public Action received(long now) {
        lastReceived = now;
        series = 0;
        long u = (long) UNANSWERED_SINCE.getOpaque(this);
        if (u != NONE && now - u > 0) // (a packet at the very time of a send is not its answer)
            UNANSWERED_SINCE.setOpaque(this, NONE);
        if (state == State.DOWN) {
            state = State.UP;
            transitions++;
            return Action.WENT_UP;
        }
        return Action.NOTHING;
    }

    /** The answer to one of our probes, sent at {@code probeSentAt}: also an RTT sample (RFC 6298 smoothing). */
    public Action echoReceived(long probeSentAt, long now) {
        long sample = now - probeSentAt;
        if (sample >= 0 && sample < 60_000_000_000L) {
            if (srttNs < 0) {
                srttNs = sample;
                rttvarNs = sample / 2;
            } else {
                rttvarNs += (Math.abs(srttNs - sample) - rttvarNs) / 4;
                srttNs += (sample - srttNs) / 8;
            }
        }
        return received(now);
    }

    /** Called at {@link #nextCheck} (or any time before): probe, or declare the path dead. */
    public Action tick(long now) {
        if (state == State.DOWN) {
            if (now - (lastProbe + downInterval) < 0)
                return Action.NOTHING;
            if (now - downSince >= DOWN_FAST_FOR_NS)
                downInterval = Math.min(2 * downInterval, KEEPALIVE_NS);
            return probe(now);
        }
        if (series == 0)
            return now - checkDue(now) >= 0 ? probe(now) : Action.NOTHING;
        if (series < PROBES)
            return now - (lastProbe + (series == 1 ? rtoNanos() : BURST_GAP_NS)) >= 0 ? probe(now) : Action.NOTHING;
        if (now - (lastProbe + rtoNanos()) < 0)
            return Action.NOTHING;
        state = State.DOWN;
        downSince = now;
        downInterval = DOWN_FAST_NS;
        series = 0;
        transitions++;
        lastProbe = now; // the caller probes along with taking the tunnel down
        probesSent++;
        return Action.WENT_DOWN;
    }

    private Action probe(long now) {
        lastProbe = now;
        probesSent++;
        startProbe = false;
        if (state == State.UP)
            series++;
        return Action.SEND_PROBE;
    }

    /** UP, no series running: when the next check (start, unanswered data, or keepalive) is due; {@code now + ARM_POLL_NS} at the latest while no data waits. */
    private long checkDue(long now) {
        if (startProbe)
            return now;
        long due = lastProbe + KEEPALIVE_NS; // busy or idle: keeps the RTT sample fresh
        long u = (long) UNANSWERED_SINCE.getOpaque(this);
        if (u != NONE)
            return earlier(due, later(u, lastReceived) + probeAfterNanos());
        return due;
    }

    /** When {@link #tick} next has something to decide. */
    public long nextCheck(long now) {
        long t;
        if (state == State.DOWN)
            t = lastProbe + downInterval;
        else if (series == 0)
            t = (long) UNANSWERED_SINCE.getOpaque(this) == NONE ? earlier(checkDue(now), now + ARM_POLL_NS) : checkDue(now);
        else if (series == 1 || series >= PROBES)
            t = lastProbe + rtoNanos();
        else
            t = lastProbe + BURST_GAP_NS;
        return later(t, now);
    }

    private static long later(long a, long b) {
        return a - b >= 0 ? a : b;
    }

    private static long earlier(long a, long b) {
        return a - b <= 0 ? a : b;
    }

    /** The retransmission timeout: SRTT + 4 RTTVAR (RFC 6298) within [50 ms, 2 s]; 1 s before the first sample. */
    public long rtoNanos() {
        if (srttNs < 0)
            return RTO_INITIAL_NS;
        return Math.max(RTO_MIN_NS, Math.min(RTO_MAX_NS, srttNs + 4 * rttvarNs));
    }

    /** How long sent data waits for anything from the peer before a check probe: max(150 ms, RTO). */
    public long probeAfterNanos() {
        return Math.max(PROBE_AFTER_NS, rtoNanos());
    }

    public State state() {
        return state;
    }

    /** Smoothed RTT from probe echoes, ns, or -1 before the first echo. */
    public long srttNanos() {
        return srttNs;
    }

    /** RTT variation (RFC 6298 RTTVAR) from probe echoes, ns; 0 before the first echo. */
    public long rttvarNanos() {
        return rttvarNs;
    }

    /** When the last authentic packet came from the peer. */
    public long lastReceived() {
        return lastReceived;
    }

    /** When the tunnel went down (valid while {@link #state} is DOWN). */
    public long downSince() {
        return downSince;
    }

    /** Probes of the series running now, none answered yet (0 when none runs). */
    public int unansweredProbes() {
        return series;
    }

    /** Probes asked for so far (SEND_PROBE and WENT_DOWN). */
    public long probesSent() {
        return probesSent;
    }

    public long transitions() {
        return transitions;
    }
}
