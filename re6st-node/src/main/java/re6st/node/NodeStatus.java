package re6st.node;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import re6st.tunnel.TunnelInfo;
import re6st.tunnel.TunnelStats;

/**
 * What {@code re6st status} shows of a running node (as {@code wg show} does for WireGuard): the
 * node, its network config, its certificate, each tunnel (peer, underlay address, protocol, up
 * since, RTT, bytes each way, Babel cost), the routes to other nodes and what looks wrong. The
 * node answers the control socket's {@code status} with {@link #json}; the command prints it as
 * is ({@code --json}, for scripts) or as {@link #text}. The JSON's names are its interface: add,
 * never rename.
 */
public record NodeStatus(String node, String address, String network, long configVersion, String certificateExpires,
        String registry, boolean registryNode, boolean registryRouted, long startedMillis, long nowMillis, Tunnels limits,
        Overlay.Status overlay, List<String> warnings, List<String> advertised, RegistryTopology.Snapshot topology) {

    /** Without the network's topology (any node but the registry's, or not fetched yet). */
    public NodeStatus(String node, String address, String network, long configVersion, String certificateExpires, String registry,
            boolean registryNode, boolean registryRouted, long startedMillis, long nowMillis, Tunnels limits, Overlay.Status overlay,
            List<String> warnings, List<String> advertised) {
        this(node, address, network, configVersion, certificateExpires, registry, registryNode, registryRouted, startedMillis, nowMillis,
                limits, overlay, warnings, advertised, null);
    }

    /** Without advertised addresses (a node that takes no tunnels, or not known yet). */
    public NodeStatus(String node, String address, String network, long configVersion, String certificateExpires, String registry,
            boolean registryNode, boolean registryRouted, long startedMillis, long nowMillis, Tunnels limits, Overlay.Status overlay,
            List<String> warnings) {
        this(node, address, network, configVersion, certificateExpires, registry, registryNode, registryRouted, startedMillis, nowMillis,
                limits, overlay, warnings, List.of());
    }

    /** Outgoing tunnels the manager keeps (client_count), incoming ones each server takes (max_clients). */
    public record Tunnels(int clientCount, int maxClients) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One line of JSON. */
    public static String json(NodeStatus s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("node", s.node).put("address", s.address).put("network", s.network).put("config_version", s.configVersion)
                .put("certificate_expires", s.certificateExpires).put("registry", s.registry).put("registry_node", s.registryNode)
                .put("registry_routed", s.registryRouted).put("started", Instant.ofEpochMilli(s.startedMillis).toString())
                .put("now", Instant.ofEpochMilli(s.nowMillis).toString()).put("client_count", s.limits.clientCount())
                .put("max_clients", s.limits.maxClients());
        ArrayNode tunnels = o.putArray("tunnels");
        for (Overlay.TunnelStatus t : s.overlay.tunnels()) {
            TunnelStats st = t.stats();
            TunnelInfo i = st.info();
            ObjectNode j = tunnels.addObject();
            j.put("peer", i.peerCn()).put("interface", i.ifname()).put("protocol", i.protocol())
                    .put("direction", i.outgoing() ? "out" : "in")
                    .put("remote", i.remote() == null ? null : i.remote().getAddress().getHostAddress() + ":" + i.remote().getPort())
                    .put("up", i.up()).put("since", Instant.ofEpochMilli(st.establishedMillis()).toString())
                    .put("rtt_ms", st.srttNanos() < 0 ? null : st.srttNanos() / 1e6).put("bytes_in", st.bytesIn()).put("bytes_out", st.bytesOut())
                    .put("packets_in", st.packetsIn()).put("packets_out", st.packetsOut());
            if (t.babelCost() >= 0)
                j.put("babel_cost", t.babelCost());
            if (t.babelRttMicros() >= 0)
                j.put("babel_rtt_ms", t.babelRttMicros() / 1e3);
        }
        ArrayNode routes = o.putArray("routes");
        re6st.net.Ipv6Prefix network = re6st.net.Ipv6Prefix.parse(s.network);
        for (Overlay.RouteStatus r : s.overlay.routes())
            routes.addObject().put("prefix", r.prefix().toString()).put("node", nodeOf(r.prefix(), network)).put("via", r.viaPeer())
                    .put("interface", r.ifname()).put("metric", r.metric());
        ArrayNode w = o.putArray("warnings");
        s.warnings.forEach(w::add);
        ArrayNode adv = o.putArray("advertised"); // our code-1 answer: ip,port,proto[,country]
        s.advertised.forEach(adv::add);
        if (s.topology != null) { // the registry node only: every node's tunnels, as the registry last told them
            ObjectNode topo = o.putObject("topology").put("fetched", Instant.ofEpochMilli(s.topology.fetchedMillis()).toString());
            ArrayNode nodes = topo.putArray("nodes");
            for (RegistryTopology.Node n : s.topology.nodes()) {
                ObjectNode j = nodes.addObject().put("node", n.cn());
                n.out().forEach(j.putArray("out")::add);
                n.in().forEach(j.putArray("in")::add);
                j.put("answered", n.answered());
            }
        }
        return o.toString();
    }

    /** The CN of the node whose subnet {@code subnet} is (the bits after the network's), null if it is none. */
    static String nodeOf(re6st.net.Ipv6Prefix subnet, re6st.net.Ipv6Prefix network) {
        if (subnet.length() <= network.length() || !network.contains(subnet.address()))
            return null;
        return new re6st.net.NodePrefix(subnet.bits().substring(network.length())).cn();
    }

    /** Parses the node's answer; IllegalArgumentException when it is no status. */
    public static JsonNode parse(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            if (n == null || !n.isObject() || !n.hasNonNull("node") || !n.path("tunnels").isArray())
                throw new IllegalArgumentException("not a node status: " + abbreviate(json));
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not a node status (" + e.getOriginalMessage() + "): " + abbreviate(json));
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 120) + "...";
    }

    /** For a person: the node, its tunnels as a table, its routes, its warnings. */
    public static String text(JsonNode s) {
        StringBuilder b = new StringBuilder();
        Instant now = Instant.parse(s.path("now").asText(Instant.now().toString()));
        b.append(String.format(Locale.ROOT, "node %s  %s  in %s%s%n", s.path("node").asText(), s.path("address").asText(),
                s.path("network").asText(), s.path("registry_node").asBoolean() ? "  (the registry's node)" : ""));
        b.append(String.format(Locale.ROOT, "  up %s, network config version %d, certificate expires %s (%s)%n",
                age(Instant.parse(s.path("started").asText()), now), s.path("config_version").asLong(), s.path("certificate_expires").asText(),
                left(Instant.parse(s.path("certificate_expires").asText()), now)));
        b.append(String.format(Locale.ROOT, "  registry %s, %s%n", s.path("registry").asText(),
                s.path("registry_node").asBoolean() ? "on this host" : s.path("registry_routed").asBoolean() ? "its node routed through the mesh"
                        : "its node NOT routed through the mesh"));
        if (s.path("advertised").size() > 0) {
            List<String> adv = new java.util.ArrayList<>();
            s.path("advertised").forEach(a -> adv.add(a.asText()));
            b.append(String.format(Locale.ROOT, "  advertised to peers: %s%n", String.join("; ", adv)));
        }
        JsonNode tunnels = s.path("tunnels");
        int out = 0;
        for (JsonNode t : tunnels)
            if (t.path("direction").asText().equals("out"))
                out++;
        b.append(String.format(Locale.ROOT, "%ntunnels: %d out (keeps %d), %d in (takes %d per server)%n", out, s.path("client_count").asInt(),
                tunnels.size() - out, s.path("max_clients").asInt()));
        if (tunnels.size() > 0) {
            String f = "  %-10s %-9s %-5s %-4s %-28s %-5s %-9s %9s %10s %10s %6s%n";
            b.append(String.format(Locale.ROOT, f, "PEER", "INTERFACE", "PROTO", "DIR", "REMOTE", "PATH", "SINCE", "RTT", "RECEIVED", "SENT", "COST"));
            for (JsonNode t : tunnels)
                b.append(String.format(Locale.ROOT, f, t.path("peer").asText(), t.path("interface").asText(), t.path("protocol").asText(),
                        t.path("direction").asText(), t.path("remote").asText("-"), t.path("up").asBoolean() ? "up" : "DOWN",
                        age(Instant.parse(t.path("since").asText()), now),
                        t.hasNonNull("rtt_ms") ? String.format(Locale.ROOT, "%.1f ms", t.path("rtt_ms").asDouble()) : "-",
                        bytes(t.path("bytes_in").asLong()), bytes(t.path("bytes_out").asLong()),
                        t.has("babel_cost") ? Integer.toString(t.path("babel_cost").asInt()) : "-"));
        }
        JsonNode routes = s.path("routes");
        b.append(String.format(Locale.ROOT, "%nroutes to %d node subnet(s)%n", routes.size()));
        for (JsonNode r : routes)
            b.append(String.format(Locale.ROOT, "  %-28s via %-10s %-10s metric %d%n", r.path("prefix").asText(),
                    r.hasNonNull("via") ? r.path("via").asText() : "(LAN)", r.path("interface").asText(), r.path("metric").asInt()));
        JsonNode warnings = s.path("warnings");
        if (warnings.size() > 0) {
            b.append(String.format(Locale.ROOT, "%nwarnings%n"));
            for (JsonNode w : warnings)
                b.append("  ! ").append(w.asText()).append('\n');
        }
        return b.toString();
    }

    /** 3d 4h, 2h 5m, 4m 10s, 12s. */
    static String age(Instant since, Instant now) {
        long s = Math.max(0, Duration.between(since, now).getSeconds());
        if (s >= 86_400)
            return s / 86_400 + "d " + s % 86_400 / 3600 + "h";
        if (s >= 3600)
            return s / 3600 + "h " + s % 3600 / 60 + "m";
        if (s >= 60)
            return s / 60 + "m " + s % 60 + "s";
        return s + "s";
    }

    private static String left(Instant expires, Instant now) {
        long days = Duration.between(now, expires).toDays();
        return expires.isBefore(now) ? "EXPIRED" : days + " days left";
    }

    /** 512 B, 1.5 KB, 3.2 MB, 7.0 GB (powers of 1000, as ip -h and wg show). */
    static String bytes(long n) {
        if (n < 1000)
            return n + " B";
        String[] units = {"KB", "MB", "GB", "TB", "PB"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
