package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import re6st.tunnel.Blackholes;

/** The control socket's blackhole: bounded, restored by the node at the bound, bad input changes nothing. */
class TunnelCutsTest {
    final ControlLines node = new ControlLines(); // tunnels re6st-1 to 3/16 (udp) and re6st-2 to 4/16 (tcp)
    final AtomicLong clock = node.clock;
    final Blackholes udp = node.udp, tcp = node.tcp;
    final TunnelCuts cuts = node.cuts;

    @Test
    void aCutByInterfaceSilencesThePeerOnEveryTransportUntilItsBound() {
        assertEquals("blackholed re6st-1 3/16 10", cuts.blackhole(List.of("re6st-1", "10", "bench", "failover"), "user root"));
        assertEquals(Set.of("3/16"), udp.cut());
        assertEquals(Set.of("3/16"), tcp.cut());
        assertEquals(1, cuts.warnings().size());
        assertTrue(cuts.warnings().get(0).startsWith("tunnel re6st-1 to 3/16 is blackholed on purpose for 10 more s (by user root: bench failover)"),
                cuts.warnings().get(0));
        clock.addAndGet(9_999);
        assertEquals(1_000_000 + 10_000, cuts.expire(), "not yet: the next bound");
        assertEquals(Set.of("3/16"), udp.cut());
        clock.addAndGet(1);
        assertEquals(Long.MAX_VALUE, cuts.expire());
        assertEquals(Set.of(), udp.cut());
        assertEquals(Set.of(), tcp.cut());
        assertEquals(List.of(), cuts.warnings());
        TunnelCuts.Figures f = cuts.figures();
        assertEquals(0, f.active());
        assertEquals(1, f.started());
        assertEquals(1, f.restoredAtBound());
        assertEquals(0, f.restoredOnRequest());
    }

    @Test
    void unblackholeByPeerRestoresAtOnce() {
        cuts.blackhole(List.of("4/16", "300"), "user root");
        assertEquals(Set.of("4/16"), udp.cut());
        assertEquals("restored re6st-2 4/16", cuts.unblackhole(List.of("4/16"), "user root"));
        assertEquals(Set.of(), udp.cut());
        assertEquals(1, cuts.figures().restoredOnRequest());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cuts.unblackhole(List.of("re6st-2"), "user root"));
        assertEquals("unblackhole: no blackholed tunnel 're6st-2' (none is)", e.getMessage());
    }

    @Test
    void aSecondCutOfTheSameTunnelSetsANewBound() {
        cuts.blackhole(List.of("re6st-1", "10"), "user root");
        clock.addAndGet(5_000);
        cuts.blackhole(List.of("3/16", "10"), "user root");
        clock.addAndGet(6_000);
        cuts.expire();
        assertEquals(Set.of("3/16"), udp.cut(), "the first bound no longer holds");
        assertEquals(1, cuts.active().size());
    }

    @Test
    void badInputIsRefusedClearlyAndChangesNothing() {
        assertEquals("usage: blackhole IFACE|PEER-CN SECONDS [WHY...]",
                assertThrows(IllegalArgumentException.class, () -> cuts.blackhole(List.of("re6st-1"), "u")).getMessage());
        assertEquals("blackhole: 'ten' is not a whole number of seconds",
                assertThrows(IllegalArgumentException.class, () -> cuts.blackhole(List.of("re6st-1", "ten"), "u")).getMessage());
        assertEquals("blackhole: 301 s is out of bounds (1 to 300 s)",
                assertThrows(IllegalArgumentException.class, () -> cuts.blackhole(List.of("re6st-1", "301"), "u")).getMessage());
        assertEquals("blackhole: 0 s is out of bounds (1 to 300 s)",
                assertThrows(IllegalArgumentException.class, () -> cuts.blackhole(List.of("re6st-1", "0"), "u")).getMessage());
        assertEquals("blackhole: no tunnel 're6st-9' (tunnels: re6st-1 to 3/16, re6st-2 to 4/16)",
                assertThrows(IllegalArgumentException.class, () -> cuts.blackhole(List.of("re6st-9", "10"), "u")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> cuts.unblackhole(List.of(), "u"));
        assertEquals(Set.of(), udp.cut());
        assertEquals(List.of(), cuts.active());
        assertEquals(0, cuts.figures().started());
    }

    @Test
    void theNodeStoppingRestoresEverything() {
        cuts.blackhole(List.of("re6st-1", "60"), "user root");
        cuts.blackhole(List.of("re6st-2", "60"), "user root");
        cuts.restoreAll();
        assertEquals(Set.of(), udp.cut());
        assertEquals(List.of(), cuts.active());
    }

    /**
     * The daemon's timer ({@link CutBounds}, driven as the control socket drives it): each cut ends at
     * its own bound, whichever came first, and nothing waits once none is left.
     */
    @Test
    void eachCutEndsAtItsOwnBoundThroughTheDaemonsTimer() {
        assertEquals("blackholed re6st-1 3/16 10\nok\n", node.ask("blackhole re6st-1 10"));
        assertEquals("blackholed re6st-2 4/16 20\nok\n", node.ask("blackhole re6st-2 20"));
        node.timer.advance(9_999);
        assertEquals(Set.of("3/16", "4/16"), udp.cut(), "neither bound yet");
        node.timer.advance(1);
        assertEquals(Set.of("4/16"), udp.cut(), "the first at its bound");
        node.timer.advance(9_999);
        assertEquals(Set.of("4/16"), udp.cut(), "the second not yet");
        node.timer.advance(1);
        assertEquals(Set.of(), udp.cut(), "the second at its bound");
        assertEquals(Set.of(), tcp.cut());
        assertEquals(2, cuts.figures().restoredAtBound());
        assertEquals(0, node.timer.pending(), "no task left once no cut is");
    }

    /** A later cut with an earlier bound, and a cut again with a later bound: each at its bound still. */
    @Test
    void anEarlierBoundAfterALaterOneAndANewBoundForTheSameTunnelAreKept() {
        node.ask("blackhole re6st-1 30");
        node.ask("blackhole re6st-2 5");
        node.timer.advance(5_000);
        assertEquals(Set.of("3/16"), udp.cut());
        node.ask("blackhole re6st-1 60"); // at 5 s: now until 65 s, not 30 s
        node.timer.advance(59_999);
        assertEquals(Set.of("3/16"), udp.cut(), "the new bound holds");
        node.timer.advance(1);
        assertEquals(Set.of(), udp.cut());
        assertEquals(0, node.timer.pending(), "nothing waits");
    }
}
