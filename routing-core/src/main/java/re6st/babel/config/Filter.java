package re6st.babel.config;

import re6st.babel.message.Addr;
import re6st.babel.message.Prefix;

/**
 * One {@code redistribute ...} or {@code install ...} statement: selectors and an action, as
 * babeld's {@code struct filter} (configuration.c). Prefix lengths are in the 128-bit space of
 * {@link Prefix} (IPv4 lengths + 96), as babeld holds them.
 *
 * @param family     the address family the statement is limited to, or null for both. Set by
 *                   {@code ip}/{@code src-ip}/{@code src-prefix}/{@code pref-src}; a length
 *                   selector without any of them limits the statement to IPv6, as in babeld
 * @param prefix     {@code ip P}: the destination must be P or inside it; null = any
 * @param srcPrefix  {@code src-ip P}: the source prefix must be P or inside it; null = any
 * @param plenGe     {@code ge N}/{@code eq N}: destination length at least this (0 = no bound)
 * @param plenLe     {@code le N}/{@code eq N}: destination length at most this (128 = no bound)
 * @param srcPlenGe  {@code src-ge}/{@code src-eq}
 * @param srcPlenLe  {@code src-le}/{@code src-eq}
 * @param neigh      {@code neigh A} (never matches in redistribute or install)
 * @param id         {@code id EUI64}, or null (never matches in redistribute)
 * @param proto      {@code proto N} (1..255), {@link #PROTO_LOCAL} for {@code local}, 0 = not given
 * @param ifname     {@code if NAME}: the route's outgoing interface (the address's interface for
 *                   local addresses), or null
 * @param metric     the action: 0 = allow, {@link #INFINITY} = deny, else {@code metric N}
 * @param setSrcPrefix {@code src-prefix P}: redistribute this kernel route with source P, or null
 * @param table      {@code table N} (install: kernel table), 0 = not given
 * @param prefSrc    {@code pref-src A} (install: preferred source address), or null
 */
public record Filter(Family family, Prefix prefix, Prefix srcPrefix, int plenGe, int plenLe, int srcPlenGe,
        int srcPlenLe, Addr neigh, Long id, int proto, String ifname, int metric, Prefix setSrcPrefix, int table,
        Addr prefSrc) {

    public enum Family { IPV4, IPV6 }

    /** The metric of a route not to be announced; the {@code deny} action. */
    public static final int INFINITY = 0xFFFF;
    /** babeld's RTPROT_BABEL_LOCAL: the pseudo-protocol of local addresses ({@code local}). */
    public static final int PROTO_LOCAL = -2;
    /** Linux RTPROT_BOOT: routes added by {@code ip route add} without {@code proto}. */
    public static final int PROTO_BOOT = 3;
    /** Linux RTPROT_BABEL: babeld's own (and our own) kernel routes. */
    public static final int PROTO_BABEL = 42;

    /** A statement with no selector and the given action (babeld's implicit rules use these). */
    static Filter any(int proto, int metric) {
        return new Filter(null, null, null, 0, 128, 0, 128, null, null, proto, null, metric, null, 0, null);
    }

    public boolean isDeny() {
        return metric >= INFINITY;
    }

    /**
     * babeld's filter_match. {@code src} is never null here (a route without a source has the
     * family's default source). {@code proto} is the kernel protocol, {@link #PROTO_LOCAL} for a
     * local address, or 0 where babeld passes none (install filters). Without {@code proto} or
     * {@code local}, a statement matches neither local addresses nor proto boot routes.
     */
    public boolean matches(Prefix dst, Prefix src, int proto, String routeIfname, Long routerId, Addr neighbour) {
        if (family != null) {
            boolean v4 = dst.isV4();
            if (v4 != (family == Family.IPV4))
                return false;
        }
        if (id != null && (routerId == null || !id.equals(routerId)))
            return false;
        if (prefix != null && !prefix.contains(dst))
            return false;
        if (srcPrefix != null && (src == null || !srcPrefix.contains(src)))
            return false;
        if (plenGe > 0 || plenLe < 128) {
            if (dst.plen() > plenLe || dst.plen() < plenGe)
                return false;
        }
        if (srcPlenGe > 0 || srcPlenLe < 128) {
            if (src == null || src.plen() > srcPlenLe || src.plen() < srcPlenGe)
                return false;
        }
        if (neigh != null && !neigh.equals(neighbour))
            return false;
        if (ifname != null && !ifname.equals(routeIfname))
            return false;
        if (this.proto != 0)
            return proto != 0 && proto == this.proto;
        return proto != PROTO_LOCAL && proto != PROTO_BOOT;
    }
}
