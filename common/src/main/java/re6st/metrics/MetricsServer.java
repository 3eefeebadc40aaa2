package re6st.metrics;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import com.codahale.metrics.MetricRegistry;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Serves a Dropwizard registry to Prometheus ({@code GET /metrics}, text exposition format),
 * with Prometheus' own exporter. Binds to loopback unless an address is given: metrics tell
 * who the peers are, so they are not published to the network by default.
 */
public final class MetricsServer implements AutoCloseable {
    private final HTTPServer server;

    private MetricsServer(HTTPServer server) {
        this.server = server;
    }

    /** Seconds a request may take to arrive, and a response to go, on the JDK's HTTP server (unless set already). */
    public static final String REQUEST_SECONDS = "5", RESPONSE_SECONDS = "10";

    /**
     * Bounds the JDK's HTTP server (com.sun.net.httpserver: our metrics and the node's status page) before
     * its first use: by default it waits forever for a request's headers, so a few clients that send one
     * byte take every worker thread. The settings are the JVM's (read once, at the first server).
     */
    public static void boundJdkHttpServer() {
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null)
            System.setProperty("sun.net.httpserver.maxReqTime", REQUEST_SECONDS);
        if (System.getProperty("sun.net.httpserver.maxRspTime") == null)
            System.setProperty("sun.net.httpserver.maxRspTime", RESPONSE_SECONDS);
    }

    /** {@code spec}: PORT (loopback) or ADDR:PORT / [ADDR]:PORT. */
    public static MetricsServer start(String spec, MetricRegistry metrics) throws IOException {
        return start(spec, metrics, new io.prometheus.metrics.model.registry.MultiCollector[0]);
    }

    /** As above, plus collectors read at each scrape (the node's per-tunnel metrics, with labels). */
    public static MetricsServer start(String spec, MetricRegistry metrics, io.prometheus.metrics.model.registry.MultiCollector... more)
            throws IOException {
        InetSocketAddress at = address(spec, "the metrics address");
        boundJdkHttpServer();
        PrometheusRegistry registry = new PrometheusRegistry();
        DropwizardExports.builder().dropwizardRegistry(metrics).register(registry);
        for (io.prometheus.metrics.model.registry.MultiCollector c : more)
            registry.register(c);
        return new MetricsServer(HTTPServer.builder().inetAddress(at.getAddress()).port(at.getPort()).registry(registry).buildAndStart());
    }

    /**
     * {@code spec} (PORT, ADDR:PORT or [ADDR]:PORT) as a socket address: loopback for a bare port; an
     * address must be a literal (no DNS). IllegalArgumentException naming {@code what} otherwise.
     */
    public static InetSocketAddress address(String spec, String what) {
        int i = spec.lastIndexOf(':');
        try {
            if (i < 0)
                return new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(spec));
            String host = spec.substring(0, i).replace("[", "").replace("]", "");
            return new InetSocketAddress(re6st.net.IpPrefix.literal(host), Integer.parseInt(spec.substring(i + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected PORT or ADDR:PORT for " + what + ", got '" + spec + "'");
        }
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.close();
    }
}
