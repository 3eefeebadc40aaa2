package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import re6st.tunnel.Liveness.Action;
import re6st.tunnel.Liveness.State;
import re6st.tunnel.LivenessSim.Transition;
import re6st.tunnel.data.DataPacket;

/** The liveness state machine on a virtual clock: alone, and two ends over a simulated path ({@link LivenessSim}). */
class LivenessTest {
    static final long MS = 1_000_000L, S = 1_000 * MS;
    /** A probe or an echo on an IPv6 underlay: IPv6 + UDP headers, the data packet's overhead, the 10-byte control message. */
    static final int WIRE_BYTES_IPV6 = 40 + 8 + DataPacket.OVERHEAD + TunnelSession.CONTROL_LEN;

    /** Runs the machine from {@code from} to {@code to}, following nextCheck; returns the first action of kind {@code want} and when. */
    static long runUntil(Liveness l, long from, long to, Action want) {
        long now = from;
        for (int i = 0; i < 100_000 && now <= to; i++) {
            if (l.tick(now) == want)
                return now;
            long next = l.nextCheck(now);
            now = next > now ? next : now + MS;
        }
        return -1;
    }

    /** Every action until {@code to}, as [time, ordinal]. */
    static List<long[]> actions(Liveness l, long from, long to) {
        List<long[]> out = new ArrayList<>();
        long now = from;
        for (int i = 0; i < 100_000 && now <= to; i++) {
            Action a = l.tick(now);
            if (a != Action.NOTHING)
                out.add(new long[] {now, a.ordinal()});
            long next = l.nextCheck(now);
            now = next > now ? next : now + MS;
        }
        return out;
    }

    /** The longest silence before down: the probe series, or the silence a down needs if longer. */
    static long bound(Liveness l) {
        return Math.max(l.silenceBeforeDownNanos(), l.probeAfterNanos() + 2 * l.rtoNanos() + 5 * Liveness.BURST_GAP_NS);
    }

    // ---- one end ------------------------------------------------------------------------------

    /**
     * A tick far later than the wake-up nextCheck asked for (the thread was starved: what the peer
     * sent meanwhile waits unread) does not take the tunnel down: the decision waits one RTO, and
     * the waiting packets, read meanwhile, end the series.
     */
    @Test
    void aLateTickHoldsTheDownBackForAnRto() {
        for (boolean answered : new boolean[] {true, false}) {
            Liveness l = Liveness.defaults(0);
            l.tick(0);
            l.echoReceived(0, 10 * MS); // RTO 50 ms
            l.dataSent(1 * S);
            long now = 1 * S;
            while (l.unansweredProbes() < Liveness.PROBES) { // check and burst, on time
                now = l.nextCheck(now);
                l.tick(now);
            }
            long due = l.nextCheck(now);
            long late = due + 800 * MS;
            assertEquals(Action.NOTHING, l.tick(late), "the first tick after 800 ms of starvation decides nothing");
            assertEquals(1, l.lateTicks());
            assertEquals(late + l.rtoNanos(), l.nextCheck(late), "the decision waits one RTO");
            if (answered) {
                l.received(late + 1 * MS); // the packets that waited
                assertEquals(-1, runUntil(l, late + 1 * MS, late + 2 * S, Action.WENT_DOWN));
                assertEquals(State.UP, l.state());
            } else {
                long again = l.nextCheck(late) + 800 * MS;
                assertEquals(Action.WENT_DOWN, l.tick(again), "nothing came: a second late tick in the same silence holds nothing");
                assertEquals(2, l.lateTicks());
            }
        }
    }

    /** The figures the node's metrics show per tunnel: probes sent, their echoes, downs. */
    @Test
    void probesEchoesAndDownsAreCounted() {
        Liveness l = Liveness.defaults(0);
        assertEquals(Action.SEND_PROBE, l.tick(0));
        l.echoReceived(0, 10 * MS);
        assertEquals(1, l.probesSent());
        assertEquals(1, l.echoesReceived());
        l.dataSent(1 * S); // then silence: a series, then down
        long down = runUntil(l, 1 * S, 10 * S, Action.WENT_DOWN);
        assertTrue(down > 0, "the silent path goes down");
        assertEquals(1, l.downs());
        assertEquals(1, l.echoesReceived(), "nothing answered since");
        assertEquals(1 + Liveness.PROBES + 1, l.probesSent(), "the first, the series, the one sent with the down");
        l.echoReceived(down, down + 10 * MS); // back up: a transition, not a down
        assertEquals(State.UP, l.state());
        assertEquals(1, l.downs());
        assertEquals(2, l.transitions());
    }

    @Test
    void aFreshTunnelProbesOnceAtOnceForItsFirstRttSample() {
        Liveness l = Liveness.defaults(0);
        assertEquals(0, l.nextCheck(0));
        assertEquals(Action.SEND_PROBE, l.tick(0));
        assertEquals(Action.NOTHING, l.echoReceived(0, 10 * MS));
        assertEquals(10 * MS, l.srttNanos());
        assertEquals(5 * MS, l.rttvarNanos(), "RFC 6298: RTTVAR = R/2 at the first sample");
        assertEquals(Liveness.RTO_MIN_NS, l.rtoNanos(), "10 + 4 x 5 ms is below the 50 ms floor");
        assertEquals(Liveness.PROBE_AFTER_NS, l.probeAfterNanos());
        assertEquals(0, l.unansweredProbes());
    }

    @Test
    void echoesAreSmoothedAsRfc6298() {
        Liveness l = Liveness.defaults(0);
        l.tick(0);
        l.echoReceived(0, 40 * MS);
        assertEquals(40 * MS, l.srttNanos());
        l.echoReceived(1_000 * MS, 1_080 * MS);
        assertEquals(45 * MS, l.srttNanos(), "SRTT smoothed by 1/8");
        assertEquals(25 * MS, l.rttvarNanos(), "RTTVAR = 3/4 x 20 + 1/4 x |40 - 80|");
        assertEquals(145 * MS, l.rtoNanos());
        assertEquals(145 * MS, l.probeAfterNanos(), "max(100 ms, RTO)");
    }

    @Test
    void silenceIsCountedFromTheStartOfTheDataPathNotFromTheHandshake() {
        Liveness l = Liveness.defaults(0); // handshake done at 0; the TUN took 15 s to set up
        l.dataPathStarted(15 * S);
        assertEquals(Action.SEND_PROBE, l.tick(15 * S), "the start probe, not a decision on 15 s of silence");
        long down = runUntil(l, 15 * S, 60 * S, Action.WENT_DOWN);
        assertTrue(down - 15 * S >= Liveness.MIN_SILENCE_BEFORE_DOWN_NS, "down " + (down - 15 * S) / MS + " ms after the data path started");
        l.dataPathStarted(70 * S);
        assertEquals(State.DOWN, l.state(), "a tunnel already down stays down until the peer answers");
    }

    /**
     * Data sent and nothing back: a check probe after max(100 ms, RTO), one RTO later the burst of
     * 6 probes 10 ms apart, down one RTO after the last once 300 ms passed since the last packet
     * (with the probe that goes with WENT_DOWN).
     */
    @Test
    void unansweredDataBringsACheckThenABurstThenDown() {
        Liveness l = Liveness.defaults(0);
        l.tick(0);
        l.echoReceived(0, 10 * MS); // RTO 50 ms
        long t0 = 1 * S;
        l.received(t0);
        l.dataSent(t0 + 5 * MS);
        List<long[]> a = actions(l, t0, t0 + 2 * S);
        List<Long> probes = new ArrayList<>();
        long down = -1;
        for (long[] x : a) {
            if (x[1] == Action.SEND_PROBE.ordinal() && down < 0)
                probes.add(x[0] - t0);
            if (x[1] == Action.WENT_DOWN.ordinal() && down < 0)
                down = x[0] - t0;
        }
        assertEquals(List.of(105 * MS, 155 * MS, 165 * MS, 175 * MS, 185 * MS, 195 * MS, 205 * MS), probes,
                "check at 5 + 100 ms, burst from one RTO later, 10 ms apart");
        assertEquals(300 * MS, down, "the series is over at 255 ms; down at 300 ms of silence");
        assertTrue(down >= Liveness.MIN_SILENCE_BEFORE_DOWN_NS);
        assertEquals(300 * MS, Liveness.MIN_SILENCE_BEFORE_DOWN_NS);
    }

    @Test
    void anAnswerDuringTheBurstEndsTheSeries() {
        Liveness l = Liveness.defaults(0);
        l.tick(0);
        l.echoReceived(0, 10 * MS);
        l.dataSent(100 * MS);
        assertEquals(200 * MS, runUntil(l, 100 * MS, S, Action.SEND_PROBE), "check");
        assertEquals(250 * MS, runUntil(l, 201 * MS, S, Action.SEND_PROBE), "burst");
        assertEquals(2, l.unansweredProbes());
        l.echoReceived(200 * MS, 255 * MS); // the check's answer, late
        assertEquals(0, l.unansweredProbes());
        assertEquals(-1, runUntil(l, 305 * MS, 9 * S, Action.WENT_DOWN), "no decision: the path answered");
        assertEquals(State.UP, l.state());
    }

    /**
     * A TCP tunnel's kernel acknowledgements (our probes wait behind seconds of our data in the
     * send buffer): while they keep coming the probe series ends and no down comes; once they stop
     * (a dead path) the silence is counted from the last one; while down they bring nothing up.
     */
    @Test
    void transportAcknowledgementsProveThePathWhileUp() {
        Liveness l = Liveness.defaults(0);
        l.tick(0);
        l.echoReceived(0, 10 * MS); // RTO 50 ms
        l.dataSent(1 * S);
        long now = 1 * S;
        while (l.unansweredProbes() < 3) {
            now = l.nextCheck(now);
            l.tick(now);
        }
        for (long t = now; t < now + 3 * S; t += 20 * MS) { // acknowledged every 20 ms for 3 s, probes unanswered
            l.acknowledged(t - 5 * MS);
            l.dataSent(t);
            assertEquals(-1, runUntil(l, t, t + 19 * MS, Action.WENT_DOWN), "down while acknowledged, at " + t / MS + " ms");
        }
        long lastAck = now + 3 * S - 25 * MS;
        assertEquals(lastAck, l.lastReceived(), "the acknowledgement counts as a packet from the peer");
        l.acknowledged(lastAck - 100 * MS);
        assertEquals(lastAck, l.lastReceived(), "an older acknowledgement changes nothing");
        long down = runUntil(l, now + 3 * S, now + 10 * S, Action.WENT_DOWN);
        assertTrue(down - lastAck >= Liveness.MIN_SILENCE_BEFORE_DOWN_NS && down - lastAck <= bound(l),
                "down " + (down - lastAck) / MS + " ms after the last acknowledgement");
        l.acknowledged(down + 10 * MS);
        assertEquals(State.DOWN, l.state(), "only the probes' answers bring it up");
    }

    @Test
    void aBusyTunnelOnlyProbesAtTheKeepaliveForItsRtt() {
        Liveness l = Liveness.defaults(0);
        int probes = 0;
        for (long t = 0; t < 60 * S; t += 10 * MS) {
            l.received(t);
            l.dataSent(t + 1 * MS);
            if (l.tick(t + 5 * MS) == Action.SEND_PROBE)
                probes++;
        }
        assertEquals(State.UP, l.state());
        assertEquals(6, probes, "the start probe, then one per 10 s (at 10, 20, 30, 40, 50 s)");
    }

    @Test
    void downKeepsProbingFastThenBacksOffToTheKeepalive() {
        Liveness l = Liveness.defaults(0);
        l.tick(0);
        l.echoReceived(0, 10 * MS);
        l.dataSent(0);
        long down = runUntil(l, 0, 5 * S, Action.WENT_DOWN);
        assertTrue(down > 0);
        List<Long> gaps = new ArrayList<>();
        long last = down;
        for (long[] x : actions(l, down + 1, down + 120 * S)) {
            assertEquals(Action.SEND_PROBE.ordinal(), x[1]);
            gaps.add(x[0] - last);
            last = x[0];
        }
        for (int i = 0; i < 29; i++)
            assertEquals(Liveness.DOWN_FAST_NS, gaps.get(i), "fast for the first 3 s, probe " + i);
        assertTrue(gaps.stream().allMatch(g -> g <= Liveness.KEEPALIVE_NS), "bounded by the keepalive: " + gaps);
        assertEquals(Liveness.KEEPALIVE_NS, gaps.get(gaps.size() - 1), "backed off to the keepalive");
        assertTrue(gaps.size() < 29 + 20, gaps.size() + " probes in 2 minutes down");
        assertEquals(Action.WENT_UP, l.received(down + 121 * S));
    }

    // ---- two ends over a simulated path -------------------------------------------------------

    /**
     * The failover case (BENCHMARKS.md 2): a 10 ms stream each way over a 20 ms RTT path, the
     * path blackholed without notice. Both ends decide down by the design's bound: the last
     * packet from the peer + max(150 ms, RTO) + RTO + 5 x 10 ms + RTO, i.e. 300 ms with the RTO at
     * its 50 ms floor, after a minute of keepalive RTT samples.
     */
    @Test
    void aBlackholeUnderA10msStreamIsDecidedWithin300msOfTheLastPacket() {
        LivenessSim sim = new LivenessSim(1).stream(0, 10 * MS).stream(1, 10 * MS);
        sim.runUntil(60 * S + 3 * MS);
        long[] lastBefore = new long[2];
        long cut = sim.now;
        sim.blackhole(true);
        sim.runUntil(cut + 20 * MS); // what was in flight has arrived
        for (int s = 0; s < 2; s++)
            lastBefore[s] = sim.end[s].lastReceived();
        sim.runUntil(cut + 5 * S);
        for (int s = 0; s < 2; s++) {
            Transition down = sim.first(s, Action.WENT_DOWN, cut);
            assertNotNull(down, "side " + s + " went down");
            Liveness l = sim.end[s];
            assertEquals(Liveness.RTO_MIN_NS, l.rtoNanos(), "side " + s + ": 20 ms RTT, no jitter");
            long silence = down.at() - lastBefore[s];
            System.out.printf("side %d: down %d ms after the cut, %d ms after the last packet (SRTT %.1f ms, RTO %d ms)%n", s,
                    (down.at() - cut) / MS, silence / MS, l.srttNanos() / 1e6, l.rtoNanos() / MS);
            assertTrue(silence >= Liveness.MIN_SILENCE_BEFORE_DOWN_NS, "not before the promised silence: " + silence / MS + " ms");
            assertTrue(silence <= bound(l) + 10 * MS,
                    "within the bound: " + silence / MS + " ms");
            assertTrue(down.at() - cut <= 320 * MS, "down " + (down.at() - cut) / MS + " ms after the cut");
        }
    }

    /** The same with 20 ms of jitter and a 40 ms path: the RTO follows the measured RTT and variance. */
    @Test
    void aBlackholeOnAJitteryPathIsDecidedWithinItsRtoBound() {
        LivenessSim sim = new LivenessSim(2).stream(0, 10 * MS).stream(1, 10 * MS);
        sim.delay = 20 * MS;
        sim.jitter = 20 * MS;
        sim.runUntil(60 * S);
        long cut = sim.now;
        sim.blackhole(true);
        sim.runUntil(cut + 5 * S);
        for (int s = 0; s < 2; s++) {
            Transition down = sim.first(s, Action.WENT_DOWN, cut);
            assertNotNull(down, "side " + s + " went down");
            Liveness l = sim.end[s];
            long bound = bound(l) + 40 * MS; // + the last packet's flight
            System.out.printf("jittery side %d: down %d ms after the cut (SRTT %.1f ms, RTTVAR %.1f ms, RTO %d ms)%n", s,
                    (down.at() - cut) / MS, l.srttNanos() / 1e6, l.rttvarNanos() / 1e6, l.rtoNanos() / MS);
            assertTrue(down.at() - cut <= bound, "down " + (down.at() - cut) / MS + " ms after the cut, bound " + bound / MS);
            assertTrue(l.rtoNanos() > Liveness.RTO_MIN_NS, "the RTO grew with the RTT");
        }
    }

    /**
     * Both ends idle for 10 minutes: only keepalives and their echoes, counted: at most one probe
     * and one echo per 10 s each way, 17 B/s on an IPv6 underlay (goal: 50 B/s).
     */
    @Test
    void anIdleTunnelCostsAKeepaliveEvery10sEachWay() {
        LivenessSim sim = new LivenessSim(3);
        sim.runUntil(600 * S);
        for (int s = 0; s < 2; s++) {
            double perMinute = sim.probes[s] / 10.0, bytesPerSecond = sim.controlBytes(s, WIRE_BYTES_IPV6) / 600.0;
            System.out.printf("idle side %d: %d probes and %d echoes in 10 min: %.1f probes/min, %.1f B/s%n", s, sim.probes[s],
                    sim.echoes[s], perMinute, bytesPerSecond);
            assertTrue(sim.probes[s] >= 60 && sim.probes[s] <= 61, sim.probes[s] + " probes: one at start, then one per 10 s");
            assertEquals(sim.probes[1 - s], sim.echoes[s], "every probe of the peer answered");
            assertTrue(bytesPerSecond <= 50, bytesPerSecond + " B/s");
            assertEquals(State.UP, sim.end[s].state());
        }
        assertEquals(List.of(), sim.transitions);
    }

    /** The first data after idleness arms the fast detection: a path that died while idle is found ~0.3 s after the data, not at the keepalive. */
    @Test
    void theFirstDataAfterIdlenessArmsTheFastDetection() {
        LivenessSim sim = new LivenessSim(4);
        sim.runUntil(30_500 * MS); // keepalives at 0, 10, 20, 30 s
        sim.blackhole(true);
        sim.runUntil(35 * S);
        assertEquals(List.of(), sim.transitions, "idle: nobody noticed yet");
        sim.stream(0, 10 * MS);
        sim.runUntil(45 * S);
        Transition down = sim.first(0, Action.WENT_DOWN, 0);
        assertNotNull(down);
        Liveness l = sim.end[0];
        long after = down.at() - 35 * S;
        System.out.printf("down %d ms after the first data following idleness%n", after / MS);
        assertTrue(after <= bound(l), after / MS + " ms");
        assertTrue(down.at() < 40 * S, "before the next keepalive would have found it");
    }

    /** A path that dies while both ends are idle is found by the keepalive, within 10 s + a series. */
    @Test
    void anIdlePathThatDiesIsFoundByTheKeepalive() {
        LivenessSim sim = new LivenessSim(5);
        sim.runUntil(30_500 * MS);
        sim.blackhole(true);
        sim.runUntil(60 * S);
        for (int s = 0; s < 2; s++) {
            Transition down = sim.first(s, Action.WENT_DOWN, 0);
            assertNotNull(down, "side " + s);
            assertTrue(down.at() > 30_500 * MS && down.at() <= 40 * S + S, "side " + s + " down at " + down.at() / MS + " ms");
        }
    }

    /**
     * 5% independent loss each way and 0-20 ms jitter for 60 s, 50 seeds, in three traffic
     * patterns: a 10 ms stream both ways, idle, and data one way only (the worst case: every
     * 150 ms a check). No end ever goes down; and the loss did hit probes (series longer than the
     * check happened), so the test had the chance to see a false down.
     */
    @Test
    void noFalseDownUnder5PercentLossAnd20msJitterFor60s() {
        int longest = 0;
        long probes = 0;
        for (int pattern = 0; pattern < 3; pattern++)
            for (int seed = 0; seed < 50; seed++) {
                LivenessSim sim = new LivenessSim(1000 * pattern + seed);
                sim.loss = 0.05;
                sim.jitter = 20 * MS;
                if (pattern == 0)
                    sim.stream(0, 10 * MS).stream(1, 10 * MS);
                else if (pattern == 2)
                    sim.stream(0, 10 * MS);
                sim.runUntil(60 * S);
                assertEquals(List.of(), sim.transitions, "pattern " + pattern + ", seed " + seed);
                longest = Math.max(longest, Math.max(sim.longestSeries[0], sim.longestSeries[1]));
                probes += sim.probes[0] + sim.probes[1];
            }
        System.out.printf("lossy: %d probes over 150 runs of 60 s, longest unanswered series %d of %d%n", probes, longest,
                Liveness.PROBES);
        assertTrue(longest >= 3, "loss hit checks and burst probes: " + longest);
    }

    /** A 20 ms path with a 10 ms stream: both ways (pattern 0), from side 0 only (1), from side 1 only (2). */
    static LivenessSim withTraffic(long seed, int pattern) {
        LivenessSim sim = new LivenessSim(seed);
        sim.delay = 20 * MS;
        if (pattern != 2)
            sim.stream(0, 10 * MS);
        if (pattern != 1)
            sim.stream(1, 10 * MS);
        return sim;
    }

    /**
     * A queue builds up on the path one way, from 20 ms to 600 ms of one-way delay, at TCP slow
     * start's rate (the bottleneck gets twice what it sends: the delay grows 1 ms per ms), under a
     * 10 ms stream: both ways, one way into the queue (an upload: the sender only hears the echoes
     * of its checks, which wait behind its data), and one way out of it (the sender's checks are
     * answered through the queue). No end goes down; the checks' RTT samples saw the queue.
     */
    @Test
    void aQueueBuildingUpTo600msOneWayIsNoDown() {
        for (int pattern = 0; pattern < 3; pattern++)
            for (int seed = 0; seed < 20; seed++) {
                LivenessSim sim = withTraffic(7000 + 100 * pattern + seed, pattern);
                sim.runUntil(30 * S + seed * 7 * MS);
                sim.queueBuildsUp(0, 580 * MS, 1.0);
                sim.runUntil(60 * S);
                assertEquals(List.of(), sim.transitions, "pattern " + pattern + ", seed " + seed);
                assertEquals(600 * MS, sim.maxDelay[0], "the queue was there");
                int sender = pattern == 2 ? 1 : 0;
                if (pattern > 0 && seed == 0) {
                    Liveness l = sim.end[sender];
                    System.out.printf("queue to 600 ms, %s: sender's SRTT %.0f ms, recent max RTT %.0f ms, %d probes, longest series %d%n",
                            pattern == 1 ? "upload into it" : "data out of it", l.srttNanos() / 1e6, l.rttMaxNanos() / 1e6,
                            sim.probes[sender], sim.longestSeries[sender]);
                }
                if (pattern > 0)
                    assertTrue(sim.end[sender].rttMaxNanos() >= 600 * MS, "the sender's checks measured the queue");
            }
    }

    /**
     * The same delay as a step (every packet from t on 580 ms later: a silent gap of 580 ms) cannot
     * be told from a blackhole by the side that hears nothing: no information comes faster than the
     * path. A step shorter than the silence a down needs passes; a 580 ms one on a 20 ms path is a
     * down after at least {@link Liveness#MIN_SILENCE_BEFORE_DOWN_NS}, up again with the first late
     * packet. (A queue does not do this: its output is never silent while it holds our packets.)
     */
    @Test
    void anAbruptDelayStepIsADownOnlyWhenItsGapIsLongerThanTheSilenceBound() {
        for (long extra : new long[] {250 * MS, 580 * MS}) {
            LivenessSim sim = new LivenessSim(8).stream(0, 10 * MS).stream(1, 10 * MS);
            sim.delay = 20 * MS;
            sim.runUntil(30 * S);
            long step = sim.now;
            sim.queueBuildsUp(0, extra, Double.POSITIVE_INFINITY);
            sim.runUntil(40 * S);
            Transition down = sim.first(1, Action.WENT_DOWN, 0);
            System.out.printf("abrupt step of %d ms: side 1 %s%n", extra / MS,
                    down == null ? "stays up" : "down " + (down.at() - step) / MS + " ms after the step, up "
                            + (sim.first(1, Action.WENT_UP, down.at()).at() - step) / MS + " ms after it");
            assertNull(sim.first(0, Action.WENT_DOWN, 0), "side 0 hears side 1 all along");
            if (extra < Liveness.MIN_SILENCE_BEFORE_DOWN_NS) {
                assertNull(down);
            } else {
                assertNotNull(down);
                assertTrue(down.at() - step >= Liveness.MIN_SILENCE_BEFORE_DOWN_NS);
                assertNotNull(sim.first(1, Action.WENT_UP, down.at()));
            }
        }
    }

    /**
     * One end's underlay thread frozen for 800 ms (CPU starvation: nothing read, ticked or echoed;
     * its data path keeps sending), then it runs its overdue timer before it reads: no end goes
     * down, with data both ways and with data from the frozen end only. (With data only towards
     * the frozen end, that end sends nothing for 800 ms: to the other one it is a blackhole, and
     * it goes down after {@link Liveness#silenceBeforeDownNanos()}: no information tells them apart.)
     */
    @Test
    void an800msStallOfOneEndsReceivingThreadIsNoDown() {
        for (int pattern = 0; pattern < 3; pattern += 2)
            for (int seed = 0; seed < 20; seed++) {
                LivenessSim sim = withTraffic(9000 + 100 * pattern + seed, pattern);
                sim.runUntil(30 * S + seed * 13 * MS);
                sim.stall(1, 800 * MS);
                sim.runUntil(40 * S);
                assertEquals(List.of(), sim.transitions, "pattern " + pattern + ", seed " + seed);
                assertTrue(pattern != 0 || sim.heldByStall > 0, "packets waited for the frozen thread");
                assertTrue(sim.end[1].lateTicks() >= 1, "the frozen end saw its tick was late");
            }
    }

    /** After the path heals the tunnel comes up within a fast probe interval (+ RTT) early on, within a keepalive later. */
    @Test
    void healingBringsItUpAgainQuickly() {
        for (long downFor : new long[] {1 * S, 120 * S}) {
            LivenessSim sim = new LivenessSim(6).stream(0, 10 * MS);
            sim.runUntil(20 * S);
            sim.blackhole(true);
            sim.runUntil(20 * S + 500 * MS);
            Transition down = sim.first(0, Action.WENT_DOWN, 0);
            assertNotNull(down);
            long heal = down.at() + downFor;
            sim.runUntil(heal);
            assertNull(sim.first(0, Action.WENT_UP, 0), "still down while cut");
            sim.blackhole(false);
            sim.runUntil(heal + 15 * S);
            Transition up = sim.first(0, Action.WENT_UP, heal);
            assertNotNull(up);
            long bound = downFor < Liveness.DOWN_FAST_FOR_NS ? Liveness.DOWN_FAST_NS + 2 * sim.delay : Liveness.KEEPALIVE_NS + 2 * sim.delay;
            System.out.printf("down %d s: up %d ms after healing%n", downFor / S, (up.at() - heal) / MS);
            assertTrue(up.at() - heal <= bound, (up.at() - heal) / MS + " ms");
            assertEquals(State.UP, sim.end[0].state());
        }
    }
}
