package re6st.netsim.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import re6st.babel.InterfaceSettings;
import re6st.babel.message.Prefix;
import re6st.babel.sim.Simulation;
import re6st.babel.sim.Simulation.Link;
import re6st.babel.sim.Simulation.Node;

/**
 * The demo's scenario on the in-process simulator: the same Babel code, the same topology and
 * delays, but virtual time and no kernel, so it runs without root and in a fraction of the
 * time. Times printed are virtual.
 */
final class SimulatedDemo {
    private final PrintStream out;
    private final double hello;
    private final double cutSeconds;

    SimulatedDemo(PrintStream out, double hello, double cutSeconds) {
        this.out = out;
        this.hello = hello;
        this.cutSeconds = cutSeconds;
    }

    void run() {
        Simulation sim = new Simulation(42);
        List<Node> nodes = new ArrayList<>();
        List<Prefix> prefixes = new ArrayList<>();
        for (int i = 0; i < DemoCommand.NAMES.size(); i++) {
            nodes.add(sim.node(DemoCommand.NAMES.get(i)));
            prefixes.add(Prefix.parse("2001:db8:42:" + (i + 1) + "::/64"));
        }
        InterfaceSettings tunnel = InterfaceSettings.tunnel((int) Math.round(hello * 1000));
        out.println("== Building the mesh in the simulator");
        List<Link> links = new ArrayList<>();
        for (DemoCommand.Link l : DemoCommand.LINKS) {
            links.add(sim.connect(node(nodes, l.a()), node(nodes, l.b()), l.delayMs(), tunnel));
            out.printf(Locale.ROOT, "   %-8s <-> %-8s %3d ms one way%n", l.a(), l.b(), l.delayMs());
        }
        for (int i = 0; i < nodes.size(); i++)
            nodes.get(i).originate(prefixes.get(i));
        sim.afterStep = Simulation::checkLoopFree; // every installed path, after every event
        long start = sim.now();
        if (!sim.runUntil(120_000, sim::fullyConnected))
            throw new IllegalStateException("the simulated mesh did not converge in 120 s");
        out.printf(Locale.ROOT, "%n== Babel on every node (hello %.1f s, RTT metric)%n", hello);
        out.printf(Locale.ROOT, "   every node has a route to every other after %.1f s%n", (sim.now() - start) / 1e9);
        long settle = sim.now();
        boolean fastest = sim.runUntil(90_000, () -> allShortest(sim, nodes, prefixes));
        out.printf(Locale.ROOT, fastest ? "   every node uses a lowest-latency path after %.1f s more%n"
                : "   (after %.0f s more, some nodes still use a slower path)%n", (sim.now() - settle) / 1e9);

        out.println();
        out.println("== Every path (round trip = the delays along the path there and back)");
        for (int i = 0; i < nodes.size(); i++)
            for (int j = 0; j < nodes.size(); j++)
                if (i != j) {
                    List<Node> there = sim.path(nodes.get(i), prefixes.get(j));
                    List<Node> back = sim.path(nodes.get(j), prefixes.get(i));
                    out.printf(Locale.ROOT, "   %-8s -> %-8s via %-28s %5d ms%n", nodes.get(i), nodes.get(j), there,
                            delay(there) + delay(back));
                }

        Node n1 = nodes.get(1), n2 = nodes.get(2);
        Link cut = links.get(0);
        out.printf(Locale.ROOT, "%n== Breaking the node1 <-> node2 link for %.0f s (blackhole)%n", cutSeconds);
        cut.blackhole(true);
        long t0 = sim.now();
        boolean rerouted = sim.runUntil(120_000, () -> {
            List<Node> p = sim.path(n1, prefixes.get(2));
            return p != null && !crosses(p, n1, n2);
        });
        out.printf(Locale.ROOT, rerouted ? "   node1 reaches node2 again after %.2f s, via %s%n" : "   no reroute after %.0f s%n",
                (sim.now() - t0) / 1e9, sim.path(n1, prefixes.get(2)));
        sim.run(Math.max(0, cutSeconds * 1000 - (sim.now() - t0) / 1e6));
        cut.blackhole(false);
        long healed = sim.now();
        boolean back = sim.runUntil(120_000, () -> List.of(n1, n2).equals(sim.path(n1, prefixes.get(2))));
        out.printf(Locale.ROOT, back ? "   link healed: the 10 ms path is used again after %.1f s%n"
                : "   the 10 ms path is not used again after %.0f s%n", (sim.now() - healed) / 1e9);
        out.printf(Locale.ROOT, "%n== Done: %.0f s of virtual time, %d messages delivered, no routing loop at any step.%n",
                (sim.now() - start) / 1e9, sim.packetsDelivered);
    }

    private static Node node(List<Node> nodes, String name) {
        return nodes.get(DemoCommand.NAMES.indexOf(name));
    }

    private static boolean crosses(List<Node> path, Node a, Node b) {
        for (int i = 0; i + 1 < path.size(); i++)
            if (path.get(i) == a && path.get(i + 1) == b)
                return true;
        return false;
    }

    /** One-way delay along a path of nodes, from the demo's link table. */
    private static int delay(List<Node> path) {
        if (path == null)
            return -1;
        int d = 0;
        for (int i = 0; i + 1 < path.size(); i++)
            for (DemoCommand.Link l : DemoCommand.LINKS)
                if (l.a().equals(path.get(i).name) && l.b().equals(path.get(i + 1).name)
                        || l.b().equals(path.get(i).name) && l.a().equals(path.get(i + 1).name))
                    d += l.delayMs();
        return d;
    }

    private static boolean allShortest(Simulation sim, List<Node> nodes, List<Prefix> prefixes) {
        int[][] d = DemoCommand.distances();
        for (int i = 0; i < nodes.size(); i++)
            for (int j = 0; j < nodes.size(); j++)
                if (i != j) {
                    List<Node> p = sim.path(nodes.get(i), prefixes.get(j));
                    if (p == null || delay(p) != d[i][j])
                        return false;
                }
        return true;
    }
}
