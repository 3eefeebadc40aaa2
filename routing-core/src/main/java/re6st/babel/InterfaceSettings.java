package re6st.babel;

/**
 * How Babel runs on one interface (babeld's per-interface options). Times in milliseconds
 * (babeld takes seconds on its command line), RTT bounds in microseconds as babeld keeps them.
 *
 * @param type            wired or tunnel (tunnel turns timestamps and the RTT penalty on by default)
 * @param helloInterval   ms between multicast Hellos (babeld default 4000)
 * @param updateInterval  ms between full updates (default 4 x hello)
 * @param rxcost          cost announced in IHUs when the link is up (96 wired)
 * @param timestamps      send/receive RFC 9616 timestamps (RTT measurement)
 * @param rttMin          below this RTT (us) no penalty
 * @param rttMax          at and above this RTT (us) the full penalty
 * @param maxRttPenalty   the penalty added at rttMax (0 = RTT not used in the metric)
 * @param rttDecay        smoothing weight of a new sample, out of 256
 */
public record InterfaceSettings(Type type, int helloInterval, int updateInterval, int rxcost, boolean timestamps,
        int rttMin, int rttMax, int maxRttPenalty, int rttDecay) {
    public enum Type { WIRED, TUNNEL }

    public InterfaceSettings {
        if (helloInterval < 10 || helloInterval > 655_350)
            throw new IllegalArgumentException("hello interval " + helloInterval + " ms outside 10..655350");
        if (updateInterval < 10 || updateInterval > 655_350)
            throw new IllegalArgumentException("update interval " + updateInterval + " ms outside 10..655350");
        if (rxcost < 1 || rxcost > 0xFFFF)
            throw new IllegalArgumentException("rxcost " + rxcost);
        if (rttMin < 0 || rttMax <= rttMin)
            throw new IllegalArgumentException("rtt-min " + rttMin + " us must be below rtt-max " + rttMax + " us");
        if (maxRttPenalty < 0 || maxRttPenalty > 0xFFFF || rttDecay < 1 || rttDecay > 256)
            throw new IllegalArgumentException("max-rtt-penalty 0..65535 and rtt-decay 1..256");
    }

    /** babeld's defaults for {@code type wired}. */
    public static InterfaceSettings wired(int helloMs) {
        return new InterfaceSettings(Type.WIRED, helloMs, 4 * helloMs, 96, false, 10_000, 120_000, 0, 42);
    }

    /** babeld's defaults for {@code type tunnel}: timestamps on, RTT penalty 96 between 10 and 120 ms. */
    public static InterfaceSettings tunnel(int helloMs) {
        return new InterfaceSettings(Type.TUNNEL, helloMs, 4 * helloMs, 96, true, 10_000, 120_000, 96, 42);
    }

    public InterfaceSettings withRtt(int minUs, int maxUs, int penalty, int decay) {
        return new InterfaceSettings(type, helloInterval, updateInterval, rxcost, timestamps, minUs, maxUs, penalty, decay);
    }

    public InterfaceSettings withTimestamps(boolean on) {
        return new InterfaceSettings(type, helloInterval, updateInterval, rxcost, on, rttMin, rttMax, maxRttPenalty, rttDecay);
    }

    public InterfaceSettings withUpdateInterval(int ms) {
        return new InterfaceSettings(type, helloInterval, ms, rxcost, timestamps, rttMin, rttMax, maxRttPenalty, rttDecay);
    }

    public InterfaceSettings withRxcost(int c) {
        return new InterfaceSettings(type, helloInterval, updateInterval, c, timestamps, rttMin, rttMax, maxRttPenalty, rttDecay);
    }
}
