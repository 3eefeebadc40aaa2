package re6st.node.tunnel;

import java.util.ArrayList;
import java.util.List;

import re6st.peer.PeerAddress;

/**
 * One outgoing tunnel the manager decided to open: the peer's usable addresses, which one is
 * being tried, and whether it ever connected. A failed attempt moves to the next address; the
 * transport itself redials an established tunnel, so a failure after it connected moves nothing.
 */
final class OutgoingTunnel {
    final String peer;
    private final List<PeerAddress> addresses;
    private int tried;
    private boolean established;
    /** When the attempt in progress started (manager time). */
    long dialledAt;
    /** Since when its path is dead (manager time), or -1 while it is alive. */
    long downSince = -1;

    OutgoingTunnel(String peer, List<PeerAddress> addresses) {
        if (addresses.isEmpty())
            throw new IllegalArgumentException("no address to reach " + peer);
        this.peer = peer;
        this.addresses = List.copyOf(addresses);
    }

    PeerAddress current() {
        return addresses.get(tried);
    }

    /** Moves to the next address; false when none is left. */
    boolean next() {
        if (tried + 1 >= addresses.size())
            return false;
        tried++;
        return true;
    }

    boolean established() {
        return established;
    }

    void established(boolean e) {
        established = e;
    }

    /**
     * It connected through an alternate address: the cached list to store instead, that address
     * moved to the front (cache.py's {@code set_preferred}); null when nothing is to change.
     */
    String preferredFirst(String cached) {
        if (tried == 0 || cached == null)
            return null;
        List<PeerAddress> all = new ArrayList<>(PeerAddress.parse(cached));
        if (!all.remove(current()))
            return null;
        all.add(0, current());
        return PeerAddress.format(all, Long.MAX_VALUE);
    }
}
