package re6st.jni;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * A non-blocking UDP socket for the tunnel data path, with the kernel's batching: one
 * {@link #send} can carry many equal-sized datagrams (UDP GSO: {@code UDP_SEGMENT}), one
 * {@link #receive} can return many datagrams from one sender coalesced (UDP GRO). Calls take
 * direct buffers and reusable {@link SockAddr}s and allocate nothing. Errors the data path
 * must live with (full buffers, EMSGSIZE, ICMP errors) come back as negative errno values;
 * misuse and unexpected errors throw {@link ErrnoException}.
 *
 * <p>Thread safety: one thread may receive while others send (the kernel serialises sends).
 */
public final class UdpSocket extends WakeableFd {
    static {
        NativeLibrary.load();
    }

    // <netinet/in.h>, <linux/udp.h>, <linux/in6.h>, <asm-generic/socket.h>
    static final int SOL_SOCKET = 1, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33;
    static final int IPPROTO_IP = 0, IP_MTU_DISCOVER = 10, IP_MTU = 14;
    static final int IPPROTO_IPV6 = 41, IPV6_MTU_DISCOVER = 23, IPV6_MTU = 24, IPV6_V6ONLY = 26;
    static final int SOL_UDP = 17, UDP_SEGMENT = 103, UDP_GRO = 104;
    /** IP_PMTUDISC_DO: set DF, never fragment locally, EMSGSIZE above the known path MTU. */
    static final int PMTUDISC_DO = 2;
    /** IP_PMTUDISC_PROBE: set DF but ignore the path MTU the kernel learnt (we probe ourselves). */
    static final int PMTUDISC_PROBE = 3;

    /** Negative results of {@link #send} / {@link #receive}. */
    public static final int EAGAIN = -11, EMSGSIZE = -90, ECONNREFUSED = -111;
    /** At most this many segments per GSO send (the kernel's UDP_MAX_SEGMENTS is 64 or more). */
    public static final int MAX_SEGMENTS = 64;
    /** Largest UDP payload one send may carry (65535 - IPv4 and UDP headers). */
    public static final int MAX_PAYLOAD = 65507;

    private final boolean ipv6;
    private long lastReceive;

    private UdpSocket(int fd, int wakeFd, boolean ipv6) {
        super(fd, wakeFd);
        this.ipv6 = ipv6;
    }

    /** A socket of the family of {@code local}, bound to it (port 0: any). DF is set on every datagram. [::] takes IPv4 too. */
    public static UdpSocket bind(InetSocketAddress local) throws ErrnoException {
        return bind(local, false);
    }

    /**
     * As {@link #bind(InetSocketAddress)}; with {@code v6only}, an IPv6 socket takes IPv6 only, so
     * that [::]:P and 0.0.0.0:P can be bound side by side (the node's udp6 and udp servers).
     */
    public static UdpSocket bind(InetSocketAddress local, boolean v6only) throws ErrnoException {
        boolean v6 = !(local.getAddress() instanceof java.net.Inet4Address);
        int fd = open0(v6);
        int wake = wakeFdFor(fd);
        UdpSocket s = new UdpSocket(fd, wake, v6);
        try {
            if (v6 && (v6only || local.getAddress().isAnyLocalAddress()))
                setInt0(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only ? 1 : 0); // [::] also takes IPv4 (mapped) unless v6only
            s.setDontFragment();
            bind0(fd, new SockAddr(local).raw);
        } catch (ErrnoException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** Sets DF on outgoing datagrams: never fragmented; a send above the path MTU the kernel learnt from ICMP fails with EMSGSIZE. */
    void setDontFragment() throws ErrnoException {
        setInt0(fd, IPPROTO_IP, IP_MTU_DISCOVER, PMTUDISC_DO);
        if (ipv6)
            setInt0(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, PMTUDISC_DO);
    }

    /** Lets {@link #receive} return many datagrams of one sender at once (UDP GRO); false if the kernel lacks it. */
    public boolean enableGro() {
        try {
            setInt0(fd, SOL_UDP, UDP_GRO, 1);
            return true;
        } catch (ErrnoException e) {
            return false;
        }
    }

    /** Socket buffer sizes (forced above the sysctl limits when root). */
    public void setBuffers(int send, int receive) throws ErrnoException {
        try {
            setInt0(fd, SOL_SOCKET, SO_SNDBUFFORCE, send);
            setInt0(fd, SOL_SOCKET, SO_RCVBUFFORCE, receive);
        } catch (ErrnoException e) {
            setInt0(fd, SOL_SOCKET, SO_SNDBUF, send);
            setInt0(fd, SOL_SOCKET, SO_RCVBUF, receive);
        }
    }

    /**
     * {@code a} as this socket sees it: an IPv4 peer of an IPv6 socket (bound to [::]) is an
     * IPv4-mapped address; otherwise {@code a} itself.
     */
    public java.net.InetSocketAddress mapped(java.net.InetSocketAddress a) {
        if (!isIpv6() || !(a.getAddress() instanceof java.net.Inet4Address))
            return a;
        byte[] v4 = a.getAddress().getAddress(), v6 = new byte[16];
        v6[10] = v6[11] = (byte) 0xff;
        System.arraycopy(v4, 0, v6, 12, 4);
        try { // Inet6Address: InetAddress.getByAddress would turn a mapped address back into an Inet4Address (AF_INET)
            return new java.net.InetSocketAddress(java.net.Inet6Address.getByAddress(null, v6, -1), a.getPort());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean isIpv6() {
        return ipv6;
    }

    public InetSocketAddress localAddress() throws ErrnoException {
        SockAddr a = new SockAddr();
        localAddress0(fd, a.raw);
        return a.toInetSocketAddress();
    }


    /**
     * Sends {@code buf[off, off+len)} to {@code to}. With {@code segment} in (0, len) the kernel
     * sends datagrams of {@code segment} bytes (the last may be shorter; at most
     * {@link #MAX_SEGMENTS}, {@code len <= }{@link #MAX_PAYLOAD}). Returns the bytes sent, or a
     * negative errno ({@link #EAGAIN}, {@link #EMSGSIZE}, {@link #ECONNREFUSED}, unreachable...).
     */
    public int send(ByteBuffer buf, int off, int len, int segment, SockAddr to) throws ErrnoException {
        return send0(fd, buf, off, len, segment, to == null ? null : to.raw);
    }

    /**
     * Receives into {@code buf[off, off+max)}; the sender goes into {@code from}. Returns the
     * length, or a negative errno ({@link #EAGAIN} when nothing waits, or an ICMP-reported
     * error to skip). After a positive result {@link #lastSegment()} is the GRO segment size:
     * the data holds datagrams of that size back to back (the last may be shorter), or 0 for one.
     */
    public int receive(ByteBuffer buf, int off, int max, SockAddr from) throws ErrnoException {
        long r = receive0(fd, buf, off, max, from == null ? null : from.raw);
        lastReceive = r;
        return r < 0 ? (int) r : (int) r;
    }

    /** The GRO segment size of the last {@link #receive} (0: a single datagram). */
    public int lastSegment() {
        return lastReceive < 0 ? 0 : (int) (lastReceive >>> 32);
    }

    /** The path MTU the kernel currently knows for a connected socket (IP_MTU). */
    int pathMtu() throws ErrnoException {
        return ipv6 ? getInt0(fd, IPPROTO_IPV6, IPV6_MTU) : getInt0(fd, IPPROTO_IP, IP_MTU);
    }

    private static native int open0(boolean ipv6) throws ErrnoException;

    private static native void bind0(int fd, byte[] addr) throws ErrnoException;

    static native void connect0(int fd, byte[] addr) throws ErrnoException;

    private static native void localAddress0(int fd, byte[] addr) throws ErrnoException;

    private static native void setInt0(int fd, int level, int name, int value) throws ErrnoException;

    private static native int getInt0(int fd, int level, int name) throws ErrnoException;

    private static native int send0(int fd, ByteBuffer buf, int off, int len, int segment, byte[] addr) throws ErrnoException;

    private static native long receive0(int fd, ByteBuffer buf, int off, int max, byte[] addr) throws ErrnoException;
}
