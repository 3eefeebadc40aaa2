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
 * Babel cores by the thousand on the simulator (issue 15 part 2, the Babel-only half: no tunnel
 * manager, no peer protocol). Nodes sit at random points of a 60 x 60 ms square: the underlay's
 * one-way delay between two is 2 ms plus their distance, and 1% of the pairs are broken (no
 * underlay path). Each node dials {@code k} random others it has an underlay path to (the tunnel
 * manager's outgoing tunnels; the links per node are about 2k), tunnel interfaces with RTT, one
 * prefix per node.
 *
 * <p>{@code scale [seconds [helloMs [sizes...]]]}: the simulator's cost per message as the
 * network grows (k = 5, about 10 links per node, as the figures). {@code run n k seconds
 * helloMs churn}: one network, with time to full reachability, reachability at the end, hops and
 * stretch (the path's delay over the direct underlay delay), control bytes per node per second,
 * heap per node; with {@code churn} > 0 that fraction of the nodes restarts (10 s down) at
 * random times over the run, and reachability (pairs of running nodes with a route) is printed
 * every 30 s. Every installed path is checked for loops after every step in a run (not in scale).
 * {@code java -Xmx8g -cp benchmarks/target/benchmarks.jar re6st.bench.BabelSimulationBench scale 3 4000 100 300 1000}
 */
public final class BabelSimulationBench {
    static final double SIDE_MS = 60, BASE_MS = 2, BROKEN = 0.01;
    static final int HEADERS = 48; // IPv6 + UDP, per packet

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("run")) {
            run(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Double.parseDouble(args[3]),
                    Integer.parseInt(args[4]), Double.parseDouble(args[5]));
            return;
        }
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        int hello = args.length > 2 ? Integer.parseInt(args[2]) : 4000;
        List<Integer> sizes = new ArrayList<>();
        for (int i = 3; i < args.length; i++)
            sizes.add(Integer.parseInt(args[i]));
        if (sizes.isEmpty())
            sizes = List.of(100, 300, 1000);
        System.out.printf(Locale.ROOT, "hello %d ms, k = 5 (about 10 links per node), %.0f s of virtual time%n", hello, seconds);
        System.out.printf(Locale.ROOT, "%6s %8s %8s %8s %12s %10s %10s %10s%n", "nodes", "wall s", "CPU s", "GC s", "messages", "CPU us/msg",
                "heap MB", "KB/node");
        for (int n : sizes) {
            Net net = new Net(n, 5, hello, false);
            long t0 = System.nanoTime();
            double cpu0 = cpuSeconds(), gc0 = gcSeconds();
            net.sim.run(seconds * 1000);
            double wall = (System.nanoTime() - t0) / 1e9, cpu = cpuSeconds() - cpu0, gc = gcSeconds() - gc0;
            long heap = heapAfterGc();
            System.out.printf(Locale.ROOT, "%6d %8.1f %8.1f %8.1f %12d %10.2f %10.0f %10.0f%n", n, wall, cpu, gc, net.messages(),
                    cpu * 1e6 / Math.max(1, net.messages()), heap / 1e6, heap / 1e3 / n);
        }
    }

    /** The network: nodes, their underlay positions, the tunnels. */
    static final class Net {
        final int n;
        final Simulation sim;
        final List<Node> nodes = new ArrayList<>();
        final double[] x, y;
        final long seed;

        Net(int n, int k, int helloMs, boolean checkLoops) {
            this.n = n;
            this.seed = n * 31L + k;
            sim = new Simulation(seed);
            SplittableRandom random = new SplittableRandom(seed);
            x = new double[n];
            y = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = random.nextDouble() * SIDE_MS;
                y[i] = random.nextDouble() * SIDE_MS;
                nodes.add(sim.node("n" + i));
            }
            InterfaceSettings tunnel = InterfaceSettings.tunnel(helloMs);
            for (int i = 0; i < n; i++)
                for (int j = 0, tries = 0; j < k && tries < 100 * k; tries++) {
                    int o = random.nextInt(n - 1);
                    if (o >= i)
                        o++;
                    if (broken(i, o) || linked(i, o))
                        continue; // the tunnel manager dials another
                    sim.connect(nodes.get(i), nodes.get(o), delay(i, o), tunnel);
                    j++;
                }
            for (int i = 0; i < n; i++)
                nodes.get(i).originate(prefix(i));
            if (checkLoops)
                sim.checkLoopsAtEveryStep();
        }

        static Prefix prefix(int i) {
            return Prefix.parse("2001:db8:" + Integer.toHexString(i + 1) + "::/48");
        }

        double delay(int i, int j) {
            return BASE_MS + Math.hypot(x[i] - x[j], y[i] - y[j]);
        }

        /** 1% of the pairs, the same both ways and for a given seed. */
        boolean broken(int i, int j) {
            long a = Math.min(i, j), b = Math.max(i, j);
            return new SplittableRandom(seed ^ (a * 1_000_003L + b)).nextDouble() < BROKEN;
        }

        boolean linked(int i, int j) {
            Node b = nodes.get(j);
            return nodes.get(i).links().values().stream().anyMatch(l -> l.peer().node == b);
        }

        long messages() {
            long m = 0;
            for (Node x : nodes)
                m += x.messagesSent;
            return m;
        }

        long bytes() {
            long b = 0;
            for (Node x : nodes)
                b += x.bytesSent + HEADERS * x.packetsSent;
            return b;
        }

        /** Pairs of running nodes where the first has a route to the second, out of all such pairs. */
        double reachability() {
            long ok = 0, all = 0;
            for (Node a : nodes)
                if (!a.stopped())
                    for (Node b : nodes)
                        if (a != b && !b.stopped()) {
                            all++;
                            if (sim.path(a, b.originated().get(0)) != null)
                                ok++;
                        }
            return all == 0 ? 1 : (double) ok / all;
        }
    }

    static void run(int n, int k, double seconds, int helloMs, double churn) {
        long t0 = System.nanoTime();
        Net net = new Net(n, k, helloMs, true);
        long links = net.nodes.stream().mapToLong(x -> x.links().size()).sum();
        System.out.printf(Locale.ROOT, "%d nodes, k = %d outgoing (%.1f links per node), hello %d ms, %.0f s virtual, churn %.0f%%%n",
                n, k, links / (double) n, helloMs, seconds, churn * 100);
        long start = net.sim.now();
        double full = -1;
        for (int s = 0; s < 120 && full < 0; s++) {
            net.sim.run(1000);
            if (net.sim.fullyConnected())
                full = (net.sim.now() - start) / 1e9;
        }
        System.out.printf(Locale.ROOT, "full reachability after %s virtual (checked every second), wall %.1f s%n",
                full < 0 ? "more than 120 s" : String.format(Locale.ROOT, "%.0f s", full), (System.nanoTime() - t0) / 1e9);

        // restarts at random times over the rest of the run, each 10 s down
        SplittableRandom random = new SplittableRandom(net.seed + 1);
        int restarts = (int) Math.round(churn * n);
        List<long[]> plan = new ArrayList<>(); // {stop at, node}
        double left = seconds - (net.sim.now() - start) / 1e9;
        for (int i = 0; i < restarts; i++)
            plan.add(new long[] {net.sim.now() + (long) (random.nextDouble() * Math.max(0, left - 20) * 1e9), random.nextInt(n)});
        plan.sort((a, b) -> Long.compare(a[0], b[0]));
        List<long[]> restartAt = new ArrayList<>();
        long bytes0 = net.bytes(), window0 = net.sim.now();
        double worst = 1;
        int nextPlan = 0;
        long nextSample = net.sim.now() + 30_000_000_000L;
        long steps = (long) (left * 10);
        for (long s = 0; s < steps; s++) {
            long until = net.sim.now() + 100_000_000L;
            while (nextPlan < plan.size() && plan.get(nextPlan)[0] <= until) {
                Node x = net.nodes.get((int) plan.get(nextPlan++)[1]);
                if (!x.stopped()) {
                    net.sim.stop(x);
                    restartAt.add(new long[] {net.sim.now() + 10_000_000_000L, x.index});
                }
            }
            for (var it = restartAt.iterator(); it.hasNext(); ) {
                long[] r = it.next();
                if (r[0] <= net.sim.now()) {
                    net.sim.restart(net.nodes.get((int) r[1]));
                    it.remove();
                }
            }
            net.sim.run(100);
            if (churn > 0 && net.sim.now() >= nextSample) {
                nextSample += 30_000_000_000L;
                double r = net.reachability();
                worst = Math.min(worst, r);
                System.out.printf(Locale.ROOT, "  t = %4.0f s: %3d stopped, reachability %.4f%n", (net.sim.now() - start) / 1e9,
                        net.nodes.stream().filter(Node::stopped).count(), r);
            }
        }
        for (long[] r : restartAt)
            net.sim.restart(net.nodes.get((int) r[1]));
        net.sim.run(20_000); // the last restarted nodes come back
        double window = (net.sim.now() - window0) / 1e9;
        double bytesPerNode = (net.bytes() - bytes0) / window / n;
        double wall = (System.nanoTime() - t0) / 1e9;

        long pairs = 0, hops = 0, unreached = 0;
        double stretch = 0;
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) {
                if (a == b)
                    continue;
                List<Node> path = net.sim.path(net.nodes.get(a), Net.prefix(b));
                if (path == null) {
                    unreached++;
                    continue;
                }
                pairs++;
                hops += path.size() - 1;
                if (!net.broken(a, b)) {
                    double d = 0;
                    for (int i = 0; i + 1 < path.size(); i++)
                        d += net.delay(path.get(i).index, path.get(i + 1).index);
                    stretch += d / net.delay(a, b);
                }
            }
        long heap = heapAfterGc();
        System.out.printf(Locale.ROOT, "reachability at the end %.4f (%d pairs unreached)%n", 1 - unreached / (double) (n * (n - 1L)), unreached);
        System.out.printf(Locale.ROOT, "average hops %.2f, stretch (path delay / direct underlay delay) %.2f%n", hops / (double) pairs,
                stretch / pairs);
        System.out.printf(Locale.ROOT, "control bytes per node per second (after convergence, IPv6+UDP headers included) %.0f%n", bytesPerNode);
        System.out.printf(Locale.ROOT, "messages %d, packets delivered %d, loop walks %d, worst reachability during churn %.4f%n",
                net.messages(), net.sim.packetsDelivered, net.sim.loopChecks, worst);
        System.out.printf(Locale.ROOT, "heap %.0f MB (%.0f KB per node), wall %.1f s, CPU of the simulating thread %.1f s, GC %.1f s%n",
                heap / 1e6, heap / 1e3 / n, wall, cpuSeconds(), gcSeconds());
    }

    /** This thread's CPU time: the machine is shared, wall time depends on who else runs. */
    static double cpuSeconds() {
        return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() / 1e9;
    }

    /** Time the collectors spent (pauses and concurrent work, as the JVM counts it). */
    static double gcSeconds() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(b -> Math.max(0, b.getCollectionTime())).sum() / 1e3;
    }

    static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
