package re6st.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import re6st.netsim.sim.NodeSimulation;

/**
 * re6st nodes by the thousand (issue 15 part 2, the node level): the real Babel core with MAC,
 * tunnel manager and peer protocol of every node on simulated tunnels ({@link NodeSimulation}):
 * client_count 10, max_clients 20, hello 15 s, tunnel_refresh 300 s, 1% of the underlay pairs
 * broken, 10% of the nodes behind a NAT, all started within 10 s; every installed path checked
 * for loops after every step. For each size: the virtual time to full reachability (checked
 * every second), then a steady phase (until {@code steady} virtual seconds after the start:
 * hops and stretch at its end, control bytes per node per second over its second half, the
 * tunnels filled), then churn (10% of the nodes restart, 30 s down each, over 10 virtual
 * minutes: the lowest reachability sampled every 10 s, and the time to full reachability after
 * the last restart), then the heap per node and the wall and CPU time of the whole size.
 *
 * <p>{@code java -Xmx6g -cp benchmarks/target/benchmarks.jar re6st.bench.NodeSimulationBench [steady-seconds [churn-minutes [sizes...]]]}
 * (defaults: 300 s, 10 min, sizes 100 300 1000).
 */
public final class NodeSimulationBench {
    public static void main(String[] args) {
        double steady = args.length > 0 ? Double.parseDouble(args[0]) : 300;
        double churnMinutes = args.length > 1 ? Double.parseDouble(args[1]) : 10;
        List<Integer> sizes = new ArrayList<>();
        for (int i = 2; i < args.length; i++)
            sizes.add(Integer.parseInt(args[i]));
        if (sizes.isEmpty())
            sizes = List.of(100, 300, 1000);
        System.out.printf(Locale.ROOT, "client_count 10, max_clients 20, hello 15 s, refresh 300 s, 1%% broken pairs, 10%% NAT; steady phase to %.0f s; "
                + "churn: 10%% of the nodes restart (30 s down) over %.0f min%n", steady, churnMinutes);
        String head = String.format(Locale.ROOT, "%6s %8s %8s %6s %6s %7s %8s %8s %9s %8s %8s %8s %8s %8s", "nodes", "full s", "reach", "hops", "graph",
                "stretch", "B/s/node", "short", "worst", "back s", "KB/node", "wall s", "CPU s", "GC s");
        System.out.println(head);
        List<String> rows = new ArrayList<>();
        for (int n : sizes) {
            String row = run(n, steady, churnMinutes);
            rows.add(row);
            System.out.println(row);
        }
        System.out.println();
        System.out.println(head);
        rows.forEach(System.out::println);
        System.out.println("full s: virtual seconds from the first start to full reachability; reach, hops, stretch: at the end of the steady phase "
                + "(stretch: the path's underlay delay over the direct one; graph: the shortest path in tunnels, the original's hop distance); B/s/node: Babel + peer protocol with IPv6/UDP headers, second half "
                + "of the steady phase; short: nodes not behind a NAT with fewer than client_count tunnels then; worst: lowest reachability "
                + "sampled during the churn (pairs of running nodes); back s: full reachability again after the churn's last restart");
    }

    static String run(int n, double steady, double churnMinutes) {
        long t0 = System.nanoTime();
        double cpu0 = BabelSimulationBench.cpuSeconds(), gc0 = BabelSimulationBench.gcSeconds();
        NodeSimulation s = new NodeSimulation(NodeSimulation.Options.defaults(n, 15));
        double full = s.runUntilFullyReachable(300_000, n <= 300 ? 1_000 : 5_000);
        log(n, t0, "full reachability at " + full + " s");
        double half = Math.max(s.nowSeconds(), steady / 2);
        s.run(half * 1000 - 1000 * s.nowSeconds());
        long bytes0 = s.controlBytes();
        double t1 = s.nowSeconds();
        s.run(Math.max(0, steady * 1000 - 1000 * s.nowSeconds()));
        double perNode = (s.controlBytes() - bytes0) / Math.max(1, s.nowSeconds() - t1) / n;
        NodeSimulation.Paths p = s.paths();
        int shortOf = s.dialableNodesShortOfTunnels();
        log(n, t0, "steady: " + p + ", " + Math.round(perNode) + " B/s per node, " + shortOf + " short");

        double period = churnMinutes * 60_000;
        if (period > 0)
            s.scheduleChurn(0.10, period, 30_000, 16);
        double worst = 1;
        for (double t = 0; t < period; t += 10_000) {
            s.run(10_000);
            double r = s.reachability();
            worst = Math.min(worst, r);
            if ((int) (t / 10_000) % 6 == 5)
                log(n, t0, String.format(Locale.ROOT, "churn: %d running, reachability %.4f", s.runningNodes(), r));
        }
        double back = 0;
        if (period > 0) {
            double end = s.nowSeconds();
            back = s.runUntilFullyReachable(180_000, 1_000);
            back = back < 0 ? -1 : back + 1 - end; // runUntilFullyReachable counts from the first start
        }
        double wall = (System.nanoTime() - t0) / 1e9, cpu = BabelSimulationBench.cpuSeconds() - cpu0, gc = BabelSimulationBench.gcSeconds() - gc0;
        long heap = BabelSimulationBench.heapAfterGc();
        return String.format(Locale.ROOT, "%6d %8.0f %8.4f %6.2f %6.2f %7.2f %8.0f %8d %9.4f %8.0f %8.0f %8.0f %8.0f %8.1f", n, full,
                1 - p.unreached() / (double) p.pairs(), p.hops(), p.graphHops(), p.stretch(), perNode, shortOf, worst, back, heap / 1e3 / n, wall, cpu, gc);
    }

    static void log(int n, long t0, String what) {
        System.err.printf(Locale.ROOT, "  [%d nodes, wall %.0f s] %s%n", n, (System.nanoTime() - t0) / 1e9, what);
    }
}
