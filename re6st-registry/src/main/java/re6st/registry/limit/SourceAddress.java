package re6st.registry.limit;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Who a request counts against in the abuse limits: the address it came from, or, when that is
 * a trusted reverse proxy (an admin origin: loopback or {@code --authorized-origin}), the
 * address that proxy says it served ({@code X-Forwarded-For}, read from the right: the last
 * entry not itself a trusted proxy; a client can put anything on the left). Counted by network:
 * an IPv6 client by its /64 (one host has a whole /64 to rotate through), an IPv4 client by its
 * address. A request from a trusted origin for itself (no other address forwarded) is
 * {@link #exempt}: the admin's own tools and tests on the registry's host are not limited.
 */
public record SourceAddress(InetAddress address, boolean exempt) {
    /** @param trusted the admin origins, IPv4-mapped addresses already folded to IPv4 */
    public static SourceAddress of(InetAddress peer, List<String> forwardedFor, Set<InetAddress> trusted) {
        InetAddress a = normalize(peer);
        if (!trusted.contains(a))
            return new SourceAddress(a, false);
        for (int i = forwardedFor.size() - 1; i >= 0; i--) {
            InetAddress f = literal(forwardedFor.get(i));
            if (f == null) // not an address: what the proxy saw is unknown, count it against the proxy
                return new SourceAddress(a, false);
            if (!trusted.contains(f))
                return new SourceAddress(f, false);
            a = f;
        }
        return new SourceAddress(a, true);
    }

    /** What the limits key on: {@code 2001:db8:1:2::/64} or {@code 192.0.2.7}. */
    public String key() {
        byte[] b = address.getAddress();
        if (b.length == 4)
            return address.getHostAddress();
        try {
            return InetAddress.getByAddress(Arrays.copyOf(Arrays.copyOf(b, 8), 16)).getHostAddress() + "/64";
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An IPv4-mapped IPv6 address (a dual-stack socket) is the IPv4 address; a scope is dropped. */
    public static InetAddress normalize(InetAddress a) {
        byte[] b = a.getAddress();
        try {
            if (b.length == 16) {
                boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
                for (int i = 0; i < 10; i++)
                    mapped &= b[i] == 0;
                return InetAddress.getByAddress(mapped ? Arrays.copyOfRange(b, 12, 16) : b);
            }
            return a;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An IP literal ({@code [v6]} allowed), never a DNS lookup; null if the text is not one. */
    public static InetAddress literal(String s) {
        String t = s.strip();
        if (t.startsWith("[") && t.endsWith("]"))
            t = t.substring(1, t.length() - 1);
        try {
            if (t.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
                byte[] b = new byte[4];
                String[] parts = t.split("\\.");
                for (int i = 0; i < 4; i++) {
                    int v = Integer.parseInt(parts[i]);
                    if (v > 255)
                        return null;
                    b[i] = (byte) v;
                }
                return InetAddress.getByAddress(b);
            }
            if (t.indexOf(':') < 0 || !t.matches("[0-9A-Fa-f:.]+"))
                return null;
            return normalize(InetAddress.getByName(t)); // with a ':' Java parses an IPv6 literal, never asks DNS
        } catch (UnknownHostException | IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return key();
    }
}
