package re6st.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import re6st.netsim.Mesh;
import re6st.netsim.Cmd;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;

/**
 * The whole product over emulated WAN links ({@link Mesh#wan}): every host reaches an "internet"
 * router over a link of its own one-way delay, so the underlay RTT between hosts i and j is
 * 2 x (d_i + d_j), and a path over tunnels costs the sum of its tunnels' RTTs. Issue 13,
 * acceptance 2: 8 nodes, client_count 3, a full ping matrix, tunnel counts within the limits,
 * and traffic on the lowest-RTT path over the tunnels the mesh built; and the target "10 nodes
 * on WAN links of 5-40 ms: all pairs ping soon after the start" (printed, never asserted; on demand only).
 * max_clients holds per server, as in the original (one OpenVPN server per protocol): the
 * registry's node, which every newcomer dials first, takes 4 clients over UDP and 4 over TCP.
 */
@RequiresRoot
class WanMeshTest {
    static final int CLIENT_COUNT = 3, MAX_CLIENTS = 4;
    static final String[] REGISTRY = {"--client-count", Integer.toString(CLIENT_COUNT), "--max-clients", Integer.toString(MAX_CLIENTS)};

    @Test
    void eightNodesBehindWanLinksOfDifferentDelaysPingEveryPairWithinTheTunnelLimitsOverTheLowestRttPath() throws Exception {
        // one-way delays 5, 10, ..., 40 ms, shuffled: a path's RTT is 2 x (d_from + d_to) + 4 x (the delays of the nodes
        // it crosses), so the RTTs of two paths between the same nodes differ by 20 ms or more, or not at all
        long[] delays = {5, 10, 15, 20, 25, 30, 35, 40};
        shuffle(delays, new Random(13));
        try (TestNet net = TestNet.create("wan8"); Mesh mesh = Mesh.wan(net, delays, REGISTRY)) {
            long launched = start(mesh, delays);
            // the tunnel managers fill their outgoing slots (a pass every 5 s, a candidate being a routed peer that is
            // no neighbour yet; at most 2 while nobody is connected to the node): measure on the mesh they build, not
            // on the first star around the registry
            int n = delays.length;
            Wait.until("every node has its client_count outgoing tunnels (2 while it has no incoming one), or one with every other node",
                    Duration.ofSeconds(120), () -> mesh.hosts.stream().map(h -> new Tunnels(h.node.log())).allMatch(
                            t -> t.count(true) == (t.count(false) == 0 ? Math.min(2, CLIENT_COUNT) : CLIENT_COUNT) || t.peers().size() == n - 1));
            System.out.printf("every node has its outgoing tunnels %.1f s after the launch%n", (System.nanoTime() - launched) / 1e9);
            assertTunnelLimits(mesh);
            // traffic follows the lowest-RTT path of the tunnel graph the mesh built (Babel's metric on tunnels is
            // 96 + 5000 x (RTT - 10 ms) / 490 ms per hop: about 10 per ms of RTT, less 6 per hop). Babel measures
            // RTTs on its hellos (every 4 s) and smooths them: wait for the routes to settle, each pair in turn.
            int pairs = 0, multiHop = 0;
            for (int a = 0; a < delays.length; a++)
                for (int b = a + 1; b < delays.length; b++) {
                    if (lowestRttPathFollowed(mesh, delays, mesh.hosts.get(a), mesh.hosts.get(b)))
                        multiHop++;
                    pairs++;
                }
            System.out.printf("%d pairs ping on their lowest-RTT path (%d of them over several tunnels)%n", pairs, multiHop);
            assertTunnelLimits(mesh);
            for (Mesh.Host h : mesh.hosts)
                h.wan.checkHealthy();
        }
    }

    /**
     * The measurement of the target (printed, never asserted beyond "all pairs within the bound"): out of the default
     * suite, which it made two minutes longer for no behaviour the 8-node test does not check. Run it with
     * {@code ./re6st test -pl netsim-tests -am -Dtest=WanMeshTest -Dre6st.measure=true}.
     */
    @Test
    @EnabledIfSystemProperty(named = "re6st.measure", matches = "true", disabledReason = "a measurement, not in the default suite: "
            + "./re6st test -pl netsim-tests -am -Dtest=WanMeshTest -Dre6st.measure=true")
    void tenNodesOnWanLinksOf5To40MillisecondsPingEveryPairSoonAfterTheStart() throws Exception {
        long[] delays = new long[10];
        for (int i = 0; i < delays.length; i++)
            delays[i] = 5 + Math.round(35.0 * i / (delays.length - 1));
        shuffle(delays, new Random(7));
        try (TestNet net = TestNet.create("wan10"); Mesh mesh = Mesh.wan(net, delays, REGISTRY)) {
            start(mesh, delays);
            assertTunnelLimits(mesh);
            for (Mesh.Host h : mesh.hosts)
                h.wan.checkHealthy();
        }
    }

    /**
     * Enrols, launches every node, and waits until they run and every pair pings; prints the times from the launch, and
     * for each node when it ran, had its first tunnel and pinged every other node. Returns the launch time (nanoTime).
     */
    private static long start(Mesh mesh, long[] delays) {
        StringBuilder d = new StringBuilder();
        for (int i = 0; i < delays.length; i++)
            d.append(i == 0 ? "" : ", ").append(mesh.hosts.get(i).label()).append(' ').append(delays[i]).append(" ms");
        System.out.println(mesh.hosts.size() + " hosts, one-way delay to the internet router: " + d);
        mesh.enrol();
        LocalTime wallLaunch = LocalTime.now();
        long launched = System.nanoTime();
        mesh.startNodes();
        long running = mesh.awaitRunning(Duration.ofSeconds(120));
        System.out.printf("the %d nodes run %.1f s after their launch (JVM start, config, routing, servers)%n", mesh.hosts.size(),
                (running - launched) / 1e9);
        Map<String, Long> pinged = mesh.pingAll(Duration.ofSeconds(150), launched);
        long last = Collections.max(pinged.values());
        System.out.printf("(%.1f s after every node ran)%n", (last - running) / 1e9);
        StringBuilder s = new StringBuilder("from the launch, each node runs / has its first tunnel / pings every other one: ");
        for (Mesh.Host h : mesh.hosts) {
            String log = h.node.log();
            long reaches = pinged.entrySet().stream().filter(e -> e.getKey().startsWith(h.label() + " -> ")).mapToLong(Map.Entry::getValue)
                    .max().orElseThrow();
            s.append(String.format("%s %s / %s / %.1f s; ", h.label(), sinceLaunch(log, "node " + h.cn + " at ", wallLaunch),
                    sinceLaunch(log, " re6st.node.tunnel: tunnel re6st-", wallLaunch), (reaches - launched) / 1e9));
        }
        System.out.println(s);
        return launched;
    }

    /** When the first log line containing {@code what} was written, in seconds after {@code launch} (same day). */
    private static String sinceLaunch(String log, String what, LocalTime launch) {
        return log.lines().filter(l -> l.contains(what)).findFirst()
                .map(l -> String.format("%.1f", Duration.between(launch, LocalTime.parse(l.substring(0, 12))).toMillis() / 1e3)).orElse("-");
    }

    // ---- tunnels, from the nodes' logs

    /** An established tunnel of a node: its peer's CN, who dialled, its protocol, and whether its path is alive. */
    record Tunnel(String peer, boolean outgoing, String protocol, boolean up) {}

    private static final Pattern EVENT = Pattern.compile("^\\S+ INFO re6st\\.node\\.tunnel: tunnel (re6st-\\d+) "
            + "(?:(to|from) (\\S+) \\((\\w+), .*|with (\\S+)(?: (closed)|: path (dead|back)).*)$", Pattern.MULTILINE);

    /** What a node's log says of its tunnels (re6st.node.tunnel.TunnelLinks): those open now, and the most it had at once. */
    static final class Tunnels {
        final Map<String, Tunnel> open = new TreeMap<>(); // by interface
        int maxOutgoing;
        final Map<String, Integer> maxIncoming = new TreeMap<>(); // by protocol: max_clients is per server

        Tunnels(String log) {
            Matcher m = EVENT.matcher(log);
            while (m.find()) {
                String ifname = m.group(1);
                if (m.group(2) != null) {
                    open.put(ifname, new Tunnel(m.group(3), m.group(2).equals("to"), m.group(4), true));
                } else if (m.group(6) != null) {
                    open.remove(ifname);
                } else {
                    Tunnel t = open.get(ifname);
                    if (t != null)
                        open.put(ifname, new Tunnel(t.peer(), t.outgoing(), t.protocol(), m.group(7).equals("back")));
                }
                maxOutgoing = Math.max(maxOutgoing, (int) open.values().stream().filter(Tunnel::outgoing).count());
                for (Tunnel t : open.values())
                    if (!t.outgoing())
                        maxIncoming.merge(t.protocol(), (int) open.values().stream()
                                .filter(o -> !o.outgoing() && o.protocol().equals(t.protocol())).count(), Math::max);
            }
        }

        long count(boolean outgoing) {
            return open.values().stream().filter(t -> t.outgoing() == outgoing).count();
        }

        /** The peers of the tunnels whose path is alive. */
        Set<String> peers() {
            Set<String> s = new TreeSet<>();
            open.values().stream().filter(Tunnel::up).forEach(t -> s.add(t.peer()));
            return s;
        }
    }

    /** Outgoing tunnels never more than client_count, incoming never more than max_clients per protocol, over each whole log. */
    private static void assertTunnelLimits(Mesh mesh) {
        StringBuilder s = new StringBuilder("tunnels now (the most at once): ");
        for (Mesh.Host h : mesh.hosts) {
            String log = h.node.log();
            Tunnels t = new Tunnels(log);
            s.append(h.label()).append(' ').append(t.count(true)).append(" out, ").append(t.count(false)).append(" in (")
                    .append(t.maxOutgoing).append(", ").append(t.maxIncoming).append("); ");
            assertTrue(t.maxOutgoing <= CLIENT_COUNT, () -> h.label() + " had " + t.maxOutgoing + " outgoing tunnels at once, client_count is "
                    + CLIENT_COUNT + ":\n" + tunnelLines(log));
            t.maxIncoming.forEach((proto, n) -> assertTrue(n <= MAX_CLIENTS, () -> h.label() + " had " + n + " incoming " + proto
                    + " tunnels at once, max_clients is " + MAX_CLIENTS + ":\n" + tunnelLines(log)));
        }
        System.out.println(s);
    }

    private static String tunnelLines(String log) {
        StringBuilder b = new StringBuilder();
        log.lines().filter(l -> l.contains(" re6st.node.tunnel: ")).forEach(l -> b.append(l).append('\n'));
        return b.toString();
    }

    /** The tunnel graph: i and j adjacent when both nodes have a live tunnel with the other. */
    private static boolean[][] graph(Mesh mesh) {
        int n = mesh.hosts.size();
        List<Set<String>> peers = new ArrayList<>();
        for (Mesh.Host h : mesh.hosts)
            peers.add(new Tunnels(h.node.log()).peers());
        boolean[][] g = new boolean[n][n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                g[i][j] = i != j && peers.get(i).contains(mesh.hosts.get(j).cn) && peers.get(j).contains(mesh.hosts.get(i).cn);
        return g;
    }

    // ---- paths

    /** The RTTs of every simple path from {@code a} to {@code b} over the tunnels, the nodes of each. */
    private static Map<List<Integer>, Long> paths(boolean[][] g, long[] delays, int a, int b) {
        Map<List<Integer>, Long> out = new HashMap<>();
        walk(g, delays, b, new ArrayList<>(List.of(a)), 0, out);
        return out;
    }

    private static void walk(boolean[][] g, long[] delays, int b, List<Integer> path, long rtt, Map<List<Integer>, Long> out) {
        int last = path.get(path.size() - 1);
        for (int next = 0; next < g.length; next++)
            if (g[last][next] && !path.contains(next)) {
                long r = rtt + 2 * (delays[last] + delays[next]);
                path.add(next);
                if (next == b)
                    out.put(List.copyOf(path), r);
                else
                    walk(g, delays, b, path, r, out);
                path.remove(path.size() - 1);
            }
    }

    private static final Pattern TIME = Pattern.compile("time=([\\d.]+) ms");

    /**
     * Waits until the median RTT of 20 pings from {@code a} to {@code b} over the overlay is that of the lowest-RTT path
     * of the tunnel graph (the same before and after the pings), closer to it than to any slower path; true when that
     * path crosses other nodes. It cannot be below it: the emulated delays are a floor.
     */
    private static boolean lowestRttPathFollowed(Mesh mesh, long[] delays, Mesh.Host a, Mesh.Host b) {
        int ia = mesh.hosts.indexOf(a), ib = mesh.hosts.indexOf(b);
        String[] last = {"nothing measured"};
        boolean[] multiHop = {false};
        int[] tries = {0};
        long t0 = System.nanoTime();
        boolean ok = Wait.poll(Duration.ofSeconds(90), () -> {
            tries[0]++;
            boolean[][] g = graph(mesh);
            Map<List<Integer>, Long> paths = paths(g, delays, ia, ib);
            if (paths.isEmpty()) {
                last[0] = "no path over the tunnels";
                return false;
            }
            List<Long> rtts = paths.values().stream().distinct().sorted().toList();
            long best = rtts.get(0), worst = rtts.get(rtts.size() - 1);
            // halfway to the next slower path (20 ms away at least here); 20 ms when there is none (no wrong path to
            // take: the pings only show that the route is over the tunnels)
            double bound = rtts.size() > 1 ? (best + rtts.get(1)) / 2.0 : best + 20;
            List<String> bestPaths = paths.entrySet().stream().filter(e -> e.getValue() == best)
                    .map(e -> e.getKey().stream().map(i -> mesh.hosts.get(i).label()).reduce((x, y) -> x + "-" + y).orElseThrow()).sorted().toList();
            Cmd.Result r = a.ns.exec(Duration.ofSeconds(30), "ping", "-6", "-n", "-c", "20", "-i", "0.05", "-W", "2", b.address);
            double[] t = TIME.matcher(r.output()).results().mapToDouble(m -> Double.parseDouble(m.group(1))).sorted().toArray();
            if (t.length < 15 || !Arrays.deepEquals(g, graph(mesh))) {
                last[0] = t.length + " replies of 20" + (t.length < 15 ? "" : ", the tunnels changed meanwhile");
                return false;
            }
            double median = t[t.length / 2];
            // a floor that load cannot break: the emulated delays. On the median: ping times with the wall clock, and a
            // step of it (seen once in CI: one reply 30 ms under the floor) shortens a single sample
            assertTrue(median >= best - 1, () -> String.format("%s -> %s: median %.1f ms, faster than the fastest path over the tunnels, "
                    + "%d ms %s", a.label(), b.label(), median, best, bestPaths));
            last[0] = String.format("median %.1f ms (min %.1f), lowest-RTT path %d ms %s, bound %.0f ms, slowest path %d ms", median,
                    t[0], best, bestPaths, bound, worst);
            multiHop[0] = bestPaths.stream().allMatch(p -> p.chars().filter(c -> c == '-').count() > 1);
            return median < bound;
        });
        System.out.printf("%s -> %s: %s%s%n", a.label(), b.label(), last[0],
                ok ? String.format(" (%.1f s, %d measures)", (System.nanoTime() - t0) / 1e9, tries[0]) : "");
        assertTrue(ok, () -> a.label() + " -> " + b.label() + " not on the lowest-RTT path after 90 s: " + last[0] + "\ntunnels:\n"
                + tunnelLines(mesh));
        return multiHop[0];
    }

    private static String tunnelLines(Mesh mesh) {
        StringBuilder b = new StringBuilder();
        for (Mesh.Host h : mesh.hosts)
            b.append(h.label()).append(" (").append(h.cn).append("): ").append(new Tunnels(h.node.log()).open.values()).append('\n');
        return b.toString();
    }

    private static void shuffle(long[] a, Random random) {
        List<Long> l = new ArrayList<>();
        for (long x : a)
            l.add(x);
        Collections.shuffle(l, random);
        for (int i = 0; i < a.length; i++)
            a[i] = l.get(i);
    }
}
