package re6st.registry.geo;

import java.util.List;

/**
 * The address whose location picks a new node's community, as the original's requestCertificate
 * finds it: its {@code ip} parameter; when empty, the first {@code X-Forwarded-For} entry (the
 * client as a reverse proxy saw it); else the {@code Host} header, without its port.
 */
public final class ClientAddress {
    private ClientAddress() {
    }

    public static String of(String ip, List<String> forwardedFor, String host) {
        if (ip != null && !ip.isEmpty())
            return ip;
        if (!forwardedFor.isEmpty())
            return forwardedFor.get(0);
        return host == null ? "" : withoutPort(host.strip());
    }

    /** {@code [v6]:port} and {@code [v6]} give v6; {@code host:port} gives host; a bare IPv6 address (two colons or more) stays whole. */
    static String withoutPort(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end < 0 ? host : host.substring(1, end);
        }
        int colon = host.indexOf(':');
        return colon >= 0 && colon == host.lastIndexOf(':') ? host.substring(0, colon) : host;
    }
}
