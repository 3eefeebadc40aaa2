package re6st.slap.master;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The prefixes a master takes requests from ({@code --allow}, e.g. the overlay's
 * {@code 2001:db8:42::/48}): address literals with a prefix length, IPv4 or IPv6; an
 * IPv4-mapped IPv6 client is matched as IPv4. Never a name (no DNS).
 */
public final class AllowList {
    private record Cidr(byte[] network, int length, String text) {
        boolean contains(byte[] a) {
            if (a.length != network.length)
                return false;
            int full = length / 8, rest = length % 8;
            for (int i = 0; i < full; i++)
                if (a[i] != network[i])
                    return false;
            if (rest == 0)
                return true;
            int mask = (0xff << (8 - rest)) & 0xff;
            return (a[full] & mask) == (network[full] & mask);
        }
    }

    private final List<Cidr> prefixes;

    private AllowList(List<Cidr> prefixes) {
        this.prefixes = List.copyOf(prefixes);
    }

    /** Loopback only ({@code 127.0.0.0/8}, {@code ::1/128}): the default. */
    public static AllowList loopback() {
        return parse(List.of("127.0.0.0/8", "::1/128"));
    }

    /** @throws IllegalArgumentException for anything but {@code ADDRESS[/LENGTH]} with a literal address */
    public static AllowList parse(List<String> specs) {
        List<Cidr> out = new ArrayList<>();
        for (String spec : specs) {
            String s = spec.trim();
            int slash = s.indexOf('/');
            String addr = slash < 0 ? s : s.substring(0, slash);
            if (addr.startsWith("[") && addr.endsWith("]"))
                addr = addr.substring(1, addr.length() - 1);
            if (addr.isEmpty() || !(addr.indexOf(':') >= 0 || addr.matches("[0-9.]+")))
                throw new IllegalArgumentException("--allow " + spec + ": not an address literal with an optional /length");
            byte[] bytes;
            try {
                bytes = InetAddress.getByName(addr).getAddress(); // a literal: no lookup
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("--allow " + spec + ": not an address: " + e.getMessage());
            }
            int max = bytes.length * 8, len;
            try {
                len = slash < 0 ? max : Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--allow " + spec + ": the prefix length is not a number");
            }
            if (len < 0 || len > max)
                throw new IllegalArgumentException("--allow " + spec + ": prefix length " + len + " outside 0.." + max);
            out.add(new Cidr(bytes, len, text(bytes) + "/" + len));
        }
        return new AllowList(out);
    }

    /** An address as people write it: {@code 2001:db8::1}, {@code 127.0.0.1}. */
    public static String text(byte[] b) {
        if (b.length == 16)
            return re6st.net.Ipv6Address.ofBytes(b).toString();
        return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
    }

    /** {@code [2001:db8::1]:8080}, {@code 127.0.0.1:8080}. */
    public static String text(java.net.InetSocketAddress a) {
        byte[] b = a.getAddress().getAddress();
        return (b.length == 16 ? "[" + text(b) + "]" : text(b)) + ":" + a.getPort();
    }

    public boolean allows(InetAddress client) {
        byte[] a = client.getAddress();
        if (client instanceof Inet6Address && isV4Mapped(a)) {
            byte[] v4 = new byte[4];
            System.arraycopy(a, 12, v4, 0, 4);
            a = v4;
        }
        for (Cidr c : prefixes)
            if (c.contains(a))
                return true;
        return false;
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++)
            if (a[i] != 0)
                return false;
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    @Override
    public String toString() {
        return String.join(", ", prefixes.stream().map(Cidr::text).toList());
    }
}
