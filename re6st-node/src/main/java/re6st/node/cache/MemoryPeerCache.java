package re6st.node.cache;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;

/**
 * A {@link PeerCache} held in memory: for tests and the simulator, where a node's cache need not
 * outlive it. Entries are kept oldest first (insertion order of a {@link LinkedHashMap}); making
 * an entry the newest moves it to the end.
 */
public final class MemoryPeerCache implements PeerCache {
    private final LinkedHashMap<String, Entry> peers = new LinkedHashMap<>();
    private final int capacity;

    public MemoryPeerCache() {
        this(MAX_PEERS);
    }

    /** A smaller capacity than {@link #MAX_PEERS}, for tests of the eviction order. */
    public MemoryPeerCache(int capacity) {
        if (capacity < 1)
            throw new IllegalArgumentException("peer cache capacity " + capacity + " must be at least 1");
        this.capacity = capacity;
    }

    @Override
    public List<Entry> entries() {
        List<Entry> newestFirst = new ArrayList<>(peers.values());
        Collections.reverse(newestFirst);
        return newestFirst;
    }

    @Override
    public Optional<String> address(String prefix) {
        return Optional.ofNullable(peers.get(prefix)).map(Entry::address);
    }

    @Override
    public void put(String prefix, String address) {
        peers.remove(prefix);
        peers.put(prefix, new Entry(prefix, address, false));
        if (peers.size() > capacity)
            dropOne();
    }

    /** Full: the oldest blacklisted entry goes first (it failed), else the oldest of all. */
    private void dropOne() {
        for (Iterator<Entry> i = peers.values().iterator(); i.hasNext(); )
            if (i.next().blacklisted()) {
                i.remove();
                return;
            }
        peers.remove(peers.keySet().iterator().next());
    }

    @Override
    public void attempting(String prefix) {
        // the value is replaced in place: an attempt does not make a peer newer
        peers.computeIfPresent(prefix, (p, e) -> new Entry(p, e.address(), true));
    }

    @Override
    public void connected(String prefix) {
        Entry e = peers.remove(prefix);
        if (e != null)
            peers.put(prefix, new Entry(prefix, e.address(), false));
    }

    @Override
    public void remove(String prefix) {
        peers.remove(prefix);
    }

    @Override
    public void shrink(int keep) {
        peers.values().removeIf(Entry::blacklisted);
        while (peers.size() > Math.max(0, keep))
            peers.remove(peers.keySet().iterator().next());
    }
}
