package re6st.babel.daemon;

import java.util.List;
import java.util.Locale;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;

import re6st.babel.message.Message;

/** The daemon's Dropwizard counters; {@link #registry()} is what a Prometheus exporter reads. */
public final class DaemonStats {
    private final MetricRegistry registry = new MetricRegistry();
    final Counter received = registry.counter("babel.packets.received");
    final Counter sent = registry.counter("babel.packets.sent");
    final Counter malformedPackets = registry.counter("babel.packets.malformed");
    final Counter malformedTlvs = registry.counter("babel.tlvs.malformed");
    final Counter ignoredTlvs = registry.counter("babel.tlvs.ignored");
    final Counter sendErrors = registry.counter("babel.send.errors");
    final Counter encodeErrors = registry.counter("babel.encode.errors");
    final Counter notLinkLocal = registry.counter("babel.packets.not_link_local");
    /** Control-socket clients turned away: {@link ControlServer#MAX_CLIENTS} were connected. */
    final Counter controlRefused = registry.counter("babel.control.connections_refused");
    final Counter macDropped = registry.counter("babel.mac.dropped");
    /** Exceptions a loop survived while handling one packet, task or step (bugs: each cause is logged once). */
    final Counter loopFailures = registry.counter("babel.loop.failures");

    // Core state, copied by the core thread after each step, read by the gauges from any thread.
    volatile int neighbours, routes, kernelRoutes, xroutes;
    volatile long routeChanges;

    DaemonStats() {
        registry.gauge("babel.neighbours", () -> () -> neighbours);
        registry.gauge("babel.routes", () -> () -> routes);
        registry.gauge("babel.routes.installed", () -> () -> kernelRoutes);
        registry.gauge("babel.xroutes", () -> () -> xroutes);
        registry.gauge("babel.route_changes", () -> () -> routeChanges);
    }

    public MetricRegistry registry() {
        return registry;
    }

    void countTlvs(List<Message> body) {
        for (Message m : body)
            registry.counter("babel.tlv." + m.getClass().getSimpleName().toLowerCase(Locale.ROOT)).inc();
    }

    /**
     * The metrics in Prometheus' text exposition format ({@code babel_packets_received 42}), for
     * a scraper or a human: counters and gauges, names with '_' for '.'.
     */
    public String prometheus() {
        StringBuilder b = new StringBuilder();
        registry.getCounters().forEach((name, c) -> {
            String n = name.replace('.', '_');
            b.append("# TYPE ").append(n).append(" counter\n").append(n).append(' ').append(c.getCount()).append('\n');
        });
        registry.getGauges().forEach((name, g) -> {
            String n = name.replace('.', '_');
            b.append("# TYPE ").append(n).append(" gauge\n").append(n).append(' ').append(g.getValue()).append('\n');
        });
        return b.toString();
    }

    public long count(String name) {
        return registry.counter(name).getCount();
    }
}
