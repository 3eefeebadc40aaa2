package re6st.jni;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 or IPv6 address with a prefix length, e.g. {@code 2001:db8:42::/48}. */
public record IpPrefix(InetAddress address, int length) {
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
            return InetAddress.getByName(addr);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: '" + addr + "'");
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
        return isIpv6() ? Netlink.AF_INET6 : Netlink.AF_INET;
    }

    /** The same prefix with the host bits cleared. */
    public IpPrefix network() {
        byte[] b = address.getAddress();
        for (int i = 0; i < b.length; i++) {
            int keep = Math.max(0, Math.min(8, length - i * 8));
            b[i] &= (byte) (0xff << (8 - keep));
        }
        try {
            return new IpPrefix(InetAddress.getByAddress(b), length);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
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

    /** The address as {@code ip} prints it: dotted IPv4, RFC 5952 compressed IPv6 without scope. */
    public static String format(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 4)
            return a.getHostAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++)
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        int bestStart = -1, bestLen = 1; // only runs of 2+ zero groups are compressed
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0)
                j++;
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder s = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLen - 1;
                continue;
            }
            if (s.length() > 0 && s.charAt(s.length() - 1) != ':')
                s.append(':');
            s.append(Integer.toHexString(g[i]));
        }
        return s.toString();
    }
}
