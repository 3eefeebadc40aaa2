package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;

import re6st.netsim.Mesh;
import re6st.netsim.Cmd;
import re6st.netsim.Ping;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;

/**
 * The whole product on one LAN, as a user runs it ({@link Mesh}): nobody tells a node about
 * another; the newcomers bootstrap from the registry, Babel spreads the routes, the tunnel managers
 * fill in tunnels, and every pair of nodes pings over overlay addresses (issue 13, acceptance 1, 3, 4).
 */
@RequiresRoot
class NodeMeshTest {
    @Test
    void registryAndThreeNodesOnOneLanPingEveryPairAndAnswerTheRegistry() throws Exception {
        try (TestNet net = TestNet.create("mesh"); Mesh mesh = new Mesh(net, 4)) {
            mesh.enrol();
            long launched = System.nanoTime();
            for (Mesh.Host h : mesh.hosts) // n1 serves Prometheus metrics on its loopback
                mesh.startNode(h, h == mesh.hosts.get(1) ? new String[] {"--metrics", "9100"} : new String[0]);
            long running = mesh.awaitRunning(Duration.ofSeconds(120));
            System.out.printf("the %d nodes run %.1f s after their launch (JVM start, config, routing, servers)%n",
                    mesh.hosts.size(), (running - launched) / 1e9);
            mesh.pingAll(Duration.ofSeconds(120), running);
            // the registry asks its node (the [::1]:326 datagrams, relayed over the peer protocol). A relayed question
            // to a node the registry node has no session with yet starts the handshake and is lost, as in the
            // original: the registry asks again at its next call.
            Wait.until("every node answers the registry's topology", Duration.ofSeconds(90), () -> {
                String t = mesh.admin("topology");
                String responding = t.substring(t.indexOf("\"\": [") + 5, t.indexOf(']', t.indexOf("\"\": [")));
                return mesh.hosts.stream().allMatch(h -> responding.contains("\"" + h.cn + "\""));
            });
            System.out.println("topology: " + mesh.admin("topology"));
            Wait.until("every node answers the registry's versions", Duration.ofSeconds(90),
                    () -> mesh.admin("versions").split("re6stnet/").length - 1 == mesh.hosts.size());
            System.out.println("versions: " + mesh.admin("versions"));
            // re6st status on every node: its tunnels and a route to every other node (issue 14); printed once
            for (Mesh.Host h : mesh.hosts) {
                Cmd.Result json = h.ns.exec(Duration.ofSeconds(30), Mesh.java("re6st.node.cli.StatusCommand", "-r", h.dir.resolve("run").toString(),
                        "--json").toArray(String[]::new));
                assertTrue(json.ok(), () -> "re6st status --json on " + h.label() + ":\n" + json.output());
                com.fasterxml.jackson.databind.JsonNode st = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.output().strip());
                assertEquals(h.cn, st.path("node").asText());
                assertTrue(st.path("tunnels").size() >= 1, () -> h.label() + " has tunnels: " + json.output());
                for (com.fasterxml.jackson.databind.JsonNode t : st.path("tunnels"))
                    assertTrue(t.path("bytes_in").asLong() > 0 && t.path("bytes_out").asLong() > 0 && t.path("up").asBoolean(),
                            () -> h.label() + ": every tunnel is up and carried traffic: " + json.output());
                java.util.Set<String> routed = new java.util.HashSet<>();
                st.path("routes").forEach(r -> routed.add(r.path("prefix").asText()));
                for (Mesh.Host o : mesh.hosts)
                    if (o != h)
                        assertTrue(routed.stream().anyMatch(p -> p.startsWith(o.address.replace("::1", "::/"))),
                                () -> h.label() + " routes " + o.label() + "'s subnet: " + json.output());
                if (h == mesh.hosts.get(1)) {
                    Cmd.Result scraped = h.ns.exec(Duration.ofSeconds(30), "python3", "-c",
                            "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9100/metrics', timeout=10).read().decode())");
                    assertTrue(scraped.ok(), scraped.output());
                    for (com.fasterxml.jackson.databind.JsonNode t : st.path("tunnels"))
                        assertTrue(scraped.output().matches("(?s).*re6st_tunnel_up\\{[^}]*peer=\"" + t.path("peer").asText() + "\"[^}]*} 1\\.0.*"),
                                () -> "the metrics show the tunnel with " + t.path("peer").asText() + " up:\n" + scraped.output());
                    assertTrue(scraped.output().contains("re6st_network_config_version " + st.path("config_version").asLong() + ".0"), scraped.output());
                    System.out.println("metrics of " + h.label() + ":\n" + scraped.output().lines().filter(l -> l.startsWith("re6st_tunnel_")
                            || l.startsWith("re6st_route")).collect(java.util.stream.Collectors.joining("\n")));
                    Cmd.Result text = h.ns.exec(Duration.ofSeconds(30), Mesh.java("re6st.node.cli.StatusCommand", "-r",
                            h.dir.resolve("run").toString()).toArray(String[]::new));
                    assertTrue(text.ok() && text.output().contains("tunnels: ") && text.output().contains("routes to "), text.output());
                    System.out.println("re6st status on " + h.label() + ":\n" + text.output());
                }
            }
            // what an idle node costs (a measurement window, not a synchronisation; printed, never asserted): 10 s, so only
            // with -Dre6st.measure=true (CI's time goes to behaviour)
            if (!Boolean.getBoolean("re6st.measure"))
                return;
            double[] cpu = new double[mesh.hosts.size()];
            for (int i = 0; i < cpu.length; i++)
                cpu[i] = re6st.netsim.ProcStats.cpuSeconds(mesh.hosts.get(i).node.pid());
            Thread.sleep(10_000);
            for (int i = 0; i < cpu.length; i++) {
                long pid = mesh.hosts.get(i).node.pid();
                System.out.printf("%s: RSS %d MB, CPU %.2f%% of a core over 10 s idle (-Xmx128m)%n", mesh.hosts.get(i).label(),
                        re6st.netsim.ProcStats.rssBytes(pid) >> 20, (re6st.netsim.ProcStats.cpuSeconds(pid) - cpu[i]) * 10);
            }
        }
    }

    @Test
    void aNodeKilledAndRestartedRejoinsFromItsCacheEvenWithTheRegistryStopped() throws Exception {
        try (TestNet net = TestNet.create("restart"); Mesh mesh = new Mesh(net, 3)) {
            mesh.enrol();
            mesh.startNodes();
            mesh.pingAll(Duration.ofSeconds(120), System.nanoTime());
            Mesh.Host n2 = mesh.hosts.get(2);
            Wait.until(n2.label() + " has cached its peers", Duration.ofSeconds(60),
                    () -> Files.exists(n2.dir.resolve("state/cache.db")) && n2.node.log().contains("tunnel re6st-"));

            n2.node.signal("KILL");
            n2.node.waitFor(Duration.ofSeconds(30));
            long restart = System.nanoTime();
            mesh.startNode(n2);
            mesh.pingAll(Duration.ofSeconds(120), restart);
            assertTrue(n2.node.log().contains("from the node cache"), "the restarted node used its cached network config:\n" + n2.node.log());

            // the registry goes away: the mesh stays, and a node restarted meanwhile comes back from its cache alone
            mesh.registry.signal("KILL");
            mesh.registry.waitFor(Duration.ofSeconds(30));
            mesh.pingAll(Duration.ofSeconds(30), System.nanoTime());
            n2.node.signal("KILL");
            n2.node.waitFor(Duration.ofSeconds(30));
            restart = System.nanoTime();
            mesh.startNode(n2);
            mesh.pingAll(Duration.ofSeconds(120), restart);
        }
    }

    @Test
    void aNodeRevokedAtTheRegistryIsCutOffByEveryPeerAndRefusedWhenItTriesAgain() throws Exception {
        try (TestNet net = TestNet.create("revoke"); Mesh mesh = new Mesh(net, 4)) {
            mesh.form();
            Mesh.Host bad = mesh.hosts.get(3);
            long revoked = System.nanoTime();
            mesh.admin("revoke?cn_or_serial=" + bad.cn);
            // the registry tells its node (code 0 on [::1]), which fetches the config and floods the new version;
            // every peer fetches it and closes its tunnels with the revoked node
            for (Mesh.Host h : mesh.hosts)
                if (h != bad)
                    Wait.until(h.label() + " no longer reaches the revoked " + bad.label(), Duration.ofSeconds(120),
                            () -> !h.ns.exec(Duration.ofSeconds(5), "ping", "-6", "-n", "-c", "1", "-W", "1", bad.address).ok());
            System.out.printf("%s cut off by every peer %.1f s after its revocation%n", bad.label(), (System.nanoTime() - revoked) / 1e9);
            for (Mesh.Host h : mesh.hosts)
                if (h != bad) // the version flooded over the peer protocol, each fetching the config
                    Wait.until(h.label() + " adopts network config version 3", Duration.ofSeconds(90),
                            () -> h.node.log().contains("network config version 3"));
            System.out.printf("every other node runs version 3 %.1f s after the revocation%n", (System.nanoTime() - revoked) / 1e9);
            // the others still reach each other
            mesh.hosts.remove(bad);
            mesh.pingAll(Duration.ofSeconds(60), System.nanoTime());
            // and the revoked node does not get back in: every peer refuses its handshakes (it keeps running: a 404 or an
            // alert is no signed proof that it is revoked, and nothing signed reaches it any more)
            Wait.until("the revoked node is refused by its peers", Duration.ofSeconds(60),
                    () -> bad.node.log().contains("our certificate is revoked"));
            System.out.println("the revoked node: " + bad.node.log().lines().filter(l -> l.contains("revoked")).findFirst().orElse("?"));
        }
    }

    @Test
    void aNodeOfflineDuringTwoMacKeyRotationsCatchesUpAndItsRoutesReturn() throws Exception {
        try (TestNet net = TestNet.create("hmac"); Mesh mesh = new Mesh(net, 3)) {
            mesh.form();
            Mesh.Host away = mesh.hosts.get(2);
            away.node.signal("TERM");
            assertTrue(away.node.waitFor(Duration.ofSeconds(30)) != null, "the node stops on SIGTERM");
            mesh.admin("updateHMAC"); // a new key is accepted...
            mesh.admin("updateHMAC"); // ...then signs: the away node's cached key is now only accepted, not the one used
            for (Mesh.Host h : mesh.hosts)
                if (h != away)
                    Wait.until(h.label() + " follows the rotation (version 4)", Duration.ofSeconds(90),
                            () -> h.node.log().contains("network config version 4"));
            long back = System.nanoTime();
            mesh.startNode(away);
            Wait.until(away.label() + " catches up (version 4)", Duration.ofSeconds(120),
                    () -> away.node.log().contains("network config version 4"));
            mesh.pingAll(Duration.ofSeconds(120), back);
        }
    }

    @Test
    void tunnelsRefreshedEveryTwentySecondsUnderA10msPingStreamLoseNothing() throws Exception {
        // acceptance 8: every tunnel_refresh (20 s here) each node drains its least useful outgoing tunnel (cost x4096
        // until no route uses it, coordinated with the peer by codes 2/3) before it hangs up. Every ordered pair pings
        // every 10 ms meanwhile. (Before the drained cost was kept finite, each drain lost 30-50 ms of pings.)
        try (TestNet net = TestNet.create("refresh"); Mesh mesh = new Mesh(net, 5, "--tunnel-refresh", "20")) {
            mesh.form();
            // the tunnel's owner logs "kill of P (OWNER): drained on both sides" once per refresh completed
            String done = "(OWNER): drained on both sides";
            int[] before = mesh.hosts.stream().mapToInt(h -> count(h.node.log(), done)).toArray();
            int[] abortedBefore = mesh.hosts.stream().mapToInt(h -> count(h.node.log(), "kill aborted")).toArray();
            List<Thread> streams = new ArrayList<>();
            Map<String, Ping.Result> results = new ConcurrentHashMap<>();
            for (Mesh.Host from : mesh.hosts)
                for (Mesh.Host to : mesh.hosts)
                    if (from != to) {
                        String pair = from.label() + "->" + to.label();
                        Thread t = new Thread(() -> {
                            // -D -O: each reply and each late one timestamped in <net log dir>/<host>-ping-<target>.log,
                            // to line a loss up with the nodes' logs
                            var p = from.ns.start("ping-" + to.label(), "ping", "-D", "-O", "-n", "-i", "0.01", "-c", "2500", "-W", "1", to.address);
                            p.waitFor(Duration.ofSeconds(150));
                            results.put(pair, Ping.parse(p.log()));
                        }, pair);
                        t.start();
                        streams.add(t);
                    }
            long t0 = System.nanoTime();
            for (Thread t : streams)
                t.join(Duration.ofSeconds(180).toMillis());
            double secs = (System.nanoTime() - t0) / 1e9;
            int kills = 0;
            for (int i = 0; i < mesh.hosts.size(); i++) {
                Mesh.Host h = mesh.hosts.get(i);
                int k = count(h.node.log(), done) - before[i];
                kills += k;
                System.out.printf("%s: %d tunnels drained and closed, %d kills aborted during the streams%n", h.label(), k,
                        count(h.node.log(), "kill aborted") - abortedBefore[i]);
            }
            long sent = 0, lost = 0;
            List<String> lossy = new ArrayList<>();
            for (Map.Entry<String, Ping.Result> e : new TreeMap<>(results).entrySet()) {
                Ping.Result r = e.getValue();
                sent += r.transmitted();
                lost += r.transmitted() - r.received();
                if (r.received() != r.transmitted())
                    lossy.add(e.getKey() + " " + (r.transmitted() - r.received()) + "/" + r.transmitted());
            }
            System.out.printf("%d pings (every 10 ms, %d streams, %.0f s) across %d refreshes: %d lost %s%n", sent, results.size(), secs, kills,
                    lost, lossy);
            assertEquals(mesh.hosts.size() * (mesh.hosts.size() - 1), results.size(), "every stream ran to its end");
            assertTrue(kills >= 1, () -> "the refresh drained and closed tunnels during the streams (" + kills_(mesh) + ")");
            assertEquals(List.of(), lossy, "no ping lost while tunnels were refreshed");
        }
    }

    /**
     * Target "5% random loss on every link for 60 s: no tunnel declared down, no route flap": every
     * host drops 5% of what it sends on the LAN (nftables, random), so each tunnel loses 5% each way
     * and a probe round trip about 10%. Liveness (a burst of probes before declaring a path dead) must
     * not take that for a dead path, and Babel keeps its routes. 30 s here, for CI's time; the 60 s
     * of the target and more run in benchmarks' FailoverBenchmark (300 s of 5% loss and jitter).
     */
    @Test
    @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "re6st.measure", matches = "true", disabledReason = "a minute of "
            + "CI for what benchmarks' FailoverBenchmark noise run measures over 300 s: ./re6st test -pl netsim-tests -am "
            + "-Dtest='NodeMeshTest#fivePercentLoss*' -Dre6st.measure=true")
    void fivePercentLossOnEveryLinkForHalfAMinuteDownsNoTunnel() throws Exception {
        try (TestNet net = TestNet.create("loss"); Mesh mesh = new Mesh(net, 4)) {
            mesh.form();
            int[] downs = mesh.hosts.stream().mapToInt(h -> count(h.node.log(), "is down (")).toArray();
            int[] flushes = mesh.hosts.stream().mapToInt(h -> count(h.node.log(), "neighbour(s) flushed")).toArray();
            for (Mesh.Host h : mesh.hosts)
                h.ns.run("nft", "add table inet r6loss; add chain inet r6loss out { type filter hook output priority 0; }; "
                        + "add rule inet r6loss out oifname \"eth0\" numgen random mod 100 < 5 counter drop");
            Mesh.Host a = mesh.hosts.get(1), b = mesh.hosts.get(3);
            Ping.Result r = Ping.run(a.ns, b.address, 3000, Duration.ofMillis(10)); // 30 s here (5 min of it: benchmarks' FailoverBenchmark noise run)
            for (Mesh.Host h : mesh.hosts)
                h.ns.run("nft", "delete table inet r6loss");
            int i = 0, down = 0, flushed = 0;
            for (Mesh.Host h : mesh.hosts) {
                down += count(h.node.log(), "is down (") - downs[i];
                flushed += count(h.node.log(), "neighbour(s) flushed") - flushes[i++];
            }
            System.out.printf("5%% loss on every link: %s -> %s %d of %d pings lost (%.1f%%), %d tunnels declared down (%d Babel "
                    + "neighbours flushed with them)%n", a.label(), b.label(), r.transmitted() - r.received(), r.transmitted(), 100 * r.lossRatio(),
                    down, flushed);
            assertTrue(r.received() > 0, r.output());
            assertEquals(0, down, "no tunnel declared down under 5% loss");
            mesh.pingAll(Duration.ofSeconds(30), System.nanoTime());
        }
    }

    private static String kills_(Mesh mesh) {
        StringBuilder b = new StringBuilder();
        for (Mesh.Host h : mesh.hosts)
            h.node.log().lines().filter(l -> l.contains("drain") || l.contains("kill") || l.contains("refresh"))
                    .forEach(l -> b.append(h.label()).append(": ").append(l).append('\n'));
        return b.toString();
    }

    private static int count(String log, String what) {
        int n = 0;
        for (int i = log.indexOf(what); i >= 0; i = log.indexOf(what, i + 1))
            n++;
        return n;
    }
}
