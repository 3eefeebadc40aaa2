package re6st.node.bench;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import re6st.net.Ipv6Address;
import re6st.net.Ipv6Prefix;

/**
 * What {@code re6st bench failover} will cut, decided before anything is touched: the tunnel the
 * kernel sends the target's traffic into (the first hop), its peer, and the other routes Babel
 * has to the target. Refused ({@link IllegalArgumentException} with the reason) when the target
 * is not in the network, is this node, is not reached through a tunnel, or has no other usable
 * route: cutting would then only break the path, not measure a failover.
 *
 * @param target       the probed overlay address
 * @param ifname       the tunnel carrying the probes now
 * @param peer         its peer's CN
 * @param alternatives usable routes to the target through other interfaces
 */
public record FailoverPlan(String target, String ifname, String peer, List<BabelRoute> alternatives) {

    /**
     * @param target the address (as typed)
     * @param status the node's {@code status} answer
     * @param hop    the kernel's route to it now
     * @param routes the node's {@code routes TARGET} answer
     */
    public static FailoverPlan decide(String target, JsonNode status, RouteGet hop, List<BabelRoute> routes) {
        Ipv6Address a = Ipv6Address.parse(target);
        Ipv6Prefix network = Ipv6Prefix.parse(status.path("network").asText());
        if (!network.contains(a))
            throw new IllegalArgumentException(target + " is not in this node's network " + network + ": give an overlay address of another node");
        if (hop.local())
            throw new IllegalArgumentException(target + " is this node's own address: give another node's");
        String peer = peerOf(status, hop.dev());
        if (peer == null)
            throw new IllegalArgumentException("the kernel sends traffic to " + target + " out of " + hop.dev() + ", not a tunnel of this node ("
                    + tunnels(status) + "): nothing re6st can cut");
        List<BabelRoute> others = new ArrayList<>();
        for (BabelRoute r : routes)
            if (r.usable() && !r.ifname().equals(hop.dev()))
                others.add(r);
        if (others.isEmpty())
            throw new IllegalArgumentException("no alternative path to " + target + ": only via tunnel " + hop.dev() + " to " + peer
                    + "; nothing to fail over to");
        return new FailoverPlan(target, hop.dev(), peer, List.copyOf(others));
    }

    /** "re6st-2 to 4/16", or the interface alone when it is no tunnel of the node. */
    public static String describe(JsonNode status, String ifname) {
        String peer = peerOf(status, ifname);
        return peer == null ? ifname : ifname + " to " + peer;
    }

    static String peerOf(JsonNode status, String ifname) {
        for (JsonNode t : status.path("tunnels"))
            if (t.path("interface").asText().equals(ifname))
                return t.path("peer").asText();
        return null;
    }

    private static String tunnels(JsonNode status) {
        List<String> l = new ArrayList<>();
        for (JsonNode t : status.path("tunnels"))
            l.add(t.path("interface").asText() + " to " + t.path("peer").asText());
        return l.isEmpty() ? "it has none" : "its tunnels: " + String.join(", ", l);
    }
}
