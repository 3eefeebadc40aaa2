package re6st.netsim;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import re6st.netsim.Mesh.Host;

/**
 * The failover benchmark of BENCHMARKS.md section 2 on real processes: a diamond of emulated WAN
 * links, A-B-D 10 ms and A-C-D 40 ms per link (one way), a UDP probe every 10 ms from A to D's
 * overlay address, then a silent blackhole of A-B (every packet between A and B dropped, both
 * links stay up: the ISP routing fault), then healed. Measured per run: the longest gap in
 * replies (the failover time), the time until the fast path carries the replies again after the
 * heal, and replies that took the slow path while the fast one worked (latency awareness).
 *
 * <p>The routing under test, on the same hosts, addresses and links:
 * <ul>
 * <li>{@link Kind#NODE}: {@code re6st node} as deployed (registry, {@code re6st conf}, our tunnels,
 * our Babel, the tunnels' liveness, the tunnel manager);
 * <li>{@link Kind#BABELD}, {@link Kind#ORIGINAL}, {@link Kind#OURS}: static {@code re6st tunnel}s on the
 * four diamond links with {@code --keep-up} (no liveness link-down: the hellos alone detect the
 * fault), routed by Debian's babeld, by babeld as the original re6st configures it (hello 15 s,
 * {@code max-rtt-penalty 5000 rtt-max 500 rtt-decay 125}), or by our Babel ({@code re6st babel}).
 * </ul>
 * The underlay is {@link Mesh#wan}'s star (one emulated link per host to an "internet" router);
 * the diamond is made by {@link Mesh#block}ing A-D and B-C (B hosts the registry: C keeps HTTP to it).
 */
public final class FailoverBench implements AutoCloseable {
    /** One-way delay of each host's link to the internet router: B (registry), A, C, D; so A-B, B-D 10 ms, A-C, C-D 40 ms. */
    static final long[] DELAYS = {5, 5, 35, 5};
    /** A reply slower than this took the slow path (fast: ~40 ms, slow: ~160 ms round trip). */
    public static final Duration SLOW_RTT = Duration.ofMillis(100);
    private static final int PROBE_PORT = 9000;
    /** How long the fast path is watched before the cut, and after it carries the replies again. */
    static final Duration BEFORE_CUT = Duration.ofSeconds(3), AFTER_BACK = Duration.ofSeconds(10);
    /** Settled: this many replies in a row (5 s) over the fast path; then the cut comes {@link #BEFORE_CUT} later. */
    static final int SETTLED_RUN = 500;

    public enum Kind { NODE, BABELD, ORIGINAL, OURS }

    /** A routing set-up to measure: {@code key} names its table row ("a", "b1"...). */
    public record Variant(String key, String title, Kind kind, double hello) {
        public static final List<Variant> ALL = List.of(
                new Variant("a", "re6st node: our tunnels + Babel + liveness (hello 4 s, as the tests run it)", Kind.NODE, 4),
                new Variant("b1", "babeld 1.12.1 over our tunnels, hello 1 s", Kind.BABELD, 1),
                new Variant("b4", "babeld 1.12.1 over our tunnels, hello 4 s (its default)", Kind.BABELD, 4),
                new Variant("c", "original re6st's routing: babeld, hello 15 s", Kind.ORIGINAL, 15),
                new Variant("d", "our Babel without tunnel liveness, hello 1 s", Kind.OURS, 1));

        public static Variant of(String key) {
            return ALL.stream().filter(v -> v.key.equals(key)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no variant " + key + " (known: "
                            + ALL.stream().map(Variant::key).toList() + ")"));
        }
    }

    /**
     * One cut and heal. {@code gap}: the longest time without a reply from the cut until the heal (null: no reply came
     * over another path before the bound); {@code backToFast}: from the heal until the replies take the fast path again
     * (null: not within the bound); replies slower than {@link #SLOW_RTT} while the fast path worked: {@code slowBeforeCut}
     * in the {@link #BEFORE_CUT} before the cut (steady state), {@code slowAfterBack} in the {@link #AFTER_BACK} after the
     * return (flapping after a heal).
     */
    public record Result(Duration gap, Duration backToFast, int slowBeforeCut, int slowAfterBack, long sent, long answered) {
        public int slowWhileFast() {
            return slowBeforeCut + slowAfterBack;
        }
    }

    private final TestNet net;
    private final PrintStream out;
    public final Mesh mesh;
    public final Host a, b, c, d;
    private final List<NsProcess> tunnels = new ArrayList<>();
    private final List<BabelNode> routers = new ArrayList<>();
    private boolean enrolled;
    private int starts;

    /** The diamond, its registry running (on B); nothing enrolled yet. */
    public FailoverBench(TestNet net, PrintStream out) throws IOException {
        this.net = net;
        this.out = out;
        // client_count 3: each node wants more tunnels than it can have (two reachable peers), so the tunnel
        // manager never replaces one of the diamond's tunnels to try for better
        this.mesh = Mesh.wan(net, DELAYS, "--client-count", "3", "--max-clients", "4");
        b = mesh.hosts.get(0);
        a = mesh.hosts.get(1);
        c = mesh.hosts.get(2);
        d = mesh.hosts.get(3);
    }

    /** The diamond: no A-D link, no B-C link but C's HTTP to the registry (on B). */
    private void diamond() {
        mesh.block(a, d);
        mesh.block(b, c, 80);
    }

    public String name(Host h) {
        return h == a ? "A" : h == b ? "B" : h == c ? "C" : h == d ? "D" : h.label();
    }

    /** Starts the routing of {@code v} (enrolling the hosts first if needed) and waits until A reaches D over the fast path. */
    public void start(Variant v) {
        if (!enrolled) {
            mesh.enrol();
            enrolled = true;
        }
        long t0 = System.nanoTime();
        if (v.kind() == Kind.NODE) {
            // all at once on a full mesh, the diamond cut out of it once A and D have their tunnels to B and C: a newcomer's
            // first peer comes from the registry, which gives its own node (B) until it knows others, and C (or A, dialling
            // D) would wait out handshake timeouts on missing sides
            // --neighbour B and C on A and D: a node nobody has dialled yet keeps at most 2 outgoing tunnels (the original's
            // bad-NAT rule), so without it A and C could each dial B and D and wait for ever for the other to dial them
            // (seen in CI: no A-C tunnel after 240 s)
            for (Host h : mesh.hosts)
                if (h == a || h == d)
                    mesh.startNode(h, "--neighbour", b.cn, "--neighbour", c.cn);
                else
                    mesh.startNode(h);
            mesh.awaitRunning(Duration.ofSeconds(120));
            boolean formed = Wait.poll(Duration.ofSeconds(240), () -> {
                for (Host h : List.of(a, d)) {
                    if (!h.node.isAlive())
                        throw new AssertionError("the node of " + name(h) + " exited:\n" + h.node.log());
                    String log = h.node.log();
                    if (!tunnelWith(log, b.cn) || !tunnelWith(log, c.cn))
                        return false;
                }
                return true;
            });
            if (!formed)
                throw new AssertionError("A and D do not have tunnels to B and C after 240 s:\n" + formationReport());
            diamond(); // the A-D and B-C tunnels, if any, go down and away
        } else {
            diamond();
            startTunnels();
            for (Host h : mesh.hosts)
                h.ns.run("ip", "-6", "addr", "replace", h.address + "/128", "dev", "lo");
            int id = 1;
            for (Host h : List.of(a, b, c, d))
                routers.add(router(v, h, id++));
        }
        out.printf(Locale.ROOT, "   %s: started in %.1f s%n", v.key(), (System.nanoTime() - t0) / 1e9);
    }

    /** For a failed formation: each node's tunnel and peer lines (its last 60), so the failure says what happened. */
    private String formationReport() {
        StringBuilder sb = new StringBuilder();
        for (Host h : mesh.hosts) {
            sb.append("--- ").append(name(h)).append(" (").append(h.cn).append(", ").append(h.outside()).append(")\n");
            List<String> lines = h.node.log().lines()
                    .filter(l -> l.contains("tunnel") || l.contains("peer") || l.contains("bootstrap") || l.contains("established")
                            || l.contains("WARN") || l.contains("ERROR"))
                    .toList();
            for (String l : lines.subList(Math.max(0, lines.size() - 60), lines.size()))
                sb.append(l).append('\n');
        }
        return sb.toString();
    }

    /** Stops what {@link #start} started. */
    public void stop() {
        boolean staticRun = !routers.isEmpty() || !tunnels.isEmpty();
        for (BabelNode r : routers)
            r.close();
        routers.clear();
        for (NsProcess t : tunnels)
            t.close();
        tunnels.clear();
        if (staticRun)
            for (Host h : mesh.hosts) {
                h.ns.exec(Duration.ofSeconds(10), "ip", "-6", "addr", "del", h.address + "/128", "dev", "lo");
                // the next variant's Babel must be alone on its port (a router still bound to it would take its packets)
                Wait.until("no Babel router left on " + name(h), Duration.ofSeconds(30),
                        () -> !h.ns.exec(Duration.ofSeconds(10), "ss", "-Hunl", "sport", "=", ":6696").output().contains("6696"));
            }
        for (Host h : mesh.hosts)
            if (h.node != null) {
                h.node.close();
                h.node = null;
            }
    }

    private static final String[][] LINKS = {{"A", "B"}, {"B", "D"}, {"A", "C"}, {"C", "D"}};

    private Host host(String n) {
        return switch (n) {
            case "A" -> a;
            case "B" -> b;
            case "C" -> c;
            default -> d;
        };
    }

    /** One {@code re6st tunnel --keep-up} per diamond link, the second host listening; interfaces named t + the peer's letter. */
    private void startTunnels() {
        for (int i = 0; i < LINKS.length; i++) {
            Host client = host(LINKS[i][0]), server = host(LINKS[i][1]);
            int port = 1300 + i;
            server.ns.forwarding(); // a router on the diamond (re6st node turns it on by itself)
            client.ns.forwarding();
            server.ns.sysctl("net.ipv6.conf.default.accept_dad", "0");
            client.ns.sysctl("net.ipv6.conf.default.accept_dad", "0");
            starts++; // a log of its own per start: "tunnel up:" in the last one's must not count
            tunnels.add(server.ns.start("tunnel-" + LINKS[i][0] + "-" + starts, tunnel(server, "t" + LINKS[i][0], i, 2, "--listen", Integer.toString(port))));
            tunnels.add(client.ns.start("tunnel-" + LINKS[i][1] + "-" + starts, tunnel(client, "t" + LINKS[i][1], i, 1, "--connect",
                    server.outside() + ":" + port, "--peer-cn", server.cn)));
        }
        for (NsProcess t : tunnels)
            Wait.until(t + " is up", Duration.ofSeconds(60), () -> {
                if (!t.isAlive())
                    throw new AssertionError(t + " exited:\n" + t.log());
                return t.log().contains("tunnel up:");
            });
    }

    private String[] tunnel(Host h, String ifname, int link, int end, String... how) {
        List<String> args = new ArrayList<>(List.of("--ca", h.dir.resolve("ca.crt").toString(), "--cert", h.dir.resolve("cert.crt").toString(),
                "--key", h.dir.resolve("cert.key").toString(), "--ifname", ifname, "--address", "fe80::" + (link + 1) + ":" + end + "/64",
                "--keep-up", "--rekey", "3600"));
        args.addAll(List.of(how));
        return Mesh.java("re6st.tunnel.cli.TunnelCommand", args.toArray(String[]::new)).toArray(String[]::new);
    }

    private BabelNode router(Variant v, Host h, int id) {
        String hello = String.format(Locale.ROOT, "%.2f", v.hello());
        List<String> st = new ArrayList<>();
        st.add(v.kind() == Kind.ORIGINAL ? "default type tunnel hello-interval " + hello + " max-rtt-penalty 5000 rtt-max 500 rtt-decay 125"
                : "default type tunnel hello-interval " + hello);
        st.add("redistribute local ip " + Mesh.NETWORK + " le 128");
        st.add("redistribute local deny");
        for (String[] l : LINKS) {
            if (host(l[0]) == h)
                st.add("interface t" + l[1]);
            if (host(l[1]) == h)
                st.add("interface t" + l[0]);
        }
        try {
            return v.kind() == Kind.OURS ? BabelNode.ours(h.ns, id, st) : BabelNode.babeld(h.ns, id, st);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the router of " + name(h), e);
        }
    }

    /**
     * One measurement: waits (at most {@code settle}) until A's probes to D take the fast path, keeps it 2 s, cuts A-B, waits
     * (at most {@code bound}) for replies over C, keeps the cut until {@code cutAtLeast} after it, heals, and waits (at most
     * {@code bound}) until the fast path carries the replies again.
     */
    public Result measure(Duration settle, Duration cutAtLeast, Duration bound) throws Exception {
        try (UdpProbe p = UdpProbe.start(a.ns, d.ns, d.address, PROBE_PORT, Duration.ofMillis(10))) {
            long fastFrom = awaitFast(p, System.nanoTime(), settle, SETTLED_RUN);
            if (fastFrom < 0)
                throw new AssertionError("A's probes to D did not take the fast path (via B) within " + settle.toSeconds() + " s");
            long settled = System.nanoTime();
            awaitTime(settled + BEFORE_CUT.toNanos());
            long cut = System.nanoTime();
            mesh.cut(a, b, true);
            out.printf(Locale.ROOT, "   %s A-B cut (the nodes' logs have the same clock)%n", java.time.LocalTime.now());
            long failedOver = -1;
            try {
                boolean over = Wait.poll(bound, () -> p.replies(cut + 300_000_000L, Long.MAX_VALUE).size() >= 10);
                failedOver = over ? System.nanoTime() : -1;
                awaitTime(cut + cutAtLeast.toNanos());
            } finally {
                mesh.cut(a, b, false);
            }
            long heal = System.nanoTime();
            out.printf(Locale.ROOT, "   %s A-B healed%n", java.time.LocalTime.now());
            long back = awaitFast(p, heal, bound, 20);
            long end = back < 0 ? System.nanoTime() : back + AFTER_BACK.toNanos();
            awaitTime(end); // the return is watched for flapping back to the slow path
            long lastBefore = p.replies(fastFrom, cut).stream().mapToLong(UdpProbe.Reply::at).max().orElse(cut);
            Duration gap = failedOver < 0 ? null : p.longestGap(lastBefore, heal);
            int slowBefore = (int) p.replies(settled, cut).stream().filter(r -> r.rtt() >= SLOW_RTT.toNanos()).count();
            int slowAfter = back < 0 ? 0 : (int) p.replies(back, end).stream().filter(r -> r.rtt() >= SLOW_RTT.toNanos()).count();
            return new Result(gap, back < 0 ? null : Duration.ofNanos(back - heal), slowBefore, slowAfter, p.sent(), p.received());
        }
    }

    /**
     * What noise did to the routing over {@code duration} of 5 % loss and 20 ms jitter (or {@code noise}) on every host's
     * link: {@code routeChanges} of A's first hop to D (polled every 250 ms), {@code tunnelDowns} liveness downs logged by
     * the nodes (NODE only), {@code probesLost} of {@code sent}.
     */
    public record Noise(int routeChanges, int noRoute, int tunnelDowns, long probesLost, long sent, int polls) {}

    /**
     * Runs {@code duration} of noise, A probing D, then restores the links: every path between two hosts (one diamond link,
     * two emulated links of the star) gets {@code loss} and up to +-{@code jitter}: each host's link half the jitter and
     * 1 - sqrt(1 - loss) of loss, each way (a probe's round trip over A-B-D crosses eight of them).
     */
    public Noise noise(Duration duration, Duration jitter, double loss) throws Exception {
        List<LinkParams> before = new ArrayList<>();
        double perLink = 1 - Math.sqrt(1 - loss);
        for (Host h : mesh.hosts) {
            LinkParams p = h.wan.params(WanLink.Direction.A_TO_B);
            before.add(p);
            h.wan.set(p.withJitter(jitter.dividedBy(2)).withLoss(perLink));
        }
        int downsBefore = tunnelDowns();
        try (UdpProbe p = UdpProbe.start(a.ns, d.ns, d.address, PROBE_PORT, Duration.ofMillis(10))) {
            long end = System.nanoTime() + duration.toNanos();
            String hop = firstHop();
            int changes = 0, polls = 0, none = 0;
            while (System.nanoTime() < end) {
                awaitTime(System.nanoTime() + 250_000_000L);
                String now = firstHop();
                polls++;
                if (!now.equals(hop))
                    changes++;
                if (now.equals("none"))
                    none++;
                hop = now;
            }
            return new Noise(changes, none, tunnelDowns() - downsBefore, p.lost(), p.sent(), polls);
        } finally {
            for (int i = 0; i < mesh.hosts.size(); i++)
                mesh.hosts.get(i).wan.set(before.get(i));
        }
    }

    /** A's first hop to D: "dev via" of its kernel route. */
    public String firstHop() {
        Cmd.Result res = a.ns.exec(Duration.ofSeconds(10), "ip", "-6", "route", "get", d.address);
        if (!res.ok())
            return "none"; // no route at all: counted as a change like any other
        String r = res.output();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?: via (\\S+))? dev (\\S+)").matcher(r);
        return m.find() ? m.group(2) + (m.group(1) != null ? " via " + m.group(1) : "") : "none";
    }

    private int tunnelDowns() {
        int n = 0;
        for (Host h : mesh.hosts)
            if (h.node != null)
                n += h.node.log().split("is down \\(probes unanswered\\)", -1).length - 1;
        return n;
    }

    /** When (nanoTime) the first of {@code run} consecutive fast replies after {@code from} came, waiting at most {@code bound}; -1 if none. */
    private static long awaitFast(UdpProbe p, long from, Duration bound, int runLength) {
        long[] at = {-1};
        Wait.poll(bound, () -> {
            int run = 0;
            for (UdpProbe.Reply r : p.replies(from, Long.MAX_VALUE)) {
                run = r.rtt() >= 0 && r.rtt() < SLOW_RTT.toNanos() ? run + 1 : 0;
                if (run == 1)
                    at[0] = r.at();
                if (run >= runLength)
                    return true;
            }
            at[0] = -1;
            return false;
        });
        return at[0];
    }

    private static void awaitTime(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0)
            Thread.sleep(Math.min(left / 1_000_000 + 1, 200)); // waiting out a fixed scenario time, not synchronising
    }

    /** Median of the non-null values (null if none). */
    public static Duration median(List<Duration> ds) {
        List<Duration> v = ds.stream().filter(x -> x != null).sorted().toList();
        if (v.isEmpty())
            return null;
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : v.get(n / 2 - 1).plus(v.get(n / 2)).dividedBy(2);
    }

    public static String seconds(Duration d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.2f s", d.toNanos() / 1e9);
    }

    @Override
    public void close() throws IOException {
        try {
            stop();
        } finally {
            mesh.close();
        }
    }

    /**
     * Whether a node's log shows a tunnel with {@code cn}: a UDP one ("established with CN "), a TCP one it dialled
     * ("tunnel to CN established through"; two UDP dials that cross fail both and fall back to TCP) or one dialled to it.
     */
    static boolean tunnelWith(String log, String cn) {
        return log.contains(" established with " + cn + " ") || log.contains("tunnel to " + cn + " established through")
                || log.contains(" from " + cn + " (");
    }
}
