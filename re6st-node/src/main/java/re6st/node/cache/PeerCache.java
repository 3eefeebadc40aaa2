package re6st.node.cache;

import java.util.List;
import java.util.Optional;

/**
 * Where the node remembers how to reach peers (spec/node-behaviour.md, "Peer cache"; the
 * original's cache.py): at most {@link #MAX_PEERS} peers, each a node prefix (bit string, e.g.
 * {@code 0000000000000111}) with its address list ({@code ip,port,proto[,country];...}), newest
 * first. Addresses come from the registry's bootstrap answer, from code-1 answers of peers and
 * from successful alternate addresses; they are never gossiped as lists.
 *
 * <p>The blacklist is volatile (not stored): a peer is blacklisted when an attempt to reach it
 * starts and cleared when the tunnel connects or a fresh address arrives. When the cache is full
 * the blacklisted entries go first, then the oldest.
 *
 * <p>Implementations: {@code MemoryPeerCache} (tests, the simulator) and the node's durable
 * SQLite cache. Calls come from one thread (the node's manager loop).
 */
public interface PeerCache {
    int MAX_PEERS = 200;

    /** One cached peer. */
    record Entry(String prefix, String address, boolean blacklisted) {}

    /** Every entry, newest first. */
    List<Entry> entries();

    /** The address list of {@code prefix}, if cached (blacklisted or not). */
    Optional<String> address(String prefix);

    /**
     * A fresh address list for {@code prefix}: stored as the newest entry, its blacklisting
     * cleared; beyond {@link #MAX_PEERS}, blacklisted entries are dropped first, then the oldest.
     */
    void put(String prefix, String address);

    /** An attempt to reach {@code prefix} starts: it stays blacklisted until {@link #connected} or {@link #put}. */
    void attempting(String prefix);

    /** The tunnel to {@code prefix} connected: its blacklisting is cleared and it becomes the newest entry. */
    void connected(String prefix);

    /** Forgets {@code prefix} (revoked, or its address is known to be wrong). */
    void remove(String prefix);

    /** At exit: keeps only the {@code keep} newest entries that are not blacklisted. */
    void shrink(int keep);
}
