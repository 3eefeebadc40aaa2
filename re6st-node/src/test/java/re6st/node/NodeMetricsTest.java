package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.codahale.metrics.MetricRegistry;

import re6st.metrics.MetricsServer;

/** The node's metrics as Prometheus scrapes them: over HTTP from the real exporter, in its text format. */
class NodeMetricsTest {
    static String scrape(NodeMetrics m) throws Exception {
        try (MetricsServer s = MetricsServer.start("0", new MetricRegistry(), m)) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            return r.body();
        }
    }

    @Test
    void perTunnelFiguresCarryTheirPeerAndCountersEndInTotal() throws Exception {
        new NodeMetrics(() -> NodeStatusTest.sample(List.of()), () -> null, Map::of, () -> 2L, () -> null, Map::of).collect(); // what a scrape would hide in a 500
        String text = scrape(new NodeMetrics(() -> NodeStatusTest.sample(List.of()), () -> null,
                () -> Map.of("access_denied", 3L, "timeout", 1L), () -> 2L, () -> null,
                () -> Map.of("200", 41L, "421", 1L)));
        String out = "peer=\"0/16\",protocol=\"udp\"";
        assertTrue(text.contains("re6st_network_config_version 7.0"), text);
        assertTrue(text.contains("re6st_node_info{address=\"2001:db8:42:1::1\",network=\"2001:db8:42::/48\",node=\"1/16\"} 1"), text);
        assertTrue(text.matches("(?s).*re6st_tunnel_up\\{direction=\"out\",interface=\"re6st-0\"," + "peer=\"0/16\",protocol=\"udp\"} 1\\.0.*"), text);
        assertTrue(text.matches("(?s).*re6st_tunnel_up\\{direction=\"in\",interface=\"re6st-1\",peer=\"3/16\",protocol=\"tcp\"} 0\\.0.*"), text);
        assertTrue(text.matches("(?s).*re6st_tunnel_rtt_seconds\\{[^}]*" + out + "} 4\\.12E-4.*"), text);
        assertTrue(!text.matches("(?s).*re6st_tunnel_rtt_seconds\\{[^}]*peer=\"3/16\".*"), "no RTT sample: no point, not -1");
        assertTrue(text.matches("(?s).*re6st_tunnel_received_bytes_total\\{[^}]*" + out + "} 1234567\\.0.*"), text);
        assertTrue(text.matches("(?s).*re6st_tunnel_babel_cost\\{[^}]*" + out + "} 96\\.0.*"), text);
        assertTrue(text.matches("(?s).*re6st_tunnel_probes_sent_total\\{[^}]*" + out + "} 400\\.0.*"), text);
        assertTrue(text.matches("(?s).*re6st_tunnel_probes_answered_total\\{[^}]*" + out + "} 396\\.0.*"), text);
        assertTrue(text.matches("(?s).*re6st_tunnel_downs_total\\{[^}]*" + out + "} 1\\.0.*"), text);
        assertTrue(text.contains("re6st_tunnel_handshake_failures_total{reason=\"access_denied\"} 3.0"), text);
        assertTrue(text.contains("re6st_tunnel_path_downs_total 2.0"), text);
        assertTrue(text.contains("re6st_http_responses_total{code=\"200\"} 41.0"), text);
        assertTrue(text.contains("re6st_http_responses_total{code=\"421\"} 1.0"), text);
        assertTrue(text.contains("re6st_routes 2.0"), text);
        assertTrue(text.matches("(?s).*re6st_route_metric\\{interface=\"eth0\",prefix=\"2001:db8:42:2::/64\",via=\"\"} 102\\.0.*"), text);
        assertTrue(text.contains("re6st_certificate_expiry_timestamp_seconds 1.8"), text);
        assertTrue(text.contains("# HELP re6st_tunnel_rtt_seconds "), "every metric says what it is");
    }

    @Test
    void blackholedTunnelsAreCountedAndOnlyWhereTheNodeCanCut() throws Exception {
        String text = scrape(new NodeMetrics(() -> NodeStatusTest.sample(List.of()), () -> null, Map::of, () -> 0L, () -> null, Map::of,
                () -> new TunnelCuts.Figures(1, 3, 1, 1, 250)));
        assertTrue(text.contains("re6st_tunnel_blackholes 1.0"), text);
        assertTrue(text.contains("re6st_tunnel_blackholes_started_total 3.0"), text);
        assertTrue(text.contains("re6st_tunnel_blackholes_restored_total{how=\"bound\"} 1.0"), text);
        assertTrue(text.contains("re6st_tunnel_blackholes_restored_total{how=\"request\"} 1.0"), text);
        assertTrue(text.contains("re6st_tunnel_blackhole_dropped_packets_total 250.0"), text);
        String without = scrape(new NodeMetrics(() -> NodeStatusTest.sample(List.of()), () -> null, Map::of, () -> 0L, () -> null, Map::of));
        assertTrue(!without.contains("blackhole"), without);
    }

    /** docs/grafana-node.json: every series its panels ask for is one the node exports (a renamed metric would leave a panel empty). */
    @Test
    void theGrafanaDashboardAsksOnlyForMetricsTheNodeExports() throws Exception {
        String text = scrape(new NodeMetrics(() -> NodeStatusTest.sample(List.of()), re6st.node.tunnel.TunnelManagerCounters::new,
                () -> Map.of("timeout", 1L), () -> 2L, () -> null, () -> Map.of("200", 1L)));
        java.util.Set<String> exported = new java.util.TreeSet<>();
        java.util.regex.Matcher series = java.util.regex.Pattern.compile("(?m)^(re6st_[a-z_]+)[{ ]").matcher(text);
        while (series.find())
            exported.add(series.group(1));
        com.fasterxml.jackson.databind.JsonNode dashboard = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(java.nio.file.Path.of(System.getProperty("user.dir")).getParent().resolve("docs/grafana-node.json").toFile());
        java.util.Set<String> asked = new java.util.TreeSet<>();
        for (com.fasterxml.jackson.databind.JsonNode expr : dashboard.findValues("expr")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("re6st_[a-z_]+").matcher(expr.asText());
            while (m.find())
                asked.add(m.group());
        }
        asked.add(dashboard.at("/templating/list/0/query/query").asText().replaceAll(".*\\((re6st_[a-z_]+).*", "$1"));
        assertTrue(asked.size() >= 15, () -> "the dashboard's panels: " + asked);
        java.util.Set<String> missing = new java.util.TreeSet<>(asked);
        missing.removeAll(exported);
        assertTrue(missing.isEmpty(), () -> "the dashboard asks for " + missing + ", which the node does not export: " + exported);
    }

    @Test
    void upnpMappingsAndFailuresByReasonAreExportedWhenUpnpRuns() throws Exception {
        re6st.node.upnp.PortForwarder f = new re6st.node.upnp.PortForwarder(List.of(new re6st.node.upnp.PortForwarder.Server("udp", 1194)),
                () -> {
                    throw new re6st.node.upnp.UpnpException(re6st.node.upnp.UpnpException.NO_IGD, "no UPnP IGD answered within 2500 ms");
                }, new java.util.SplittableRandom(1), false);
        f.step(0);
        f.step(re6st.node.upnp.PortForwarder.RETRY_MS);
        String text = scrape(new NodeMetrics(() -> NodeStatusTest.sample(List.of()), () -> null, Map::of, () -> 0L, () -> f, Map::of));
        assertTrue(text.contains("re6st_upnp_mapped 0.0"), text);
        assertTrue(text.contains("re6st_upnp_failures_total{reason=\"no_igd\"} 2.0"), text);
        String without = scrape(new NodeMetrics(() -> NodeStatusTest.sample(List.of()), () -> null, Map::of, () -> 0L, () -> null, Map::of));
        assertTrue(!without.contains("re6st_upnp"), "explicit --ip: no UPnP metric");
    }

    @Test
    void aNodeBetweenTwoRunsServesAnEmptyPageNotAnError() throws Exception {
        String text = scrape(new NodeMetrics(() -> {
            throw new IllegalStateException("restarting");
        }, () -> null, Map::of, () -> 0L, () -> null, Map::of));
        assertTrue(!text.contains("re6st_"), text);
    }

    @Test
    void failureReasonsAreTheAlertsName() {
        assertEquals("access_denied", re6st.node.tunnel.TunnelLinks.failureReason(new java.io.IOException(
                "handshake failed: the peer aborted the handshake with alert access_denied(49): 4 clients already")));
        assertEquals("timeout", re6st.node.tunnel.TunnelLinks.failureReason(new java.net.SocketTimeoutException("no answer")));
        assertEquals("timeout", re6st.node.tunnel.TunnelLinks.failureReason(new java.io.IOException("handshake timed out after 5 s")));
        assertEquals("other", re6st.node.tunnel.TunnelLinks.failureReason(new java.io.IOException((String) null)));
    }
}
