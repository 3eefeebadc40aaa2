package re6st.netsim.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;

/**
 * Issue 15 part 2, the CI run: 200 re6st nodes (the real Babel core with MAC, tunnel manager and
 * peer protocol on simulated tunnels), client_count 10, max_clients 20, 1% of the underlay pairs
 * broken, 10% of the nodes behind a NAT, all started within 10 s. Every installed path is
 * checked for a forwarding loop after every step of the whole run (the check throws). Virtual
 * time only; the wall time is printed (the figures at scale: NodeSimulationBench).
 */
class NodeSimulationTest {
    static final int NODES = 200;

    /** This thread's CPU time: the machine is shared, the wall time depends on who else runs. */
    static double cpu() {
        return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() / 1e9;
    }

    @Test
    void twoHundredNodesReachEachOtherKeepTheirTunnelsAndComeBackAfterRestarts() {
        long t0 = System.nanoTime();
        double cpu0 = cpu();
        NodeSimulation s = new NodeSimulation(NodeSimulation.Options.defaults(NODES, 15));
        double full = s.runUntilFullyReachable(180_000, 1_000);
        System.out.printf(Locale.ROOT, "%d nodes (%d behind a NAT): full reachability %.0f s after the first start (wall %.1f s), %d tunnels%n",
                NODES, s.natNodes(), full, (System.nanoTime() - t0) / 1e9, s.tunnelsUp());
        assertTrue(full > 0, "every node reaches every other within 180 s (reachability " + s.reachability() + ")");

        // the managers fill their outgoing slots: client_count, or 2 behind a NAT (nobody can connect to them)
        double filled = -1;
        for (int i = 0; i < 30 && filled < 0; i++) {
            s.run(10_000);
            if (s.dialableNodesShortOfTunnels() == 0)
                filled = s.nowSeconds();
        }
        System.out.printf(Locale.ROOT, "every node not behind a NAT and dialled by a peer has 10 outgoing tunnels at %.0f s (wall %.1f s)%n", filled,
                (System.nanoTime() - t0) / 1e9);
        assertTrue(filled > 0, s.dialableNodesShortOfTunnels() + " nodes still short of client_count tunnels after 300 s more");
        long bytes0 = s.controlBytes();
        double t1 = s.nowSeconds();
        s.run(30_000);
        double perNode = (s.controlBytes() - bytes0) / (s.nowSeconds() - t1) / NODES;
        int nat = 0, undialled = 0;
        for (int i = 0; i < NODES; i++) {
            int out = s.outgoingUp(i);
            if (s.behindNat(i)) {
                nat++;
                assertTrue(out >= 1 && out <= 2, "n" + i + " behind a NAT has " + out + " outgoing tunnels, expected 1 or 2");
            } else if (s.undialled(i)) { // nobody dialled it yet: the bad-NAT rule caps it at 2 until a peer picks it
                undialled++;
                assertTrue(out >= 1 && out <= 2, "n" + i + ", dialled by nobody, has " + out + " outgoing tunnels, expected 1 or 2");
            } else {
                assertEquals(10, out, "n" + i + " has its client_count of outgoing tunnels");
            }
        }
        assertTrue(nat > 0, "some nodes are behind a NAT");
        System.out.printf(Locale.ROOT, "%d nodes not behind a NAT were dialled by nobody (kept at 2 outgoing tunnels by the bad-NAT rule)%n", undialled);
        assertTrue(undialled <= NODES / 20, undialled + " nodes dialled by nobody: more than 5%");
        NodeSimulation.Paths p = s.paths();
        assertEquals(0, p.unreached());
        assertTrue(p.hops() >= p.graphHops(), "no routed path is shorter than the shortest in tunnels");
        System.out.printf(Locale.ROOT, "at %.0f s: hops %.2f (shortest in tunnels %.2f), stretch %.2f, control %.0f B/s per node from %.0f s (Babel and peer protocol), wall %.1f s%n",
                s.nowSeconds(), p.hops(), p.graphHops(), p.stretch(), perNode, t1, (System.nanoTime() - t0) / 1e9);

        // faults: the underlay under 2% of the tunnels is cut for good, and 10% of the nodes restart (30 s down) within
        // 60 s; reachability between running nodes sampled
        int cut = s.cutTunnels(0.02, 17);
        assertEquals(cut, s.cutTunnelsOpen());
        assertTrue(s.routesIntoCutTunnels() > 0, "routes went through the tunnels just cut");
        List<Integer> restarted = s.scheduleChurn(0.10, 60_000, 30_000, 16);
        s.run(1_000);
        assertEquals(0, s.routesIntoCutTunnels(), "liveness took the cut tunnels' interfaces down: no route into them");
        List<String> samples = new ArrayList<>();
        double worst = 1;
        for (int i = 0; i < 7; i++) {
            s.run(i == 0 ? 9_000 : 10_000);
            double r = s.reachability();
            worst = Math.min(worst, r);
            samples.add(String.format(Locale.ROOT, "%.0f s: %d running, %.4f", s.nowSeconds(), s.runningNodes(), r));
        }
        System.out.println("churn (" + restarted.size() + " restarts, " + cut + " tunnels cut): " + samples);
        assertEquals(NODES, s.runningNodes(), "every restarted node runs again");
        assertTrue(cut > 0);
        assertEquals(0, s.cutTunnelsOpen(), "the owners of the cut tunnels hung up (a timeout, 60 s, after their path died)");
        double back = s.runUntilFullyReachable(90_000, 1_000);
        System.out.printf(Locale.ROOT, "worst reachability during the churn %.4f; full again at %.0f s; %d paths walked for loops; wall %.1f s, CPU %.1f s%n",
                worst, back, s.loopChecks(), (System.nanoTime() - t0) / 1e9, cpu() - cpu0);
        assertTrue(back > 0, "full reachability within 90 s of the end of the churn (reachability " + s.reachability() + ")");
        for (int i : restarted)
            assertTrue(s.outgoingUp(i) > 0, "restarted n" + i + " has tunnels again");
        assertTrue(s.loopChecks() > 0, "routes changed and their paths were walked");
    }
}
