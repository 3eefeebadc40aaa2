package re6st.jni;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;

import re6st.jni.NetlinkMessage.MalformedException;
import re6st.jni.NetlinkMessage.Reader;

import static re6st.jni.NetlinkMessage.*;

/**
 * Listens to the kernel's link, address, route and rule change announcements (whoever makes
 * them: us, {@code ip}, babeld) in the namespace of the thread that opened it. Call
 * {@link #poll} from one thread; {@link #wakeup} and {@link #close} from any.
 */
public final class NetlinkMonitor implements Closeable {
    // rtnetlink multicast groups (RTNLGRP_*)
    static final int GRP_LINK = 1, GRP_IPV4_IFADDR = 5, GRP_IPV4_ROUTE = 7, GRP_IPV4_RULE = 8,
            GRP_IPV6_IFADDR = 9, GRP_IPV6_ROUTE = 11, GRP_IPV6_RULE = 19;

    private final NetlinkSocket socket;
    private final ByteBuffer rx = ByteBuffer.allocateDirect(256 * 1024).order(ByteOrder.nativeOrder());
    private long malformed;

    private NetlinkMonitor(NetlinkSocket socket) {
        this.socket = socket;
    }

    /** Subscribes to every link, address, route and rule change of both families. */
    public static NetlinkMonitor open() throws ErrnoException {
        NetlinkSocket s = new NetlinkSocket(4 << 20);
        try {
            for (int g : new int[] {GRP_LINK, GRP_IPV4_IFADDR, GRP_IPV4_ROUTE, GRP_IPV4_RULE, GRP_IPV6_IFADDR,
                    GRP_IPV6_ROUTE, GRP_IPV6_RULE})
                s.addMembership(g);
        } catch (ErrnoException e) {
            s.close();
            throw e;
        }
        return new NetlinkMonitor(s);
    }

    /**
     * Waits up to {@code timeoutNanos} (negative: forever) for announcements, then hands every
     * one that is waiting to {@code sink}. Returns how many were delivered (0 on timeout or
     * wakeup). Lost announcements (socket overflow) are reported as {@link NetlinkEvent.Overflow}.
     */
    public int poll(long timeoutNanos, Consumer<NetlinkEvent> sink) throws ErrnoException {
        if (!socket.awaitReadable(timeoutNanos))
            return 0;
        int delivered = 0;
        for (int i = 0; i < 1024; i++) { // bounded: at most 1024 datagrams per call
            int n;
            try {
                n = socket.recvNow(rx);
            } catch (ErrnoException e) {
                if (e.errno() != ErrnoException.ENOBUFS)
                    throw e;
                sink.accept(new NetlinkEvent.Overflow());
                delivered++;
                continue;
            }
            if (n < 0)
                break;
            delivered += decode(rx, n, sink);
        }
        return delivered;
    }

    /** Number of announcements that could not be parsed (and were skipped). */
    public long malformed() {
        return malformed;
    }

    private int decode(ByteBuffer buf, int n, Consumer<NetlinkEvent> sink) {
        int delivered = 0;
        Reader r = new Reader(buf, n);
        try {
            while (r.next()) {
                NetlinkEvent e = switch (r.type) {
                    case RTM_NEWLINK, RTM_DELLINK -> new NetlinkEvent.LinkChanged(Netlink.parseLink(r), r.type == RTM_DELLINK);
                    case RTM_NEWADDR, RTM_DELADDR -> Netlink.parseAddress(r, r.type == RTM_DELADDR);
                    case RTM_NEWROUTE, RTM_DELROUTE -> {
                        Route route = Netlink.parseRoute(r);
                        yield route == null ? null : new NetlinkEvent.RouteChanged(route, r.type == RTM_DELROUTE);
                    }
                    case RTM_NEWRULE, RTM_DELRULE -> {
                        Rule rule = Netlink.parseRule(r);
                        yield rule == null ? null : new NetlinkEvent.RuleChanged(rule, r.type == RTM_DELRULE);
                    }
                    default -> null;
                };
                if (e != null) {
                    sink.accept(e);
                    delivered++;
                }
            }
        } catch (MalformedException | IllegalArgumentException e) {
            malformed++; // the rest of this datagram is unreadable; later ones are fine
        }
        return delivered;
    }

    /** Makes a blocked {@link #poll} return 0. */
    public void wakeup() throws ErrnoException {
        socket.wakeup();
    }

    @Override
    public void close() throws ErrnoException {
        socket.close();
    }
}
