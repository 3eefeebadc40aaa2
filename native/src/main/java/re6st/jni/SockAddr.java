package re6st.jni;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * A socket address as the kernel's {@code struct sockaddr_in}/{@code sockaddr_in6} bytes, mutable
 * and reusable: {@link UdpSocket#receive} fills one in place, so a receive loop allocates nothing
 * per datagram and can compare the sender with known peers ({@link #sameAs}) without building an
 * {@link InetSocketAddress}.
 */
public final class SockAddr {
    static final int SIZE = 28;
    static final int AF_INET = 2, AF_INET6 = 10;

    final byte[] raw = new byte[SIZE];

    public SockAddr() {}

    public SockAddr(InetSocketAddress a) {
        set(a);
    }

    public static SockAddr of(InetSocketAddress a) {
        return new SockAddr(a);
    }

    /** Sets this to {@code a} (IPv4 or IPv6, scope id kept). */
    public SockAddr set(InetSocketAddress a) {
        if (a.isUnresolved())
            throw new IllegalArgumentException("unresolved address " + a);
        Arrays.fill(raw, (byte) 0);
        InetAddress ip = a.getAddress();
        int port = a.getPort();
        if (ip instanceof Inet4Address) {
            putShortNative(0, AF_INET);
            raw[2] = (byte) (port >> 8);
            raw[3] = (byte) port;
            System.arraycopy(ip.getAddress(), 0, raw, 4, 4);
        } else {
            putShortNative(0, AF_INET6);
            raw[2] = (byte) (port >> 8);
            raw[3] = (byte) port;
            System.arraycopy(ip.getAddress(), 0, raw, 8, 16);
            int scope = ((Inet6Address) ip).getScopeId();
            raw[24] = (byte) scope; // native (little-endian) u32
            raw[25] = (byte) (scope >> 8);
            raw[26] = (byte) (scope >> 16);
            raw[27] = (byte) (scope >> 24);
        }
        return this;
    }

    public SockAddr copyFrom(SockAddr o) {
        System.arraycopy(o.raw, 0, raw, 0, SIZE);
        return this;
    }

    public boolean isIpv6() {
        return family() == AF_INET6;
    }

    int family() {
        return (raw[0] & 0xff) | (raw[1] & 0xff) << 8;
    }

    public int port() {
        return (raw[2] & 0xff) << 8 | (raw[3] & 0xff);
    }

    /** Same family, address and port (the bytes that matter). No allocation. */
    public boolean sameAs(SockAddr o) {
        if (o == null)
            return false;
        int n = isIpv6() ? SIZE : 8;
        return Arrays.equals(raw, 0, n, o.raw, 0, n);
    }

    /** A hash of family, address and port, for tables keyed by sender. */
    public int hash() {
        int n = isIpv6() ? SIZE : 8, h = 1;
        for (int i = 0; i < n; i++)
            h = 31 * h + raw[i];
        return h;
    }

    /** Allocates: for logs and setup, not for the packet path. */
    public InetSocketAddress toInetSocketAddress() {
        try {
            int f = family();
            if (f == AF_INET)
                return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(raw, 4, 8)), port());
            if (f == AF_INET6) {
                int scope = (raw[24] & 0xff) | (raw[25] & 0xff) << 8 | (raw[26] & 0xff) << 16 | (raw[27] & 0xff) << 24;
                byte[] a = Arrays.copyOfRange(raw, 8, 24);
                InetAddress ip = scope != 0 ? Inet6Address.getByAddress(null, a, scope) : InetAddress.getByAddress(a);
                return new InetSocketAddress(ip, port());
            }
            return null;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen with 4 or 16 bytes
        }
    }

    private void putShortNative(int off, int v) {
        raw[off] = (byte) v; // x86-64 / aarch64 little-endian sa_family_t
        raw[off + 1] = (byte) (v >> 8);
    }

    @Override
    public String toString() {
        InetSocketAddress a = toInetSocketAddress();
        return a == null ? "(no address)" : a.toString();
    }
}
