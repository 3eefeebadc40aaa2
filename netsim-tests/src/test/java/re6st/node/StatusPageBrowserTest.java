package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import re6st.netsim.Mesh;
import re6st.netsim.Namespace;
import re6st.netsim.NsProcess;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;

/**
 * {@code re6st node --http} in a real browser (Debian's chromium, headless, driven through
 * chromedriver): on a 3-node mesh, the page of one node loads without a console error, its map
 * shows the node's live tunnels, a click on a node shows the path a packet to it takes (n1 keeps one
 * tunnel and takes none, so that one node is two hops away: its path is the tunnel, then the peer's route), and when a
 * peer's link is cut the tunnel leaves the map (or is drawn down). The browser runs in the root
 * namespace and reaches the node's loopback-only page through a TCP relay of this JVM whose
 * connections are made inside the node's namespace (nothing to attach, nothing to clean up but
 * sockets). Prints the page load time and the time from the cut to the map.
 */
@RequiresRoot
class StatusPageBrowserTest {
    static final String CHROMIUM = "/usr/bin/chromium", CHROMEDRIVER = "/usr/bin/chromedriver";
    static final int HTTP_PORT = 8080;

    @Test
    void thePageShowsTheLiveTunnelsAndACutTunnelLeavesTheMap() throws Exception {
        for (String[] needed : new String[][] {{CHROMIUM, "chromium"}, {CHROMEDRIVER, "chromium-driver"}}) {
            boolean have = Files.isExecutable(Path.of(needed[0]));
            if (!have)
                System.err.println("SKIPPED StatusPageBrowserTest: needs " + needed[0] + " (apt-get install " + needed[1] + ")");
            Assumptions.assumeTrue(have, "needs " + needed[0] + " (apt-get install " + needed[1] + ")");
        }
        // no tunnel refresh during the test (the default 300 s is reachable on a loaded machine): the cut tunnel is the one chosen
        // 4 nodes: n2 and n3 both dial two of n0, n2, n3 (n1 takes none), so a tunnel between two nodes other than the registry's
        try (TestNet net = TestNet.create("web"); Mesh mesh = new Mesh(net, 4, "--tunnel-refresh", "3600")) {
            mesh.enrol();
            Mesh.Host n1 = mesh.hosts.get(1);
            // n1 keeps one tunnel and takes none: one other node is always reached through its peer (a path of two hops)
            Mesh.Host n0 = mesh.hosts.get(0); // the registry node: its page draws the registry's topology
            for (Mesh.Host h : mesh.hosts)
                mesh.startNode(h, h == n1 ? new String[] {"--http", Integer.toString(HTTP_PORT), "--client-count", "1", "--max-clients", "0"}
                        : h == n0 ? new String[] {"--http", Integer.toString(HTTP_PORT)} : new String[0]);
            mesh.pingAll(Duration.ofSeconds(120), mesh.awaitRunning(Duration.ofSeconds(120)));
            Wait.until("n1 serves its status page", Duration.ofSeconds(30),
                    () -> n1.node.log().contains("status page on http://127.0.0.1:" + HTTP_PORT + "/"));
            Wait.until("n0 serves its status page", Duration.ofSeconds(30),
                    () -> n0.node.log().contains("status page on http://127.0.0.1:" + HTTP_PORT + "/"));
            Path profile = Files.createTempDirectory("r6chromium");
            try (Relay relay = Relay.to(n1.ns, HTTP_PORT); Relay registryRelay = Relay.to(n0.ns, HTTP_PORT)) {
                String page = "http://127.0.0.1:" + relay.port() + "/";
                ChromeDriver driver = browser(profile);
                driver.manage().window().setSize(new org.openqa.selenium.Dimension(1200, 1400));
                try {
                    checkTopology(driver, "http://127.0.0.1:" + registryRelay.port() + "/", mesh, n0); // before n1's check cuts a link
                    check(driver, page, mesh, n1);
                } finally {
                    driver.quit();
                }
                assertTrue(relay.failures.isEmpty(), () -> "the relay failed: " + relay.failures);
                assertTrue(registryRelay.failures.isEmpty(), () -> "the registry node's relay failed: " + registryRelay.failures);
            } finally {
                try (var s = Files.walk(profile)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    /**
     * The registry node's page: its JSON carries the registry's topology (a tunnel between two other nodes, which the
     * registry's own {@code topology} answer has too), and its map draws that tunnel as a topology edge.
     */
    private static void checkTopology(ChromeDriver driver, String page, Mesh mesh, Mesh.Host n0) {
        long start = System.nanoTime();
        driver.get(page);
        Wait.until("the page shows n0's status", Duration.ofSeconds(30), () -> n0.cn.equals(text(driver, "node")));
        java.util.concurrent.atomic.AtomicReference<List<String>> edge = new java.util.concurrent.atomic.AtomicReference<>();
        Wait.until("n0's status carries a tunnel between two other nodes from the registry's topology", Duration.ofSeconds(120), () -> {
            for (JsonNode n : status(page).path("topology").path("nodes"))
                for (JsonNode to : n.path("out"))
                    if (!n.path("node").asText().equals(n0.cn) && !to.asText().equals(n0.cn)) {
                        edge.set(List.of(n.path("node").asText(), to.asText()));
                        return true;
                    }
            return false;
        });
        long inJson = System.nanoTime();
        JsonNode registry;
        try {
            registry = new ObjectMapper().readTree(mesh.admin("topology"));
        } catch (IOException e) {
            throw new AssertionError("the registry's topology answer", e);
        }
        boolean known = false;
        for (JsonNode c : registry.path(edge.get().get(0)))
            known |= c.asText().equals(edge.get().get(1));
        assertTrue(known, "the registry tells " + edge.get() + " too: " + registry);
        Wait.until("n0's map draws the tunnel " + edge.get(), Duration.ofSeconds(10), () -> Boolean.TRUE.equals(driver.executeScript(
                "return Array.from(document.querySelectorAll('#map path.topology')).some(e => e.getAttribute('data-from') === arguments[0]"
                        + " && e.getAttribute('data-to') === arguments[1]);", edge.get().get(0), edge.get().get(1))));
        Set<String> everyNode = new TreeSet<>();
        mesh.hosts.forEach(h -> everyNode.add(h.cn));
        assertEquals(everyNode, mapNodes(driver), "n0's map shows every node");
        System.out.printf("registry node's page: the tunnel %s between two other nodes in its JSON %.0f ms after the page was asked for "
                + "(the registry walks the network, then at most every 30 s); registry's topology: %s%n", edge.get(), (inJson - start) / 1e6,
                registry);
        try {
            Files.write(mesh.net.logDir().resolve("status-page-registry.png"), driver.getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
        } catch (IOException e) {
            throw new AssertionError("the screenshot", e);
        }
    }

    private static void check(ChromeDriver driver, String page, Mesh mesh, Mesh.Host n1) throws Exception {
        long start = System.nanoTime();
        driver.get(page); // returns at the load event
        long loaded = System.nanoTime();
        Wait.until("the page shows n1's status", Duration.ofSeconds(30), () -> n1.cn.equals(text(driver, "node"))
                && ((Number) driver.executeScript("return document.querySelectorAll('#tunnels tbody tr').length;")).intValue() > 0);
        long shown = System.nanoTime();
        System.out.printf("page load: %.0f ms to the load event, %.0f ms to the first status drawn%n", (loaded - start) / 1e6,
                (shown - start) / 1e6);

        // the map's live tunnels are the node's (read from the same JSON, through the same relay)
        java.util.concurrent.atomic.AtomicReference<Set<String>> up = new java.util.concurrent.atomic.AtomicReference<>();
        Wait.until("the map shows the node's live tunnels", Duration.ofSeconds(30), () -> {
            up.set(upPeers(status(page)));
            return !up.get().isEmpty() && up.get().equals(mapPeers(driver, "up"));
        });
        System.out.println("n1's tunnels on the map: " + up.get());
        JsonNode own = status(page);
        assertEquals(n1.cn, own.path("node").asText(), "n1's status: " + own);
        assertFalse(own.has("topology"), "only the registry node's status carries the registry's topology: " + own);
        Set<String> everyNode = new TreeSet<>();
        mesh.hosts.forEach(h -> everyNode.add(h.cn));
        Wait.until("the map shows every node (n1 routes them all)", Duration.ofSeconds(30), () -> everyNode.equals(mapNodes(driver)));
        String state = text(driver, "state");
        assertTrue(state.startsWith("live, as of "), "the page polls and is live: " + state);

        // a click on a tunnel peer: its route's next hop is drawn as the path
        assertEquals(1, up.get().size(), "n1 keeps one tunnel: " + up.get());
        Mesh.Host victim = mesh.hosts.stream().filter(h -> up.get().contains(h.cn)).findFirst().orElseThrow();
        Wait.until("n1 routes " + victim.label() + " (" + victim.cn + ")", Duration.ofSeconds(30), () -> routeVia(status(page), victim.cn) != null);
        click(driver, victim.cn);
        Wait.until("the path to " + victim.cn + " is shown", Duration.ofSeconds(10), () -> {
            String via = routeVia(status(page), victim.cn);
            return text(driver, "path").startsWith("A packet to " + victim.cn + " ") && via != null && via.equals(pathPeer(driver));
        });
        System.out.println("path shown: " + text(driver, "path"));
        // and to the node behind it: the tunnel to the peer, then the peer's route, both highlighted
        Mesh.Host far = mesh.hosts.stream().filter(h -> h != n1 && h != victim).findFirst().orElseThrow();
        assertEquals(victim.cn, routeVia(status(page), far.cn), "n1's one tunnel carries its route to " + far.label());
        click(driver, far.cn);
        Wait.until("the two-hop path to " + far.cn + " is shown", Duration.ofSeconds(10),
                () -> text(driver, "path").startsWith("A packet to " + far.cn + " ") && victim.cn.equals(pathPeer(driver))
                        && far.cn.equals(driver.executeScript("const on = document.querySelectorAll('#map line.route.path');"
                                + " return on.length === 1 ? on[0].getAttribute('data-node') : null;")));
        System.out.println("path shown: " + text(driver, "path"));
        Path shot = mesh.net.logDir().resolve("status-page.png"); // for a person to look at; nothing is checked on it
        Files.write(shot, driver.getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
        System.out.println("screenshot: " + shot.toAbsolutePath());

        // traffic to the victim, so that the tunnel's liveness notices the cut at once (else at the next hello)
        NsProcess stream = n1.ns.start("ping-" + victim.label(), "ping", "-6", "-n", "-D", "-i", "0.01", "-I", n1.address, victim.address);
        try {
            Wait.until("pings to " + victim.label() + " are answered", Duration.ofSeconds(30),
                    () -> stream.log().contains("bytes from " + victim.address));
            // right before the cut: the victim's tunnel is n1's, up in the JSON and drawn up (row and edge)
            Wait.until("the tunnel to " + victim.cn + " is up in the JSON and drawn up", Duration.ofSeconds(30),
                    () -> upPeers(status(page)).equals(Set.of(victim.cn)) && List.of("up", "up").equals(driver.executeScript(TUNNEL_DRAWN, victim.cn)));
            long cut = System.nanoTime();
            victim.ns.ip("link", "set", "eth0", "down");
            // each look reads the table row and the map edge of one render: they must agree (the table is checked against
            // the JSON above; a map that kept a dead tunnel up until the node drops it, ~20 s later, is caught here)
            Set<String> seen = new java.util.LinkedHashSet<>();
            Wait.until("the tunnel to " + victim.cn + " leaves the map or is drawn down", Duration.ofSeconds(60), () -> {
                List<?> drawn = (List<?>) driver.executeScript(TUNNEL_DRAWN, victim.cn);
                assertEquals(drawn.get(0), drawn.get(1), "the tunnel's table row and map edge, drawn from one status: " + drawn);
                seen.add(String.valueOf(drawn.get(1)));
                return !"up".equals(drawn.get(1));
            });
            long gone = System.nanoTime();
            System.out.printf("cut -> map: the tunnel to %s off the map (or down) %.0f ms after its link went down (target < 2000 ms; "
                    + "liveness ~300 ms + one 1 s poll)%n", victim.cn, (gone - cut) / 1e6);
            System.out.println("map after the cut: up " + mapPeers(driver, "up") + ", down " + mapPeers(driver, "down")
                    + "; the tunnel was drawn " + seen);
        } finally {
            stream.close();
        }

        // the console is read for real: an error written on purpose is seen, and it is the only one
        driver.executeScript("console.error('re6st-test: console check');");
        List<LogEntry> console = driver.manage().logs().get(LogType.BROWSER).getAll();
        console.forEach(e -> System.out.println("browser console: " + e.getLevel() + " " + e.getMessage()));
        assertTrue(console.stream().anyMatch(e -> e.getMessage().contains("re6st-test: console check")),
                () -> "the browser's console is not captured: " + console);
        List<LogEntry> errors = console.stream().filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .filter(e -> !e.getMessage().contains("re6st-test: console check")).toList();
        assertTrue(errors.isEmpty(), () -> "console errors: " + errors);
    }

    private static ChromeDriver browser(Path profile) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--no-proxy-server", "--disable-extensions", "--user-data-dir=" + profile);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    // Read in one script run each: the page redraws every second, so elements found one call earlier may be gone.

    private static String text(ChromeDriver driver, String id) {
        Object t = driver.executeScript("const e = document.getElementById(arguments[0]); return e ? e.textContent : '';", id);
        return String.valueOf(t);
    }

    /** The peers of the map's tunnel edges in state {@code up} or {@code down}. */
    private static Set<String> mapPeers(ChromeDriver driver, String state) {
        Object peers = driver.executeScript("return Array.from(document.querySelectorAll('#map line.tunnel.' + arguments[0]))"
                + ".map(e => e.getAttribute('data-peer'));", state);
        Set<String> out = new TreeSet<>();
        for (Object p : (List<?>) peers)
            out.add(String.valueOf(p));
        return out;
    }

    /** [table row, map edge] of a peer's tunnel: up, down or absent each. */
    private static final String TUNNEL_DRAWN = "const peer = arguments[0];"
            + " const row = Array.from(document.querySelectorAll('#tunnels tbody tr')).find(r => r.dataset.peer === peer);"
            + " const edge = Array.from(document.querySelectorAll('#map line.tunnel')).find(e => e.getAttribute('data-peer') === peer);"
            + " return [row ? (row.classList.contains('down') ? 'down' : 'up') : 'absent',"
            + " edge ? (edge.classList.contains('up') ? 'up' : 'down') : 'absent'];";

    /** The CNs of the map's nodes. */
    private static Set<String> mapNodes(ChromeDriver driver) {
        Object cns = driver.executeScript("return Array.from(document.querySelectorAll('#map g.node')).map(e => e.getAttribute('data-cn'));");
        Set<String> out = new TreeSet<>();
        for (Object c : (List<?>) cns)
            out.add(String.valueOf(c));
        return out;
    }

    /** The peer of the one tunnel edge drawn as the selected node's path, else null. */
    private static String pathPeer(ChromeDriver driver) {
        Object peer = driver.executeScript("const on = document.querySelectorAll('#map line.tunnel.path');"
                + " return on.length === 1 ? on[0].getAttribute('data-peer') : null;");
        return peer == null ? null : peer.toString();
    }

    private static void click(ChromeDriver driver, String cn) {
        Wait.until("a click on " + cn + " lands", Duration.ofSeconds(10), () -> {
            try {
                driver.findElement(By.cssSelector("#map g.node[data-cn='" + cn + "']")).click();
                return true;
            } catch (StaleElementReferenceException e) {
                return false;
            }
        });
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static JsonNode status(String page) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(page + "status.json")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) { // 503 between two runs of the node: no status, "not yet" for the waits
                System.out.println("GET status.json: " + r.statusCode() + " " + r.body());
                return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
            }
            return new ObjectMapper().readTree(r.body());
        } catch (IOException e) {
            System.out.println("GET " + page + "status.json: " + e);
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static Set<String> upPeers(JsonNode status) {
        Set<String> out = new TreeSet<>();
        for (JsonNode t : status.path("tunnels"))
            if (t.path("up").asBoolean())
                out.add(t.path("peer").asText());
        return out;
    }

    private static String routeVia(JsonNode status, String cn) {
        for (JsonNode r : status.path("routes"))
            if (cn.equals(r.path("node").asText()) && r.hasNonNull("via"))
                return r.path("via").asText();
        return null;
    }

    /**
     * A TCP relay from a loopback port of the root namespace to {@code port} on the loopback of
     * {@code ns}: each connection's socket to the node is connected inside the namespace, then used
     * from the relay's threads. What fails in a relay thread is kept for the test to check.
     */
    static final class Relay implements AutoCloseable {
        private final ServerSocket server;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final List<Thread> threads = new ArrayList<>();
        final List<Throwable> failures = new CopyOnWriteArrayList<>();
        private volatile boolean closed;

        private Relay(ServerSocket server) {
            this.server = server;
        }

        static Relay to(Namespace ns, int port) throws IOException {
            Relay r = new Relay(new ServerSocket(0, 16, InetAddress.getLoopbackAddress()));
            r.thread("relay-accept", () -> {
                while (!r.closed) {
                    Socket in = r.server.accept();
                    Socket out = ns.call(() -> new Socket(InetAddress.getLoopbackAddress(), port));
                    r.sockets.add(in);
                    r.sockets.add(out);
                    r.thread("relay-up", () -> pump(in, out));
                    r.thread("relay-down", () -> pump(out, in));
                }
            });
            return r;
        }

        int port() {
            return server.getLocalPort();
        }

        private interface Body {
            void run() throws Exception;
        }

        private synchronized void thread(String name, Body body) {
            Thread t = new Thread(() -> {
                try {
                    body.run();
                } catch (Exception e) {
                    if (!closed)
                        failures.add(e);
                }
            }, name);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }

        private static void pump(Socket from, Socket to) throws IOException {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] b = new byte[16384];
            try {
                for (int n; (n = in.read(b)) >= 0;)
                    out.write(b, 0, n);
                to.shutdownOutput();
            } catch (java.net.SocketException e) {
                from.close(); // the other side reset: so does this relay
                to.close();
            }
        }

        @Override
        public void close() throws IOException {
            closed = true;
            server.close();
            for (Socket s : sockets)
                s.close();
            List<Thread> all;
            synchronized (this) {
                all = List.copyOf(threads);
            }
            for (Thread t : all) {
                try {
                    t.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while the relay closed", e);
                }
                assertFalse(t.isAlive(), t.getName() + " still runs 10 s after the relay closed");
            }
        }
    }
}
