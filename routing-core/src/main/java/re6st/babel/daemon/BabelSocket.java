package re6st.babel.daemon;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.channels.MembershipKey;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Enumeration;

import re6st.babel.message.Addr;

/**
 * The Babel UDP socket: port 6696, multicast group ff02::1:6 joined on every Babel interface,
 * hop limit 1, loopback off, traffic class 0xC0. One socket serves every interface: a received
 * packet's interface is the scope of its link-local source address; a sent packet's interface
 * is the scope of its (multicast or link-local) destination.
 */
public final class BabelSocket implements AutoCloseable {
    public static final int PORT = 6696;
    static final String GROUP = "ff02:0:0:0:0:0:1:6";

    private final DatagramChannel channel;
    private final int port;

    public BabelSocket(int port) throws IOException {
        this.port = port;
        channel = DatagramChannel.open(StandardProtocolFamily.INET6);
        channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        channel.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, false);
        channel.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 1);
        channel.setOption(StandardSocketOptions.IP_TOS, 0xC0);
        channel.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
        channel.bind(new InetSocketAddress(InetAddress.getByName("::"), port));
    }

    /**
     * Joins the Babel group on an interface; drop the returned key to leave it. (The JDK finds
     * the interface from the calling thread's namespace by its IPv4 enumeration, which lists
     * IPv6-only interfaces only in the process's own namespace: in-process tests in another
     * namespace give the interface an IPv4 address.)
     */
    public MembershipKey join(String ifname) throws IOException {
        NetworkInterface ni = NetworkInterface.getByName(ifname);
        if (ni == null)
            throw new SocketException("no interface " + ifname);
        return channel.join(InetAddress.getByName(GROUP), ni);
    }

    /** The interface's fe80::/10 address, or null. */
    public static Addr linkLocal(NetworkInterface ni) {
        for (Enumeration<InetAddress> e = ni.getInetAddresses(); e.hasMoreElements(); ) {
            InetAddress a = e.nextElement();
            if (a instanceof Inet6Address && a.isLinkLocalAddress())
                return Addr.of(a.getAddress());
        }
        return null;
    }

    /** A received datagram: its source (link-local) and the interface index it came from. */
    public record From(Addr address, int ifindex) {}

    /** Blocks for one datagram; returns its source, or null if the source is not link-local (dropped). */
    public From receive(ByteBuffer buf) throws IOException {
        buf.clear();
        InetSocketAddress sa = (InetSocketAddress) channel.receive(buf);
        buf.flip();
        if (sa == null || !(sa.getAddress() instanceof Inet6Address a6) || !a6.isLinkLocalAddress())
            return null;
        return new From(Addr.of(a6.getAddress()), a6.getScopeId());
    }

    /** Sends to {@code dest} (a neighbour's link-local address) or, if null, to the group, on {@code ifindex}. */
    public void send(ByteBuffer packet, Addr dest, int ifindex) throws IOException {
        byte[] to = dest == null ? InetAddress.getByName(GROUP).getAddress() : dest.bytes();
        Inet6Address scoped = Inet6Address.getByAddress(null, to, ifindex);
        channel.send(packet, new InetSocketAddress(scoped, port));
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
