package re6st.jni;

/** Kernel route types (rtm_type), named as {@code ip route} names them. */
public enum RouteType {
    UNICAST(1), LOCAL(2), BROADCAST(3), ANYCAST(4), MULTICAST(5), BLACKHOLE(6), UNREACHABLE(7),
    PROHIBIT(8), THROW(9);

    final int code;

    RouteType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    static RouteType of(int code) {
        for (RouteType t : values())
            if (t.code == code)
                return t;
        return null;
    }

    /** The word {@code ip route} prints before the prefix ("" for unicast). */
    public String ipWord() {
        return this == UNICAST ? "" : name().toLowerCase(java.util.Locale.ROOT);
    }
}
