package re6st.babel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import re6st.babel.message.Prefix;
import re6st.babel.sim.Simulation;
import re6st.babel.sim.Simulation.Link;
import re6st.babel.sim.Simulation.Node;

/**
 * Babel cores by the hundred (issue 15 part 2, the simulator's CI run): a random graph with
 * about ten tunnels per node, some of which go silent (a blackholed underlay path: no link-down
 * signal), then 10% of the nodes restarting, every installed path checked for loops after
 * every step.
 */
class SimulationAtScaleTest {
    static final InterfaceSettings TUNNEL = InterfaceSettings.tunnel(4000);

    static Prefix p(int i) {
        return Prefix.parse("2001:db8:" + Integer.toHexString(i + 1) + "::/48");
    }

    /** {@code n} nodes, each dialling 5 random others (about 10 links per node), 5 to 50 ms one way. */
    static List<Link> randomMesh(Simulation sim, int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < n; i++)
            nodes.add(sim.node("n" + i));
        List<Link> links = new ArrayList<>();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < 5; j++) {
                int o = random.nextInt(n - 1);
                links.add(sim.connect(nodes.get(i), nodes.get(o >= i ? o + 1 : o), 5 + random.nextInt(46), TUNNEL));
            }
        for (int i = 0; i < n; i++)
            nodes.get(i).originate(p(i));
        return links;
    }

    /**
     * 24 s of CPU: a measurement now that netsim's NodeSimulationTest runs these cores in 200 whole
     * nodes (with the same loop check after every step) in the default suite.
     */
    @Test
    @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "re6st.measure", matches = "true", disabledReason = "covered by "
            + "netsim's NodeSimulationTest; run it with ./re6st test -pl routing-core -am -Dtest=SimulationAtScaleTest -Dre6st.measure=true")
    void twoHundredNodesReachEachOtherWithoutALoopRouteAroundSilentLinksAndSurviveRestarts() {
        Simulation sim = new Simulation(15);
        List<Link> links = randomMesh(sim, 200, 15);
        sim.checkLoopsAtEveryStep();
        int seconds = 0;
        while (!sim.fullyConnected() && seconds++ < 30)
            sim.run(1_000); // checked every second: the check walks 40,000 paths
        assertTrue(sim.fullyConnected(), "200 nodes reach each other within 30 s");
        long checksBefore = sim.loopChecks;

        // 1% of the tunnels go silent (and 10 more whose far end is a leaf are left alone: a
        // node whose every link is blackholed cannot be reached by anyone)
        SplittableRandom random = new SplittableRandom(7);
        int cut = 0;
        for (int tries = 0; cut < links.size() / 100 && tries < 10_000; tries++) {
            Link l = links.get(random.nextInt(links.size()));
            if (l.node.links().size() > 3 && l.peer().node.links().size() > 3 && !l.isBlackholed()) {
                l.blackhole(true);
                cut++;
            }
        }
        assertEquals(links.size() / 100, cut);
        sim.run(90_000); // the neighbours time out (hello 4 s: IHU after 3 x 12 s at most) and routes move
        assertTrue(sim.fullyConnected(), "every node still reaches every other around the silent links");
        for (Link l : links)
            if (l.isBlackholed())
                for (Link end : List.of(l, l.peer()))
                    for (KernelRoute r : end.node.fib.values())
                        assertTrue(!r.ifname().equals(end.ifname), end.node + " still routes " + r.prefix() + " into the silent " + end.ifname);
        assertTrue(sim.loopChecks > checksBefore, "routes changed and their paths were walked");

        // churn: 10% of the nodes restart, one every 3 s, each down for 10 s
        List<Node> restarting = new ArrayList<>();
        for (int i = 0; i < 20; i++)
            restarting.add(sim.nodes().get(random.nextInt(200)));
        for (int step = 0; step < 20 + 4; step++) {
            if (step < 20)
                sim.stop(restarting.get(step));
            if (step >= 4 && restarting.get(step - 4).stopped())
                sim.restart(restarting.get(step - 4)); // down 4 steps (12 s) ago
            sim.run(3_000);
        }
        for (Node x : restarting)
            if (x.stopped())
                sim.restart(x);
        sim.run(30_000);
        assertTrue(sim.fullyConnected(), "everyone reaches everyone again 30 s after the last restart");
    }

    @Test
    void theCheckAtEveryStepCatchesALoopMadeInOneNode() {
        Simulation sim = new Simulation(3);
        Node a = sim.node("a"), b = sim.node("b"), c = sim.node("c");
        Link ab = sim.connect(a, b, 10, TUNNEL);
        sim.connect(b, c, 10, TUNNEL);
        c.originate(p(3));
        sim.checkLoopsAtEveryStep();
        assertTrue(sim.runUntil(30_000, () -> sim.path(a, p(3)) != null));
        // b now sends c's prefix back to a, which sends it to b: a loop at the next step
        b.install(new KernelRoute(p(3), null, ab.peer().ifname, ab.linkLocal, false, 1));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> sim.run(1_000));
        assertTrue(e.getMessage().contains("forwarding loop"), e.getMessage());
    }

    @Test
    void aMeshWithoutChangesNeedsNoWalk() {
        Simulation sim = new Simulation(4);
        Node a = sim.node("a"), b = sim.node("b");
        sim.connect(a, b, 10, TUNNEL);
        sim.checkLoopsAtEveryStep();
        sim.run(10_000);
        assertEquals(0, sim.loopChecks, "nothing originated, nothing installed, nothing walked");
        assertNull(sim.path(a, p(9)));
    }
}
