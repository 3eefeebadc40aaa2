package re6st.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 or IPv6 address with a prefix length, e.g. {@code 2001:db8:42::/48}. */
public record IpPrefix(InetAddress address, int length) {
    /** Address families as the kernel numbers them (netlink, sockaddr). */
    public static final int AF_INET = 2, AF_INET6 = 10;

    public IpPrefix {
        if (address == null)
            throw new IllegalArgumentException("prefix address is null");
        int max = address.getAddress().length * 8;
        if (length < 0 || length > max)
            throw new IllegalArgumentException("prefix length " + length + " outside 0.." + max + " for " + address.getHostAddress());
    }

    /** Parses {@code ADDR/LEN} or a bare address (full length). Only literals: never resolves names. */
    public static IpPrefix parse(String text) {
        int slash = text.indexOf('/');
        String addr = slash < 0 ? text : text.substring(0, slash);
        InetAddress a = literal(addr);
        int len;
        if (slash < 0) {
            len = a.getAddress().length * 8;
        } else {
            try {
                len = Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad prefix length in '" + text + "'");
            }
        }
        return new IpPrefix(a, len);
    }

    /** Parses an IP literal; a host name is an error (no DNS lookups here). */
    public static InetAddress literal(String addr) {
        boolean v6 = addr.indexOf(':') >= 0;
        boolean v4 = !v6 && addr.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
        if (!v4 && !v6)
            throw new IllegalArgumentException("not an IP address: '" + addr + "'");
        try {
            InetAddress a = InetAddress.getByName(addr);
            return v6 ? ofBytes(a instanceof Inet4Address ? Ipv6Address.parse(addr).toBytes() : a.getAddress(), a) : a;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: '" + addr + "'");
        }
    }

    /**
     * The address of 4 or 16 bytes, keeping the family: an IPv4-mapped IPv6 address
     * ({@code ::ffff:a.b.c.d}) stays IPv6, where {@link InetAddress#getByAddress(byte[])} would turn
     * it into IPv4 (and a kernel route to {@code ::ffff:0:0/96} into an impossible IPv4 /96).
     */
    public static InetAddress ofBytes(byte[] b) {
        return ofBytes(b, null);
    }

    private static InetAddress ofBytes(byte[] b, InetAddress parsed) {
        try {
            if (b.length != 16)
                return InetAddress.getByAddress(b);
            if (parsed instanceof Inet6Address p6 && p6.getScopeId() != 0)
                return parsed; // keep a zone (fe80::1%eth0)
            return Inet6Address.getByAddress(null, b, -1);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + b.length);
        }
    }

    public boolean isIpv6() {
        return address instanceof Inet6Address;
    }

    public boolean isIpv4() {
        return address instanceof Inet4Address;
    }

    /** AF_INET (2) or AF_INET6 (10). */
    public int family() {
        return isIpv6() ? AF_INET6 : AF_INET;
    }

    /** The same prefix with the host bits cleared. */
    public IpPrefix network() {
        byte[] b = address.getAddress();
        for (int i = 0; i < b.length; i++) {
            int keep = Math.max(0, Math.min(8, length - i * 8));
            b[i] &= (byte) (0xff << (8 - keep));
        }
        return new IpPrefix(ofBytes(b), length);
    }

    public boolean contains(InetAddress a) {
        if (a.getAddress().length != address.getAddress().length)
            return false;
        return new IpPrefix(a, length).network().equals(network());
    }

    @Override
    public String toString() {
        return format(address) + "/" + length;
    }

    /**
     * The address as {@code ip} prints it: dotted IPv4; IPv6 through {@link Ipv6Address#toString}
     * (RFC 5952, as glibc's inet_ntop), without scope. One formatter for the whole project.
     */
    public static String format(InetAddress a) {
        byte[] b = a.getAddress();
        return b.length == 4 ? a.getHostAddress() : Ipv6Address.ofBytes(b).toString();
    }
}
