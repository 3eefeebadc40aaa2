package re6st.tunnel;

import java.util.Arrays;

import re6st.tunnel.data.DataPacket;

/**
 * Path-MTU black-hole detection for one direction of a tunnel, the way DPLPMTUD (RFC 8899)
 * does it for UDP: a pure state machine (time passed in, monotonic nanoseconds, no I/O) that
 * asks for padded probes and turns their acknowledgements, or their absence, into "set the TUN
 * MTU to N" decisions. Sizes are <em>inner</em> sizes (the TUN MTU: what an IP packet on the TUN
 * may weigh); a probe of size S is sealed into a datagram exactly as big as a full data packet of
 * S bytes would be (S + {@link DataPacket#OVERHEAD}), so it passes where such data passes.
 *
 * <h2>Candidates (the ladder)</h2>
 * The tunnel starts at its configured MTU (underlay MTU minus IP, UDP and tunnel headers: 1424
 * on a 1500-byte IPv6 path). {@link #ladder(int)} derives the lower candidates from it, each
 * standing for a common extra encapsulation on the underlay path: the start minus
 * {@value #STEP_1} (PPPoE, IPv4-in-IPv4, 6in4), minus {@value #STEP_2} (GRE, DS-Lite,
 * IPv6-in-IPv6), minus {@value #STEP_3} (an IPsec or WireGuard-like VPN); below that the gap to
 * {@value #MIN_MTU} is halved until it is at most {@value #HALVING_STOP} bytes (only matters for
 * jumbo-frame starts); the last candidate is always {@value #MIN_MTU}, the IPv6 minimum, never
 * gone below. 1424 gives 1424, 1404, 1384, 1344, 1280; a start of 1280 gives only 1280.
 *
 * <h2>Policy</h2>
 * <ul>
 * <li><b>Confirm</b>: the current MTU is probed when the tunnel comes up, then every
 *     {@link #CONFIRM_INTERVAL_NS} (10 min), and at once when the I/O side asks
 *     ({@link #requestCheck}: e.g. it saw many retransmissions).</li>
 * <li><b>Black hole</b>: each probe is given {@link #PROBE_TIMEOUT_NS} (1 s) for its
 *     acknowledgement. {@value #MAX_PROBES} probes in a row of the current size left unanswered
 *     while the path is up ({@link Liveness} UP, and something authentic came back after the
 *     probe was sent: small packets pass) mean big packets are silently lost: the MTU is lowered
 *     at once to the next candidate (a decision) and that size is probed in turn, and so on down
 *     to {@value #MIN_MTU}. A probe that timed out while the path was down, or with nothing at all
 *     coming back since it was sent, proves nothing: it is sent again without being counted (the
 *     liveness deals with dead paths). A single lost probe is therefore not enough to lower.</li>
 * <li><b>Raise</b>: {@link #RAISE_INTERVAL_NS} (10 min) after the MTU was lowered (or after a
 *     failed raise), the next larger candidate is probed ({@value #MAX_PROBES} tries); when it is
 *     acknowledged the MTU goes up to it (a decision) and the next one is tried at once, until one
 *     fails or the starting MTU is reached. Never above the starting MTU.</li>
 * <li><b>Too big</b> ({@link #tooBig}): the kernel refused a datagram with EMSGSIZE (it learnt a
 *     smaller path MTU from ICMP). If the refused datagram was bigger than the current MTU, it was
 *     a raise probe (the raise fails at once) or a packet queued before the MTU was lowered
 *     (ignored: one refusal lowers once). Otherwise the MTU is lowered at once: to the
 *     kernel's value when the I/O side knows it ({@link #innerMtu} converts), else to the next
 *     candidate; then that size is confirmed by probing like any other.</li>
 * </ul>
 * Decisions are collected with {@link #takeDecision} (the latest wins: it is the MTU the TUN
 * interface should have now). Not thread-safe: the owner (the tunnel's underlay thread) calls
 * everything; {@link #mtu} may be read from any thread.
 */
public final class PathMtu {
    /** IPv6's minimum link MTU (RFC 8200): the tunnel never goes below. */
    public static final int MIN_MTU = 1280;
    /** Unanswered probes in a row of one size before giving it up (RFC 8899 MAX_PROBES). */
    public static final int MAX_PROBES = 3;
    /** Time a probe is given for its acknowledgement (RFC 8899 PROBE_TIMER). */
    public static final long PROBE_TIMEOUT_NS = 1_000_000_000L;
    /** Re-probe the current MTU this often (RFC 8899 CONFIRMATION_TIMER). */
    public static final long CONFIRM_INTERVAL_NS = 600_000_000_000L;
    /** After lowering (or a failed raise), try one step up after this (RFC 8899 PMTU_RAISE_TIMER). */
    public static final long RAISE_INTERVAL_NS = 600_000_000_000L;
    static final int STEP_1 = 20, STEP_2 = 40, STEP_3 = 80, HALVING_STOP = 64;

    private enum Phase { IDLE, CONFIRMING, RAISING }

    private final int[] ladder; // strictly decreasing, ladder[0] = the starting MTU, last >= MIN_MTU
    private final long probeTimeoutNs, confirmIntervalNs, raiseIntervalNs;
    private volatile int mtu;
    private int decision;        // 0: none to collect
    private Phase phase;
    private int probing;         // size being probed (CONFIRMING: == mtu; RAISING: > mtu)
    private int lost;            // unanswered probes in a row at that size
    private boolean sendDue;     // a probe of that size is to be sent at the next tick
    private boolean inconclusive; // the outstanding probe cannot tell (the path went down meanwhile)
    private long probeSentAt;
    private long nextConfirm, nextRaise;
    private volatile long probesSent, probesLost, lowered, raised;

    /**
     * @param ladder the candidates, strictly decreasing, the first one the starting MTU, none
     *        below {@value #MIN_MTU} ({@link #ladder(int)} derives them from the start)
     */
    public PathMtu(int[] ladder, long probeTimeoutNs, long confirmIntervalNs, long raiseIntervalNs, long now) {
        if (ladder.length == 0 || ladder[ladder.length - 1] < MIN_MTU)
            throw new IllegalArgumentException("MTU candidates must be at least " + MIN_MTU + ": " + Arrays.toString(ladder));
        for (int i = 1; i < ladder.length; i++)
            if (ladder[i] >= ladder[i - 1])
                throw new IllegalArgumentException("MTU candidates must decrease: " + Arrays.toString(ladder));
        if (probeTimeoutNs <= 0 || confirmIntervalNs <= 0 || raiseIntervalNs <= 0)
            throw new IllegalArgumentException("timers must be positive");
        this.ladder = ladder.clone();
        this.probeTimeoutNs = probeTimeoutNs;
        this.confirmIntervalNs = confirmIntervalNs;
        this.raiseIntervalNs = raiseIntervalNs;
        this.mtu = ladder[0];
        this.nextRaise = now + raiseIntervalNs;
        startProbe(Phase.CONFIRMING, mtu); // the tunnel just came up: check its MTU
    }

    /** The default policy (1 s probes, confirm and raise every 10 min) from the starting MTU. */
    public static PathMtu defaults(int startMtu, long now) {
        return new PathMtu(ladder(startMtu), PROBE_TIMEOUT_NS, CONFIRM_INTERVAL_NS, RAISE_INTERVAL_NS, now);
    }

    /** The candidates below {@code start} (see the class comment), start first, {@value #MIN_MTU} last. */
    public static int[] ladder(int start) {
        if (start < MIN_MTU || start > TunPump.MAX_PACKET)
            throw new IllegalArgumentException("a tunnel MTU must be within " + MIN_MTU + ".." + TunPump.MAX_PACKET + ": " + start);
        int[] out = new int[32];
        int n = 0;
        out[n++] = start;
        for (int step : new int[] {STEP_1, STEP_2, STEP_3})
            if (start - step > MIN_MTU)
                out[n++] = start - step;
        for (int m = out[n - 1]; m - MIN_MTU > HALVING_STOP; ) {
            m = MIN_MTU + (m - MIN_MTU) / 2;
            out[n++] = m;
        }
        if (out[n - 1] != MIN_MTU)
            out[n++] = MIN_MTU;
        return Arrays.copyOf(out, n);
    }

    /**
     * The inner MTU that an underlay path MTU leaves (what the kernel reports, e.g. IPV6_MTU):
     * minus the IP header (40 or 20), UDP (8) and the tunnel's {@link DataPacket#OVERHEAD}.
     */
    public static int innerMtu(int underlayMtu, boolean ipv6) {
        return underlayMtu - (ipv6 ? 40 : 20) - 8 - DataPacket.OVERHEAD;
    }

    /**
     * Runs the timers. {@code pathUp}: the liveness says UP; {@code lastReceived}: when the last
     * authentic packet came from the peer. Returns the size of a probe to send now (the caller
     * sends an inner control packet of exactly that many bytes), or 0.
     */
    public int tick(long now, boolean pathUp, long lastReceived) {
        if (!pathUp && phase != Phase.IDLE)
            inconclusive = true;
        if (phase == Phase.IDLE) {
            if (!pathUp)
                return 0; // nothing to learn while nothing passes: wait
            if (now - nextConfirm >= 0)
                startProbe(Phase.CONFIRMING, mtu);
            else if (mtu < ladder[0] && now - nextRaise >= 0)
                startProbe(Phase.RAISING, above(mtu));
            else
                return 0;
        }
        if (sendDue)
            return pathUp ? send(now) : 0;
        if (now - probeSentAt < probeTimeoutNs)
            return 0;
        // the outstanding probe timed out
        if (inconclusive || !pathUp || lastReceived - probeSentAt <= 0)
            return pathUp ? send(now) : 0; // the path, not the size, was the trouble: try again, uncounted
        probesLost++;
        if (++lost < MAX_PROBES)
            return send(now);
        if (phase == Phase.RAISING) { // the larger size does not pass: stay
            phase = Phase.IDLE;
            nextRaise = now + raiseIntervalNs;
            return 0;
        }
        // black hole at the current MTU
        int lower = below(mtu);
        if (lower == 0) { // at the minimum already: nothing better to do than keep it
            phase = Phase.IDLE;
            nextConfirm = now + confirmIntervalNs;
            return 0;
        }
        lower(lower, now);
        return send(now);
    }

    /** An acknowledgement of a probe of {@code size} came back. */
    public void acked(int size, long now) {
        if (phase == Phase.IDLE || size != probing)
            return; // late, or of a size no longer asked about
        nextConfirm = now + confirmIntervalNs;
        if (phase == Phase.RAISING) {
            mtu = size;
            decision = size;
            raised++;
            if (size < ladder[0]) { // keep climbing while it works
                startProbe(Phase.RAISING, above(size));
                return;
            }
        }
        phase = Phase.IDLE;
        lost = 0;
    }

    /**
     * The kernel refused a datagram as too big (EMSGSIZE). {@code innerSize}: the inner size of
     * the refused datagram (its length minus {@link DataPacket#OVERHEAD}), 0 if unknown;
     * {@code hint}: the inner MTU the kernel knows ({@link #innerMtu}), 0 if unknown.
     */
    public void tooBig(int innerSize, int hint, long now) {
        if (innerSize > mtu) { // one of our raise probes: that size does not pass
            if (phase == Phase.RAISING && innerSize >= probing) {
                phase = Phase.IDLE;
                nextRaise = now + raiseIntervalNs;
            }
            if (hint <= 0 || hint >= mtu)
                return; // queued before the MTU was lowered, or a raise probe: the current MTU stands
            innerSize = mtu;
        }
        int cap = innerSize > 0 ? innerSize : mtu; // the MTU is below what was refused
        int target = hint > 0 && hint < cap ? Math.max(hint, MIN_MTU) : below(cap);
        if (target == 0 || target >= mtu)
            return; // at the minimum already
        lower(target, now);
    }

    /** The I/O side suspects the MTU (e.g. many retransmissions): confirm it at the next tick. */
    public void requestCheck(long now) {
        if (phase == Phase.CONFIRMING)
            return;
        if (phase == Phase.RAISING)
            nextRaise = now + raiseIntervalNs; // trouble: not the time to go up
        startProbe(Phase.CONFIRMING, mtu);
    }

    /**
     * The probe asked for by the last {@link #tick} could not be sent (no room, no address):
     * it does not count as lost; it is tried again after the probe timeout.
     */
    public void unsent() {
        if (phase != Phase.IDLE)
            inconclusive = true;
    }

    /** The MTU decided since the last call (the TUN interface should have it now), or 0. */
    public int takeDecision() {
        int d = decision;
        decision = 0;
        return d;
    }

    /** When {@link #tick} next has something to do (while the path is up). */
    public long nextCheck(long now) {
        long t;
        if (phase == Phase.IDLE)
            t = mtu < ladder[0] && nextRaise - nextConfirm < 0 ? nextRaise : nextConfirm;
        else
            t = sendDue ? now : probeSentAt + probeTimeoutNs;
        return t - now < 0 ? now : t;
    }

    /** The current inner MTU (any thread). */
    public int mtu() {
        return mtu;
    }

    /** The largest candidate (the starting MTU): the biggest probe this will ask for. */
    public int maxMtu() {
        return ladder[0];
    }

    public int[] candidates() {
        return ladder.clone();
    }

    /** True while a probe cycle is in progress (confirming or raising). */
    public boolean probing() {
        return phase != Phase.IDLE;
    }

    public long probesSent() {
        return probesSent;
    }

    public long probesLost() {
        return probesLost;
    }

    /** Times the MTU was lowered (black hole or EMSGSIZE). */
    public long lowered() {
        return lowered;
    }

    public long raised() {
        return raised;
    }

    private void lower(int target, long now) {
        mtu = target;
        decision = target;
        lowered++;
        nextRaise = now + raiseIntervalNs;
        startProbe(Phase.CONFIRMING, target);
    }

    private void startProbe(Phase p, int size) {
        phase = p;
        probing = size;
        lost = 0;
        sendDue = true;
        inconclusive = false;
    }

    private int send(long now) {
        sendDue = false;
        inconclusive = false;
        probeSentAt = now;
        probesSent++;
        return probing;
    }

    /** The largest candidate below {@code m}, 0 if none. */
    private int below(int m) {
        for (int c : ladder)
            if (c < m)
                return c;
        return 0;
    }

    /** The smallest candidate above {@code m} ({@code m} below the start). */
    private int above(int m) {
        for (int i = ladder.length - 1; i >= 0; i--)
            if (ladder[i] > m)
                return ladder[i];
        throw new IllegalStateException("nothing above " + m);
    }
}
