package re6st.node;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import re6st.node.tunnel.TunnelManagerCounters;
import re6st.node.upnp.PortForwarder;
import re6st.tunnel.TunnelInfo;
import re6st.tunnel.TunnelStats;

/**
 * The node's Prometheus metrics ({@code re6st node --metrics [ADDR:]PORT}), read at each scrape
 * from the same snapshot as {@code re6st status}: per tunnel (labels peer, interface, protocol,
 * direction) its liveness, RTT, Babel cost, bytes and packets each way; the routes; the network
 * config version and certificate expiry; the tunnel manager's decisions; handshake failures by
 * reason. Names follow Prometheus' conventions: {@code re6st_} prefix, base units in the name,
 * counters exported with {@code _total}.
 */
final class NodeMetrics implements MultiCollector {
    private final Callable<NodeStatus> status;
    private final Supplier<TunnelManagerCounters> manager;
    private final Supplier<Map<String, Long>> failures;
    private final Supplier<Long> downs;
    private final Supplier<PortForwarder> upnp;
    private final Supplier<Map<String, Long>> httpResponses;
    private final Supplier<TunnelCuts.Figures> cuts;

    /**
     * @param status   the node's snapshot (as {@code re6st status})
     * @param manager  the tunnel manager's counters (null before it runs)
     * @param failures handshake failures by reason
     * @param downs    tunnel paths declared dead
     * @param upnp     the UPnP port forwarder (null: not used, no metric)
     * @param httpResponses the status page's responses by code (empty without --http)
     */
    NodeMetrics(Callable<NodeStatus> status, Supplier<TunnelManagerCounters> manager, Supplier<Map<String, Long>> failures,
            Supplier<Long> downs, Supplier<PortForwarder> upnp, Supplier<Map<String, Long>> httpResponses) {
        this(status, manager, failures, downs, upnp, httpResponses, () -> null);
    }

    /** ... and {@code cuts}, the tunnels blackholed on purpose ({@link TunnelCuts}; null: no metric). */
    NodeMetrics(Callable<NodeStatus> status, Supplier<TunnelManagerCounters> manager, Supplier<Map<String, Long>> failures,
            Supplier<Long> downs, Supplier<PortForwarder> upnp, Supplier<Map<String, Long>> httpResponses, Supplier<TunnelCuts.Figures> cuts) {
        this.cuts = cuts;
        this.httpResponses = httpResponses;
        this.status = status;
        this.manager = manager;
        this.failures = failures;
        this.downs = downs;
        this.upnp = upnp;
    }

    @Override
    public MetricSnapshots collect() {
        NodeStatus s;
        try {
            s = status.call();
        } catch (Exception e) {
            return MetricSnapshots.of(); // the node is stopping or restarting: nothing rather than a failed scrape
        }
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        out.metricSnapshot(io.prometheus.metrics.model.snapshots.InfoSnapshot.builder().name("re6st_node")
                .help("This node: its CN, overlay address and network.").dataPoint(io.prometheus.metrics.model.snapshots.InfoSnapshot
                        .InfoDataPointSnapshot.builder().labels(Labels.of("node", s.node(), "address", s.address(), "network", s.network()))
                        .build()).build());
        out.metricSnapshot(gauge("re6st_network_config_version", "Version of the signed network config in use.", s.configVersion(), Labels.EMPTY));
        out.metricSnapshot(gauge("re6st_certificate_expiry_timestamp_seconds", "When this node's certificate expires (Unix time).",
                java.time.Instant.parse(s.certificateExpires()).getEpochSecond(), Labels.EMPTY));
        out.metricSnapshot(gauge("re6st_registry_routed", "1 when Babel routes the registry's node (config news flood through the mesh).",
                s.registryNode() || s.registryRouted() ? 1 : 0, Labels.EMPTY));
        out.metricSnapshot(gauge("re6st_start_timestamp_seconds", "When this run of the node started (Unix time).", s.startedMillis() / 1e3,
                Labels.EMPTY));

        GaugeSnapshot.Builder up = GaugeSnapshot.builder().name("re6st_tunnel_up").help("1 while the tunnel's liveness probes are answered.");
        GaugeSnapshot.Builder rtt = GaugeSnapshot.builder().name("re6st_tunnel_rtt_seconds").help("Smoothed RTT of the tunnel's liveness probes.");
        GaugeSnapshot.Builder cost = GaugeSnapshot.builder().name("re6st_tunnel_babel_cost").help("Babel's cost of the neighbour on the tunnel.");
        GaugeSnapshot.Builder since = GaugeSnapshot.builder().name("re6st_tunnel_established_timestamp_seconds")
                .help("When the tunnel's current session was established (Unix time).");
        CounterSnapshot.Builder bytesIn = CounterSnapshot.builder().name("re6st_tunnel_received_bytes").help("Encrypted bytes received on the tunnel.");
        CounterSnapshot.Builder bytesOut = CounterSnapshot.builder().name("re6st_tunnel_sent_bytes").help("Encrypted bytes sent on the tunnel.");
        CounterSnapshot.Builder packetsIn = CounterSnapshot.builder().name("re6st_tunnel_received_packets").help("Datagrams received and opened.");
        CounterSnapshot.Builder packetsOut = CounterSnapshot.builder().name("re6st_tunnel_sent_packets").help("Datagrams sent.");
        CounterSnapshot.Builder probes = CounterSnapshot.builder().name("re6st_tunnel_probes_sent")
                .help("Liveness probes sent in the tunnel's session (loss: 1 - rate(answered) / rate(sent)).");
        CounterSnapshot.Builder answered = CounterSnapshot.builder().name("re6st_tunnel_probes_answered").help("Echoes of the liveness probes received.");
        CounterSnapshot.Builder tunnelDowns = CounterSnapshot.builder().name("re6st_tunnel_downs")
                .help("Times the tunnel's path was declared dead in its session (up/down transitions: each down is followed by an up or the tunnel's end).");
        for (Overlay.TunnelStatus t : s.overlay().tunnels()) {
            TunnelStats st = t.stats();
            TunnelInfo i = st.info();
            Labels l = Labels.of("peer", i.peerCn(), "interface", String.valueOf(i.ifname()), "protocol", i.protocol(), "direction",
                    i.outgoing() ? "out" : "in");
            up.dataPoint(point(i.up() ? 1 : 0, l));
            if (st.srttNanos() >= 0)
                rtt.dataPoint(point(st.srttNanos() / 1e9, l));
            if (t.babelCost() >= 0)
                cost.dataPoint(point(t.babelCost(), l));
            since.dataPoint(point(st.establishedMillis() / 1e3, l));
            bytesIn.dataPoint(count(st.bytesIn(), l));
            bytesOut.dataPoint(count(st.bytesOut(), l));
            packetsIn.dataPoint(count(st.packetsIn(), l));
            packetsOut.dataPoint(count(st.packetsOut(), l));
            probes.dataPoint(count(st.probesSent(), l));
            answered.dataPoint(count(st.probesAnswered(), l));
            tunnelDowns.dataPoint(count(st.downs(), l));
        }
        out.metricSnapshot(up.build()).metricSnapshot(rtt.build()).metricSnapshot(cost.build()).metricSnapshot(since.build())
                .metricSnapshot(bytesIn.build()).metricSnapshot(bytesOut.build()).metricSnapshot(packetsIn.build())
                .metricSnapshot(packetsOut.build()).metricSnapshot(probes.build()).metricSnapshot(answered.build()).metricSnapshot(tunnelDowns.build());
        out.metricSnapshot(gauge("re6st_tunnels", "Established tunnels.", s.overlay().tunnels().size(), Labels.EMPTY));

        GaugeSnapshot.Builder metric = GaugeSnapshot.builder().name("re6st_route_metric").help("Babel metric of the installed route to a node subnet.");
        for (Overlay.RouteStatus r : s.overlay().routes())
            metric.dataPoint(point(r.metric(), Labels.of("prefix", r.prefix().toString(), "via", r.viaPeer() == null ? "" : r.viaPeer(),
                    "interface", r.ifname())));
        out.metricSnapshot(metric.build());
        out.metricSnapshot(gauge("re6st_routes", "Installed routes to other nodes' subnets.", s.overlay().routes().size(), Labels.EMPTY));

        TunnelManagerCounters m = manager.get();
        if (m != null) {
            out.metricSnapshot(counter("re6st_tunnel_manager_refreshes", "Times the tunnel_refresh timer fired.", m.refreshes()));
            out.metricSnapshot(counter("re6st_tunnel_manager_drains_started", "Drains started (a refresh of ours or a peer's).", m.drainsStarted()));
            out.metricSnapshot(counter("re6st_tunnel_manager_drains_completed", "Drains that ended with the tunnel closed.", m.drainsCompleted()));
            out.metricSnapshot(counter("re6st_tunnel_manager_drains_aborted", "Drains undone.", m.drainsAborted()));
            out.metricSnapshot(counter("re6st_tunnel_manager_bootstraps", "getBootstrapPeer questions asked.", m.bootstraps()));
            out.metricSnapshot(counter("re6st_tunnel_manager_dials", "Tunnels dialled.", m.dials()));
            out.metricSnapshot(counter("re6st_tunnel_manager_tunnels_lost", "Outgoing tunnels gone without our asking.", m.tunnelsLost()));
        }
        out.metricSnapshot(counter("re6st_tunnel_path_downs", "Tunnel paths declared dead (probes unanswered).", downs.get()));
        CounterSnapshot.Builder failed = CounterSnapshot.builder().name("re6st_tunnel_handshake_failures")
                .help("Tunnel handshakes that failed, by reason (a TLS alert's name, timeout, other).");
        failures.get().forEach((reason, n) -> failed.dataPoint(count(n, Labels.of("reason", reason))));
        out.metricSnapshot(failed.build());
        PortForwarder f = upnp.get();
        if (f != null) {
            out.metricSnapshot(gauge("re6st_upnp_mapped", "Port mappings this node holds on the UPnP IGD (one per IPv4 tunnel server).",
                    f.mapped(NodeDaemon.monotonicMs()), Labels.EMPTY));
            CounterSnapshot.Builder upnpFailed = CounterSnapshot.builder().name("re6st_upnp_failures")
                    .help("UPnP steps that failed, by reason (no_igd, bad_answer, http, fault, timeout, io, conflict).");
            f.failures().forEach((reason, n) -> upnpFailed.dataPoint(count(n, Labels.of("reason", reason))));
            out.metricSnapshot(upnpFailed.build());
        }
        CounterSnapshot.Builder http = CounterSnapshot.builder().name("re6st_http_responses")
                .help("Responses of the status page (--http), by HTTP status code.");
        httpResponses.get().forEach((code, n) -> http.dataPoint(count(n, Labels.of("code", code))));
        out.metricSnapshot(http.build());
        TunnelCuts.Figures c = cuts.get();
        if (c != null) {
            out.metricSnapshot(gauge("re6st_tunnel_blackholes", "Tunnels blackholed on purpose now (control socket 'blackhole': re6st bench failover).",
                    c.active(), Labels.EMPTY));
            out.metricSnapshot(counter("re6st_tunnel_blackholes_started", "Blackholes set (or renewed) through the control socket.", c.started()));
            CounterSnapshot.Builder ended = CounterSnapshot.builder().name("re6st_tunnel_blackholes_restored")
                    .help("Blackholes lifted, by how: at their bound (by the node itself) or on request ('unblackhole').");
            ended.dataPoint(count(c.restoredAtBound(), Labels.of("how", "bound")));
            ended.dataPoint(count(c.restoredOnRequest(), Labels.of("how", "request")));
            out.metricSnapshot(ended.build());
            out.metricSnapshot(counter("re6st_tunnel_blackhole_dropped_packets", "Packets dropped by blackholes, both ways.", c.droppedPackets()));
        }
        return out.build();
    }

    private static GaugeSnapshot gauge(String name, String help, double value, Labels labels) {
        return GaugeSnapshot.builder().name(name).help(help).dataPoint(point(value, labels)).build();
    }

    private static CounterSnapshot counter(String name, String help, long value) {
        return CounterSnapshot.builder().name(name).help(help).dataPoint(count(value, Labels.EMPTY)).build();
    }

    private static GaugeDataPointSnapshot point(double value, Labels labels) {
        return GaugeDataPointSnapshot.builder().value(value).labels(labels).build();
    }

    private static CounterDataPointSnapshot count(double value, Labels labels) {
        return CounterDataPointSnapshot.builder().value(value).labels(labels).build();
    }
}
