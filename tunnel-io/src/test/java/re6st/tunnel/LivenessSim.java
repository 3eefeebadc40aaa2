package re6st.tunnel;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;

import re6st.tunnel.Liveness.Action;

/**
 * Two {@link Liveness} ends joined by a simulated path on a virtual clock: each direction has a
 * one-way delay, a uniform jitter, an independent random loss (seeded) and a blackhole switch;
 * packets may overtake each other. Each end can send data at a fixed period (a probe stream);
 * probes are answered at once with an echo carrying the probe's time, as {@link TunnelSession}
 * does. Events run in time order: deliveries, then data sends, then the ends' timers at their
 * {@link Liveness#nextCheck}.
 */
final class LivenessSim {
    static final long MS = 1_000_000L;
    static final int DATA = 0, PROBE = 1, ECHO = 2;

    record Packet(long at, long seq, int to, int kind, long time) {}

    record Transition(long at, int side, Action action) {}

    final Liveness[] end;
    final Random random;
    long delay = 10 * MS, jitter;
    double loss;
    final boolean[] blackholed = new boolean[2]; // [from]
    /** A queue building up on the path from a side: extra one-way delay rising at {@code rampSlope} ns per ns from {@code rampFrom} up to {@code rampTo}. */
    final long[] rampFrom = {Long.MAX_VALUE, Long.MAX_VALUE}, rampTo = new long[2];
    final double[] rampSlope = new double[2];
    /** The largest one-way delay a packet met, per direction [from]. */
    final long[] maxDelay = new long[2];
    /** A side's underlay thread frozen (no read, no tick, no echo) until this time; its data path keeps sending. */
    final long[] stalledUntil = new long[2];
    private final boolean[] frozen = new boolean[2];
    /** Packets that waited for a frozen side's thread. */
    long heldByStall;
    final long[] dataPeriod = new long[2], nextData = new long[2];
    final long[] probes = new long[2], echoes = new long[2], data = new long[2];
    /** The most probes of one series an end had out unanswered (over the run). */
    final int[] longestSeries = new int[2];
    final List<Transition> transitions = new ArrayList<>();
    long now;
    private long seq;
    private final PriorityQueue<Packet> inFlight = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));

    LivenessSim(long seed) {
        random = new Random(seed);
        end = new Liveness[] {Liveness.defaults(0), Liveness.defaults(0)};
    }

    /** Side {@code s} sends data every {@code period} from now on (0: stops). */
    LivenessSim stream(int s, long period) {
        dataPeriod[s] = period;
        nextData[s] = now;
        return this;
    }

    /**
     * From now on, the path from side {@code from} queues: its extra delay grows by {@code slope}
     * ns per ns up to {@code extra} (a FIFO fills: packets keep their order, the receiver sees
     * them spaced out by 1 + slope). An infinite slope is a step: a silent gap of {@code extra}.
     */
    LivenessSim queueBuildsUp(int from, long extra, double slope) {
        rampFrom[from] = now;
        rampTo[from] = extra;
        rampSlope[from] = slope;
        return this;
    }

    /** Freezes side {@code s}'s underlay thread for {@code duration} from now (its data path keeps sending); at the end it runs its overdue timer before it reads. */
    void stall(int s, long duration) {
        stalledUntil[s] = now + duration;
        frozen[s] = true;
    }

    private long extraDelay(int from) {
        if (now < rampFrom[from])
            return 0;
        double grown = rampSlope[from] * (now - rampFrom[from]);
        return grown >= rampTo[from] ? rampTo[from] : (long) grown;
    }

    void blackhole(boolean on) {
        blackholed[0] = blackholed[1] = on;
    }

    /** Control bytes side {@code s} sent (probes and echoes), at {@code wireBytes} each. */
    long controlBytes(int s, int wireBytes) {
        return (probes[s] + echoes[s]) * wireBytes;
    }

    /** The first transition of {@code side} to {@code action} at or after {@code from}, or null. */
    Transition first(int side, Action action, long from) {
        for (Transition t : transitions)
            if (t.side == side && t.action == action && t.at >= from)
                return t;
        return null;
    }

    void runUntil(long until) {
        if (until < now)
            throw new IllegalArgumentException("the virtual clock is at " + now + ", cannot run until " + until);
        for (int guard = 0; guard < 50_000_000; guard++) {
            long next = until;
            if (!inFlight.isEmpty())
                next = Math.min(next, inFlight.peek().at);
            for (int s = 0; s < 2; s++) {
                next = Math.min(next, frozen[s] ? stalledUntil[s] : end[s].nextCheck(now));
                if (dataPeriod[s] > 0)
                    next = Math.min(next, nextData[s]);
            }
            if (next >= until && (inFlight.isEmpty() || inFlight.peek().at > until)) {
                now = until;
                return;
            }
            now = Math.max(now, next);
            List<Packet> held = new ArrayList<>();
            while (!inFlight.isEmpty() && inFlight.peek().at <= now) {
                Packet p = inFlight.poll();
                if (frozen[p.to]) { // waits in the socket; read after the overdue tick at the end of the stall
                    held.add(new Packet(stalledUntil[p.to] + 1, p.seq, p.to, p.kind, p.time));
                    heldByStall++;
                } else {
                    deliver(p);
                }
            }
            inFlight.addAll(held);
            for (int s = 0; s < 2; s++)
                if (dataPeriod[s] > 0 && nextData[s] <= now) {
                    send(s, DATA, now);
                    data[s]++;
                    end[s].dataSent(now);
                    nextData[s] += dataPeriod[s];
                }
            for (int s = 0; s < 2; s++) {
                if (frozen[s] && now >= stalledUntil[s])
                    frozen[s] = false; // wakes up: its overdue timer first, without asking nextCheck again
                else if (frozen[s] || end[s].nextCheck(now) > now)
                    continue;
                Action a = end[s].tick(now);
                if (a == Action.SEND_PROBE || a == Action.WENT_DOWN) {
                    send(s, PROBE, now);
                    probes[s]++;
                }
                if (a == Action.WENT_DOWN)
                    transitions.add(new Transition(now, s, a));
                longestSeries[s] = Math.max(longestSeries[s], end[s].unansweredProbes());
            }
        }
        throw new AssertionError("simulation did not reach " + until);
    }

    private void send(int from, int kind, long time) {
        if (blackholed[from] || (loss > 0 && random.nextDouble() < loss))
            return;
        long d = delay + extraDelay(from) + (jitter > 0 ? (long) (random.nextDouble() * jitter) : 0);
        maxDelay[from] = Math.max(maxDelay[from], d);
        long at = now + d;
        inFlight.add(new Packet(at, seq++, 1 - from, kind, time));
    }

    private void deliver(Packet p) {
        Liveness l = end[p.to];
        Action a;
        if (p.kind == ECHO) {
            a = l.echoReceived(p.time, now);
        } else {
            a = l.received(now);
            if (p.kind == PROBE) {
                send(p.to, ECHO, p.time);
                echoes[p.to]++;
            }
        }
        if (a == Action.WENT_UP)
            transitions.add(new Transition(now, p.to, a));
    }
}
