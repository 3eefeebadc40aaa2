package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import re6st.tunnel.Liveness.Action;
import re6st.tunnel.Liveness.State;

/** The liveness state machine on a virtual clock. */
class LivenessTest {
    static final long MS = 1_000_000L;

    /** Runs the machine from {@code from} to {@code to}, following nextCheck; returns the first action of kind {@code want} and when. */
    static long runUntil(Liveness l, long from, long to, Action want) {
        long now = from;
        for (int i = 0; i < 10_000 && now <= to; i++) {
            if (l.tick(now) == want)
                return now;
            long next = l.nextCheck(now);
            now = next > now ? next : now + MS;
        }
        return -1;
    }

    @Test
    void silenceIsCountedFromTheStartOfTheDataPathNotFromTheHandshake() {
        Liveness l = Liveness.defaults(0); // handshake done at 0; the TUN took 1.5 s to set up
        l.dataPathStarted(1_500 * MS);
        assertEquals(Action.NOTHING, l.tick(1_500 * MS), "not down: the peer was never given a chance to answer");
        assertEquals(2_500 * MS, runUntil(l, 1_500 * MS, 5_000 * MS, Action.WENT_DOWN), "down 1 s after the data path started");
        l.dataPathStarted(6_000 * MS);
        assertEquals(State.DOWN, l.state(), "a tunnel already down stays down until the peer answers");
    }

    @Test
    void busyTunnelNeverProbes() {
        Liveness l = Liveness.defaults(0);
        for (long t = 0; t < 10_000 * MS; t += 50 * MS) {
            l.received(t);
            assertEquals(Action.NOTHING, l.tick(t + 10 * MS));
        }
        assertEquals(State.UP, l.state());
    }

    @Test
    void silencePromptsProbesThenDownWithinOneSecond() {
        Liveness l = Liveness.defaults(0);
        long probe = runUntil(l, 0, 5_000 * MS, Action.SEND_PROBE);
        assertEquals(200 * MS, probe, "first probe after 200 ms of silence");
        long down = runUntil(l, probe, 5_000 * MS, Action.WENT_DOWN);
        assertEquals(1_000 * MS, down, "down exactly 1 s after the last packet");
        assertEquals(State.DOWN, l.state());
        long nextProbe = runUntil(l, down, 5_000 * MS, Action.SEND_PROBE);
        assertTrue(nextProbe > down && nextProbe <= down + 200 * MS, "keeps probing while down: " + nextProbe);
    }

    @Test
    void probesAreRateLimited() {
        Liveness l = Liveness.defaults(0);
        int probes = 0;
        for (long t = 0; t <= 3_000 * MS; t += MS) {
            Action a = l.tick(t);
            if (a == Action.SEND_PROBE || a == Action.WENT_DOWN) // WENT_DOWN comes with a probe
                probes++;
        }
        assertEquals(15, probes, "one probe per 200 ms from 200 ms to 3 s");
    }

    @Test
    void healingBringsItUpWithoutRestartAndEchoesMeasureRtt() {
        Liveness l = Liveness.defaults(0);
        runUntil(l, 0, 5_000 * MS, Action.WENT_DOWN);
        assertEquals(Action.WENT_UP, l.echoReceived(1_800 * MS, 1_840 * MS));
        assertEquals(State.UP, l.state());
        assertEquals(40 * MS, l.srttNanos());
        l.echoReceived(2_000 * MS, 2_080 * MS);
        assertEquals(45 * MS, l.srttNanos(), "smoothed by 1/8");
        assertEquals(2, l.transitions());
    }

    @Test
    void parametersAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new Liveness(0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Liveness(500 * MS, 500 * MS, 0));
    }
}
