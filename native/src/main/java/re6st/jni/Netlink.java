package re6st.jni;

import static re6st.jni.NetlinkMessage.*;

import java.io.Closeable;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import re6st.jni.NetlinkMessage.Attrs;
import re6st.jni.NetlinkMessage.MalformedException;
import re6st.jni.NetlinkMessage.Reader;
import re6st.jni.NetlinkMessage.Writer;
import re6st.net.IpPrefix;

/**
 * rtnetlink requests: links, addresses, routes (including source-specific, unreachable and
 * local ones), rules, and dumps. One instance is one socket, bound to the network namespace
 * of the thread that opened it. Calls are synchronous (each waits for the kernel's ack) and
 * thread-safe. A refusal raises {@link NetlinkException} naming the request, e.g.
 * {@code route add 2001:db8::/64 dev #7 proto 42: EEXIST (File exists)}.
 */
public final class Netlink implements Closeable {
    public static final int AF_INET = 2, AF_INET6 = 10, AF_UNSPEC = 0;
    static final int RT_SCOPE_UNIVERSE = 0, RT_SCOPE_LINK = 253, RT_SCOPE_HOST = 254, RT_SCOPE_NOWHERE = 255;
    static final int RT_TABLE_COMPAT = 252;
    static final int RTNH_F_ONLINK = 4;
    static final int RTM_F_CLONED = 0x200;
    // rtattr types
    static final int RTA_DST = 1, RTA_SRC = 2, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_PRIORITY = 6,
            RTA_PREFSRC = 7, RTA_TABLE = 15;
    static final int IFLA_IFNAME = 3, IFLA_MTU = 4;
    static final int IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_FLAGS = 8, IFA_F_NODAD = 0x02;
    static final int FRA_DST = 1, FRA_SRC = 2, FRA_IIFNAME = 3, FRA_PRIORITY = 6, FRA_TABLE = 15;
    static final int FR_ACT_TO_TBL = 1;

    private final NetlinkSocket socket;
    private final Writer writer = new Writer(4096);
    private final ByteBuffer rx = ByteBuffer.allocateDirect(256 * 1024).order(ByteOrder.nativeOrder());
    private int seq = (int) (System.nanoTime() & 0x3fffffff);

    private Netlink(NetlinkSocket socket) {
        this.socket = socket;
    }

    /** Opens a socket in the calling thread's network namespace. */
    public static Netlink open() throws ErrnoException {
        return new Netlink(new NetlinkSocket(0));
    }

    @Override
    public void close() throws ErrnoException {
        socket.close();
    }

    // ------------------------------------------------------------------ links

    public synchronized Link link(String name) throws NetlinkException {
        List<Link> out = new ArrayList<>(1);
        writer.begin(RTM_GETLINK, NLM_F_REQUEST, ++seq).u8(AF_UNSPEC).u8(0).u16(0).u32(0).u32(0).u32(0)
                .attrString(IFLA_IFNAME, name);
        transact("link show " + name, r -> out.add(parseLink(r)));
        return single(out, "link show " + name);
    }

    public synchronized Link link(int index) throws NetlinkException {
        List<Link> out = new ArrayList<>(1);
        writer.begin(RTM_GETLINK, NLM_F_REQUEST, ++seq).u8(AF_UNSPEC).u8(0).u16(0).u32(index).u32(0).u32(0);
        transact("link show #" + index, r -> out.add(parseLink(r)));
        return single(out, "link show #" + index);
    }

    /** The interface index of {@code name}; ENODEV if there is none. */
    public int index(String name) throws NetlinkException {
        return link(name).index();
    }

    public synchronized List<Link> links() throws NetlinkException {
        List<Link> out = new ArrayList<>();
        writer.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, ++seq).u8(AF_UNSPEC).u8(0).u16(0).u32(0).u32(0).u32(0);
        transact("link dump", r -> out.add(parseLink(r)));
        return out;
    }

    public synchronized void setUp(int index, boolean up) throws NetlinkException {
        writer.begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, ++seq).u8(AF_UNSPEC).u8(0).u16(0).u32(index)
                .u32(up ? Link.IFF_UP : 0).u32(Link.IFF_UP);
        transact("link set #" + index + (up ? " up" : " down"), null);
    }

    public synchronized void setMtu(int index, int mtu) throws NetlinkException {
        writer.begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, ++seq).u8(AF_UNSPEC).u8(0).u16(0).u32(index).u32(0).u32(0)
                .attrU32(IFLA_MTU, mtu);
        transact("link set #" + index + " mtu " + mtu, null);
    }

    // -------------------------------------------------------------- addresses

    /** {@code ip addr add PREFIX dev #index [nodad]}. */
    public synchronized void addAddress(int index, IpPrefix address, boolean nodad) throws NetlinkException {
        address(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, index, address, nodad);
        transact("addr add " + address + " dev #" + index + (nodad ? " nodad" : ""), null);
    }

    public synchronized void deleteAddress(int index, IpPrefix address) throws NetlinkException {
        address(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, index, address, false);
        transact("addr del " + address + " dev #" + index, null);
    }

    /** Addresses of one interface (index > 0) or of all (0), for one family or both (AF_UNSPEC). */
    public synchronized List<NetlinkEvent.AddressChanged> addresses(int family, int index) throws NetlinkException {
        List<NetlinkEvent.AddressChanged> out = new ArrayList<>();
        writer.begin(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, ++seq).u8(family).u8(0).u8(0).u8(0).u32(index);
        transact("addr dump", r -> {
            NetlinkEvent.AddressChanged a = parseAddress(r, false);
            if (a != null && (index == 0 || a.index() == index))
                out.add(a);
        });
        return out;
    }

    private void address(int type, int flags, int index, IpPrefix a, boolean nodad) {
        int f = nodad ? IFA_F_NODAD : 0;
        writer.begin(type, flags, ++seq).u8(a.family()).u8(a.length()).u8(f).u8(RT_SCOPE_UNIVERSE).u32(index)
                .attrAddress(IFA_LOCAL, a.address()).attrAddress(IFA_ADDRESS, a.address());
        if (nodad)
            writer.attrU32(IFA_FLAGS, f);
    }

    // ----------------------------------------------------------------- routes

    /** {@code ip route add}: fails with EEXIST if the same route exists. */
    public synchronized void addRoute(Route r) throws NetlinkException {
        route(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, r);
        transact("route add " + r, null);
    }

    /**
     * {@code ip route replace}: one atomic kernel operation, so traffic never sees a gap (babeld
     * deletes then adds). Replaces the route with the same destination, source, table and metric.
     */
    public synchronized void replaceRoute(Route r) throws NetlinkException {
        route(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, r);
        transact("route replace " + r, null);
    }

    /** {@code ip route del}: ESRCH if no such route. */
    public synchronized void deleteRoute(Route r) throws NetlinkException {
        route(RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK, r);
        transact("route del " + r, null);
    }

    /**
     * Routes of one family, optionally only of one table (0: all tables) and one protocol
     * (0: all). Cached clones (PMTU exceptions) are left out.
     */
    public synchronized List<Route> routes(int family, int table, int protocol) throws NetlinkException {
        List<Route> out = new ArrayList<>();
        writer.begin(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, ++seq).u8(family).u8(0).u8(0).u8(0)
                .u8(table > 0 && table < 256 ? table : 0).u8(protocol).u8(0).u8(0).u32(0);
        if (table > 0)
            writer.attrU32(RTA_TABLE, table);
        transact("route dump", m -> {
            Route r = parseRoute(m);
            if (r != null && (table == 0 || r.table() == table) && (protocol == 0 || r.protocol() == protocol))
                out.add(r);
        });
        return out;
    }

    private void route(int type, int flags, Route r) {
        int scope;
        if (type == RTM_DELROUTE)
            scope = RT_SCOPE_NOWHERE;
        else if (r.type() == RouteType.LOCAL)
            scope = RT_SCOPE_HOST;
        else if (r.type() == RouteType.UNICAST && r.gateway() == null && r.family() == AF_INET)
            scope = RT_SCOPE_LINK;
        else
            scope = RT_SCOPE_UNIVERSE;
        IpPrefix src = r.src();
        writer.begin(type, flags, ++seq).u8(r.family()).u8(r.dst().length()).u8(src == null ? 0 : src.length()).u8(0)
                .u8(r.table() < 256 ? r.table() : RT_TABLE_COMPAT).u8(r.protocol()).u8(scope).u8(r.type().code())
                .u32(r.onlink() ? RTNH_F_ONLINK : 0);
        if (r.dst().length() > 0)
            writer.attrAddress(RTA_DST, r.dst().network().address());
        if (src != null)
            writer.attrAddress(RTA_SRC, src.network().address());
        if (r.gateway() != null)
            writer.attrAddress(RTA_GATEWAY, r.gateway());
        if (r.oif() != 0)
            writer.attrU32(RTA_OIF, r.oif());
        if (r.metric() != 0)
            writer.attrU32(RTA_PRIORITY, r.metric());
        if (r.prefSrc() != null)
            writer.attrAddress(RTA_PREFSRC, r.prefSrc());
        writer.attrU32(RTA_TABLE, r.table());
    }

    // ------------------------------------------------------------------ rules

    public synchronized void addRule(Rule rule) throws NetlinkException {
        rule(RTM_NEWRULE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, rule);
        transact("rule add " + rule, null);
    }

    public synchronized void deleteRule(Rule rule) throws NetlinkException {
        rule(RTM_DELRULE, NLM_F_REQUEST | NLM_F_ACK, rule);
        transact("rule del " + rule, null);
    }

    public synchronized List<Rule> rules(int family) throws NetlinkException {
        List<Rule> out = new ArrayList<>();
        writer.begin(RTM_GETRULE, NLM_F_REQUEST | NLM_F_DUMP, ++seq).u8(family).u8(0).u8(0).u8(0)
                .u8(0).u8(0).u8(0).u8(0).u32(0);
        transact("rule dump", m -> {
            Rule r = parseRule(m);
            if (r != null)
                out.add(r);
        });
        return out;
    }

    private void rule(int type, int flags, Rule r) {
        writer.begin(type, flags, ++seq).u8(r.family()).u8(r.to() == null ? 0 : r.to().length())
                .u8(r.from() == null ? 0 : r.from().length()).u8(0).u8(r.table() < 256 ? r.table() : RT_TABLE_COMPAT)
                .u8(0).u8(0).u8(FR_ACT_TO_TBL).u32(0);
        if (r.to() != null)
            writer.attrAddress(FRA_DST, r.to().network().address());
        if (r.from() != null)
            writer.attrAddress(FRA_SRC, r.from().network().address());
        if (r.iif() != null)
            writer.attrString(FRA_IIFNAME, r.iif());
        writer.attrU32(FRA_PRIORITY, r.priority());
        writer.attrU32(FRA_TABLE, r.table());
    }

    // ------------------------------------------------------------- transport

    /** Sends the request in {@link #writer} and reads until its ack, error or end of dump. */
    private void transact(String operation, Consumer<Reader> onMessage) throws NetlinkException {
        int mySeq = seq;
        int len = writer.finish();
        try {
            socket.send(writer.buf, 0, len);
            for (int round = 0; ; round++) {
                int n = socket.recv(rx);
                Reader r = new Reader(rx, n);
                while (r.next()) {
                    if (r.seq != mySeq)
                        continue; // a late answer to an earlier, abandoned request
                    if (r.type == NLMSG_DONE)
                        return;
                    if (r.type == NLMSG_ERROR) {
                        int err = -r.i32(r.payload);
                        if (err == 0)
                            return;
                        throw new NetlinkException(operation, err, errorText(r, err));
                    }
                    if (r.type == NLMSG_NOOP || r.type == NLMSG_OVERRUN)
                        continue;
                    if (onMessage != null)
                        onMessage.accept(r);
                    if ((r.flags & NLM_F_MULTI) == 0 && (writer.buf.getShort(6) & NLM_F_ACK) == 0)
                        return; // a single answer to a GET without ack
                }
            }
        } catch (NetlinkException e) {
            throw e;
        } catch (ErrnoException e) {
            throw new NetlinkException(operation + " (" + e.operation() + ")", e.errno(), Fd.strerror0(e.errno()));
        } catch (MalformedException e) {
            throw new NetlinkException(operation + ": " + e.getMessage(), ErrnoException.EINVAL, "bad answer from the kernel");
        }
    }

    /** strerror text, plus the kernel's extended-ack explanation when it gave one. */
    private static String errorText(Reader r, int err) {
        String text = Fd.strerror0(err);
        if ((r.flags & NLM_F_ACK_TLVS) == 0)
            return text;
        // nlmsgerr = int error + the request's header (+ its payload unless capped: flag 0x100)
        int origLen = r.i32(r.payload + 4);
        int tlvs = r.payload + 4 + ((r.flags & 0x100) != 0 ? HDRLEN : align(origLen));
        if (tlvs > r.payloadEnd)
            return text;
        Attrs a = r.attrs(tlvs);
        while (a.next())
            if (a.type == NLMSGERR_ATTR_MSG)
                return text + "; kernel says: " + a.string();
        return text;
    }

    private static <T> T single(List<T> out, String operation) throws NetlinkException {
        if (out.isEmpty())
            throw new NetlinkException(operation, ErrnoException.ENODEV, "no answer");
        return out.get(0);
    }

    // ---------------------------------------------------------------- parsing

    static Link parseLink(Reader r) {
        int index = r.i32(r.payload + 4);
        int flags = r.i32(r.payload + 8);
        String name = null;
        int mtu = 0;
        Attrs a = r.attrs(r.payload + 16);
        while (a.next()) {
            if (a.type == IFLA_IFNAME)
                name = a.string();
            else if (a.type == IFLA_MTU)
                mtu = a.u32();
        }
        return new Link(index, name, flags, mtu);
    }

    /** Null for families other than IPv4/IPv6. */
    static NetlinkEvent.AddressChanged parseAddress(Reader r, boolean removed) {
        int family = r.u8(r.payload);
        int plen = r.u8(r.payload + 1);
        int index = r.i32(r.payload + 4);
        if (family != AF_INET && family != AF_INET6)
            return null;
        InetAddress local = null, address = null;
        Attrs a = r.attrs(r.payload + 8);
        while (a.next()) {
            if (a.type == IFA_LOCAL)
                local = a.address();
            else if (a.type == IFA_ADDRESS)
                address = a.address();
        }
        InetAddress ad = local != null ? local : address;
        if (ad == null)
            throw new MalformedException("address message without an address");
        return new NetlinkEvent.AddressChanged(index, new IpPrefix(ad, plen), removed);
    }

    /** Null for routes we do not represent (other families, cached clones, unknown types). */
    static Route parseRoute(Reader r) {
        int family = r.u8(r.payload);
        int dstLen = r.u8(r.payload + 1);
        int srcLen = r.u8(r.payload + 2);
        int table = r.u8(r.payload + 4);
        int protocol = r.u8(r.payload + 5);
        RouteType type = RouteType.of(r.u8(r.payload + 7));
        int flags = r.i32(r.payload + 8);
        if (family != AF_INET && family != AF_INET6 || type == null || (flags & RTM_F_CLONED) != 0)
            return null;
        InetAddress dst = null, src = null, gw = null, prefSrc = null;
        int oif = 0, metric = 0;
        Attrs a = r.attrs(r.payload + 12);
        while (a.next()) {
            switch (a.type) {
                case RTA_DST -> dst = a.address();
                case RTA_SRC -> src = a.address();
                case RTA_GATEWAY -> gw = a.address();
                case RTA_PREFSRC -> prefSrc = a.address();
                case RTA_OIF -> oif = a.u32();
                case RTA_PRIORITY -> metric = a.u32();
                case RTA_TABLE -> table = a.u32();
                default -> { }
            }
        }
        int alen = family == AF_INET ? 4 : 16;
        if (table <= 0)
            return null;
        Route.Builder b = Route.to(new IpPrefix(dst != null ? dst : zero(alen), dstLen)).type(type).table(table)
                .protocol(protocol).metric(metric).dev(oif).via(gw).prefSrc(prefSrc)
                .onlink((flags & RTNH_F_ONLINK) != 0);
        if (srcLen > 0)
            b.from(new IpPrefix(src != null ? src : zero(alen), srcLen));
        return b.build();
    }

    static Rule parseRule(Reader r) {
        int family = r.u8(r.payload);
        int dstLen = r.u8(r.payload + 1);
        int srcLen = r.u8(r.payload + 2);
        int table = r.u8(r.payload + 4);
        int action = r.u8(r.payload + 7);
        if (family != AF_INET && family != AF_INET6 || action != FR_ACT_TO_TBL)
            return null;
        InetAddress dst = null, src = null;
        String iif = null;
        int priority = 0;
        Attrs a = r.attrs(r.payload + 12);
        while (a.next()) {
            switch (a.type) {
                case FRA_DST -> dst = a.address();
                case FRA_SRC -> src = a.address();
                case FRA_IIFNAME -> iif = a.string();
                case FRA_PRIORITY -> priority = a.u32();
                case FRA_TABLE -> table = a.u32();
                default -> { }
            }
        }
        if (table <= 0)
            return null;
        int alen = family == AF_INET ? 4 : 16;
        return new Rule(family, priority, table,
                srcLen > 0 ? new IpPrefix(src != null ? src : zero(alen), srcLen) : null,
                dstLen > 0 ? new IpPrefix(dst != null ? dst : zero(alen), dstLen) : null, iif);
    }

    private static InetAddress zero(int len) {
        try {
            return InetAddress.getByAddress(new byte[len]);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
