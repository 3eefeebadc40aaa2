package re6st.node.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import re6st.node.cache.PeerCache.Entry;

class MemoryPeerCacheTest {
    private static final String A = "0000000000000001", B = "0000000000000010", C = "0000000000000011";

    private static List<String> prefixes(PeerCache c) {
        return c.entries().stream().map(Entry::prefix).toList();
    }

    @Test
    void entriesAreListedNewestFirst() {
        MemoryPeerCache c = new MemoryPeerCache();
        c.put(A, "198.18.0.1,1194,udp");
        c.put(B, "198.18.0.2,1194,udp");
        assertEquals(List.of(new Entry(B, "198.18.0.2,1194,udp", false), new Entry(A, "198.18.0.1,1194,udp", false)), c.entries());
        assertEquals(Optional.of("198.18.0.1,1194,udp"), c.address(A));
        assertEquals(Optional.empty(), c.address(C));
    }

    @Test
    void aFreshAddressReplacesTheOldOneMakesItNewestAndClearsTheBlacklisting() {
        MemoryPeerCache c = new MemoryPeerCache();
        c.put(A, "198.18.0.1,1194,udp");
        c.put(B, "198.18.0.2,1194,udp");
        c.attempting(A);
        c.put(A, "198.18.0.9,1194,tcp");
        assertEquals(List.of(new Entry(A, "198.18.0.9,1194,tcp", false), new Entry(B, "198.18.0.2,1194,udp", false)), c.entries());
    }

    @Test
    void anAttemptBlacklistsWithoutMakingThePeerNewerAndAConnectionClearsIt() {
        MemoryPeerCache c = new MemoryPeerCache();
        c.put(A, "198.18.0.1,1194,udp");
        c.put(B, "198.18.0.2,1194,udp");
        c.attempting(A);
        assertEquals(List.of(new Entry(B, "198.18.0.2,1194,udp", false), new Entry(A, "198.18.0.1,1194,udp", true)), c.entries());
        c.connected(A);
        assertEquals(List.of(new Entry(A, "198.18.0.1,1194,udp", false), new Entry(B, "198.18.0.2,1194,udp", false)), c.entries());
    }

    @Test
    void attemptsAndConnectionsOfUnknownPeersAddNothing() {
        MemoryPeerCache c = new MemoryPeerCache();
        c.attempting(A);
        c.connected(B);
        assertEquals(List.of(), c.entries());
    }

    @Test
    void whenFullTheOldestBlacklistedEntryGoesFirst() {
        MemoryPeerCache c = new MemoryPeerCache(2);
        c.put(A, "198.18.0.1,1194,udp");
        c.put(B, "198.18.0.2,1194,udp");
        c.attempting(B);
        c.put(C, "198.18.0.3,1194,udp");
        assertEquals(List.of(C, A), prefixes(c));
    }

    @Test
    void whenFullWithNothingBlacklistedTheOldestGoes() {
        MemoryPeerCache c = new MemoryPeerCache(2);
        c.put(A, "198.18.0.1,1194,udp");
        c.put(B, "198.18.0.2,1194,udp");
        c.put(C, "198.18.0.3,1194,udp");
        assertEquals(List.of(C, B), prefixes(c));
    }

    @Test
    void holdsAtMostMaxPeersByDefault() {
        MemoryPeerCache c = new MemoryPeerCache();
        for (int i = 0; i < PeerCache.MAX_PEERS + 5; i++)
            c.put(Integer.toBinaryString(1024 + i), "198.18.0.1,1194,udp");
        assertEquals(PeerCache.MAX_PEERS, c.entries().size());
        assertEquals(Integer.toBinaryString(1024 + PeerCache.MAX_PEERS + 4), c.entries().get(0).prefix());
    }

    @Test
    void shrinkKeepsTheNewestEntriesThatAreNotBlacklisted() {
        MemoryPeerCache c = new MemoryPeerCache();
        c.put(A, "198.18.0.1,1194,udp");
        c.put(B, "198.18.0.2,1194,udp");
        c.put(C, "198.18.0.3,1194,udp");
        c.attempting(C);
        c.shrink(1);
        assertEquals(List.of(B), prefixes(c));
    }

    @Test
    void removeForgetsThePeer() {
        MemoryPeerCache c = new MemoryPeerCache();
        c.put(A, "198.18.0.1,1194,udp");
        c.remove(A);
        assertEquals(Optional.empty(), c.address(A));
        assertEquals(List.of(), c.entries());
    }

    @Test
    void aCapacityBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new MemoryPeerCache(0));
    }
}
