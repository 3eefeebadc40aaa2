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
                next = Math.min(next, end[s].nextCheck(now));
                if (dataPeriod[s] > 0)
                    next = Math.min(next, nextData[s]);
            }
            if (next >= until && (inFlight.isEmpty() || inFlight.peek().at > until)) {
                now = until;
                return;
            }
            now = Math.max(now, next);
            while (!inFlight.isEmpty() && inFlight.peek().at <= now)
                deliver(inFlight.poll());
            for (int s = 0; s < 2; s++)
                if (dataPeriod[s] > 0 && nextData[s] <= now) {
                    send(s, DATA, now);
                    data[s]++;
                    end[s].dataSent(now);
                    nextData[s] += dataPeriod[s];
                }
            for (int s = 0; s < 2; s++) {
                if (end[s].nextCheck(now) > now)
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
        long at = now + delay + (jitter > 0 ? (long) (random.nextDouble() * jitter) : 0);
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
