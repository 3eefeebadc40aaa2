package re6st.netsim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;


/**
 * A re6st network on one LAN (or, {@link #wan}, each host behind a WAN link of its own), run as a
 * user runs it: a registry (with its CA made by {@code re6st registry init-ca}), {@code re6st conf
 * --anonymous} on every host (the registry's host first: its node is the registry node), then
 * {@code re6st node @re6stnet.conf}. Each process is a real JVM in its own namespace; files live in
 * a temporary directory removed at {@link #close}.
 */
public final class Mesh implements AutoCloseable {
    public static final String NETWORK = "2001:db8:42::/48";
    public static final Pattern SUBNET = Pattern.compile("Your subnet: ([0-9a-f:]+)::/(\\d+) \\(CN=([0-9]+/[0-9]+)\\)");

    /** One host: its namespace, its files, its node's overlay address and CN once enrolled. */
    public static final class Host {
        public final Namespace ns;
        public final Path dir;
        public final String underlay;
        /** Its link to the "internet" router ({@link Mesh#wan}); null on the LAN. */
        public WanLink wan;
        /** Its address as others see it: its router's outside address behind a NAT ({@link Mesh#addBehindNatWan}). */
        String outside;
        public String address, cn;
        public NsProcess node;
        public int starts;

        Host(Namespace ns, Path dir, String underlay) {
            this.ns = ns;
            this.dir = dir;
            this.underlay = underlay;
        }

        public String label() {
            return ns.label();
        }

        public String outside() {
            return outside != null ? outside : underlay;
        }
    }

    public final TestNet net;
    public final Path top;
    public final List<Host> hosts = new ArrayList<>();
    public final Host reg;
    public NsProcess registry;
    /** Put before the registry's command line by {@link #startRegistry} (e.g. {@code setpriv ...} as a systemd unit runs it). */
    public List<String> registryWrap = List.of();
    /** The "internet" router and the underlay faults of a {@link #wan} mesh (null on a LAN). */
    private Namespace inet;
    private PairCuts cuts;
    private final List<String> registryArgs;

    public static List<String> java(String mainClass, String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx128m", re6st.cli.DaemonLogManager.PROPERTY, // as ./re6st runs them
                // one line per record, to the millisecond, so that a test's events line up with the nodes' logs
                "-Djava.util.logging.SimpleFormatter.format=%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n", "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** {@code nodes} hosts on LAN 198.18.81.0/24 (the first is the registry's), the registry started and answering. */
    public Mesh(TestNet net, int nodes, String... registryOptions) throws IOException {
        this(net, net.lan("sw"), "", 1, NETWORK, nodes, registryOptions);
    }

    /**
     * A network {@code network} of {@code nodes} hosts on the LAN bridge {@code sw} (another
     * network may share it): host i is {@code 198.18.81.<firstHost + i>}, labelled {@code <label>reg},
     * {@code <label>n1}...
     */
    public Mesh(TestNet net, Namespace sw, String label, int firstHost, String network, int nodes, String... registryOptions) throws IOException {
        this(net, lan(net, sw, label, firstHost, nodes), network, registryOptions);
    }

    /** A host's namespace and underlay address, before the mesh gives it its files. */
    private record Underlay(Namespace ns, String ip, WanLink wan) {}

    private static String label(int i) {
        return i == 0 ? "reg" : "n" + i;
    }

    private static List<Underlay> lan(TestNet net, Namespace sw, String label, int firstHost, int nodes) {
        List<Underlay> u = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            Namespace ns = net.namespace(label + label(i));
            net.attach(ns, "eth0", sw);
            String ip = "198.18.81." + (firstHost + i);
            ns.addAddress("eth0", ip + "/24");
            u.add(new Underlay(ns, ip, null));
        }
        return u;
    }

    /**
     * One host per entry of {@code oneWayMillis} (the first is the registry's), each behind its own emulated WAN
     * link to an "internet" router (namespace {@code inet}, IPv4 forwarding): host i is 198.18.(100+i).2/24, its
     * default route via .1, and its link delays every frame by {@code oneWayMillis[i]} each way, so that the
     * underlay RTT between hosts i and j is 2 x (d_i + d_j). The registry started and answering.
     */
    public static Mesh wan(TestNet net, long[] oneWayMillis, String... registryOptions) throws IOException {
        Namespace inet = net.namespace("inet");
        inet.forwarding();
        List<Underlay> u = new ArrayList<>();
        PairCuts cuts = new PairCuts();
        for (int i = 0; i < oneWayMillis.length; i++) {
            Namespace ns = net.namespace(label(i));
            WanLink w = net.wan("w" + i, ns, "eth0", inet, "h" + i, LinkParams.delayMillis(oneWayMillis[i]));
            w.filter(WanLink.Direction.BOTH, cuts);
            String subnet = "198.18." + (100 + i) + ".";
            ns.addAddress("eth0", subnet + "2/24");
            inet.addAddress("h" + i, subnet + "1/24");
            ns.route("default", "via", subnet + "1");
            u.add(new Underlay(ns, subnet + "2", w));
        }
        Mesh m = new Mesh(net, u, NETWORK, registryOptions);
        m.inet = inet;
        m.cuts = cuts;
        return m;
    }

    /**
     * On a {@link #wan} mesh: one more host behind a NAT router (nftables masquerade, no port forward) whose own WAN
     * link to the "internet" delays by {@code oneWayMillis}; outside, the router is 198.18.(100+i).2 (i: the next
     * host index); the host inside is {@value NatRouter#INSIDE_HOST}, labelled {@code label}.
     */
    public Host addBehindNatWan(String label, long oneWayMillis) throws IOException {
        if (inet == null)
            throw new IllegalStateException("only on a Mesh.wan");
        int i = hosts.size();
        NatRouter nat = net.natRouter(label + "-gw", "wan0");
        WanLink w = net.wan("w" + i, nat.namespace(), "wan0", inet, "h" + i, LinkParams.delayMillis(oneWayMillis));
        w.filter(WanLink.Direction.BOTH, cuts);
        String subnet = "198.18." + (100 + i) + ".";
        nat.namespace().addAddress("wan0", subnet + "2/24");
        inet.addAddress("h" + i, subnet + "1/24");
        nat.namespace().route("default", "via", subnet + "1");
        Host h = add(nat.inside(label), NatRouter.INSIDE_HOST);
        h.wan = w;
        h.outside = subnet + "2";
        return h;
    }

    /**
     * Underlay faults between two hosts of a {@link #wan} mesh, seen by nobody but their packets: {@code on} drops every
     * IPv4 packet between them (both ways, the links stay up: the ISP routing fault), off restores.
     */
    public void cut(Host a, Host b, boolean on) {
        cuts().set(a.outside(), b.outside(), on ? PairCuts.DROP : null);
    }

    /**
     * No underlay path between {@code a} and {@code b} (both ways) except TCP to or from the given ports (e.g. 80: a host
     * still reaches the registry's HTTP): a topology that is not a full mesh.
     */
    public void block(Host a, Host b, int... allowedTcpPorts) {
        cuts().set(a.outside(), b.outside(), allowedTcpPorts);
    }

    private PairCuts cuts() {
        if (cuts == null)
            throw new IllegalStateException("underlay cuts are only on a Mesh.wan");
        return cuts;
    }

    /**
     * The registry's options: ours, then {@code registryOptions}, which replace our defaults of the same name
     * (picocli refuses an option given twice).
     */
    private Mesh(TestNet net, List<Underlay> underlay, String network, String... registryOptions) throws IOException {
        this.net = net;
        this.top = Files.createTempDirectory("r6mesh");
        for (Underlay u : underlay) {
            Host h = new Host(u.ns(), Files.createDirectories(top.resolve(u.ns().label())), u.ip());
            h.wan = u.wan();
            hosts.add(h);
        }
        reg = hosts.get(0);
        Cmd.run(java("re6st.registry.cli.RegistryCommand", "init-ca", "--network", network, "--ca", ca().toString(),
                "--key", top.resolve("ca.key").toString(), "--key-bits", "1024").toArray(String[]::new));
        List<String> args = new ArrayList<>(List.of("--port", "80", "--db", top.resolve("registry.db").toString(), "--ca",
                ca().toString(), "--key", top.resolve("ca.key").toString(), "--anonymous-prefix-length", "16", "--run",
                reg.dir.resolve("run").toString()));
        List<String> given = List.of(registryOptions);
        List<String> defaults = List.of("--hello", "4", "--client-count", "2", "--max-clients", "4");
        for (int i = 0; i < defaults.size(); i += 2)
            if (!given.contains(defaults.get(i)))
                args.addAll(defaults.subList(i, i + 2));
        args.addAll(given);
        this.registryArgs = args;
        startRegistry();
    }

    /** One more host, already connected by the caller (e.g. behind a NAT router), enrolled and started with the others. */
    public Host add(Namespace ns, String underlay) throws IOException {
        Host h = new Host(ns, Files.createDirectories(top.resolve(ns.label())), underlay);
        hosts.add(h);
        return h;
    }

    /** A home router (nftables masquerade) on the mesh's LAN ("sw"), its outside address 198.18.81.50. */
    public NatRouter homeRouter() {
        NatRouter nat = net.natRouter("home", "wan0");
        net.attach(nat.namespace(), "wan0", net.namespaces().stream().filter(n -> n.label().equals("sw")).findFirst().orElseThrow());
        nat.namespace().addAddress("wan0", "198.18.81.50/24");
        return nat;
    }

    /**
     * One more host, {@code natted}, behind {@code nat} (no port forward unless the caller adds one): inside, it is
     * 198.19.1.2/24 with its default route via the router's 198.19.1.1 ({@link NatRouter#inside}).
     */
    public Host addBehindNat(NatRouter nat) throws IOException {
        return add(nat.inside("natted"), NatRouter.INSIDE_HOST);
    }

    /** {@link #addBehindNat(NatRouter)} behind a new {@link #homeRouter()}. */
    public Host addBehindNat() throws IOException {
        return addBehindNat(homeRouter());
    }

    public Path ca() {
        return top.resolve("ca.crt");
    }

    public String url() {
        return "http://" + reg.underlay + "/";
    }

    public void startRegistry() {
        int before = registry == null ? 0 : registry.log().length(); // a restart appends to the same log
        List<String> cmd = new ArrayList<>(registryWrap);
        cmd.addAll(java("re6st.registry.cli.RegistryCommand", registryArgs.toArray(String[]::new)));
        NsProcess r = reg.ns.start("registry", cmd.toArray(String[]::new));
        registry = r;
        // it says so once its socket listens (a poll with re6st conf cost a JVM start a second)
        Wait.until("the registry listens", Duration.ofSeconds(60), () -> {
            check(r.isAlive(), () -> "the registry exited:\n" + r.log());
            String log = r.log();
            return log.indexOf(" listening on ", Math.min(before, log.length())) >= 0;
        });
    }

    /**
     * {@code re6st conf --anonymous} on every host: the registry's first (its node gets the registry's prefix), then
     * the others at once (a conf is a JVM start and a key: ~1.3 s of CPU each, done side by side on both cores).
     */
    public void enrol() {
        enrol(hosts.get(0));
        List<Host> rest = hosts.subList(1, hosts.size());
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(4, rest.size())));
        try {
            List<Future<?>> done = new ArrayList<>();
            for (Host h : rest)
                done.add(pool.submit(() -> enrol(h)));
            for (int i = 0; i < done.size(); i++)
                try {
                    done.get(i).get(120, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    throw new IllegalStateException("re6st conf on " + rest.get(i).label() + " did not end", e);
                }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error err)
                throw err;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while enrolling", e);
        } finally {
            // on a failure the other confs still run (a blocked read ignores the interrupt): they end, or their
            // 60 s watchdog kills them, before the mesh's directories go
            pool.shutdownNow();
            try {
                if (!pool.awaitTermination(90, TimeUnit.SECONDS))
                    System.err.println("enrolment threads still running after 90 s");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@code re6st conf --anonymous} on one host: its address and CN are then known. */
    public void enrol(Host h) {
        Cmd.Result r = h.ns.exec(Duration.ofSeconds(60), java("re6st.registry.cli.ConfCommand", "--registry", url(),
                "--anonymous", "-d", h.dir.toString()).toArray(String[]::new));
        Matcher m = SUBNET.matcher(r.output());
        check(r.ok() && m.find(), () -> "re6st conf on " + h.label() + ":\n" + r.output());
        h.address = m.group(1) + "::1";
        h.cn = m.group(3);
    }

    /** Starts (or starts again) the node of {@code h} with the re6stnet.conf conf wrote. */
    public void startNode(Host h, String... extra) {
        startNode(h, List.of(), extra);
    }

    /** {@link #startNode(Host, String...)}, the command line after {@code wrap} (e.g. {@code setpriv ...}). */
    public void startNode(Host h, List<String> wrap, String... extra) {
        List<String> args = new ArrayList<>(List.of("@" + h.dir.resolve("re6stnet.conf"), "-s", h.dir.resolve("state").toString(),
                "-r", h.dir.resolve("run").toString(), "-v", "3"));
        args.addAll(List.of(extra));
        List<String> cmd = new ArrayList<>(wrap);
        cmd.addAll(java("re6st.node.cli.NodeCommand", args.toArray(String[]::new)));
        h.node = h.ns.start("node" + (h.starts++ == 0 ? "" : "-" + h.starts), cmd.toArray(String[]::new));
    }

    public void startNodes() {
        for (Host h : hosts)
            startNode(h);
    }

    /** Enrols every host, starts every node, and waits until they run and every pair pings. */
    public void form() {
        enrol();
        startNodes();
        pingAll(Duration.ofSeconds(120), awaitRunning(Duration.ofSeconds(120)));
    }

    /** Waits until every node has logged that it runs (identity, config, routing and servers up); returns when (nanoTime). */
    public long awaitRunning(Duration timeout) {
        for (Host h : hosts)
            Wait.until(h.label() + "'s node runs", timeout, () -> {
                assertNodesAlive(List.of(h));
                return runs(h);
            });
        return System.nanoTime();
    }

    private boolean runs(Host h) {
        return h.node.log().contains("node " + h.cn + " at ");
    }

    private void assertNodesAlive(List<Host> which) {
        for (Host h : which)
            check(h.node == null || h.node.isAlive(), () -> "the node of " + h.label() + " exited:\n" + h.node.log());
    }

    /**
     * Waits until every ordered pair has pinged over overlay addresses, all pairs at once: each source, once its
     * node runs (its address is on), pings every other node every 0.2 s from its own address ({@code -I}: no route
     * yet is no failure) until the first reply. Prints when the first and the last pair did, from {@code since}; returns
     * when each pair did ("from -> to": nanoTime).
     */
    public Map<String, Long> pingAll(Duration timeout, long since) {
        List<Host> all = List.copyOf(hosts);
        Map<String, Long> replied = new ConcurrentHashMap<>();
        Map<String, NsProcess> pings = new HashMap<>();
        Set<Host> running = new HashSet<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            boolean done = Wait.poll(timeout, () -> {
                assertNodesAlive(all);
                for (Host from : all) {
                    if (!running.contains(from) && !runs(from))
                        continue;
                    running.add(from);
                    for (Host to : all) {
                        String pair = from.label() + " -> " + to.label();
                        NsProcess p = pings.get(pair);
                        if (from == to || replied.containsKey(pair) || (p != null && p.isAlive()))
                            continue;
                        long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000_000);
                        NsProcess ping = from.ns.start("reach-" + to.label(), "ping", "-6", "-n", "-D", "-O", "-c", "1", "-i", "0.2",
                                "-w", Long.toString(left), "-I", from.address, to.address);
                        ping.process().onExit().thenAccept(e -> {
                            if (e.exitValue() == 0)
                                replied.putIfAbsent(pair, System.nanoTime());
                        });
                        pings.put(pair, ping);
                    }
                }
                return replied.size() == all.size() * (all.size() - 1);
            });
            check(done, () -> "after " + timeout.toSeconds() + " s, these pairs have not pinged over the overlay: "
                    + all.stream().flatMap(f -> all.stream().filter(t -> t != f).map(t -> f.label() + " -> " + t.label()))
                            .filter(p -> !replied.containsKey(p)).toList()
                    + " (sources whose node does not run: " + all.stream().filter(h -> !running.contains(h)).map(Host::label).toList() + ")");
        } finally {
            pings.values().forEach(NsProcess::close);
        }
        var first = replied.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow();
        var last = replied.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
        System.out.printf("first pair: %s pings %.1f s after the start; last pair: %s%n", first.getKey(), (first.getValue() - since) / 1e9,
                last.getKey());
        System.out.printf("all %d pairs ping over the overlay %.1f s after the start%n", replied.size(), (last.getValue() - since) / 1e9);
        return Map.copyOf(replied);
    }

    /** An admin RPC of the registry, asked from its own host (an authorized origin). */
    public String admin(String method) {
        Cmd.Result r = reg.ns.exec(Duration.ofSeconds(30), "python3", "-c",
                "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1/" + method + "', timeout=20).read().decode())");
        check(r.ok(), () -> method + ": " + r.output());
        return r.output().trim();
    }

    /** An {@link AssertionError} (what a test reports, what the demo turns into a clear message) unless {@code ok}. */
    private static void check(boolean ok, java.util.function.Supplier<String> message) {
        if (!ok)
            throw new AssertionError(message.get());
    }

    @Override
    public void close() throws IOException {
        try (var s = Files.walk(top)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
