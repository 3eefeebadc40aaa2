package re6st.babel.config;

import java.util.ArrayList;
import java.util.List;

import re6st.babel.message.Addr;
import re6st.babel.message.Prefix;

/**
 * What we announce from the kernel: babeld's redistribute filter chain (configuration.c
 * redistribute_filter) together with what its kernel layer skips before filtering (kernel_netlink.c,
 * xroute.c check_xroutes). Pure: the kernel adapter feeds it each route and local address.
 *
 * <ul>
 * <li>The {@code redistribute} statements are tried in order; the first that matches decides:
 *     {@code deny} (or {@code metric 65535}) = not announced, {@code allow} = metric 0,
 *     {@code metric N} = metric N. None matching = not announced.
 * <li>babeld appends an implicit {@code redistribute local allow}, whatever the statements: local
 *     addresses no statement matched are announced (as host routes, metric 0). Hence the advice
 *     to end with {@code redistribute local deny}.
 * <li>A statement without {@code proto}/{@code local} matches neither local addresses nor proto
 *     boot (3) routes; naming {@code proto 3} redistributes those.
 * <li>Never announced, whatever the statements: link-local local addresses (babeld does not read
 *     them), kernel routes of protocol babel (42, our own), martian prefixes (multicast,
 *     fe80::/10, ::/128, ::1, 0/8, 127/8, 224/4, 255.255.255.255).
 * <li>{@code src-prefix P} (kernel routes only, not addresses) makes the route source-specific;
 *     as babeld does, the chain is then evaluated again with the new source to find the metric.
 * </ul>
 */
public final class RedistributeFilter {
    private static final Filter LOCAL_ALLOW = Filter.any(Filter.PROTO_LOCAL, 0);

    private final List<Filter> statements;
    private final List<Filter> chain;

    public RedistributeFilter(List<Filter> statements) {
        this.statements = List.copyOf(statements);
        List<Filter> c = new ArrayList<>(statements);
        c.add(LOCAL_ALLOW);
        this.chain = List.copyOf(c);
    }

    /** The {@code redistribute} statements in order (without babeld's implicit last one). */
    public List<Filter> statements() {
        return statements;
    }

    /**
     * @param announce whether the route goes into our xroute table
     * @param metric   the metric we announce it with (0 unless a {@code metric} action); INFINITY if not
     * @param source   its source prefix: the route's own (the family's default prefix for none) or
     *                 the {@code src-prefix} of the statement
     */
    public record Decision(boolean announce, int metric, Prefix source) {
        static Decision no(Prefix source) {
            return new Decision(false, Filter.INFINITY, source);
        }
    }

    /**
     * Decides for one kernel route or local address.
     *
     * @param dst            destination; a local address is passed as a host route (/128, or /32 IPv4)
     * @param src            source prefix of a source-specific route, or null
     * @param kernelProtocol the route's rtm_protocol (ignored for local addresses)
     * @param isLocalAddress true for an address configured on this host
     * @param ifname         the route's outgoing interface, or the address's interface
     */
    public Decision decide(Prefix dst, Prefix src, int kernelProtocol, boolean isLocalAddress, String ifname) {
        Prefix source = src != null ? src : dst.isV4() ? Prefix.V4_DEFAULT : Prefix.V6_DEFAULT;
        if (isLocalAddress && dst.addr().isLinkLocal())
            return Decision.no(source);
        if (!isLocalAddress && kernelProtocol == Filter.PROTO_BABEL)
            return Decision.no(source);
        if (isMartian(dst))
            return Decision.no(source);
        int proto = isLocalAddress ? Filter.PROTO_LOCAL : kernelProtocol;
        if (!isLocalAddress) {
            Filter first = firstMatch(dst, source, proto, ifname);
            if (first != null && first.setSrcPrefix() != null)
                source = first.setSrcPrefix();
        }
        Filter f = firstMatch(dst, source, proto, ifname);
        if (f == null || f.isDeny())
            return Decision.no(source);
        return new Decision(true, f.metric(), source);
    }

    private Filter firstMatch(Prefix dst, Prefix src, int proto, String ifname) {
        for (Filter f : chain)
            if (f.matches(dst, src, proto, ifname, null, null))
                return f;
        return null;
    }

    /** babeld's martian_prefix (util.c): prefixes never redistributed nor accepted. */
    public static boolean isMartian(Prefix p) {
        return re6st.babel.Martians.isMartian(p);
    }
}
