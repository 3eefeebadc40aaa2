package re6st.registry.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The registry's side of the node datagrams against a node that behaves as the original's. */
class NodeChannelTest {
    /** Long enough for the stand-in's answers on a loaded machine: silence costs this much per silent question. */
    static final long QUIET = 1500;
    static final String OWN = "0000000000000001", B = "0000000000000010", C = "0000000000000011", SILENT = "0000000000000100";

    @Test
    void asksAddressesVersionsAndTopology() throws Exception {
        try (StandInNode node = new StandInNode(); NodeChannel ch = new NodeChannel(node.port(), QUIET)) {
            node.nodes.put(OWN, new StandInNode.Info("198.18.0.1,1194,udp,FR", "0.1, Linux", "1 2/16 3/16"));
            node.nodes.put(B, new StandInNode.Info("198.18.0.2,1194,udp;198.18.0.2,1194,tcp", "0.2, Linux", "1 3/16 1/16"));
            node.nodes.put(C, new StandInNode.Info("198.18.0.3,1194,tcp", "0.3, Linux", "1 1/16 2/16"));

            assertEquals(Optional.of("198.18.0.2,1194,udp;198.18.0.2,1194,tcp"), ch.ask(B, re6st.peer.PeerCode.ADDRESS));
            assertEquals(Optional.empty(), ch.ask(SILENT, re6st.peer.PeerCode.ADDRESS), "a silent node: nothing after the quiet time");

            // a stale answer for another prefix, a wrong code and garbage come first: skipped
            node.noise.add((C + "\0\u0001198.18.0.3,1,udp").getBytes(StandardCharsets.ISO_8859_1));
            node.noise.add((B + "\0\u0004old").getBytes(StandardCharsets.ISO_8859_1));
            node.noise.add(new byte[] {0, 1, 2});
            node.noise.add("x1\0\u0001a".getBytes(StandardCharsets.ISO_8859_1));
            assertEquals(Optional.of("198.18.0.2,1194,udp;198.18.0.2,1194,tcp"), ch.ask(B, re6st.peer.PeerCode.ADDRESS));

            Map<String, String> expected = new HashMap<>();
            expected.put(OWN, "0.1, Linux");
            expected.put(B, "0.2, Linux");
            expected.put(SILENT, null);
            assertEquals(expected, ch.versions(Set.of(OWN, B, SILENT)));

            Map<String, Set<String>> g = ch.topology(OWN, 100);
            // a ring of client tunnels 1 -> 2 -> 3 -> 1: each node lists its outgoing tunnel then the incoming one
            assertEquals(Set.of("2/16"), g.get("1/16"));
            assertEquals(Set.of("3/16"), g.get("2/16"), "found by asking 2/16, which 1/16 named");
            assertEquals(Set.of("1/16"), g.get("3/16"));
            assertEquals(Set.of("1/16", "2/16", "3/16"), g.get(""), "every node that answered");

            ch.send(OWN, re6st.peer.PeerCode.NEW_VERSION);
            assertEquals(OWN, node.newVersions.poll(5, java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    @Test
    void callersQueuedBehindASilentNodeGiveUpInsteadOfPilingUp() throws Exception {
        try (StandInNode node = new StandInNode(); NodeChannel ch = new NodeChannel(node.port(), 2000)) {
            node.nodes.put(B, new StandInNode.Info("198.18.0.2,1194,udp", "", ""));
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            try {
                java.util.List<java.util.concurrent.Future<Optional<String>>> asks = new java.util.ArrayList<>();
                for (int i = 0; i < 8; i++)
                    asks.add(pool.submit(() -> ch.ask(SILENT, re6st.peer.PeerCode.ADDRESS)));
                for (var f : asks)
                    assertEquals(Optional.empty(), f.get(60, java.util.concurrent.TimeUnit.SECONDS));
            } finally {
                pool.shutdownNow();
            }
            // one caller holds the channel for the quiet time; the others, waiting as long for their turn, mostly give up
            // without asking (all 8 asking would need their starts spread over 8 quiet times)
            int asked = node.questions.get(SILENT).get();
            assertTrue(asked >= 1 && asked < 8, asked + " of 8 callers asked the silent node");
            assertEquals(Optional.of("198.18.0.2,1194,udp"), ch.ask(B, re6st.peer.PeerCode.ADDRESS), "the channel still works");
        }
    }

    @Test
    void malformedTopologyAnswersAreIgnored() throws Exception {
        try (StandInNode node = new StandInNode(); NodeChannel ch = new NodeChannel(node.port(), QUIET)) {
            node.nodes.put(OWN, new StandInNode.Info("", "", "2 2/16 300000/16"));  // 300000 does not fit 16 bits
            assertEquals(Map.of(), ch.topology(OWN, 100));
            node.nodes.put(OWN, new StandInNode.Info("", "", "5 2/16"));            // says 5, lists 1
            assertEquals(Map.of(), ch.topology(OWN, 100));
            node.nodes.put(OWN, new StandInNode.Info("", "", "1 1/16"));            // itself
            assertEquals(Map.of(), ch.topology(OWN, 100));
            node.nodes.put(OWN, new StandInNode.Info("", "", "one 2/16"));
            assertEquals(Map.of(), ch.topology(OWN, 100));
            node.nodes.put(OWN, new StandInNode.Info("", "", "1 2/16"));
            assertTrue(ch.topology(OWN, 100).containsKey("1/16"), "a good answer after bad ones still works");
        }
    }

    @Test
    void babelDumpGivesRoutedNodePrefixes() {
        var network = re6st.net.Network.parse("2001:db8:42::/48");
        var dump = java.util.List.of(
                "add interface veth0 up true ipv6 fe80::1",
                "add neighbour 55 address fe80::2 if veth0 reach ffff ureach 0000 rxcost 96 txcost 96 cost 96",
                "add xroute 2001:db8:42:1::/64-::/0 prefix 2001:db8:42:1::/64 from ::/0 metric 0",
                "add route 1 prefix 2001:db8:42:2::/64 from ::/0 installed yes id 02:00:00:00:00:00:00:02 metric 96 refmetric 0 via fe80::2 if veth0",
                "add route 2 prefix 2001:db8:42:3::/64 from ::/0 installed no id 02:00:00:00:00:00:00:03 metric 192 refmetric 96 via fe80::2 if veth0",
                "add route 3 prefix 2001:db8:43::/64 from ::/0 installed yes id 02:00:00:00:00:00:00:04 metric 96 refmetric 0 via fe80::2 if veth0",
                "add route 4 prefix ::/0 from 2001:db8:42::/48 installed yes id 02:00:00:00:00:00:00:05 metric 96 refmetric 0 via fe80::2 if veth0",
                "add route 5 prefix 2001:db8:42::/48 from ::/0 installed yes id 02:00:00:00:00:00:00:05 metric 96 refmetric 0 via fe80::2 if veth0",
                "add route 6 prefix 2001:db8:42:4::/64 from 2001:db8::/32 installed yes id 02:00:00:00:00:00:00:06 metric 96 refmetric 0 via fe80::2 if veth0",
                "add route 7 prefix 10.0.0.0/8 from 0.0.0.0/0 installed yes id 02:00:00:00:00:00:00:07 metric 96 refmetric 0 via fe80::2 if veth0",
                "add route 8 prefix nonsense from ::/0 installed yes",
                "add route 9 prefix 2001:db8:42:5::/64 from ::/0 installed yes id 02:00:00:00:00:00:00:09 metric 96 refmetric 0 via fe80::2 if veth0",
                // a node that left: its retraction stays installed (metric 65535) until flushed
                "add route 10 prefix 2001:db8:42:6::/64 from ::/0 installed yes id 02:00:00:00:00:00:00:0a metric 65535 refmetric 65535 via fe80::2 if veth0");
        assertEquals(Set.of("0000000000000010", "0000000000000101"), BabelRoutes.nodePrefixes(dump, network),
                "installed, reachable, not source-specific, inside the network and longer than it");
    }

    @Test
    void peerAddressFormat() {
        PeerAddresses.check("198.51.100.2,1194,udp;198.51.100.2,1194,tcp");
        PeerAddresses.check("2001:db8::2,326,udp6,FR");
        for (String bad : new String[] {"", "198.51.100.2,1194", "198.51.100.2,0,udp", "198.51.100.2,1194,sctp", "host,1,udp",
                "198.51.100.2,1194,udp,fr", "198.51.100.2,1194,udp;", "a,b,c,d,e"})
            try {
                PeerAddresses.check(bad);
                throw new AssertionError("accepted " + bad);
            } catch (IllegalArgumentException e) {
                assertTrue(!e.getMessage().isEmpty());
            }
    }
}
