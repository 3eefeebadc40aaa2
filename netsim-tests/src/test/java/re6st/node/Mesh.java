package re6st.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import re6st.netsim.Cmd;
import re6st.netsim.Namespace;
import re6st.netsim.NsProcess;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;

/**
 * A re6st network on one LAN, run as a user runs it: a registry (with its CA made by {@code re6st
 * registry init-ca}), {@code re6st conf --anonymous} on every host (the registry's host first: its
 * node is the registry node), then {@code re6st node @re6stnet.conf}. Each process is a real JVM
 * in its own namespace; files live in a temporary directory removed at {@link #close}.
 */
final class Mesh implements AutoCloseable {
    static final String NETWORK = "2001:db8:42::/48";
    static final Pattern SUBNET = Pattern.compile("Your subnet: ([0-9a-f:]+)::/(\\d+) \\(CN=([0-9]+/[0-9]+)\\)");

    /** One host: its namespace, its files, its node's overlay address and CN once enrolled. */
    static final class Host {
        final Namespace ns;
        final Path dir;
        final String underlay;
        String address, cn;
        NsProcess node;
        int starts;

        Host(Namespace ns, Path dir, String underlay) {
            this.ns = ns;
            this.dir = dir;
            this.underlay = underlay;
        }

        String label() {
            return ns.label();
        }
    }

    final TestNet net;
    final Path top;
    final List<Host> hosts = new ArrayList<>();
    final Host reg;
    NsProcess registry;
    private final List<String> registryArgs;

    static List<String> java(String mainClass, String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx128m",
                // one line per record, to the millisecond, so that a test's events line up with the nodes' logs
                "-Djava.util.logging.SimpleFormatter.format=%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n", "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** {@code nodes} hosts on LAN 198.18.81.0/24 (the first is the registry's), the registry started and answering. */
    Mesh(TestNet net, int nodes, String... registryOptions) throws IOException {
        this(net, net.lan("sw"), "", 1, NETWORK, nodes, registryOptions);
    }

    /**
     * A network {@code network} of {@code nodes} hosts on the LAN bridge {@code sw} (another
     * network may share it): host i is {@code 198.18.81.<firstHost + i>}, labelled {@code <label>reg},
     * {@code <label>n1}...
     */
    Mesh(TestNet net, Namespace sw, String label, int firstHost, String network, int nodes, String... registryOptions) throws IOException {
        this.net = net;
        this.top = Files.createTempDirectory("r6mesh");
        for (int i = 0; i < nodes; i++) {
            Namespace ns = net.namespace(label + (i == 0 ? "reg" : "n" + i));
            net.attach(ns, "eth0", sw);
            String ip = "198.18.81." + (firstHost + i);
            ns.addAddress("eth0", ip + "/24");
            hosts.add(new Host(ns, Files.createDirectories(top.resolve(ns.label())), ip));
        }
        reg = hosts.get(0);
        Cmd.run(java("re6st.registry.cli.RegistryCommand", "init-ca", "--network", network, "--ca", ca().toString(),
                "--key", top.resolve("ca.key").toString(), "--key-bits", "1024").toArray(String[]::new));
        List<String> args = new ArrayList<>(List.of("--port", "80", "--db", top.resolve("registry.db").toString(), "--ca",
                ca().toString(), "--key", top.resolve("ca.key").toString(), "--anonymous-prefix-length", "16", "--run",
                reg.dir.resolve("run").toString(), "--hello", "4", "--client-count", "2", "--max-clients", "4"));
        args.addAll(List.of(registryOptions));
        this.registryArgs = args;
        startRegistry();
    }

    /** One more host, already connected by the caller (e.g. behind a NAT router), enrolled and started with the others. */
    Host add(Namespace ns, String underlay) throws IOException {
        Host h = new Host(ns, Files.createDirectories(top.resolve(ns.label())), underlay);
        hosts.add(h);
        return h;
    }

    Path ca() {
        return top.resolve("ca.crt");
    }

    String url() {
        return "http://" + reg.underlay + "/";
    }

    void startRegistry() {
        NsProcess r = reg.ns.start("registry", java("re6st.registry.cli.RegistryCommand", registryArgs.toArray(String[]::new))
                .toArray(String[]::new));
        registry = r;
        Wait.until("the registry answers", Duration.ofSeconds(60), () -> {
            assertTrue(r.isAlive(), () -> "the registry exited:\n" + r.log());
            return reg.ns.exec(Duration.ofSeconds(30), java("re6st.registry.cli.ConfCommand", "--registry", url(), "--ca-only",
                    "-d", reg.dir.toString()).toArray(String[]::new)).ok();
        });
    }

    /** {@code re6st conf --anonymous} on every host, the registry's first. */
    void enrol() {
        for (Host h : hosts) {
            Cmd.Result r = h.ns.exec(Duration.ofSeconds(60), java("re6st.registry.cli.ConfCommand", "--registry", url(),
                    "--anonymous", "-d", h.dir.toString()).toArray(String[]::new));
            Matcher m = SUBNET.matcher(r.output());
            assertTrue(r.ok() && m.find(), () -> "re6st conf on " + h.label() + ":\n" + r.output());
            h.address = m.group(1) + "::1";
            h.cn = m.group(3);
        }
    }

    /** Starts (or starts again) the node of {@code h} with the re6stnet.conf conf wrote. */
    void startNode(Host h, String... extra) {
        List<String> args = new ArrayList<>(List.of("@" + h.dir.resolve("re6stnet.conf"), "-s", h.dir.resolve("state").toString(),
                "-r", h.dir.resolve("run").toString(), "-v", "3"));
        args.addAll(List.of(extra));
        h.node = h.ns.start("node" + (h.starts++ == 0 ? "" : "-" + h.starts),
                java("re6st.node.cli.NodeCommand", args.toArray(String[]::new)).toArray(String[]::new));
    }

    void startNodes() {
        for (Host h : hosts)
            startNode(h);
    }

    /** Enrols every host, starts every node, and waits until they run and every pair pings. */
    void form() {
        enrol();
        startNodes();
        pingAll(Duration.ofSeconds(120), awaitRunning(Duration.ofSeconds(120)));
    }

    /** Waits until every node has logged that it runs (identity, config, routing and servers up); returns when (nanoTime). */
    long awaitRunning(Duration timeout) {
        for (Host h : hosts)
            Wait.until(h.label() + "'s node runs", timeout, () -> {
                assertTrue(h.node.isAlive(), () -> "the node of " + h.label() + " exited:\n" + h.node.log());
                return h.node.log().contains("node " + h.cn + " at ");
            });
        return System.nanoTime();
    }

    /** Waits until every pair pings over overlay addresses; prints when the first and the last pair did, from {@code since}. */
    void pingAll(Duration timeout, long since) {
        boolean first = true;
        for (Host from : hosts)
            for (Host to : hosts)
                if (from != to) {
                    Wait.until(from.label() + " pings " + to.label() + " at " + to.address, timeout, () -> {
                        for (Host h : hosts)
                            assertTrue(h.node == null || h.node.isAlive(), () -> "the node of " + h.label() + " exited:\n" + h.node.log());
                        return from.ns.exec(Duration.ofSeconds(5), "ping", "-6", "-n", "-c", "1", "-W", "1", to.address).ok();
                    });
                    System.out.printf("%s%s pings %s %.1f s after the start%n", first ? "first pair: " : "", from.label(), to.label(),
                            (System.nanoTime() - since) / 1e9);
                    first = false;
                }
        System.out.printf("all %d pairs ping over the overlay %.1f s after the start%n", hosts.size() * (hosts.size() - 1),
                (System.nanoTime() - since) / 1e9);
    }

    /** An admin RPC of the registry, asked from its own host (an authorized origin). */
    String admin(String method) {
        Cmd.Result r = reg.ns.exec(Duration.ofSeconds(30), "python3", "-c",
                "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1/" + method + "', timeout=20).read().decode())");
        assertTrue(r.ok(), () -> method + ": " + r.output());
        return r.output().trim();
    }

    @Override
    public void close() throws IOException {
        try (var s = Files.walk(top)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
