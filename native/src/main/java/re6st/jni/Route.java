package re6st.jni;

import java.net.InetAddress;
import java.util.Objects;

import re6st.net.IpPrefix;

/**
 * A kernel route, as {@code ip route} describes it: {@code [type] DST [from SRC] [via GW] [dev IF]
 * [table T] [proto P] [metric M] [src PREFSRC] [onlink]}. Immutable; build with {@link #to}.
 * {@code from} (a source prefix, IPv6 only) makes it source-specific (RFC 9079).
 */
public final class Route {
    public static final int TABLE_MAIN = 254, TABLE_LOCAL = 255;
    public static final int PROTO_BOOT = 3, PROTO_STATIC = 4;

    private final RouteType type;
    private final IpPrefix dst;
    private final IpPrefix src;
    private final InetAddress gateway;
    private final int oif;
    private final int table;
    private final int metric;
    private final int protocol;
    private final InetAddress prefSrc;
    private final boolean onlink;

    private Route(Builder b) {
        this.type = b.type;
        this.dst = Objects.requireNonNull(b.dst, "destination");
        this.src = b.src;
        this.gateway = b.gateway;
        this.oif = b.oif;
        this.table = b.table;
        this.metric = b.metric;
        this.protocol = b.protocol;
        this.prefSrc = b.prefSrc;
        this.onlink = b.onlink;
        if (src != null && src.isIpv6() != dst.isIpv6())
            throw new IllegalArgumentException("source prefix " + src + " and destination " + dst + " differ in family");
        if (gateway != null && (gateway.getAddress().length == 16) != dst.isIpv6())
            throw new IllegalArgumentException("gateway " + IpPrefix.format(gateway) + " and destination " + dst + " differ in family");
    }

    /** Starts a unicast route to dst (main table, proto static). */
    public static Builder to(IpPrefix dst) {
        return new Builder(dst);
    }

    public static Builder to(String dst) {
        return new Builder(IpPrefix.parse(dst));
    }

    public Builder toBuilder() {
        Builder b = new Builder(dst);
        b.type = type;
        b.src = src;
        b.gateway = gateway;
        b.oif = oif;
        b.table = table;
        b.metric = metric;
        b.protocol = protocol;
        b.prefSrc = prefSrc;
        b.onlink = onlink;
        return b;
    }

    public RouteType type() { return type; }
    public IpPrefix dst() { return dst; }
    /** Source prefix of a source-specific route, or null. */
    public IpPrefix src() { return src; }
    public InetAddress gateway() { return gateway; }
    /** Output interface index, 0 if none. */
    public int oif() { return oif; }
    public int table() { return table; }
    /** Kernel "priority"; 0 means unset (the kernel picks: 0 for IPv4, 1024 for IPv6). */
    public int metric() { return metric; }
    public int protocol() { return protocol; }
    public InetAddress prefSrc() { return prefSrc; }
    public boolean onlink() { return onlink; }
    public int family() { return dst.family(); }

    /** The same route with {@code dst} and {@code src} host bits cleared (how the kernel stores it). */
    Route normalized() {
        Builder b = toBuilder();
        b.dst = dst.network();
        if (src != null)
            b.src = src.network();
        return b.build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Route r && type == r.type && dst.equals(r.dst) && Objects.equals(src, r.src)
                && Objects.equals(gateway, r.gateway) && oif == r.oif && table == r.table && metric == r.metric
                && protocol == r.protocol && Objects.equals(prefSrc, r.prefSrc) && onlink == r.onlink;
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, dst, src, gateway, oif, table, metric, protocol);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        if (type != RouteType.UNICAST)
            s.append(type.ipWord()).append(' ');
        s.append(dst);
        if (src != null && src.length() > 0)
            s.append(" from ").append(src);
        if (gateway != null)
            s.append(" via ").append(IpPrefix.format(gateway));
        if (oif != 0)
            s.append(" dev #").append(oif);
        if (table != TABLE_MAIN)
            s.append(" table ").append(table);
        s.append(" proto ").append(protocol);
        if (metric != 0)
            s.append(" metric ").append(metric);
        if (prefSrc != null)
            s.append(" src ").append(IpPrefix.format(prefSrc));
        if (onlink)
            s.append(" onlink");
        return s.toString();
    }

    public static final class Builder {
        private RouteType type = RouteType.UNICAST;
        private IpPrefix dst;
        private IpPrefix src;
        private InetAddress gateway;
        private int oif;
        private int table = TABLE_MAIN;
        private int metric;
        private int protocol = PROTO_STATIC;
        private InetAddress prefSrc;
        private boolean onlink;

        private Builder(IpPrefix dst) {
            this.dst = Objects.requireNonNull(dst, "destination");
        }

        public Builder type(RouteType t) { this.type = Objects.requireNonNull(t); return this; }
        /** Source prefix (IPv6 source-specific routing); null or length 0 for none. */
        public Builder from(IpPrefix p) { this.src = p == null || p.length() == 0 ? null : p; return this; }
        public Builder from(String p) { return from(IpPrefix.parse(p)); }
        public Builder via(InetAddress gw) { this.gateway = gw; return this; }
        public Builder via(String gw) { return via(IpPrefix.literal(gw)); }
        public Builder dev(int ifindex) { this.oif = ifindex; return this; }
        public Builder table(int t) {
            if (t <= 0)
                throw new IllegalArgumentException("table " + t + " (must be > 0)");
            this.table = t;
            return this;
        }
        public Builder metric(int m) { this.metric = m; return this; }
        public Builder protocol(int p) {
            if (p < 0 || p > 255)
                throw new IllegalArgumentException("protocol " + p + " outside 0..255");
            this.protocol = p;
            return this;
        }
        public Builder prefSrc(InetAddress a) { this.prefSrc = a; return this; }
        public Builder onlink(boolean on) { this.onlink = on; return this; }
        public Route build() { return new Route(this); }
    }
}
