package re6st.netsim.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import re6st.cli.CommandFailure;
import re6st.cli.Launcher;
import re6st.jni.Libc;
import re6st.netsim.Cmd;
import re6st.netsim.Mesh;
import re6st.netsim.Mesh.Host;
import re6st.netsim.Ping;
import re6st.netsim.Prerequisites;
import re6st.netsim.TestNet;
import re6st.netsim.UdpProbe;
import re6st.netsim.Wait;

/**
 * {@code re6st demo}: the real product on this machine. A registry and six nodes, each in its own
 * network namespace behind an emulated WAN link of its own delay (one behind a NAT router), enrol
 * with {@code re6st conf} and run {@code re6st node}; the demo shows the mesh they build (a ping
 * matrix over overlay addresses with each path's first hop), silently cuts the underlay of the best
 * direct path, measures the interruption a 10 ms probe stream sees, heals it, and removes
 * everything.
 */
@Command(name = "re6st demo", mixinStandardHelpOptions = true, sortOptions = false,
        usageHelpAutoWidth = true, versionProvider = Version.class,
        description = {
            "Runs a re6st network on this machine, as users run it: a registry (its CA made by 're6st registry init-ca') "
                + "and six nodes, each in its own Linux network namespace behind an emulated WAN link of 5-40 ms, one of "
                + "them behind a NAT router; every node enrols with 're6st conf --anonymous' and runs 're6st node' (encrypted "
                + "tunnels, Babel with latency-aware metrics, the tunnel manager). It prints the mesh they build: a ping "
                + "matrix over overlay addresses with the first hop of each path. Then it silently cuts the underlay of the "
                + "best direct path (packets vanish, the links stay up: the ISP routing fault), measures how long a 10 ms "
                + "probe stream over it is interrupted, heals the cut and removes everything (also on Ctrl-C). "
                + "Needs root; takes about two minutes.",
            "",
            "Without root, or with --simulate, it tells the same story on the in-process node simulator and says so: the "
                + "same hosts and delays, each node running our tunnel manager, peer protocol and Babel code on simulated "
                + "tunnels, in virtual time, no kernel; the cut's detection is modelled as the tunnels' 0.3 s liveness. "
                + "A few seconds."},
        footer = {"", "Examples:", "  sudo ./re6st demo", "  sudo ./re6st demo --hold     # keep the mesh up to explore it",
            "  ./re6st demo --simulate"})
public final class DemoCommand implements Callable<Integer>, Launcher.Verbosity {
    @Option(names = "--cut", paramLabel = "SECONDS", description = "How long the cut lasts (default: ${DEFAULT-VALUE}).")
    double cutSeconds = 6;

    @Option(names = "--hello", paramLabel = "SECONDS", description = "The network's Babel hello interval, given to the registry "
            + "(default: ${DEFAULT-VALUE}; the original re6st's default is 15). The nodes' tunnels detect a dead path in "
            + "about 0.3 s whatever it is.")
    double hello = 4;

    @Option(names = "--hold", description = "Keep the network up after the demo until Ctrl-C, to explore it (re6st status, "
            + "ip netns exec ...).")
    boolean hold;

    @Option(names = "--logdir", paramLabel = "DIR", description = "Where process logs and the nodes' files go (default: a "
            + "temporary directory).")
    Path logDir;

    @Option(names = "--simulate", description = "Run the story on the in-process node simulator (same hosts and delays, "
            + "our tunnel manager, peer protocol and Babel on simulated tunnels; virtual time, no root needed); the default "
            + "when not running as root.")
    boolean simulate;

    @Option(names = {"-v", "--verbose"}, description = "On failure, print the stack trace too.")
    boolean verbose;

    private final PrintStream out = System.out;

    /** Each host's one-way delay to the "internet" router: reg (registry and its node), n1..n4, then "home" behind a NAT. */
    static final long[] DELAYS = {5, 10, 15, 25, 40};
    static final long NAT_DELAY = 20;

    /** The network's client_count and max_clients (given to the registry): few tunnels, so that some paths take a detour. */
    static final int CLIENT_COUNT = 3, MAX_CLIENTS = 4;

    public static void main(String[] args) {
        Launcher.main(new DemoCommand(), args);
    }

    @Override
    public boolean verbose() {
        return verbose;
    }

    @Override
    public Integer call() throws Exception {
        if (cutSeconds <= 0 || cutSeconds > 600)
            throw CommandFailure.usage("--cut must be more than 0 and at most 600 seconds, got " + cutSeconds);
        if (hello < 1 || hello > 60 || hello != Math.rint(hello))
            throw CommandFailure.usage("--hello must be a whole number of seconds from 1 to 60, got " + hello);
        if (simulate || !Libc.isRoot()) {
            if (!simulate)
                out.println("(not root: no network namespaces; running the same story in the in-process simulator,"
                        + " on a virtual clock. Run as root for the real thing.)");
            if (hold)
                out.println("(--hold: the simulator has nothing to hold up; ignored)");
            new SimulatedDemo(out, hello, cutSeconds).run();
            return 0;
        }
        List<String> missing = Prerequisites.missing(Prerequisites.HARNESS);
        if (!missing.isEmpty())
            throw CommandFailure.failed("the demo needs " + String.join(", ", missing)
                    + "; or run it without them: ./re6st demo --simulate");
        Path logs = logDir != null ? Files.createDirectories(logDir) : Files.createTempDirectory("re6st-demo");
        long t0 = System.nanoTime();
        try (TestNet net = TestNet.create("demo", logs)) {
            out.println("== A re6st network in namespaces " + net + "-* (process logs in " + net.logDir() + ")");
            Mesh mesh = Mesh.wan(net, DELAYS, "--hello", Long.toString((long) hello), "--client-count", Integer.toString(CLIENT_COUNT),
                    "--max-clients", Integer.toString(MAX_CLIENTS));
            try (mesh) {
                Host home = mesh.addBehindNatWan("home", NAT_DELAY);
                out.printf(Locale.ROOT, "   registry: http://%s/ on host reg (re6st registry, CA from 're6st registry init-ca'), "
                        + "up after %.1f s%n", mesh.reg.underlay, secondsSince(t0));
                out.println("   hosts, each behind its own emulated WAN link to an \"internet\" router:");
                for (int i = 0; i < mesh.hosts.size(); i++) {
                    Host h = mesh.hosts.get(i);
                    out.printf(Locale.ROOT, "     %-5s %-15s %3d ms one way%s%n", h.label(), h.outside(), i < DELAYS.length ? DELAYS[i]
                            : NAT_DELAY, h == home ? "  behind a NAT router (nftables masquerade; it is " + h.underlay + " inside)"
                            : h == mesh.reg ? "  also runs the registry" : "");
                }
                run(mesh, home);
                if (hold)
                    hold(mesh);
            }
            out.printf(Locale.ROOT, "%n== Done in %.0f s; removing every namespace, link and process.%n", secondsSince(t0));
        } catch (Cmd.CommandFailedException e) { // the machine refused (no namespaces in a container...)
            throw CommandFailure.failed(e.getMessage() + " (logs in " + logs + "; './re6st demo --simulate' needs none of this)");
        } catch (AssertionError e) { // a condition the demo waits for never came: say what, not a stack trace
            throw CommandFailure.failed(e.getMessage() + " (process logs in " + logs + ")");
        }
        return 0;
    }

    private static double secondsSince(long t) {
        return (System.nanoTime() - t) / 1e9;
    }

    private void run(Mesh mesh, Host home) throws Exception {
        out.println();
        out.println("== Enrolling every host: re6st conf --anonymous (a key, a CSR, a certificate; its CN is the node's prefix)");
        long t = System.nanoTime();
        mesh.enrol();
        for (Host h : mesh.hosts)
            out.printf(Locale.ROOT, "   %-5s CN %-6s overlay address %s%n", h.label(), h.cn, h.address);
        out.printf(Locale.ROOT, "   %d hosts enrolled in %.1f s%n", mesh.hosts.size(), secondsSince(t));

        out.println();
        out.printf(Locale.ROOT, "== Starting re6st node on every host (hello %.0f s, client_count %d, max_clients %d)%n", hello,
                CLIENT_COUNT, MAX_CLIENTS);
        long started = System.nanoTime();
        mesh.startNodes();
        List<Host> waiting = new ArrayList<>(mesh.hosts);
        Wait.until("every node runs", Duration.ofSeconds(120), () -> {
            for (Host h : List.copyOf(waiting)) {
                if (!h.node.isAlive())
                    throw new AssertionError("the node of " + h.label() + " exited:\n" + h.node.log());
                if (h.node.log().contains("node " + h.cn + " at ")) {
                    waiting.remove(h);
                    out.printf(Locale.ROOT, "   %5.1f s  %s runs (identity, config, tunnels servers, Babel)%n", secondsSince(started), h.label());
                }
            }
            return waiting.isEmpty();
        });
        out.println("   each node asks the registry for a first peer, then learns others over the peer protocol and keeps its");
        out.println("   best tunnels; waiting until every pair pings over overlay addresses...");
        mesh.pingAll(Duration.ofSeconds(120), started);

        // Babel measures each tunnel's RTT on its hellos: give the routes a few hellos to settle on the lowest-latency paths
        out.println();
        out.printf(Locale.ROOT, "== Letting Babel measure the tunnels' RTTs (%.0f s)%n", 3 * hello);
        sleepScenario(Duration.ofMillis((long) (3 * hello * 1000)));
        Map<Host, JsonNode> statuses = statuses(mesh); // one re6st status a node: the first hops, and the tunnels below
        Map<Host, Map<Host, String>> hops = new HashMap<>();
        for (Host h : mesh.hosts)
            hops.put(h, firstHops(mesh, statuses.get(h)));
        out.println();
        out.println("== Ping matrix over overlay addresses: round trip in ms (3 pings), then the first hop of the path");
        out.println("   (= a direct tunnel; else the node whose tunnel the route takes; from each node's Babel routes)");
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "   %-6s", "from\\to"));
        for (Host to : mesh.hosts)
            header.append(String.format(Locale.ROOT, " %-12s", to.label()));
        out.println(header);
        Map<String, Double> rtt = new HashMap<>();
        for (Host from : mesh.hosts) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "   %-6s", from.label()));
            for (Host to : mesh.hosts) {
                if (from == to) {
                    row.append(String.format(Locale.ROOT, " %-12s", "-"));
                    continue;
                }
                Ping.Result r = Ping.run(from.ns, to.address, 3, Duration.ofMillis(20));
                String hop = hops.get(from).getOrDefault(to, "?");
                rtt.put(from.label() + ">" + to.label(), r.received() > 0 ? r.avg() : Double.NaN);
                row.append(String.format(Locale.ROOT, " %-12s", (r.received() > 0 ? String.format(Locale.ROOT, "%.0f", r.avg()) : "lost")
                        + " " + (hop.equals(to.label()) ? "=" : hop)));
            }
            out.println(row);
        }

        // The best direct path between two public hosts that have another way to each other: cut its underlay, probe across it
        Map<Host, java.util.Set<Host>> tunnels = tunnelGraph(mesh, statuses);
        Host from = null, to = null;
        double best = Double.MAX_VALUE;
        for (Host f : mesh.hosts)
            for (Host x : mesh.hosts)
                if (f != x && f != home && x != home && x.label().equals(hops.get(f).get(x)) && connectedWithout(tunnels, f, x)) {
                    Double r = rtt.get(f.label() + ">" + x.label());
                    if (r != null && r < best) {
                        best = r;
                        from = f;
                        to = x;
                    }
                }
        if (from == null) {
            out.println("   (no direct tunnel between two public hosts with another path between them: skipping the failover part)");
            return;
        }
        out.println();
        out.printf(Locale.ROOT, "== Cutting the best direct path, %s <-> %s (%.0f ms round trip), for %.0f s: every packet between them "
                + "dropped, both links stay up%n", from.label(), to.label(), best, cutSeconds);
        out.printf(Locale.ROOT, "   a probe every 10 ms from %s to %s's overlay address%n", from.label(), to.label());
        try (UdpProbe probe = UdpProbe.start(from.ns, to.ns, to.address, 9000, Duration.ofMillis(10))) {
            long p0 = System.nanoTime();
            Wait.until("probe replies", Duration.ofSeconds(10), () -> probe.received() >= 50);
            long cut = System.nanoTime();
            mesh.cut(from, to, true);
            try {
                Host f = from;
                boolean over = Wait.poll(Duration.ofSeconds(60), () -> probe.replies(cut + 300_000_000L, Long.MAX_VALUE).size() >= 20);
                if (over) {
                    Duration gap = probe.longestGap(cut, System.nanoTime());
                    String now = firstHops(mesh, status(from)).getOrDefault(to, "?");
                    out.printf(Locale.ROOT, "   traffic interrupted for %.2f s; %s now reaches %s via %s%n", gap.toNanos() / 1e9, f.label(),
                            to.label(), now);
                } else {
                    out.printf(Locale.ROOT, "   no reply over another path within 60 s (see the logs)%n");
                }
                sleepScenario(Duration.ofNanos(cut + (long) (cutSeconds * 1e9) - System.nanoTime()));
            } finally {
                mesh.cut(from, to, false);
            }
            long healed = System.nanoTime();
            Host f = from, x = to;
            boolean back = Wait.poll(Duration.ofSeconds(60), () -> x.label().equals(firstHops(mesh, status(f)).get(x)));
            out.printf(Locale.ROOT, back ? "   healed: %s reaches %s over their direct tunnel again after %.1f s%n"
                    : "   healed: after %3$.0f s %1$s still reaches %2$s another way (the tunnel manager keeps its other tunnels; "
                            + "it may come back at a refresh)%n", from.label(), to.label(), secondsSince(healed));
            out.printf(Locale.ROOT, "   probes: %d sent, %d answered (in %.0f s)%n", probe.sent(), probe.received(), secondsSince(p0));
        }
        out.println("   The tunnels' own liveness probes declare a silent path dead in about 0.3 s and Babel moves the routes at");
        out.println("   once; babeld alone, on its hellos, takes 3-5 s at hello 1 s, 11-19 s at its default 4 s, and the original");
        out.println("   re6st (hello 15 s) 45-60 s. Side by side on one diamond: benchmarks/ FailoverBenchmark.");
    }

    private void hold(Mesh mesh) throws InterruptedException {
        out.println();
        out.println("== Holding the network up; Ctrl-C removes it. Explore, e.g.:");
        for (Host h : mesh.hosts)
            out.printf(Locale.ROOT, "   ip netns exec %s ./re6st status -r %s%n", h.ns.name(), h.dir.resolve("run"));
        out.printf(Locale.ROOT, "   ip netns exec %s ping -6 %s%n", mesh.hosts.get(1).ns.name(), mesh.hosts.get(2).address);
        new CountDownLatch(1).await();
    }

    /** Waits out a fixed time of the scenario (not a synchronisation: nothing to wait for but the clock). */
    private static void sleepScenario(Duration d) throws InterruptedException {
        if (!d.isNegative())
            Thread.sleep(d.toMillis());
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code re6st status --json} of every host's node (absent: it did not answer). */
    private static Map<Host, JsonNode> statuses(Mesh mesh) {
        Map<Host, JsonNode> m = new HashMap<>();
        for (Host h : mesh.hosts) {
            JsonNode st = status(h);
            if (st != null)
                m.put(h, st);
        }
        return m;
    }

    /**
     * A host's first hop to every other host, from its {@code re6st status --json} {@code st} (null:
     * none known): the label of the node its Babel route goes through.
     */
    private static Map<Host, String> firstHops(Mesh mesh, JsonNode st) {
        Map<Host, String> hops = new HashMap<>();
        if (st == null)
            return hops;
        Map<String, Host> byCn = new HashMap<>();
        for (Host h : mesh.hosts)
            byCn.put(h.cn, h);
        for (JsonNode route : st.path("routes"))
            for (Host to : mesh.hosts) {
                String prefix = to.address.substring(0, to.address.length() - 1) + "/";
                if (route.path("prefix").asText().startsWith(prefix)) {
                    Host via = byCn.get(route.path("via").asText());
                    hops.put(to, via != null ? via.label() : route.path("via").asText("?"));
                }
            }
        return hops;
    }

    /** Every host's tunnel peers, from the hosts' {@code re6st status --json} ("tunnels": the peer CN of each). */
    private static Map<Host, java.util.Set<Host>> tunnelGraph(Mesh mesh, Map<Host, JsonNode> statuses) {
        Map<String, Host> byCn = new HashMap<>();
        for (Host h : mesh.hosts)
            byCn.put(h.cn, h);
        Map<Host, java.util.Set<Host>> g = new HashMap<>();
        for (Host h : mesh.hosts)
            g.put(h, new java.util.HashSet<>());
        for (Host h : mesh.hosts) {
            JsonNode st = statuses.get(h);
            if (st == null)
                continue;
            for (JsonNode t : st.path("tunnels")) {
                Host peer = byCn.get(t.path("peer").asText());
                if (peer != null) { // a tunnel is one link both ways, whichever end reports it
                    g.get(h).add(peer);
                    g.get(peer).add(h);
                }
            }
        }
        return g;
    }

    /** Whether {@code a} reaches {@code b} over the tunnels without the tunnel between them. */
    static boolean connectedWithout(Map<Host, java.util.Set<Host>> g, Host a, Host b) {
        java.util.Set<Host> seen = new java.util.HashSet<>(List.of(a));
        java.util.ArrayDeque<Host> todo = new java.util.ArrayDeque<>(List.of(a));
        while (!todo.isEmpty()) {
            Host h = todo.poll();
            for (Host n : g.getOrDefault(h, java.util.Set.of())) {
                if ((h == a && n == b) || !seen.add(n))
                    continue;
                if (n == b)
                    return true;
                todo.add(n);
            }
        }
        return false;
    }

    /** {@code re6st status --json} of the node on {@code h}, or null if it does not answer. */
    private static JsonNode status(Host h) {
        Cmd.Result r = h.ns.exec(Duration.ofSeconds(20), Mesh.java("re6st.node.cli.StatusCommand", "--json", "-r",
                h.dir.resolve("run").toString()).toArray(String[]::new));
        int brace = r.output().indexOf('{');
        if (!r.ok() || brace < 0)
            return null;
        try {
            return JSON.readTree(r.output().substring(brace));
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
