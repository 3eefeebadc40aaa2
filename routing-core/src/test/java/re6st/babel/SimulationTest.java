package re6st.babel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import re6st.babel.message.Prefix;
import re6st.babel.sim.Simulation;
import re6st.babel.sim.Simulation.Link;
import re6st.babel.sim.Simulation.Node;

/** Protocol cores over simulated links on a virtual clock: convergence, loop freedom, failover, starvation. */
class SimulationTest {
    static final InterfaceSettings WIRED = InterfaceSettings.wired(1000);
    static final InterfaceSettings TUNNEL = InterfaceSettings.tunnel(1000);

    static Prefix p(int i) {
        return Prefix.parse("2001:db8:" + Integer.toHexString(i) + "::/48");
    }

    @Test
    void aChainOfFiveConvergesWithHopCountMetrics() {
        Simulation sim = new Simulation(1);
        Node[] n = new Node[5];
        for (int i = 0; i < 5; i++)
            n[i] = sim.node("n" + i);
        for (int i = 0; i < 4; i++)
            sim.connect(n[i], n[i + 1], 1, WIRED);
        for (int i = 0; i < 5; i++)
            n[i].originate(p(i));
        sim.afterStep = Simulation::checkLoopFree;
        assertTrue(sim.runUntil(60_000, sim::fullyConnected), "a chain of 5 converges within 60 s");
        Route r = n[0].router.installed(p(4), null);
        assertEquals(4 * 96, r.metric(), "4 wired hops of cost 96");
        assertEquals(5, sim.path(n[0], p(4)).size());
    }

    @Test
    void anUnwiredLinkTakesItsRoutesAndPacketsWithItAndTheOtherPathTakesOver() {
        Simulation sim = new Simulation(11);
        Node a = sim.node("a"), b = sim.node("b"), c = sim.node("c");
        Link ab = sim.connect(a, b, 10, TUNNEL);
        sim.connect(a, c, 30, TUNNEL);
        sim.connect(c, b, 30, TUNNEL);
        b.originate(p(2));
        sim.checkLoopsAtEveryStep();
        assertTrue(sim.runUntil(30_000, () -> sim.path(a, p(2)) != null && sim.path(a, p(2)).size() == 2), "a routes to b directly");
        long delivered = sim.packetsDelivered;
        sim.unwire(ab);
        assertTrue(ab.isRemoved() && ab.peer().isRemoved());
        assertFalse(a.links().containsKey(ab.ifname) || b.links().containsKey(ab.peer().ifname), "gone from both nodes");
        assertFalse(a.router.hasInterface(ab.ifname), "and from Babel");
        for (KernelRoute r : a.fib.values())
            assertTrue(!r.ifname().equals(ab.ifname), "no route left through the removed interface: " + r);
        assertTrue(sim.runUntil(30_000, () -> sim.path(a, p(2)) != null), "the path through c is installed");
        assertEquals(List.of(a, c, b), sim.path(a, p(2)));
        assertTrue(sim.packetsDelivered > delivered);
    }

    @Test
    void actionsRunAtTheirVirtualTimeAndCallsSendWhatTheCoreQueued() {
        Simulation sim = new Simulation(12);
        Node a = sim.node("a"), b = sim.node("b");
        sim.connect(a, b, 10, TUNNEL);
        sim.run(10_000);
        List<Long> ran = new ArrayList<>();
        long start = sim.now();
        sim.at(250, () -> ran.add(sim.now() - start));
        sim.at(0, () -> ran.add(sim.now() - start));
        sim.run(100);
        assertEquals(List.of(0L), ran, "the one due now ran, the later one not yet");
        sim.run(200);
        assertEquals(List.of(0L, 250_000_000L), ran);
        long sent = a.packetsSent;
        sim.call(a, core -> core.addXroute(p(1), null, 0, sim.now())); // an announcement goes out at once
        assertTrue(a.packetsSent > sent, "the call's messages were packed and sent");
        assertTrue(sim.runUntil(1_000, () -> b.route(p(1)) != null));
    }

    /**
     * An alternative that stays unfeasible (a neighbour farther from the source than we are) is no
     * reason to ask the source for a new seqno: as in babeld 1.8.1+, each finite update refreshes
     * the route, feasible or not, so it never gets old and {@code send_unfeasible_request(neigh,
     * route_old(route), ...)} is not forced. When only feasible updates refreshed it, every
     * alternative was old about 5 minutes into a run with re6st's timers, each periodic update of
     * every farther neighbour forced a seqno request to the source, and each new seqno was a flood:
     * a 100-node simulation went from 1 to 10-25 KB/s of Babel per node, for ever.
     */
    @Test
    void anOldUnfeasibleAlternativeDoesNotMakeTheSourceBumpItsSeqno() {
        Simulation sim = new Simulation(13);
        Node o = sim.node("o"), a = sim.node("a"), x = sim.node("x"), b = sim.node("b"), c = sim.node("c");
        sim.connect(o, a, 1, WIRED);
        sim.connect(a, x, 1, WIRED);
        sim.connect(o, c, 1, WIRED);
        sim.connect(c, b, 1, WIRED);
        sim.connect(x, b, 1, WIRED); // x and b are 2 hops from o each: b's announcement is unfeasible at x (not below x's own)
        o.originate(p(1));
        sim.checkLoopsAtEveryStep();
        assertTrue(sim.runUntil(30_000, () -> sim.path(x, p(1)) != null && sim.path(b, p(1)) != null));
        assertEquals(List.of(x, a, o), sim.path(x, p(1)));
        assertEquals(List.of(b, c, o), sim.path(b, p(1)));
        sim.run(10_000);
        int seqno = o.router.seqno();
        sim.run(120_000); // the hold time is 24 s (update interval 4 s): b's route at x is old after 21 s
        assertEquals(seqno, o.router.seqno(), "nothing changed: no new seqno asked for");
        assertEquals(List.of(x, a, o), sim.path(x, p(1)));
    }

    /**
     * The unfeasible alternative is kept alive by its neighbour's updates (not retracted at the
     * hold time): long after the start, when the installed route's link goes, the destination is
     * reached through it soon (the seqno request of route_lost makes it feasible), loop-free.
     */
    @Test
    void anUnfeasibleAlternativeStaysAliveAndTakesOverLongAfterTheStart() {
        Simulation sim = new Simulation(13);
        Node o = sim.node("o"), a = sim.node("a"), x = sim.node("x"), b = sim.node("b"), c = sim.node("c");
        sim.connect(o, a, 1, WIRED);
        Link ax = sim.connect(a, x, 1, WIRED);
        sim.connect(o, c, 1, WIRED);
        sim.connect(c, b, 1, WIRED);
        sim.connect(x, b, 1, WIRED);
        o.originate(p(1));
        sim.checkLoopsAtEveryStep();
        assertTrue(sim.runUntil(30_000, () -> sim.path(x, p(1)) != null && sim.path(b, p(1)) != null));
        sim.run(130_000); // more than 5 hold times (24 s)
        assertEquals(List.of(x, a, o), sim.path(x, p(1)));
        // x's only other neighbour is b: its route, unfeasible all along, is still there, not retracted
        assertTrue(x.router.routes().stream().anyMatch(r -> r.prefix().equals(p(1)) && !r.installed()
                && r.refmetric() < re6st.babel.message.Message.INFINITY), "b's route at x: " + x.router.routes());
        sim.unwire(ax);
        assertTrue(sim.runUntil(5_000, () -> List.of(x, b, c, o).equals(sim.path(x, p(1)))),
                "x reaches o through b within 5 s: " + sim.path(x, p(1)));
    }

    /**
     * The installed route getting 384 worse (a cost multiplier on its only link) is announced and
     * followed by a plain route request (babeld's send_multicast_request), not a seqno request:
     * the source keeps its seqno and nothing floods.
     */
    @Test
    void aMetricRiseIsFollowedByARouteRequestNotANewSeqno() {
        Simulation sim = new Simulation(17);
        Node o = sim.node("o"), a = sim.node("a"), x = sim.node("x");
        Link ao = sim.connect(a, o, 1, WIRED);
        sim.connect(a, x, 1, WIRED);
        o.originate(p(1));
        sim.checkLoopsAtEveryStep();
        assertTrue(sim.runUntil(30_000, () -> sim.path(x, p(1)) != null));
        sim.run(10_000);
        int seqno = o.router.seqno();
        int before = a.router.installed(p(1), null).metric();
        sim.call(a, core -> core.setCostMultiplier(ao.ifname, ao.peer().linkLocal, 5, sim.now()));
        assertTrue(a.router.installed(p(1), null).metric() >= before + 384, "a's metric rose by 384 or more");
        sim.run(30_000);
        assertEquals(seqno, o.router.seqno(), "no new seqno asked for");
        assertEquals(List.of(x, a, o), sim.path(x, p(1)));
    }

    @Test
    void latencyDecidesWithTimestampsOnTunnels() {
        Simulation sim = new Simulation(2);
        Node a = sim.node("a"), b = sim.node("b"), c = sim.node("c"), d = sim.node("d");
        sim.connect(a, b, 10, TUNNEL);
        sim.connect(b, d, 10, TUNNEL);
        sim.connect(a, c, 40, TUNNEL);
        sim.connect(c, d, 40, TUNNEL);
        d.originate(p(4));
        a.originate(p(1));
        sim.afterStep = Simulation::checkLoopFree;
        assertTrue(sim.runUntil(60_000, sim::fullyConnected));
        sim.run(30_000); // let RTT estimates settle
        assertEquals(List.of(a, b, d), sim.path(a, p(4)), "the 20 ms path wins over the 80 ms one");
        Neighbour viaB = a.router.installed(p(4), null).neighbour();
        int rtt = viaB.rttMicros(sim.now());
        assertTrue(rtt >= 19_000 && rtt <= 21_500, "RTT to b measured " + rtt + " us, expected ~20 ms");
    }

    @Test
    void blackholedLinkIsRoutedAroundAndLoopsNeverForm() {
        Triangle tri = Triangle.equal(3);
        Simulation sim = tri.sim;
        Node a = tri.a, b = tri.b, c = tri.c;
        Link ab = tri.ab;
        ab.blackhole(true);
        long cut = sim.now();
        assertTrue(sim.runUntil(60_000, () -> List.of(a, c, b).equals(sim.path(a, p(2)))), "a reaches b through c");
        double seconds = (sim.now() - cut) / 1e9;
        assertTrue(seconds < 10, "rerouted after " + seconds + " s at hello 1 s");
        ab.blackhole(false);
        assertDirectPathComesBack(sim, a, b, 120_000);
    }

    static void assertDirectPathComesBack(Simulation sim, Node a, Node b, double maxMillis) {
        assertTrue(sim.runUntil(maxMillis, () -> List.of(a, b).equals(sim.path(a, p(2)))), "the direct path comes back");
    }

    @Test
    void interfaceDownSwitchesAtOnceToAFeasibleAlternative() {
        Triangle t = Triangle.converged(4);
        t.sim.down(t.ab);
        assertEquals(List.of(t.a, t.c, t.b), t.sim.path(t.a, p(2)), "the feasible alternative is installed in the same step");
    }

    /**
     * a-b direct, and a-c-b where c's metric to b (50) is below a's distance (96): a feasible
     * alternative. Converged, a routing b's prefix over ab, and settled until a has heard c's route too.
     */
    record Triangle(Simulation sim, Node a, Node b, Node c, Link ab, Link ac) {
        static Triangle converged(long seed) {
            Simulation sim = new Simulation(seed);
            Node a = sim.node("a"), b = sim.node("b"), c = sim.node("c");
            Link ab = sim.connect(a, b, 5, WIRED);
            sim.connect(b, c, 5, WIRED.withRxcost(50));
            Link ac = sim.connect(a, c, 5, WIRED);
            b.originate(p(2));
            a.originate(p(1));
            c.originate(p(3));
            sim.afterStep = Simulation::checkLoopFree;
            assertTrue(sim.runUntil(60_000, () -> List.of(a, b).equals(sim.path(a, p(2)))));
            sim.run(30_000);
            return new Triangle(sim, a, b, c, ab, ac);
        }

        /** Three equal wired links: c's metric to b equals a's distance, so the path a-c-b is unfeasible at a. Connected. */
        static Triangle equal(long seed) {
            Simulation sim = new Simulation(seed);
            Node a = sim.node("a"), b = sim.node("b"), c = sim.node("c");
            Link ab = sim.connect(a, b, 5, WIRED);
            sim.connect(b, c, 5, WIRED);
            Link ac = sim.connect(a, c, 5, WIRED);
            a.originate(p(1));
            b.originate(p(2));
            c.originate(p(3));
            sim.afterStep = Simulation::checkLoopFree;
            assertTrue(sim.runUntil(60_000, sim::fullyConnected));
            assertEquals(List.of(a, b), sim.path(a, p(2)));
            return new Triangle(sim, a, b, c, ab, ac);
        }
    }

    /** Two nodes on one link, each originating a prefix, converged. */
    record Pair(Simulation sim, Node a, Node b, Link ab) {
        static Pair converged(long seed) {
            Simulation sim = new Simulation(seed);
            Node a = sim.node("a"), b = sim.node("b");
            Link ab = sim.connect(a, b, 5, WIRED);
            b.originate(p(2));
            a.originate(p(1));
            assertTrue(sim.runUntil(60_000, sim::fullyConnected));
            return new Pair(sim, a, b, ab);
        }
    }

    /**
     * What the node does when a tunnel's liveness is lost: only its own end goes down (the far
     * end may not know yet). The feasible alternative is in the FIB at the same virtual instant,
     * put there by one replace (no uninstall: never a moment without a route).
     */
    @Test
    void interfaceDownOnOneEndSwitchesTheKernelRouteInTheSameInstantWithoutAGap() {
        Triangle tri = Triangle.converged(8);
        Simulation sim = tri.sim;
        Node a = tri.a, b = tri.b, c = tri.c;
        Link ab = tri.ab, ac = tri.ac;
        assertEquals(ab.ifname, a.route(p(2)).ifname());
        long t = sim.now(), installs = a.installs, uninstalls = a.uninstalls;

        sim.interfaceDown(ab);

        assertEquals(t, sim.now(), "no virtual time passed");
        KernelRoute r = a.route(p(2));
        assertEquals(ac.ifname, r.ifname(), "switched to the path through c: " + r);
        assertEquals(ac.peer().linkLocal, r.nextHop());
        assertFalse(r.unreachable());
        assertEquals(List.of(a, c, b), sim.path(a, p(2)));
        assertEquals(uninstalls, a.uninstalls, "replaced, never removed: no instant without a route");
        assertTrue(a.installs > installs);
        assertTrue(a.router.neighbours().stream().noneMatch(n -> n.interfaceName().equals(ab.ifname)),
                "the neighbour on the downed interface is flushed");

        sim.interfaceUp(ab);
        assertDirectPathComesBack(sim, a, b, 60_000);
    }

    /** Without an alternative, the route becomes unreachable in the same instant (not at a hello timeout). */
    @Test
    void interfaceDownWithoutAlternativeMakesTheRouteUnreachableAtOnce() {
        Pair pair = Pair.converged(9);
        pair.sim.interfaceDown(pair.ab);
        KernelRoute r = pair.a.route(p(2));
        assertTrue(r == null || r.unreachable(), "no usable route left at once: " + r);
        assertNull(pair.sim.path(pair.a, p(2)));
    }

    @Test
    void interfaceDownWithoutFeasibleAlternativeRecoversAfterOneRequest() {
        Simulation sim = new Simulation(4);
        Node a = sim.node("a"), b = sim.node("b"), c = sim.node("c");
        Link ab = sim.connect(a, b, 5, WIRED);
        sim.connect(b, c, 5, WIRED);
        sim.connect(a, c, 5, WIRED);
        b.originate(p(2));
        a.originate(p(1));
        c.originate(p(3));
        sim.afterStep = Simulation::checkLoopFree;
        assertTrue(sim.runUntil(60_000, sim::fullyConnected));
        sim.run(30_000);
        sim.down(ab);
        long t = sim.now();
        assertTrue(sim.runUntil(5_000, () -> List.of(a, c, b).equals(sim.path(a, p(2)))));
        assertTrue(sim.now() - t < 100_000_000L, "a seqno request round trip (4 x 5 ms), not a hello timeout: "
                + (sim.now() - t) / 1e6 + " ms");
    }

    /**
     * Starvation (RFC 8966 3.8.2.1): a's only remaining route is unfeasible (its metric is above
     * the feasibility distance); a seqno request makes the origin bump its seqno.
     */
    @Test
    void starvationIsResolvedBySeqnoRequests() {
        Simulation sim = new Simulation(5);
        Node a = sim.node("a"), b = sim.node("b"), c = sim.node("c"), d = sim.node("d"), e = sim.node("e");
        Link ab = sim.connect(a, b, 1, WIRED);
        sim.connect(b, d, 1, WIRED);
        sim.connect(a, c, 1, WIRED);
        sim.connect(c, e, 1, WIRED);
        sim.connect(e, d, 1, WIRED); // a-c-e-d is one hop longer than a-b-d
        d.originate(p(4));
        a.originate(p(1));
        sim.afterStep = Simulation::checkLoopFree;
        assertTrue(sim.runUntil(60_000, () -> sim.path(a, p(4)) != null && sim.path(a, p(4)).size() == 3));
        int seqnoBefore = d.router.seqno();
        sim.down(ab);
        assertTrue(sim.runUntil(30_000, () -> List.of(a, c, e, d).equals(sim.path(a, p(4)))),
                "a gets the longer route after a seqno request");
        assertTrue(Seqno.compare(d.router.seqno(), seqnoBefore) > 0, "the origin bumped its seqno");
    }

    /** The tunnel manager drains a tunnel before closing it: a high cost multiplier moves traffic away first. */
    @Test
    void costMultiplierDrainsANeighbour() {
        Triangle tri = Triangle.converged(7);
        Simulation sim = tri.sim;
        Node a = tri.a, b = tri.b, c = tri.c;
        Link ab = tri.ab;
        a.router.setCostMultiplier(ab.ifname, ab.peer().linkLocal, 100, sim.now());
        assertTrue(sim.runUntil(5_000, () -> List.of(a, c, b).equals(sim.path(a, p(2)))), "traffic moved off the drained link");
        assertTrue(a.router.routes().stream().noneMatch(r -> r.installed() && r.neighbour().interfaceName().equals(ab.ifname)),
                "no installed route uses the drained neighbour");
        a.router.setCostMultiplier(ab.ifname, ab.peer().linkLocal, 1, sim.now());
        assertTrue(sim.runUntil(60_000, () -> List.of(a, b).equals(sim.path(a, p(2)))), "and comes back when restored");
    }

    /**
     * Draining with the tunnel manager's multiplier (4096) when the other path is unfeasible at
     * first (c's metric to b equals a's feasibility distance): the drained route keeps carrying
     * traffic until b's new seqno makes the path through c feasible; b's prefix is never
     * unreachable at a (it was, for one seqno round trip, while a multiplied cost was infinite).
     */
    @Test
    void aDrainIsMakeBeforeBreakEvenWhenTheOtherPathIsUnfeasibleAtFirst() {
        Triangle tri = Triangle.equal(11);
        Simulation sim = tri.sim;
        Node a = tri.a, b = tri.b, c = tri.c;
        Link ab = tri.ab;
        sim.run(30_000);
        int seqnoBefore = b.router.seqno();
        List<String> holes = new ArrayList<>();
        sim.afterStep = s -> {
            s.checkLoopFree();
            KernelRoute r = a.route(p(2));
            if (r == null || r.unreachable())
                holes.add(s.now() / 1_000_000 + " ms: " + r);
        };
        a.router.setCostMultiplier(ab.ifname, ab.peer().linkLocal, 4096, sim.now());
        assertTrue(sim.runUntil(10_000, () -> List.of(a, c, b).equals(sim.path(a, p(2)))), "traffic moved off the drained link");
        assertTrue(Seqno.compare(b.router.seqno(), seqnoBefore) > 0, "through a seqno request: the path through c was unfeasible");
        assertEquals(List.of(), holes, "b's prefix stayed routed at a during the drain");
    }

    @Test
    void gracefulShutdownRetractsAtNeighbours() {
        Simulation sim = new Simulation(6);
        Node a = sim.node("a"), b = sim.node("b");
        sim.connect(a, b, 1, WIRED);
        b.originate(p(2));
        a.originate(p(1));
        assertTrue(sim.runUntil(60_000, sim::fullyConnected));
        KernelRoute before = a.route(p(2));
        assertTrue(before != null && !before.unreachable(), "a routes to b's prefix first: " + before);
        b.router.shutdown(sim.now());
        assertTrue(b.fib.isEmpty(), "b removed its kernel routes");
        long t = sim.now();
        assertTrue(sim.runUntil(60_000, () -> a.route(p(2)) == null || a.route(p(2)).unreachable()),
                "a stops routing to b's prefix: " + a.route(p(2)));
        // Virtual time: b's wildcard retraction crosses the 1 ms link; without it, a would only
        // notice after missing several hellos (1 s apart).
        double ms = (sim.now() - t) / 1e6;
        assertTrue(ms < 1000, "the retraction, not a hello timeout, removed the route: after " + ms + " virtual ms");
    }

    @Test
    void aStoppedNodeIsRoutedAroundThenReachedAgainWhenItRestarts() {
        Simulation sim = new Simulation(9);
        Node a = sim.node("a"), b = sim.node("b"), c = sim.node("c"), d = sim.node("d");
        sim.connect(a, b, 10, TUNNEL);
        sim.connect(b, d, 10, TUNNEL);
        sim.connect(a, c, 40, TUNNEL);
        sim.connect(c, d, 40, TUNNEL);
        Node[] all = {a, b, c, d};
        for (int i = 0; i < 4; i++)
            all[i].originate(p(i + 1));
        sim.checkLoopsAtEveryStep();
        assertTrue(sim.runUntil(30_000, sim::fullyConnected));
        sim.run(10_000);
        assertEquals(List.of(a, b, d), sim.path(a, p(4)));

        sim.stop(b);
        assertTrue(b.fib.isEmpty(), "its kernel routes are removed");
        sim.run(100);
        assertEquals(List.of(a, c, d), sim.path(a, p(4)), "its peers saw their tunnels go: routed around at once");
        assertNull(sim.path(a, p(2)), "nobody routes to the stopped node");

        sim.restart(b);
        assertFalse(b.stopped());
        assertTrue(sim.runUntil(30_000, sim::fullyConnected), "reached again, and reaches everyone, after its restart");
        sim.run(30_000);
        assertEquals(List.of(a, b, d), sim.path(a, p(4)), "the faster path through it is used again");
    }
}
