package re6st.babel.config;

/**
 * babeld's {@code type} interface option. The type only chooses defaults (see
 * {@link InterfaceParameters}); every option it implies can be overridden.
 */
public enum InterfaceType {
    /**
     * Not configured: babeld asks the kernel whether the interface is wireless; if not, the
     * interface gets wired costs (rxcost 96) but neither split horizon nor link quality.
     */
    AUTO("auto"),
    /** rxcost 96, split horizon, no link-quality estimation, no timestamps. */
    WIRED("wired"),
    /** rxcost 256, link-quality estimation (ETX), no split horizon. */
    WIRELESS("wireless"),
    /** Like auto-not-wireless, plus RTT timestamps and max-rtt-penalty 96 (RFC 9616). */
    TUNNEL("tunnel");

    private final String configName;

    InterfaceType(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    /** {@code auto} and {@code default} both mean AUTO; null if not a type name. */
    static InterfaceType parse(String word) {
        switch (word) {
            case "auto": case "default": return AUTO;
            case "wired": return WIRED;
            case "wireless": return WIRELESS;
            case "tunnel": return TUNNEL;
            default: return null;
        }
    }

    @Override
    public String toString() {
        return configName;
    }
}
