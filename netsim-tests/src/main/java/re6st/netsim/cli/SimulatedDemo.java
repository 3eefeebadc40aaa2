package re6st.netsim.cli;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import re6st.babel.KernelRoute;
import re6st.babel.message.Prefix;
import re6st.babel.sim.Simulation;
import re6st.netsim.sim.NodeSimulation;

/**
 * The demo's story on the node-level simulator ({@link NodeSimulation}, issue 15 part 2): the
 * same hosts (the registry's host, n1..n4, "home" behind a NAT) at the same WAN delays, each
 * running the real tunnel manager, peer protocol and Babel core on simulated tunnels over a
 * simulated underlay, on a virtual clock; no kernel, no root, a few seconds of wall time. The
 * simulator has no tunnel liveness: the cut takes the tunnel's interfaces down
 * {@link #LIVENESS_DETECTION_MS} after it, the real tunnels' detection time, and says so.
 */
final class SimulatedDemo {
    /**
     * How long the real tunnels' liveness takes to declare a silent path dead and set the
     * interface down (tunnel-io's Liveness: 300 ms of silence before down); modelled as this
     * fixed delay on both ends.
     */
    static final double LIVENESS_DETECTION_MS = 300;
    /** How often the FIBs are walked to see whether the source still has a working path (the real demo's probe period). */
    static final double POLL_MS = 10;
    private static final long SEED = 42;

    private final PrintStream out;
    private final double hello;
    private final double cutSeconds;
    private final List<String> labels = new ArrayList<>();
    private NodeSimulation s;
    private Simulation sim;

    SimulatedDemo(PrintStream out, double hello, double cutSeconds) {
        this.out = out;
        this.hello = hello;
        this.cutSeconds = cutSeconds;
    }

    void run() {
        long wall = System.nanoTime();
        int n = DemoCommand.DELAYS.length + 1;
        double[] access = new double[n];
        boolean[] nat = new boolean[n];
        for (int i = 0; i < DemoCommand.DELAYS.length; i++) {
            access[i] = DemoCommand.DELAYS[i];
            labels.add(i == 0 ? "reg" : "n" + i);
        }
        access[n - 1] = DemoCommand.NAT_DELAY;
        nat[n - 1] = true;
        labels.add("home");
        int home = n - 1;

        out.println("== SIMULATED: the demo's network on the in-process node simulator, in virtual time (no namespaces, no");
        out.println("   kernel, no root). Each node runs re6st node's own tunnel manager, peer protocol and Babel core (RTT metric,");
        out.println("   MAC); the tunnels, the WAN and the registry's getBootstrapPeer are simulated. Times below are virtual.");
        out.println("   registry: a stand-in on host reg (its node is reg's; certificates from the simulation's CA, no 're6st conf')");
        out.println("   hosts, each behind its own simulated WAN link to an \"internet\" router:");
        for (int i = 0; i < n; i++)
            out.printf(Locale.ROOT, "     %-5s %3.0f ms one way%s%n", labels.get(i), access[i],
                    i == home ? "  behind a NAT (it dials out; nobody can dial it)" : i == 0 ? "  also runs the registry" : "");

        NodeSimulation.Options o = new NodeSimulation.Options(n, DemoCommand.CLIENT_COUNT, DemoCommand.MAX_CLIENTS, (int) hello, 300,
                0, 0, 0, 0, 1_000, SEED);
        s = new NodeSimulation(o, access, nat);
        sim = s.sim;
        double t0 = s.nowSeconds();

        out.println();
        out.printf(Locale.ROOT, "== Starting re6st node on every host (simulated; hello %.0f s, client_count %d, max_clients %d)%n", hello,
                DemoCommand.CLIENT_COUNT, DemoCommand.MAX_CLIENTS);
        boolean[] seen = new boolean[n];
        int lastTunnels = -1, lastPairs = -1, all = n * (n - 1);
        double full = -1;
        while (full < 0 && s.nowSeconds() - t0 < 120) {
            for (int i = 0; i < n; i++)
                if (s.running(i) && !seen[i]) {
                    seen[i] = true;
                    out.printf(Locale.ROOT, "   %5.1f s  %s runs%n", s.nowSeconds() - t0, labels.get(i));
                }
            int tunnels = s.tunnelsUp(), pairs = reachablePairs();
            if (tunnels != lastTunnels || pairs != lastPairs) {
                out.printf(Locale.ROOT, "   %5.1f s  tunnels up: %d; ordered pairs with a working path: %2d of %d%n", s.nowSeconds() - t0,
                        tunnels, pairs, all);
                lastTunnels = tunnels;
                lastPairs = pairs;
            }
            if (pairs == all)
                full = s.nowSeconds() - t0;
            else
                s.run(100);
        }
        if (full < 0)
            throw new IllegalStateException("the simulated network did not reach full reachability in 120 s of virtual time");
        out.printf(Locale.ROOT, "   every ordered pair has a working path %.1f s after the first node started%n", full);

        out.println();
        out.printf(Locale.ROOT, "== Letting Babel measure the tunnels' RTTs (%.0f s of virtual time)%n", 3 * hello);
        s.run(3 * hello * 1000);
        out.println("   tunnels: " + tunnelList());

        out.println();
        out.println("== Ping matrix over overlay addresses (SIMULATED): round trip in ms = the tunnel delays along each FIB path,");
        out.println("   there and back; then the first hop of the path (= a direct tunnel; else the node whose tunnel the route takes)");
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "   %-6s", "from\\to"));
        for (String l : labels)
            header.append(String.format(Locale.ROOT, " %-12s", l));
        out.println(header);
        double[][] rtt = new double[n][n];
        for (int a = 0; a < n; a++) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "   %-6s", labels.get(a)));
            for (int b = 0; b < n; b++) {
                if (a == b) {
                    row.append(String.format(Locale.ROOT, " %-12s", "-"));
                    continue;
                }
                rtt[a][b] = roundTrip(a, b);
                String hop = firstHop(a, b);
                row.append(String.format(Locale.ROOT, " %-12s", (rtt[a][b] >= 0 ? String.format(Locale.ROOT, "%.0f", rtt[a][b]) : "lost")
                        + " " + (hop.equals(labels.get(b)) ? "=" : hop)));
            }
            out.println(row);
        }

        // the best direct path between two public hosts that have another way to each other, as the real demo picks it
        int from = -1, to = -1;
        double best = Double.MAX_VALUE;
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                if (a != b && a != home && b != home && labels.get(b).equals(firstHop(a, b)) && connectedWithout(a, b)
                        && rtt[a][b] >= 0 && rtt[a][b] < best) {
                    best = rtt[a][b];
                    from = a;
                    to = b;
                }
        if (from < 0) {
            out.println("   (no direct tunnel between two public hosts with another path between them: skipping the failover part)");
        } else {
            cut(from, to, best);
        }
        out.printf(Locale.ROOT, "%n== Done: %.0f s of virtual time in %.1f s of wall time; every route a node installed was checked for%n",
                s.nowSeconds() - t0, (System.nanoTime() - wall) / 1e9);
        out.printf(Locale.ROOT, "   a forwarding loop in the step that installed it (%d paths walked, none looped). This was a simulation:%n",
                s.loopChecks());
        out.println("   run as root for the real thing.");
    }

    private void cut(int from, int to, double best) {
        String f = labels.get(from), x = labels.get(to);
        List<Simulation.Link> links = tunnels(from, to); // one, or two when each dialled the other: the cut is in the underlay
        out.println();
        out.printf(Locale.ROOT, "== Cutting the best direct path, %s <-> %s (%.0f ms round trip), for %.0f s of virtual time: the tunnel%n",
                f, x, best, cutSeconds);
        out.println("   drops every packet, no link-down signal. The simulator has no tunnel liveness: both ends take the tunnel's");
        out.printf(Locale.ROOT, "   interface down %.1f s after the cut (LIVENESS_DETECTION_MS, the real tunnels' detection time); Babel%n",
                LIVENESS_DETECTION_MS / 1000);
        out.printf(Locale.ROOT, "   does the rest. Every %.0f ms of virtual time: does %s have a working path to %s and back (FIBs walked)?%n",
                POLL_MS, f, x);
        long cutAt = sim.now();
        for (Simulation.Link l : links) {
            l.blackhole(true);
            sim.at(LIVENESS_DETECTION_MS, () -> {
                if (!l.isRemoved())
                    sim.down(l);
            });
        }
        double gap = 0, lastOk = cutAt / 1e6;
        long polls = 0, ok = 0;
        String via = null;
        while (sim.now() - cutAt < cutSeconds * 1e9) {
            s.run(POLL_MS);
            polls++;
            double now = sim.now() / 1e6;
            if (roundTrip(from, to) >= 0) {
                ok++;
                gap = Math.max(gap, now - lastOk);
                lastOk = now;
                via = firstHop(from, to);
            }
        }
        if (via != null)
            out.printf(Locale.ROOT, "   traffic interrupted for %.2f s; %s now reaches %s via %s (%.0f ms round trip)%n", gap / 1000, f, x, via,
                    roundTrip(from, to) >= 0 ? roundTrip(from, to) : Double.NaN);
        else
            out.printf(Locale.ROOT, "   no working path from %s to %s during the %.0f s cut%n", f, x, cutSeconds);

        // the heal: packets pass again; the liveness sees its next probe answered one round trip later and sets the interfaces up
        long healed = sim.now();
        for (Simulation.Link l : links) {
            l.blackhole(false);
            sim.at(2 * l.delayMillis(), () -> {
                if (!l.isRemoved()) {
                    sim.interfaceUp(l);
                    sim.interfaceUp(l.peer());
                }
            });
        }
        boolean back = false;
        while (!back && sim.now() - healed < 60e9) {
            s.run(POLL_MS);
            back = x.equals(firstHop(from, to));
        }
        out.printf(Locale.ROOT, back ? "   healed (the liveness sets both interfaces up one round trip later): %s reaches %s over their%n"
                + "   direct tunnel again after %.1f s (%.0f ms round trip)%n"
                : "   healed: after %3$.0f s %1$s still reaches %2$s another way%n", f, x, (sim.now() - healed) / 1e9, roundTrip(from, to));
        out.printf(Locale.ROOT, "   polls during the cut: %d, %d with a working path%n", polls, ok);
    }

    // ---- the overlay, read from the nodes' FIBs

    private Simulation.Node node(int i) {
        return sim.nodes().get(i);
    }

    /** The node's prefix, or null before its first start (it originates it then). */
    private Prefix prefix(int i) {
        List<Prefix> p = node(i).originated();
        return p.isEmpty() ? null : p.get(0);
    }

    /**
     * The links a packet from {@code a} to {@code b} takes along the installed routes, or null when
     * it would not get there: no route, or a tunnel that drops everything (the cut).
     */
    private List<Simulation.Link> path(int a, int b) {
        Prefix p = prefix(b);
        if (p == null || !s.running(a) || !s.running(b))
            return null;
        List<Simulation.Link> links = new ArrayList<>();
        Simulation.Node at = node(a);
        for (int hops = 0; hops <= sim.nodes().size(); hops++) {
            if (at.originated().contains(p))
                return links;
            KernelRoute r = at.route(p);
            if (r == null || r.unreachable())
                return null;
            Simulation.Link l = at.links().get(r.ifname());
            if (l == null || l.isRemoved() || l.isBlackholed())
                return null;
            links.add(l);
            at = l.peer().node;
        }
        return null;
    }

    /** Round trip over the overlay (the tunnel delays there and back), or -1 when either way has no working path. */
    private double roundTrip(int a, int b) {
        List<Simulation.Link> there = path(a, b), back = path(b, a);
        if (there == null || back == null)
            return -1;
        double d = 0;
        for (Simulation.Link l : there)
            d += l.delayMillis();
        for (Simulation.Link l : back)
            d += l.delayMillis();
        return d;
    }

    /** The label of the first node on {@code a}'s path to {@code b}, or "?" when it has none. */
    private String firstHop(int a, int b) {
        List<Simulation.Link> p = path(a, b);
        return p == null || p.isEmpty() ? "?" : labels.get(p.get(0).peer().node.index);
    }

    private int reachablePairs() {
        int c = 0;
        for (int a = 0; a < labels.size(); a++)
            for (int b = 0; b < labels.size(); b++)
                if (a != b && path(a, b) != null)
                    c++;
        return c;
    }

    /** {@code a}'s end of each tunnel between a and b, whichever dialled. */
    private List<Simulation.Link> tunnels(int a, int b) {
        List<Simulation.Link> l = new ArrayList<>();
        for (Simulation.Link x : node(a).links().values())
            if (!x.isRemoved() && x.peer().node.index == b)
                l.add(x);
        return l;
    }

    /** The tunnels, each once: "reg-n1 n1-n3 ...". */
    private String tunnelList() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < labels.size(); i++)
            for (Simulation.Link l : node(i).links().values())
                if (!l.isRemoved() && l.peer().node.index > i)
                    b.append(labels.get(i)).append('-').append(labels.get(l.peer().node.index)).append(' ');
        return b.toString().trim();
    }

    /** Whether {@code a} reaches {@code b} over the tunnels without the tunnel between them. */
    private boolean connectedWithout(int a, int b) {
        Set<Integer> seen = new HashSet<>(List.of(a));
        ArrayDeque<Integer> todo = new ArrayDeque<>(List.of(a));
        while (!todo.isEmpty()) {
            int h = todo.poll();
            for (Simulation.Link l : node(h).links().values()) {
                int m = l.peer().node.index;
                if (l.isRemoved() || (h == a && m == b) || !seen.add(m))
                    continue;
                if (m == b)
                    return true;
                todo.add(m);
            }
        }
        return false;
    }
}
