package re6st.babel.config;

import java.util.Map;

import re6st.babel.mac.MacKey;

/**
 * The values one interface runs with once the type's defaults are filled in, computed exactly as
 * babeld's interface_updown (interface.c) does from the merged {@link InterfaceConf}.
 * Intervals in milliseconds, RTT bounds in microseconds (the wire carries centiseconds:
 * divide intervals by 10).
 *
 * @param name           interface name
 * @param type           the effective type; AUTO stays AUTO unless the kernel says wireless
 * @param helloInterval  ms, default 4000 whatever the type
 * @param updateInterval ms, default 4 x hello
 * @param rxcost         default 256 wireless, 96 otherwise (wired, tunnel, auto)
 * @param linkQuality    default: wireless only
 * @param splitHorizon   default: wired only (not auto, not tunnel)
 * @param timestamps     default: tunnel only
 * @param rttDecay       default 42
 * @param rttMin         us, default 10000
 * @param rttMax         us, default 120000; if not above rtt-min babeld uses rtt-min + 10000
 * @param maxRttPenalty  default 96 on tunnel, 0 otherwise
 * @param unicast        default false
 * @param rfc6126Compatible default false
 * @param acceptBadSignatures default false
 * @param v4ViaV6        null = not configured: babeld decides from the kernel's support
 * @param key            the MAC key, or null for none
 */
public record InterfaceParameters(String name, InterfaceType type, int helloInterval, int updateInterval, int rxcost,
        boolean linkQuality, boolean splitHorizon, boolean timestamps, int rttDecay, int rttMin, int rttMax,
        int maxRttPenalty, boolean unicast, boolean rfc6126Compatible, boolean acceptBadSignatures, Boolean v4ViaV6,
        MacKey key) {

    /** babeld's default hello interval, wired and wireless alike (its -h/-H options), in ms. */
    public static final int DEFAULT_HELLO_INTERVAL = 4000;
    public static final int WIRED_RXCOST = 96;
    public static final int WIRELESS_RXCOST = 256;
    public static final int DEFAULT_RTT_DECAY = 42;
    public static final int DEFAULT_RTT_MIN = 10_000;
    public static final int DEFAULT_RTT_MAX = 120_000;
    public static final int TUNNEL_MAX_RTT_PENALTY = 96;

    /**
     * Fills in babeld's defaults.
     *
     * @param conf              the interface's statements merged over the {@code default} statements
     * @param kernelSaysWireless for type auto only: whether the kernel reports a wireless device
     * @param keys              the configuration's keys, by id
     */
    public static InterfaceParameters resolve(String name, InterfaceConf conf, boolean kernelSaysWireless,
            Map<String, MacKey> keys) {
        InterfaceType type = conf.type() != null ? conf.type()
                : kernelSaysWireless ? InterfaceType.WIRELESS : InterfaceType.AUTO;
        boolean wireless = type == InterfaceType.WIRELESS;
        boolean tunnel = type == InterfaceType.TUNNEL;

        int hello = or(conf.helloInterval(), DEFAULT_HELLO_INTERVAL);
        int rttMin = or(conf.rttMin(), DEFAULT_RTT_MIN);
        int rttMax = or(conf.rttMax(), DEFAULT_RTT_MAX);
        if (rttMax <= rttMin)
            rttMax = rttMin + 10_000; // babeld: "Uh, rtt-max is less than or equal to rtt-min"

        MacKey key = null;
        if (conf.key() != null) {
            key = keys.get(conf.key());
            if (key == null)
                throw new IllegalArgumentException("interface " + name + ": key '" + conf.key() + "' is not defined");
        }
        return new InterfaceParameters(name, type, hello,
                or(conf.updateInterval(), 4 * hello),
                or(conf.rxcost(), wireless ? WIRELESS_RXCOST : WIRED_RXCOST),
                or(conf.linkQuality(), wireless),
                or(conf.splitHorizon(), type == InterfaceType.WIRED),
                or(conf.enableTimestamps(), tunnel),
                or(conf.rttDecay(), DEFAULT_RTT_DECAY),
                rttMin, rttMax,
                or(conf.maxRttPenalty(), tunnel ? TUNNEL_MAX_RTT_PENALTY : 0),
                or(conf.unicast(), false),
                or(conf.rfc6126Compatible(), false),
                or(conf.acceptBadSignatures(), false),
                conf.v4ViaV6(),
                key);
    }

    private static <T> T or(T value, T otherwise) {
        return value != null ? value : otherwise;
    }
}
