package re6st.node.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import re6st.net.Ipv6Address;

/**
 * {@code re6st node --http [ADDR:]PORT}: the node's status page. {@code /} is a plain HTML page
 * whose script ({@code /status.js}, with {@code /status.css}: resources of this jar, no build
 * chain) polls {@code /status.json} (the {@code re6st status --json} document, made afresh for
 * each request) every second and draws the tables and the mesh map. Read-only: GET and HEAD only.
 *
 * <p>Defences, since the page names the peers and runs in a browser: the script is never inline
 * (Content-Security-Policy {@code script-src 'self'}, everything else {@code 'none'} or
 * {@code 'self'}), types are not sniffed, nothing is cached, no framing; a Host header that is not
 * an IP literal (or {@code localhost}) is refused with 421, so that a page of another site whose
 * name was rebound to this address (DNS rebinding) cannot read the status. Responses are counted by
 * code ({@link #responses}: {@code re6st_http_responses_total}).
 */
public final class StatusPageServer implements AutoCloseable {
    /** A page's static parts: the resource under this package, its content type. */
    private record Asset(String resource, String type) {}

    private static final Map<String, Asset> ASSETS = Map.of(
            "/", new Asset("index.html", "text/html; charset=utf-8"),
            "/status.js", new Asset("status.js", "text/javascript; charset=utf-8"),
            "/status.css", new Asset("status.css", "text/css; charset=utf-8"),
            "/favicon.svg", new Asset("favicon.svg", "image/svg+xml"),
            "/favicon.ico", new Asset("favicon.svg", "image/svg+xml"));
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final HttpServer server;
    private final ExecutorService threads;
    private final Callable<String> status;
    private final Map<String, byte[]> assets = new ConcurrentHashMap<>();
    private final Map<Integer, LongAdder> responses = new ConcurrentHashMap<>();

    private StatusPageServer(HttpServer server, ExecutorService threads, Callable<String> status) {
        this.server = server;
        this.threads = threads;
        this.status = status;
    }

    /**
     * Serves on {@code at} (port 0: any). {@code status} gives the status JSON, or null while the
     * node has none (starting, restarting): 503 then, as when it throws.
     */
    public static StatusPageServer start(InetSocketAddress at, Callable<String> status) throws IOException {
        re6st.metrics.MetricsServer.boundJdkHttpServer(); // slow clients cannot hold the two threads
        HttpServer http = HttpServer.create(at, 16);
        ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "node-http");
            t.setDaemon(true);
            return t;
        });
        StatusPageServer s = new StatusPageServer(http, threads, status);
        for (Asset a : ASSETS.values()) // a resource missing from the jar is a build fault: fail at start, not per request
            s.asset(a.resource());
        http.createContext("/", s::handle);
        http.setExecutor(threads);
        http.start();
        return s;
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Responses sent so far by status code, e.g. {"200": 12, "404": 1}. */
    public Map<String, Long> responses() {
        Map<String, Long> out = new TreeMap<>();
        responses.forEach((code, n) -> out.put(Integer.toString(code), n.sum()));
        return out;
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String method = x.getRequestMethod();
            String path = x.getRequestURI().getRawPath();
            if (!hostAllowed(x.getRequestHeaders().getFirst("Host"))) {
                send(x, 421, "text/plain; charset=utf-8", text("421 misdirected request: address this node by its IP address\n"));
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                x.getResponseHeaders().set("Allow", "GET, HEAD");
                send(x, 405, "text/plain; charset=utf-8", text("405 method not allowed: this page is read-only\n"));
                return;
            }
            Asset a = ASSETS.get(path);
            if (a != null) {
                send(x, 200, a.type(), asset(a.resource()));
                return;
            }
            if (!path.equals("/status.json")) {
                send(x, 404, "text/plain; charset=utf-8", text("404 not found\n"));
                return;
            }
            String json;
            try {
                json = status.call();
            } catch (Exception e) {
                json = null; // the run is stopping or restarting: the next poll sees the new one
            }
            if (json == null) {
                x.getResponseHeaders().set("Retry-After", "1");
                send(x, 503, "text/plain; charset=utf-8", text("503 the node has no status yet (starting or restarting)\n"));
                return;
            }
            send(x, 200, "application/json", text(json));
        }
    }

    private void send(HttpExchange x, int code, String type, byte[] body) throws IOException {
        var h = x.getResponseHeaders();
        h.set("Content-Type", type);
        h.set("Content-Security-Policy", CSP);
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Cache-Control", "no-store");
        h.set("X-Frame-Options", "DENY");
        h.set("Referrer-Policy", "no-referrer");
        responses.computeIfAbsent(code, c -> new LongAdder()).increment();
        if (x.getRequestMethod().equals("HEAD")) {
            h.set("Content-Length", Integer.toString(body.length));
            x.sendResponseHeaders(code, -1);
            return;
        }
        x.sendResponseHeaders(code, body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    /**
     * Whether a request's Host names this node by address: an IPv4 literal, a bracketed IPv6 literal
     * or localhost, with or without a port. No Host (HTTP/1.0) is allowed: a browser always sends one.
     */
    static boolean hostAllowed(String host) {
        if (host == null)
            return true;
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            if (end < 0 || !port(h.substring(end + 1)))
                return false;
            String literal = h.substring(1, end);
            if (!literal.matches("[0-9a-f:.]+"))
                return false;
            try {
                Ipv6Address.parse(literal);
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        int colon = h.indexOf(':');
        if (colon >= 0 && !port(h.substring(colon)))
            return false;
        String name = colon < 0 ? h : h.substring(0, colon);
        return name.equals("localhost") || ipv4(name);
    }

    private static boolean port(String s) {
        return s.isEmpty() || s.matches(":[0-9]{1,5}");
    }

    private static boolean ipv4(String s) {
        if (!s.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}"))
            return false;
        for (String part : s.split("\\."))
            if (Integer.parseInt(part) > 255)
                return false;
        return true;
    }

    private byte[] asset(String resource) {
        return assets.computeIfAbsent(resource, r -> {
            try (InputStream in = StatusPageServer.class.getResourceAsStream(r)) {
                if (in == null)
                    throw new IllegalStateException("resource " + r + " missing from the jar (re6st/node/web/)");
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
