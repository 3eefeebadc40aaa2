package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The path-MTU state machine alone, against a simulated path on a virtual clock. */
class PathMtuTest {
    static final long MS = 1_000_000L, S = 1000 * MS, MIN = 60 * S;

    /**
     * A path that carries probes up to {@code limit} (inner size) with a fixed RTT; small
     * packets keep coming back every step while it is up.
     */
    static final class Sim {
        final PathMtu m;
        long now;
        int limit = Integer.MAX_VALUE;
        boolean up = true;
        int dropNext; // probes to lose (ordinary loss)
        long rtt = 30 * MS, lastReceived;
        final ArrayDeque<long[]> acks = new ArrayDeque<>(); // {due, size}
        final List<long[]> decisions = new ArrayList<>(); // {time, mtu}
        final List<Integer> probes = new ArrayList<>();

        Sim(int start) {
            m = PathMtu.defaults(start, 0);
        }

        void runUntil(long end) {
            for (; now < end; now += 10 * MS) {
                if (up)
                    lastReceived = now;
                while (!acks.isEmpty() && acks.peek()[0] <= now)
                    m.acked((int) acks.poll()[1], now);
                int s = m.tick(now, up, lastReceived);
                if (s > 0) {
                    probes.add(s);
                    if (dropNext > 0)
                        dropNext--;
                    else if (up && s <= limit)
                        acks.add(new long[] {now + rtt, s});
                }
                collect();
            }
        }

        void collect() {
            int d = m.takeDecision();
            if (d != 0)
                decisions.add(new long[] {now, d});
        }

        int lastDecision() {
            return decisions.isEmpty() ? 0 : (int) decisions.get(decisions.size() - 1)[1];
        }
    }

    @Test
    void theLadderDerivesFromTheStart() {
        assertArrayEquals(new int[] {1424, 1404, 1384, 1344, 1280}, PathMtu.ladder(1424)); // 1500-byte IPv6 underlay
        assertArrayEquals(new int[] {1444, 1424, 1404, 1364, 1322, 1280}, PathMtu.ladder(1444)); // 1500-byte IPv4 underlay
        assertArrayEquals(new int[] {1280}, PathMtu.ladder(1280));
        assertArrayEquals(new int[] {1300, 1280}, PathMtu.ladder(1300));
        int[] jumbo = PathMtu.ladder(PathMtu.innerMtu(9000, true));
        assertEquals(8924, jumbo[0]);
        assertEquals(1280, jumbo[jumbo.length - 1]);
        for (int i = 1; i < jumbo.length; i++)
            assertTrue(jumbo[i] < jumbo[i - 1] && jumbo[i] >= 1280);
        assertEquals(1424, PathMtu.innerMtu(1500, true));
        assertEquals(1444, PathMtu.innerMtu(1500, false));
        assertThrows(IllegalArgumentException.class, () -> PathMtu.ladder(1279));
        assertThrows(IllegalArgumentException.class, () -> new PathMtu(new int[] {1400, 1400}, S, MIN, MIN, 0));
        assertThrows(IllegalArgumentException.class, () -> new PathMtu(new int[] {1400, 1200}, S, MIN, MIN, 0));
    }

    @Test
    void aHealthyPathIsConfirmedAtOnceAndThenEveryTenMinutes() {
        Sim s = new Sim(1424);
        s.runUntil(1 * S);
        assertEquals(List.of(1424), s.probes, "one probe of the full size when the tunnel comes up");
        assertTrue(!s.m.probing());
        s.runUntil(10 * MIN - S);
        assertEquals(1, s.probes.size());
        s.runUntil(10 * MIN + S);
        assertEquals(List.of(1424, 1424), s.probes, "confirmed again after 10 min");
        s.m.requestCheck(s.now);
        s.runUntil(s.now + 20 * MS);
        assertEquals(3, s.probes.size(), "asked: probed at once");
        assertTrue(s.decisions.isEmpty());
    }

    @Test
    void aBlackHoleLowersToTheLargestCandidateThatFitsAndTheMtuComesBackWhenItHeals() {
        Sim s = new Sim(1424);
        s.limit = 1372; // datagrams above 1400 bytes vanish
        s.runUntil(60 * S);
        assertEquals(1344, s.m.mtu());
        assertEquals(List.of(1404, 1384, 1344), s.decisions.stream().map(d -> (int) d[1]).toList());
        long converged = s.decisions.get(2)[0];
        // 3 sizes given up, each after 3 probes of 1 s
        assertTrue(converged <= 3 * PathMtu.MAX_PROBES * S + 100 * MS, "converged after " + converged / MS + " ms");
        assertEquals(9, s.m.probesLost());
        // it stays there while the black hole lasts: a raise fails every 10 min, nothing changes
        s.runUntil(25 * MIN);
        assertEquals(1344, s.m.mtu());
        assertEquals(3, s.decisions.size());
        assertTrue(s.probes.stream().filter(p -> p == 1384).count() >= 3 + 2 * 3, "raises were tried");
        // the black hole disappears: at the next raise time the MTU climbs back, step after step
        s.limit = Integer.MAX_VALUE;
        long healed = s.now;
        s.runUntil(healed + 11 * MIN);
        assertEquals(1424, s.m.mtu());
        assertEquals(List.of(1384, 1404, 1424), s.decisions.subList(3, 6).stream().map(d -> (int) d[1]).toList());
        long back = s.decisions.get(5)[0];
        assertTrue(back - healed <= PathMtu.RAISE_INTERVAL_NS + S, "back up " + (back - healed) / S + " s after healing");
    }

    @Test
    void aPartialRaiseStopsWhereThePathEnds() {
        Sim s = new Sim(1424);
        s.limit = 1300;
        s.runUntil(20 * S);
        assertEquals(1280, s.m.mtu());
        s.limit = 1390;
        s.runUntil(11 * MIN);
        assertEquals(1384, s.m.mtu(), "up to 1344, then 1384; 1404 does not pass");
        assertEquals(List.of(1404, 1384, 1344, 1280, 1344, 1384), s.decisions.stream().map(d -> (int) d[1]).toList());
    }

    @Test
    void ordinaryLossDoesNotLowerTheMtu() {
        Sim s = new Sim(1424);
        s.dropNext = 1; // the first probe is lost
        s.runUntil(10 * S);
        assertEquals(1424, s.m.mtu());
        assertEquals(1, s.m.probesLost());
        assertTrue(s.decisions.isEmpty());
        s.m.requestCheck(s.now);
        s.dropNext = 2; // two in a row: still not enough
        s.runUntil(20 * S);
        assertEquals(1424, s.m.mtu());
        assertTrue(s.decisions.isEmpty());
        assertTrue(!s.m.probing());
    }

    @Test
    void probesLostWhileThePathIsDownProveNothing() {
        Sim s = new Sim(1424);
        s.up = false; // a dead path from the start: nothing comes back, the liveness says DOWN
        s.runUntil(30 * S);
        assertTrue(s.decisions.isEmpty());
        assertEquals(0, s.m.probesLost());
        s.up = true;
        s.runUntil(32 * S);
        assertEquals(1424, s.m.mtu());
        assertTrue(!s.m.probing(), "confirmed once the path is back");
        // the liveness still says UP but nothing came back since the probe: not counted either
        PathMtu m = PathMtu.defaults(1424, 0);
        assertEquals(1424, m.tick(0, true, 0));
        for (long t = 10 * MS; t < 10 * S; t += 10 * MS)
            m.tick(t, true, 0);
        assertEquals(0, m.probesLost());
        assertEquals(1424, m.mtu());
    }

    @Test
    void emsgsizeLowersAtOnce() {
        Sim s = new Sim(1424);
        s.runUntil(S);
        s.m.tooBig(0, 0, s.now); // "too big", nothing more known
        s.collect();
        assertEquals(1404, s.lastDecision());
        s.m.tooBig(1404, PathMtu.innerMtu(1466, true), s.now); // the kernel knows the path MTU: 1390 inside
        s.collect();
        assertEquals(1390, s.lastDecision());
        s.m.tooBig(1424, 0, s.now); // queued before the lowering: no second lowering
        s.collect();
        assertEquals(2, s.decisions.size());
        s.m.tooBig(1390, 1000, s.now); // never below the IPv6 minimum
        s.collect();
        assertEquals(1280, s.lastDecision());
        s.m.tooBig(1280, 0, s.now);
        s.collect();
        assertEquals(3, s.decisions.size(), "nothing below 1280");
        s.runUntil(s.now + 2 * S);
        assertEquals(1280, s.m.mtu(), "confirmed by a probe");
    }

    @Test
    void emsgsizeOnARaiseProbeAbandonsTheRaiseOnly() {
        Sim s = new Sim(1424);
        s.m.tooBig(0, 0, 0); // -> 1404
        s.collect();
        s.runUntil(10 * MIN + 20 * MS); // the raise probe of 1424 is out
        assertTrue(s.m.probing());
        assertEquals(1424, s.probes.get(s.probes.size() - 1));
        s.acks.clear();
        s.m.tooBig(1424, 0, s.now);
        assertTrue(!s.m.probing());
        s.runUntil(15 * MIN);
        assertEquals(1404, s.m.mtu());
        assertEquals(List.of(1404), s.decisions.stream().map(d -> (int) d[1]).toList());
    }

    @Test
    void unsentProbesAndStrayAcksChangeNothing() {
        PathMtu m = PathMtu.defaults(1424, 0);
        long t = 0;
        for (; t < 20 * S; t += 10 * MS)
            if (m.tick(t, true, t) > 0)
                m.unsent(); // no room to send it
        assertEquals(1424, m.mtu());
        assertEquals(0, m.takeDecision());
        m.acked(1404, t); // not asked about
        assertTrue(m.probing());
        m.acked(1424, t);
        assertTrue(!m.probing());
        assertEquals(t + PathMtu.CONFIRM_INTERVAL_NS, m.nextCheck(t));
    }
}
