package re6st.node.cache;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The peer cache's rules without storage ({@link PeerCache}): entries in age order, the volatile
 * blacklist, eviction (blacklisted first, then the oldest) and shrinking. Each change returns
 * what it dropped, so that {@link NodeCache} can do the same to its file.
 */
final class PeerList {
    /** Oldest first: a LinkedHashMap re-inserted on every refresh keeps the age order. */
    private final LinkedHashMap<String, String> peers = new LinkedHashMap<>();
    private final Set<String> blacklisted = new HashSet<>();

    List<PeerCache.Entry> newestFirst() {
        List<PeerCache.Entry> out = new ArrayList<>(peers.size());
        for (Map.Entry<String, String> e : peers.entrySet())
            out.add(0, new PeerCache.Entry(e.getKey(), e.getValue(), blacklisted.contains(e.getKey())));
        return out;
    }

    /** Oldest first, as stored. */
    Map<String, String> inAgeOrder() {
        return java.util.Collections.unmodifiableMap(peers);
    }

    int size() {
        return peers.size();
    }

    Optional<String> address(String prefix) {
        return Optional.ofNullable(peers.get(prefix));
    }

    /** Stores {@code prefix} as the newest entry, not blacklisted; returns the prefixes evicted to stay within {@code max}. */
    List<String> put(String prefix, String address, int max) {
        peers.remove(prefix);
        peers.put(prefix, address);
        blacklisted.remove(prefix);
        return trim(max);
    }

    /** Blacklists a cached prefix; false if it is not cached. */
    boolean attempting(String prefix) {
        if (!peers.containsKey(prefix))
            return false;
        blacklisted.add(prefix);
        return true;
    }

    /** Clears the blacklisting of a cached prefix and makes it the newest; false if it is not cached. */
    boolean connected(String prefix) {
        String address = peers.remove(prefix);
        if (address == null)
            return false;
        peers.put(prefix, address);
        blacklisted.remove(prefix);
        return true;
    }

    boolean remove(String prefix) {
        blacklisted.remove(prefix);
        return peers.remove(prefix) != null;
    }

    /** Keeps the {@code keep} newest entries that are not blacklisted; returns the others. */
    List<String> shrink(int keep) {
        List<String> dropped = new ArrayList<>();
        int kept = 0;
        List<String> newestFirst = new ArrayList<>(peers.keySet());
        java.util.Collections.reverse(newestFirst);
        for (String p : newestFirst) {
            if (!blacklisted.contains(p) && kept < keep)
                kept++;
            else
                dropped.add(p);
        }
        dropped.forEach(this::remove);
        return dropped;
    }

    /** Drops entries beyond {@code max}: the blacklisted ones first (oldest first), then the oldest. */
    List<String> trim(int max) {
        List<String> dropped = new ArrayList<>();
        for (String p : new ArrayList<>(peers.keySet())) {
            if (peers.size() - dropped.size() <= max)
                break;
            if (blacklisted.contains(p))
                dropped.add(p);
        }
        for (String p : peers.keySet()) {
            if (peers.size() - dropped.size() <= max)
                break;
            if (!dropped.contains(p))
                dropped.add(p);
        }
        dropped.forEach(this::remove);
        return dropped;
    }
}
