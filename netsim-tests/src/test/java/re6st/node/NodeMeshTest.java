package re6st.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import re6st.netsim.Cmd;
import re6st.netsim.Namespace;
import re6st.netsim.NsProcess;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;

/**
 * The whole product on one LAN, as a user runs it (issue 13, acceptance 1): a registry, {@code re6st
 * conf} on every host (the registry's host first: its node is the registry node), then {@code re6st
 * node} with the re6stnet.conf conf wrote. Nobody tells a node about another: the newcomers
 * bootstrap from the registry, Babel spreads the routes, the tunnel managers fill in tunnels, and
 * every pair of nodes pings over overlay addresses. Each process is a real JVM in its namespace.
 */
@RequiresRoot
class NodeMeshTest {
    static final String NETWORK = "2001:db8:42::/48";

    /** One host of the test: its namespace, its files, its node address once enrolled. */
    static final class Host {
        final Namespace ns;
        final Path dir;
        final String underlay;
        String address, cn;
        NsProcess node;

        Host(Namespace ns, Path dir, String underlay) {
            this.ns = ns;
            this.dir = dir;
            this.underlay = underlay;
        }
    }

    static List<String> java(String mainClass, String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-XX:+UseSerialGC", "-Xmx160m", "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** An admin RPC of the registry, asked from its own host (an authorized origin). */
    static String admin(Host reg, String method) {
        Cmd.Result r = reg.ns.exec(Duration.ofSeconds(30), "python3", "-c",
                "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1/" + method + "', timeout=20).read().decode())");
        assertTrue(r.ok(), () -> method + ": " + r.output());
        return r.output().trim();
    }

    static final Pattern SUBNET = Pattern.compile("Your subnet: ([0-9a-f:]+)::/(\\d+)");

    @Test
    void registryAndThreeNodesOnOneLanPingEveryPairOverTheOverlay() throws Exception {
        Path top = Files.createTempDirectory("r6mesh");
        try (TestNet net = TestNet.create("mesh")) {
            Namespace sw = net.lan("sw");
            List<Host> hosts = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Namespace ns = net.namespace(i == 0 ? "reg" : "n" + i);
                net.attach(ns, "eth0", sw);
                String ip = "198.18.81." + (i + 1);
                ns.addAddress("eth0", ip + "/24");
                Path dir = Files.createDirectories(top.resolve(ns.label()));
                hosts.add(new Host(ns, dir, ip));
            }
            Host reg = hosts.get(0);
            Path ca = top.resolve("ca.crt"), key = top.resolve("ca.key");
            Cmd.run(java("re6st.registry.cli.RegistryCommand", "init-ca", "--network", NETWORK, "--ca", ca.toString(),
                    "--key", key.toString(), "--key-bits", "1024").toArray(String[]::new));
            NsProcess registry = reg.ns.start("registry", java("re6st.registry.cli.RegistryCommand", "--port", "80",
                    "--db", top.resolve("registry.db").toString(), "--ca", ca.toString(), "--key", key.toString(),
                    "--anonymous-prefix-length", "16", "--run", reg.dir.resolve("run").toString(), "--hello", "4",
                    "--client-count", "2", "--max-clients", "4").toArray(String[]::new));
            String url = "http://" + reg.underlay + "/";
            Wait.until("the registry answers", Duration.ofSeconds(60), () -> {
                assertTrue(registry.isAlive(), () -> "the registry exited:\n" + registry.log());
                return reg.ns.exec(Duration.ofSeconds(30), java("re6st.registry.cli.ConfCommand", "--registry", url, "--ca-only",
                        "-d", reg.dir.toString()).toArray(String[]::new)).ok();
            });
            for (Host h : hosts) { // the registry's host first: the first certificate is the registry node's
                Cmd.Result r = h.ns.exec(Duration.ofSeconds(60), java("re6st.registry.cli.ConfCommand", "--registry", url,
                        "--anonymous", "-d", h.dir.toString()).toArray(String[]::new));
                Matcher m = SUBNET.matcher(r.output());
                assertTrue(r.ok() && m.find(), () -> "re6st conf on " + h.ns.label() + ":\n" + r.output());
                h.address = m.group(1) + "::1";
                Matcher cn = Pattern.compile("CN=([0-9]+/[0-9]+)").matcher(r.output());
                assertTrue(cn.find(), r.output());
                h.cn = cn.group(1);
            }
            for (Host h : hosts)
                h.node = h.ns.start("node", java("re6st.node.cli.NodeCommand", "@" + h.dir.resolve("re6stnet.conf"),
                        "-s", h.dir.resolve("state").toString(), "-r", h.dir.resolve("run").toString(), "-v", "3").toArray(String[]::new));
            long start = System.nanoTime();
            for (Host from : hosts)
                for (Host to : hosts)
                    if (from != to) {
                        Wait.until(from.ns.label() + " pings " + to.ns.label() + " at " + to.address, Duration.ofSeconds(120), () -> {
                            for (Host h : hosts)
                                assertTrue(h.node.isAlive(), () -> "the node of " + h.ns.label() + " exited:\n" + h.node.log());
                            return from.ns.exec(Duration.ofSeconds(5), "ping", "-6", "-n", "-c", "1", "-W", "1", to.address).ok();
                        });
                        System.out.printf("%s pings %s after %.1f s%n", from.ns.label(), to.ns.label(), (System.nanoTime() - start) / 1e9);
                    }
            System.out.printf("all %d pairs ping over the overlay %.1f s after the nodes started%n",
                    hosts.size() * (hosts.size() - 1), (System.nanoTime() - start) / 1e9);
            // the registry asks its node (the [::1]:326 datagrams, relayed over the peer protocol): every node answers
            // (a relayed question to a node the registry node has no session with yet starts the handshake and is
            // lost, as in the original: the registry asks again at its next call)
            Wait.until("every node answers the registry's topology", Duration.ofSeconds(90), () -> {
                String t = admin(reg, "topology");
                String responding = t.substring(t.indexOf("\"\": [") + 5, t.indexOf(']', t.indexOf("\"\": [")));
                return hosts.stream().allMatch(h -> responding.contains("\"" + h.cn + "\""));
            });
            System.out.println("topology: " + admin(reg, "topology"));
            Wait.until("every node answers the registry's versions", Duration.ofSeconds(90),
                    () -> admin(reg, "versions").split("re6stnet/").length - 1 == hosts.size());
            System.out.println("versions: " + admin(reg, "versions"));
        } finally {
            try (var s = Files.walk(top)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
