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
 *     sent, with nothing at all from the peer since before the check, <em>and</em> the silence
 *     (since the last packet from the peer) has lasted {@link #silenceBeforeDownNanos()}, at least
 *     {@link #MIN_SILENCE_BEFORE_DOWN_NS} 300 ms (see "Delay is not loss" below), and the tick is
 *     not a late one (a starved thread), the tunnel is down (the TUN interface is taken down;
 *     Babel treats it as an interface loss).</li>
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
 * RTO = 50 ms): last packet from the peer at L; check at L + 100 ms; burst from L + 150 ms to
 * L + 200 ms; the series is over at L + 250 ms, down at L + 300 ms, the silence a down needs
 * ({@link #MIN_SILENCE_BEFORE_DOWN_NS}: no decision of down ever comes after less silence).
 * Measured in {@code LivenessSim} (100 seeds, both ends, time from the cut): 10 ms one way, no
 * jitter: median 306 ms; 20 ms one way: 346 ms (2 x (100 + 40) + 50 = 330 ms of silence); 10 ms
 * + 0-20 ms jitter: 354 ms (p90 378); 20 ms + 0-20 ms jitter: 419 ms (p90 469, max 517). (The
 * design before this one, check at 150 ms and no silence rule: 306, 324, 383, 446 ms.)
 *
 * <h2>Delay is not loss</h2>
 * A queue (bufferbloat under an upload, a TCP send buffer) delays our probes behind our data;
 * a starved thread reads the answers late. Neither must take the tunnel down (Babel would
 * retract its routes, the queue drain, the tunnel come back: flapping under load). Measured in
 * {@code LivenessSim} and decided:
 * <ul>
 * <li><b>Silence scaled to the recent RTT</b>: a down needs max(300 ms, 2 x (check wait + recent
 *     max RTT) + 50 ms) of silence. The recent max RTT takes a larger sample at once and its
 *     excess over SRTT halves every second (the RTO's SRTT follows a growth 8 samples late; a
 *     slow first sample, e.g. a cold start, costs nothing seconds later). The
 *     factor 2 is what a queue growing as fast as time passes needs (a check sent w after the last
 *     packet on a path of RTT r is answered within 2 (w + r) while the delay grows 1 ms per ms:
 *     TCP slow start's 2x overload); the check comes at 100 ms (150 before), so that on a 20 ms
 *     path the bound stays 300 ms. A queue building up one way from 20 to 600 ms: at 1 ms/ms, no
 *     false down in 100 seeds (the design before: 54-57 runs of 100 with one-way traffic); at
 *     2 ms/ms 35 (80); at 4 ms/ms 70 (90); two-way traffic never (a FIFO's output is never silent
 *     while it holds our packets).</li>
 * <li><b>A step is a blackhole for its length</b>: if every packet from t on is 580 ms later,
 *     the side that hears nothing for 580 ms has exactly what it would have after a cut; no
 *     rule tells them apart but a longer wait, which a 0.5 s failover target forbids. Such a gap
 *     is a down (and up again with the first late packet); a gap shorter than the silence bound
 *     is not. Queues do not do this (above); a frozen peer does (see the stall below).</li>
 * <li><b>A late tick holds the decision</b>: {@link #nextCheck} records the wake-up it asked for; a
 *     tick more than {@value #LATE_TICK_MS} ms after it (the thread was starved, a GC, a loop
 *     that stalled) decides nothing for one RTO (once per silence: a thread that is always late
 *     still decides): what the peer sent meanwhile waits unread, and
 *     the driver reads it in that time. So an end whose own thread was frozen 800 ms does not
 *     go down; the other end stays up too while the frozen end's data path keeps sending. An
 *     end that sends nothing at all for longer than the silence bound (a whole process frozen,
 *     with only our data towards it) is, to us, a blackhole: down, then up at its first packet.</li>
 * <li><b>RTT samples from data</b> (every packet carrying a timestamp echo) were not taken: one
 *     way traffic already brings a check, hence an RTT sample, every 100 ms + RTT, which is where
 *     the queue grows; two-way traffic has no silence to judge. It would cost a wire change
 *     and 8+ bytes a packet for nothing the simulator could show.</li>
 * <li><b>Our own send queue</b> (TCP tunnels): probes that have not left cannot be answered, but
 *     a blackholed TCP path also fills the send buffer, so "the queue is not drained" cannot hold
 *     a down back. What proves the path is the peer's kernel acknowledging our bytes: a TCP
 *     tunnel reads TCP_INFO at each tick and passes the last ACK's time to {@link #acknowledged}
 *     (while the kernel is neither retransmitting on timeout, as into a dead path, nor probing a
 *     zero window, as towards a peer that stopped reading), which counts as a packet from the
 *     peer while up. So a send buffer holding seconds of data, or a peer process starved while
 *     its kernel acknowledges, is no down. Not authenticated, as the TCP connection itself is not.</li>
 * </ul>
 *
 * <h2>False down under random loss (the number of probes)</h2>
 * With independent loss p per direction, a probe round trip fails with q = 1 - (1 - p)^2; at
 * p = 5%, q = 0.0975. The tunnel goes down only when all {@value #PROBES} probes of one series
 * fail and nothing else comes from the peer meanwhile: P(series) = q^7 = 8.4e-8 (q^5 = 8.8e-6,
 * q^6 = 8.6e-7). The RTO is taken from the measured SRTT and RTTVAR, so 20 ms of jitter delays
 * no answer past its timeout often enough to matter (and a late answer still cancels the series,
 * the probes before the last have more time). How many series start in 60 s:
 * <ul>
 * <li>a steady two-way stream (the failover benchmark's 10 ms probes): a check needs 100 ms
 *     without a single packet back, i.e. about 10 losses in a row (0.05^10): none;</li>
 * <li>an idle tunnel: one keepalive per 10 s each side, 12 series: P = 1e-6 per minute;</li>
 * <li>the worst case, data one way only (the peer never answers but our probes): a series
 *     every 100 ms plus an RTT, at most 500 a minute: P = 500 x 8.4e-8 = 4.2e-5 per minute
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
 * other probe while answers flow. Traffic one way only: a probe and its echo per 100 ms + RTT.
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

    static final int PROBE_AFTER_MS = 100, RTO_MIN_MS = 50, RTO_INITIAL_MS = 1000, BURST_GAP_MS = 10, KEEPALIVE_S = 10,
            DOWN_FAST_MS = 100, DOWN_FAST_FOR_S = 3, LATE_TICK_MS = 50;
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
    /**
     * The least silence (last packet from the peer to the decision) before down, whatever the RTT:
     * {@link #silenceBeforeDownNanos()} is max(this, 2 x (check wait + recent max RTT) + 50 ms).
     */
    public static final long MIN_SILENCE_BEFORE_DOWN_NS = 300 * MS;
    /** A tick this much later than the wake-up its {@link #nextCheck} asked for: the thread was starved; no down on it. */
    public static final long LATE_TICK_NS = LATE_TICK_MS * MS;
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
    private long rttMaxNs = -1, rttMaxAt; // recent max RTT and when it was set: takes a larger sample at once; its excess over SRTT halves every second
    private long wakeBy = NONE;    // the wake-up the last nextCheck asked for (NONE: no promise since the last tick)
    private long holdUntil = NONE; // after a late tick: no down before this (the driver reads what waited meanwhile); once per silence
    private volatile long lateTicks;
    private long downSince = NONE, downInterval;
    private long transitions;
    private volatile long probesSent; // one writer (the underlay thread); read by the metrics, as the two below
    private volatile long echoes;
    private volatile long downs;

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
        holdUntil = NONE;
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

    /**
     * The transport's own acknowledgement: the peer's kernel acknowledged our bytes at {@code at}
     * (TCP tunnels, from TCP_INFO; see "Delay is not loss"). While up it counts as a packet from
     * the peer: the path and the peer's host work even if our probes still wait behind our data.
     * Ignored while down (the probes' answers bring the tunnel up) and when not after the last packet.
     */
    public void acknowledged(long at) {
        if (state == State.UP && at - lastReceived > 0)
            received(at);
    }

    /** The answer to one of our probes, sent at {@code probeSentAt}: also an RTT sample (RFC 6298 smoothing). */
    public Action echoReceived(long probeSentAt, long now) {
        echoes++;
        long sample = now - probeSentAt;
        if (sample >= 0 && sample < 60_000_000_000L) {
            if (srttNs < 0) {
                srttNs = sample;
                rttvarNs = sample / 2;
            } else {
                rttvarNs += (Math.abs(srttNs - sample) - rttvarNs) / 4;
                srttNs += (sample - srttNs) / 8;
            }
            rttMaxNs = Math.max(sample, rttMaxAt(now));
            rttMaxAt = now;
        }
        return received(now);
    }

    /** Called at {@link #nextCheck} (or any time before): probe, or declare the path dead. */
    public Action tick(long now) {
        if (wakeBy != NONE && now - wakeBy > LATE_TICK_NS) { // starved (or a stalled loop): what waits unread may be the answer
            lateTicks++;
            if (holdUntil == NONE) // once per silence: a thread starved for good still decides
                holdUntil = now + rtoNanos();
        }
        wakeBy = NONE;
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
        if (now - downDue() < 0)
            return Action.NOTHING;
        state = State.DOWN;
        downSince = now;
        downInterval = DOWN_FAST_NS;
        series = 0;
        transitions++;
        downs++;
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
        else if (series >= PROBES)
            t = downDue();
        else if (series == 1)
            t = lastProbe + rtoNanos();
        else
            t = lastProbe + BURST_GAP_NS;
        t = later(t, now);
        wakeBy = t;
        return t;
    }

    /** The whole series sent: down one RTO after its last probe, once the silence is long enough and no late tick holds it. */
    private long downDue() {
        long t = later(lastProbe + rtoNanos(), lastReceived + silenceBeforeDownNanos());
        return holdUntil == NONE ? t : later(t, holdUntil);
    }

    /**
     * The silence (from the last packet of the peer) a down needs: max(300 ms, 2 x (check wait
     * + recent max RTT) + 50 ms). A check sent {@code w} after the last packet, on a path whose RTT
     * was {@code r} and whose queue then grows as fast as time passes (delay + 1 ms per ms, TCP
     * slow start's 2x overload), is answered after {@code 2 (w + r)} at most; 50 ms is the margin.
     */
    public long silenceBeforeDownNanos() {
        long r = Math.max(0, rttMaxAt(lastReceived));
        return Math.max(MIN_SILENCE_BEFORE_DOWN_NS, 2 * (probeAfterNanos() + r) + RTO_MIN_NS);
    }

    /** The recent max RTT as of the last packet from the peer (follows a larger sample at once, its excess over SRTT halves every second), ns, or -1 before the first echo. */
    public long rttMaxNanos() {
        return rttMaxAt(lastReceived);
    }

    private long rttMaxAt(long now) {
        if (rttMaxNs < 0)
            return -1;
        long halvings = Math.max(0, now - rttMaxAt) / 1_000_000_000L;
        long excess = Math.max(0, rttMaxNs - srttNs);
        return srttNs + (halvings >= 63 ? 0 : excess >> halvings);
    }

    /** Ticks that came more than {@link #LATE_TICK_NS} after the wake-up asked for (a starved thread): each held a down back. */
    public long lateTicks() {
        return lateTicks;
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

    /** How long sent data waits for anything from the peer before a check probe: max(100 ms, RTO). */
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

    /** Echoes of our probes received so far: with {@link #probesSent}, the probes' loss. */
    public long echoesReceived() {
        return echoes;
    }

    /** Times the path was declared dead (UP to DOWN). */
    public long downs() {
        return downs;
    }

    public long transitions() {
        return transitions;
    }
}
