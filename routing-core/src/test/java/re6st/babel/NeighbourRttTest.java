package re6st.babel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * RFC 9616 RTT: one sample from a timestamped Hello + IHU pair, smoothed as babeld does
 * ({@code new = (decay * sample + (256 - decay) * old) / 256}, rounded towards the sample, the
 * first sample counted double), and the cost it adds: 0 up to rtt-min, linear up to
 * max-rtt-penalty at rtt-max, capped there.
 */
class NeighbourRttTest {
    static final long S = 1_000_000_000L;
    static final long M32 = 0xFFFF_FFFFL;

    static Neighbour tunnel() {
        return HelloHistoryTest.neighbour(InterfaceSettings.tunnel(1000)); // rtt 10..120 ms, penalty 96, decay 42
    }

    /** A sample of {@code rttUs}: our Hello left at t1, the neighbour held it {@code heldUs} before answering. */
    static boolean sample(Neighbour n, long t1, long rttUs, long heldUs, long now) {
        long t2 = 7_000_000, t3 = t2 + heldUs; // the neighbour's clock: unrelated to ours
        long t4 = (t1 + rttUs + heldUs) & M32;
        return n.rttSample(t1 & M32, t2, t3, t4, now);
    }

    @Test
    void theFirstSampleCountsDoubleThenEachIsSmoothedIn() {
        Neighbour n = tunnel();
        assertEquals(-1, n.rttMicros(1 * S), "no sample yet");
        sample(n, 1_000_000, 20_000, 10_000, 1 * S);
        assertEquals(40_000, n.rttMicros(1 * S), "a new neighbour is assumed twice as far");
        sample(n, 2_000_000, 20_000, 10_000, 2 * S);
        assertEquals((42 * 20_000 + 214 * 40_000) / 256, n.rttMicros(2 * S), "a lower sample: rounded down");
        int before = n.rttMicros(2 * S);
        sample(n, 3_000_000, 100_000, 10_000, 3 * S);
        assertEquals((42 * 100_000L + 214L * before + 255) / 256, n.rttMicros(3 * S), "a higher sample: rounded up");
    }

    @Test
    void timestampsWrapAround2To32Microseconds() {
        Neighbour n = tunnel();
        sample(n, M32 - 5_000, 30_000, 2_000, 1 * S); // our clock wraps between t1 and t4
        assertEquals(60_000, n.rttMicros(1 * S));
    }

    @Test
    void samplesWithWaitsOver600SecondsAreIgnoredAndANegativeOneIsZero() {
        Neighbour n = tunnel();
        assertFalse(n.rttSample(1_000, 2_000, 2_000 + 600_000_001L, 1_500, 1 * S), "the neighbour held it > 600 s");
        assertFalse(n.rttSample(1_000, 2_000, 3_000, 1_000 + 600_000_001L, 1 * S), "we waited > 600 s");
        assertEquals(-1, n.rttMicros(1 * S), "neither counted");
        n.rttSample(1_000, 2_000, 2_500, 1_200, 1 * S); // 200 us locally, 500 us held: clock skew
        assertEquals(0, n.rttMicros(1 * S));
    }

    @Test
    void rttCostIsZeroBelowMinLinearUpToMaxAndCappedAbove() {
        Neighbour n = tunnel();
        int[][] cases = {{5_000, 0}, {10_000, 0}, {65_000, 48}, {40_000, 96 * 30_000 / 110_000}, {120_000, 96}, {900_000, 96}};
        for (int[] c : cases) {
            n.rtt = c[0];
            n.rttTime = 1 * S;
            assertEquals(c[1], n.rttCost(2 * S), "rtt " + c[0] + " us");
        }
    }

    @Test
    void theOriginalRe6stSettingsWeighRttHeavily() {
        Neighbour n = HelloHistoryTest.neighbour(InterfaceSettings.tunnel(1000).withRtt(10_000, 500_000, 5000, 125));
        n.rtt = 255_000;
        n.rttTime = 1 * S;
        assertEquals(2500, n.rttCost(1 * S));
        n.rtt = 1_000_000;
        assertEquals(5000, n.rttCost(1 * S));
        sample(n, 1_000, 100_000, 0, 2 * S); // rtt-decay 125: a sample weighs about half
        assertEquals((125 * 100_000 + 131 * 1_000_000) / 256, n.rtt);
    }

    @Test
    void noPenaltyWithoutAValidMeasurementOrWithPenaltyZero() {
        Neighbour n = tunnel();
        n.rtt = 200_000;
        n.rttTime = 1 * S;
        assertEquals(96, n.rttCost(1 * S));
        assertEquals(0, n.rttCost(1 * S + Neighbour.RTT_VALIDITY_NS), "180 s without a sample: not valid any more");
        assertEquals(-1, n.rttMicros(1 * S + Neighbour.RTT_VALIDITY_NS));
        Neighbour wired = HelloHistoryTest.neighbour(InterfaceSettings.wired(1000));
        wired.rtt = 200_000;
        wired.rttTime = 1 * S;
        assertEquals(0, wired.rttCost(1 * S), "max-rtt-penalty 0 on wired links");
    }

    @Test
    void aSampleReportsAChangeOnlyWhenTheCostChanges() {
        Neighbour n = tunnel();
        assertFalse(sample(n, 1_000, 2_000, 0, 1 * S), "4 ms (first, doubled) is below rtt-min: cost still 0");
        assertTrue(sample(n, 2_000, 90_000, 0, 2 * S), "a 90 ms sample lifts the smoothed RTT above rtt-min");
        assertTrue(n.rttCost(2 * S) > 0);
    }
}
