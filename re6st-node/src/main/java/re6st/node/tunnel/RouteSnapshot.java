package re6st.node.tunnel;

import java.util.Map;
import java.util.TreeMap;

/**
 * What Babel routes at one moment, as the tunnel manager needs it: for each routed node prefix
 * (bit string; never the default route, never our own prefix's local route) the neighbour it goes
 * through, and whether the routed node is itself a direct neighbour; and whether the registry's
 * prefix is routed.
 *
 * @param routes         node prefix to its route, any order (copied sorted, so that iteration is deterministic)
 * @param registryRouted the registry's node prefix has a route
 */
public record RouteSnapshot(Map<String, Route> routes, boolean registryRouted) {
    public static final RouteSnapshot EMPTY = new RouteSnapshot(Map.of(), false);

    /**
     * @param nextHop   the prefix of the neighbour at the other end of the tunnel the route leaves by;
     *                  null when the next hop is not one of our tunnels (a LAN neighbour, unidentified)
     * @param neighbour the routed node is one of our direct Babel neighbours (tunnel or LAN)
     */
    public record Route(String nextHop, boolean neighbour) {}

    public RouteSnapshot {
        routes = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(routes));
    }

    /** How many routes leave through the tunnel with {@code peer}: its weight in the mesh. */
    public int carriedBy(String peer) {
        int n = 0;
        for (Route r : routes.values())
            if (peer.equals(r.nextHop()))
                n++;
        return n;
    }
}
