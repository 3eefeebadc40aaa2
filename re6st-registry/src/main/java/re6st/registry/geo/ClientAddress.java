package re6st.registry.geo;

import java.net.InetAddress;
import java.util.List;

/**
 * The address whose location picks a new node's community: the request's {@code ip} parameter;
 * when empty, the first {@code X-Forwarded-For} entry (the client as a reverse proxy saw it);
 * else the address the request came from. The original takes the {@code Host} header in that
 * last case, which names the registry, not the client: its lookup fails (a name) or finds the
 * registry's own country (an address); the peer address is what was meant.
 */
public final class ClientAddress {
    private ClientAddress() {
    }

    public static String of(String ip, List<String> forwardedFor, InetAddress client) {
        if (ip != null && !ip.isEmpty())
            return ip;
        if (!forwardedFor.isEmpty())
            return forwardedFor.get(0);
        if (client == null)
            return "";
        String a = client.getHostAddress();
        int scope = a.indexOf('%');
        return scope < 0 ? a : a.substring(0, scope);
    }
}
