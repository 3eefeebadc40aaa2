package re6st.node.tunnel;

import java.util.Set;

import re6st.peer.PeerAddress;

/**
 * The network config's {@code same_country} rule (spec/node-behaviour.md): when our country is
 * listed, tunnel only within it; otherwise never into a listed country. An address without a
 * country, or a node that does not know its own, is allowed (the original's "unknown = allowed";
 * GeoIP for addresses without the 4th field is the node's business, before the manager sees them).
 *
 * @param mine   our two-letter country, or null when unknown
 * @param listed the {@code same_country} list, empty when the network has none
 */
public record CountryFilter(String mine, Set<String> listed) {
    public static final CountryFilter NONE = new CountryFilter(null, Set.of());

    public CountryFilter {
        listed = Set.copyOf(listed);
    }

    public boolean allows(PeerAddress a) {
        if (mine == null || a.country() == null || listed.isEmpty())
            return true;
        return listed.contains(mine) ? a.country().equals(mine) : !listed.contains(a.country());
    }
}
