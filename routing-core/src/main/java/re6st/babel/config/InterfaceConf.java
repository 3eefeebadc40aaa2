package re6st.babel.config;

/**
 * The options written on one {@code interface NAME ...} or {@code default ...} statement, as
 * babeld's {@code struct interface_conf}: every component is null when not written (or written as
 * {@code auto}), and then the {@code default} statement's value, else the interface type's
 * default, applies (see {@link InterfaceParameters#resolve}).
 *
 * <p>Units: intervals in milliseconds (the statement says seconds, "0.5" = 500), RTT bounds in
 * microseconds (the statement says milliseconds, "7.5" = 7500), as babeld keeps them.
 *
 * @param type               wired, wireless or tunnel; null = auto
 * @param helloInterval      ms between scheduled Hellos, 1..655350
 * @param updateInterval     ms between full route dumps, 1..655350
 * @param rxcost             1..65535
 * @param linkQuality        ETX-style link-quality estimation
 * @param splitHorizon       do not announce a route on the interface it was learnt from
 * @param enableTimestamps   RFC 9616 timestamps on Hellos and IHUs
 * @param unicast            send TLVs other than Hellos by unicast to each neighbour
 * @param rfc6126Compatible  no source-specific routes, no unicast RTT (babeld's rfc6126-compatible)
 * @param acceptBadSignatures accept packets whose MAC is missing or wrong (with a key)
 * @param v4ViaV6            announce IPv4 through this interface without an IPv4 address (RFC 9229)
 * @param rttDecay           weight of a new RTT sample, 1..256 (out of 256)
 * @param rttMin             us: no RTT cost below this
 * @param rttMax             us: full max-rtt-penalty at and above this
 * @param maxRttPenalty      1..65535: cost added at rtt-max
 * @param key                id of a {@code key} statement (MAC authentication, RFC 8967)
 */
public record InterfaceConf(InterfaceType type, Integer helloInterval, Integer updateInterval, Integer rxcost,
        Boolean linkQuality, Boolean splitHorizon, Boolean enableTimestamps, Boolean unicast,
        Boolean rfc6126Compatible, Boolean acceptBadSignatures, Boolean v4ViaV6, Integer rttDecay,
        Integer rttMin, Integer rttMax, Integer maxRttPenalty, String key) {

    /** Nothing written: every value comes from the type. */
    public static final InterfaceConf EMPTY = new Builder().build();

    public InterfaceConf {
        if (type == InterfaceType.AUTO)
            type = null; // babeld stores auto as "not set", so a default's type shows through
    }

    /**
     * babeld's merge_ifconf: each option of {@code later} that is set wins, the others keep this
     * statement's value. Used for {@code interface X ...} repeated (later wins) and for an
     * interface over the {@code default} statements.
     */
    public InterfaceConf overriddenBy(InterfaceConf later) {
        return new InterfaceConf(
                pick(later.type, type), pick(later.helloInterval, helloInterval),
                pick(later.updateInterval, updateInterval), pick(later.rxcost, rxcost),
                pick(later.linkQuality, linkQuality), pick(later.splitHorizon, splitHorizon),
                pick(later.enableTimestamps, enableTimestamps), pick(later.unicast, unicast),
                pick(later.rfc6126Compatible, rfc6126Compatible), pick(later.acceptBadSignatures, acceptBadSignatures),
                pick(later.v4ViaV6, v4ViaV6), pick(later.rttDecay, rttDecay), pick(later.rttMin, rttMin),
                pick(later.rttMax, rttMax), pick(later.maxRttPenalty, maxRttPenalty), pick(later.key, key));
    }

    private static <T> T pick(T first, T otherwise) {
        return first != null ? first : otherwise;
    }

    /** Mutable while a statement is parsed; the statement applies only if it parses completely. */
    static final class Builder {
        InterfaceType type;
        Integer helloInterval, updateInterval, rxcost, rttDecay, rttMin, rttMax, maxRttPenalty;
        Boolean linkQuality, splitHorizon, enableTimestamps, unicast, rfc6126Compatible, acceptBadSignatures, v4ViaV6;
        String key;

        InterfaceConf build() {
            return new InterfaceConf(type, helloInterval, updateInterval, rxcost, linkQuality, splitHorizon,
                    enableTimestamps, unicast, rfc6126Compatible, acceptBadSignatures, v4ViaV6, rttDecay, rttMin,
                    rttMax, maxRttPenalty, key);
        }
    }
}
