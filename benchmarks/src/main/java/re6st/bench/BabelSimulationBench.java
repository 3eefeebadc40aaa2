package re6st.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import re6st.babel.InterfaceSettings;
import re6st.babel.message.Prefix;
import re6st.babel.sim.Simulation;
import re6st.babel.sim.Simulation.Node;

/**
 * The cost of the Babel-only simulator as the network grows (issue 15 part 2): a random graph of
 * {@code n} Babel cores, each dialling {@code k/2} random others (about {@code k} links per node),
 * tunnel interfaces at hello {@code helloMs} (4 s by default; the original re6st's is 15 s) with RTT, one-way delays 5 to 50 ms, one prefix per node; runs
 * {@code seconds} of virtual time and prints, per size, the wall time, the messages the cores
 * queued, the simulator's wall time per message (checks of reachability left out), the time to full reachability and the heap after a GC.
 * {@code java -Xmx8g -cp benchmarks/target/benchmarks.jar re6st.bench.BabelSimulationBench [seconds [helloMs [sizes...]]]}
 */
public final class BabelSimulationBench {
    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        int hello = args.length > 1 ? Integer.parseInt(args[1]) : 4000;
        List<Integer> sizes = new ArrayList<>();
        for (int i = 2; i < args.length; i++)
            sizes.add(Integer.parseInt(args[i]));
        if (sizes.isEmpty())
            sizes = List.of(100, 300, 1000);
        System.out.printf(Locale.ROOT, "hello %d ms, ~10 links per node%n", hello);
        System.out.printf(Locale.ROOT, "%6s %8s %8s %12s %10s %9s %10s %10s%n", "nodes", "virtual", "wall s", "messages",
                "us/msg", "full at", "heap MB", "B/node");
        for (int n : sizes)
            run(n, 10, seconds, hello);
    }

    static void run(int n, int k, double seconds, int helloMs) {
        long t0 = System.nanoTime();
        Simulation sim = new Simulation(n);
        SplittableRandom random = new SplittableRandom(n * 31L);
        List<Node> nodes = new ArrayList<>(n);
        for (int i = 0; i < n; i++)
            nodes.add(sim.node("n" + i));
        InterfaceSettings tunnel = InterfaceSettings.tunnel(helloMs);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k / 2; j++) {
                int o = random.nextInt(n - 1);
                if (o >= i)
                    o++;
                sim.connect(nodes.get(i), nodes.get(o), 5 + random.nextInt(46), tunnel);
            }
        for (int i = 0; i < n; i++)
            nodes.get(i).originate(Prefix.parse("2001:db8:" + Integer.toHexString(i + 1) + "::/48"));
        long start = sim.now(), full = -1, simNs = 0;
        for (int s = 0; s < seconds * 10; s++) {
            long r0 = System.nanoTime();
            sim.run(100);
            simNs += System.nanoTime() - r0;
            if (full < 0 && sim.fullyConnected())
                full = sim.now() - start;
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        long messages = 0;
        for (Node x : nodes)
            messages += x.messagesSent;
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        System.out.printf(Locale.ROOT, "%6d %7.0fs %8.1f %12d %10.2f %9s %10.0f %10d%n", n, seconds, wall, messages,
                simNs / 1e3 / Math.max(1, messages), full < 0 ? "never" : String.format(Locale.ROOT, "%.1fs", full / 1e9),
                heap / 1e6, heap / n);
        if (sim.nodes().size() != n)
            throw new AssertionError();
    }
}
