package re6st.registry.node;

import java.util.Set;

/**
 * A node's tunnel addresses as re6st passes them around: {@code ip,port,proto[,country]} entries
 * joined by {@code ;} (registry-protocol.md "Peer address format"), e.g.
 * {@code 198.51.100.2,1194,udp;2001:db8::2,1194,tcp6,FR}.
 */
public final class PeerAddresses {
    static final Set<String> PROTOCOLS = Set.of("udp", "tcp", "udp4", "tcp4", "udp6", "tcp6");

    private PeerAddresses() {
    }

    /** Throws IllegalArgumentException saying what is wrong. */
    public static String check(String addresses) {
        if (addresses.isEmpty() || addresses.length() > 1024)
            throw new IllegalArgumentException("peer addresses must be 1..1024 characters");
        for (String a : addresses.split(";", -1)) {
            String[] f = a.split(",", -1);
            if (f.length < 3 || f.length > 4)
                throw new IllegalArgumentException("'" + a + "' is not ip,port,proto[,country]");
            if (!f[0].matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*"))
                throw new IllegalArgumentException("'" + f[0] + "' is not an IP address");
            if (!f[1].matches("[0-9]{1,5}") || Integer.parseInt(f[1]) < 1 || Integer.parseInt(f[1]) > 65535)
                throw new IllegalArgumentException("'" + f[1] + "' is not a port");
            if (!PROTOCOLS.contains(f[2]))
                throw new IllegalArgumentException("'" + f[2] + "' is not one of " + new java.util.TreeSet<>(PROTOCOLS));
            if (f.length == 4 && !f[3].matches("[A-Z]{2}"))
                throw new IllegalArgumentException("'" + f[3] + "' is not a country code");
        }
        return addresses;
    }
}
