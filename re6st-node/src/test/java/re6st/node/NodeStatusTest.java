package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import re6st.net.Ipv6Prefix;
import re6st.tunnel.TunnelInfo;
import re6st.tunnel.TunnelStats;

class NodeStatusTest {
    static final long NOW = Instant.parse("2026-12-02T18:00:00Z").toEpochMilli();

    static NodeStatus sample(List<String> warnings) {
        TunnelInfo out = new TunnelInfo("0/16", "re6st-0", new InetSocketAddress("198.18.81.1", 1194), true, "udp", true);
        TunnelInfo in = new TunnelInfo("3/16", "re6st-1", new InetSocketAddress("198.18.81.4", 40123), false, "tcp", false);
        Overlay.Status o = new Overlay.Status(List.of(
                new Overlay.TunnelStatus(new TunnelStats(out, NOW - 3_723_000, 412_000, 1_234_567, 999, 2000, 10, 400, 396, 1), 96, 412),
                new Overlay.TunnelStatus(new TunnelStats(in, NOW - 12_000, -1, 0, 0, 0, 0, 0, 0, 0), -1, -1)),
                List.of(new Overlay.RouteStatus(Ipv6Prefix.parse("2001:db8:42::/64"), "0/16", "re6st-0", 96),
                        new Overlay.RouteStatus(Ipv6Prefix.parse("2001:db8:42:2::/64"), null, "eth0", 102)));
        return new NodeStatus("1/16", "2001:db8:42:1::1", "2001:db8:42::/48", 7, "2027-12-01T00:00:00Z", "http://198.18.81.1/", false, true,
                NOW - 90_000_000, NOW, new NodeStatus.Tunnels(10, 5), o, warnings);
    }

    @Test
    void theJsonCarriesEveryFactAndTheTextShowsThem() {
        String json = NodeStatus.json(sample(List.of("no incoming tunnel after 3 min")));
        assertTrue(!json.contains("\n"), "one line");
        JsonNode s = NodeStatus.parse(json);
        assertEquals("1/16", s.path("node").asText());
        assertEquals(7, s.path("config_version").asLong());
        assertEquals(0, s.path("advertised").size(), "none given");
        assertEquals(2, s.path("tunnels").size());
        JsonNode t = s.path("tunnels").get(0);
        assertEquals("198.18.81.1:1194", t.path("remote").asText());
        assertEquals(0.412, t.path("rtt_ms").asDouble(), 1e-9);
        assertEquals(96, t.path("babel_cost").asInt());
        assertTrue(s.path("tunnels").get(1).path("rtt_ms").isNull(), "no RTT sample yet: null, not -1");
        assertTrue(!s.path("tunnels").get(1).has("babel_cost"));
        assertEquals("0/16", s.path("routes").get(0).path("node").asText(), "a route names the node it leads to (the map draws it)");
        assertEquals("2/16", s.path("routes").get(1).path("node").asText());
        assertEquals("0/16", s.path("routes").get(0).path("via").asText());
        String text = NodeStatus.text(s);
        assertTrue(text.contains("node 1/16  2001:db8:42:1::1  in 2001:db8:42::/48"), text);
        assertTrue(text.contains("up 1d 1h, network config version 7"), text);
        assertTrue(text.contains("tunnels: 1 out (keeps 10), 1 in (takes 5 per server)"), text);
        assertTrue(text.matches("(?s).*0/16\\s+re6st-0\\s+udp\\s+out\\s+198\\.18\\.81\\.1:1194\\s+up\\s+1h 2m\\s+0\\.4 ms\\s+1\\.2 MB\\s+999 B\\s+96.*"), text);
        assertTrue(text.matches("(?s).*3/16\\s+re6st-1\\s+tcp\\s+in\\s+198\\.18\\.81\\.4:40123\\s+DOWN\\s+12s\\s+-\\s+0 B\\s+0 B\\s+-.*"), text);
        assertTrue(text.matches("(?s).*2001:db8:42:2::/64\\s+via \\(LAN\\)\\s+eth0\\s+metric 102.*"), text);
        assertTrue(text.contains("! no incoming tunnel after 3 min"), text);
    }

    @Test
    void aRouteNamesTheNodeWhoseSubnetItIsOnlyInsideTheNetwork() {
        Ipv6Prefix net = Ipv6Prefix.parse("2001:db8:42::/48");
        assertEquals("7/16", NodeStatus.nodeOf(Ipv6Prefix.parse("2001:db8:42:7::/64"), net));
        assertEquals("1/8", NodeStatus.nodeOf(Ipv6Prefix.parse("2001:db8:42:100::/56"), net), "a shorter prefix: a shorter CN");
        assertEquals(null, NodeStatus.nodeOf(Ipv6Prefix.parse("2001:db8:43:7::/64"), net), "another network");
        assertEquals(null, NodeStatus.nodeOf(net, net), "the network itself is no node");
    }

    @Test
    void theAdvertisedAddressesAreShown() {
        NodeStatus n = sample(List.of());
        NodeStatus s = new NodeStatus(n.node(), n.address(), n.network(), n.configVersion(), n.certificateExpires(), n.registry(),
                n.registryNode(), n.registryRouted(), n.startedMillis(), n.nowMillis(), n.limits(), n.overlay(), n.warnings(),
                List.of("198.18.9.1,1194,udp", "198.18.9.1,1194,tcp"));
        JsonNode j = NodeStatus.parse(NodeStatus.json(s));
        assertEquals("198.18.9.1,1194,tcp", j.path("advertised").get(1).asText());
        String text = NodeStatus.text(j);
        assertTrue(text.contains("advertised to peers: 198.18.9.1,1194,udp; 198.18.9.1,1194,tcp"), text);
    }

    @Test
    void theRegistryNodesStatusCarriesTheNetworksTopologyOthersNone() {
        NodeStatus n = sample(List.of());
        assertTrue(!NodeStatus.parse(NodeStatus.json(n)).has("topology"), "no field on other nodes");
        RegistryTopology.Snapshot topo = RegistryTopology.parse("{\"0/16\": [\"1/16\", \"2/16\"], \"1/16\": [\"2/16\"], \"\": [\"0/16\", \"1/16\"]}",
                NOW - 4_000);
        NodeStatus s = new NodeStatus(n.node(), n.address(), n.network(), n.configVersion(), n.certificateExpires(), n.registry(),
                true, n.registryRouted(), n.startedMillis(), n.nowMillis(), n.limits(), n.overlay(), n.warnings(), n.advertised(), topo);
        JsonNode j = NodeStatus.parse(NodeStatus.json(s));
        assertEquals("2026-12-02T17:59:56Z", j.path("topology").path("fetched").asText());
        JsonNode nodes = j.path("topology").path("nodes");
        assertEquals(3, nodes.size(), nodes.toString());
        assertEquals("{\"node\":\"1/16\",\"out\":[\"2/16\"],\"in\":[\"0/16\"],\"answered\":true}", nodes.get(1).toString());
        assertEquals("{\"node\":\"2/16\",\"out\":[],\"in\":[\"0/16\",\"1/16\"],\"answered\":false}", nodes.get(2).toString());
        assertEquals(2, j.path("tunnels").size(), "the node's own facts are unchanged");
    }

    @Test
    void whatIsNoStatusIsSaid() {
        assertThrows(IllegalArgumentException.class, () -> NodeStatus.parse("BABEL 1.0"));
        assertThrows(IllegalArgumentException.class, () -> NodeStatus.parse("{\"tunnels\": 3}"));
        assertThrows(IllegalArgumentException.class, () -> NodeStatus.parse("[]"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NodeStatus.parse("{\"node\": \"1/16\""));
        assertTrue(e.getMessage().startsWith("not a node status"), e.getMessage());
    }

    @Test
    void sizesAndAgesReadAtAGlance() {
        assertEquals("999 B", NodeStatus.bytes(999));
        assertEquals("1.0 KB", NodeStatus.bytes(1000));
        assertEquals("7.3 GB", NodeStatus.bytes(7_300_000_000L));
        Instant t = Instant.parse("2026-12-02T18:00:00Z");
        assertEquals("59s", NodeStatus.age(t.minusSeconds(59), t));
        assertEquals("4m 10s", NodeStatus.age(t.minusSeconds(250), t));
        assertEquals("2h 5m", NodeStatus.age(t.minusSeconds(7500), t));
        assertEquals("3d 4h", NodeStatus.age(t.minusSeconds(3 * 86_400 + 4 * 3600 + 5), t));
        assertEquals("0s", NodeStatus.age(t.plusSeconds(5), t), "a clock step back shows 0, not a negative age");
    }
}
