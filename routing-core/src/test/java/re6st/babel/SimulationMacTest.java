package re6st.babel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import re6st.babel.mac.MacAlgorithm;
import re6st.babel.mac.MacKey;
import re6st.babel.mac.MacPolicy;
import re6st.babel.mac.PacketProtector;
import re6st.babel.mac.Verdict;
import re6st.babel.message.Prefix;
import re6st.babel.sim.Simulation;
import re6st.babel.sim.Simulation.Link;
import re6st.babel.sim.Simulation.Node;

/**
 * The simulator with RFC 8967 keys: every packet is encoded, signed, carried as bytes, verified
 * and decoded by the same {@link PacketProtector} the daemon uses.
 */
class SimulationMacTest {
    static final InterfaceSettings WIRED = SimulationTest.WIRED;
    static final MacKey BLAKE = MacKey.fromHex("k1", MacAlgorithm.BLAKE2S_128, "000102030405060708090a0b0c0d0e0f");
    static final MacKey HMAC = MacKey.fromHex("k2", MacAlgorithm.HMAC_SHA256, "0f0e0d0c0b0a09080706050403020100");
    /** Same id and algorithm as {@link #BLAKE}, another secret: a node configured with a wrong key. */
    static final MacKey WRONG = MacKey.fromHex("k1", MacAlgorithm.BLAKE2S_128, "ff0102030405060708090a0b0c0d0e0f");

    static Prefix p(int i) {
        return SimulationTest.p(i);
    }

    @Test
    void keyedNodesConvergeAndANodeWithAWrongKeyFormsNoRoute() {
        Simulation sim = new Simulation(11);
        Node a = sim.node("a"), b = sim.node("b"), c = sim.node("c"), d = sim.node("d");
        for (Node n : List.of(a, b, c))
            n.macPolicy(MacPolicy.of(BLAKE));
        d.macPolicy(MacPolicy.of(WRONG));
        sim.connect(a, b, 2, WIRED);
        sim.connect(b, c, 2, WIRED);
        Link ad = sim.connect(a, d, 2, WIRED);
        for (int i = 0; i < 4; i++)
            sim.nodes().get(i).originate(p(i + 1));
        sim.afterStep = Simulation::checkLoopFree;
        assertTrue(sim.runUntil(60_000, () -> sim.path(a, p(3)) != null && sim.path(c, p(1)) != null),
                "a and c reach each other through b, with MAC on every packet");
        sim.run(30_000); // d has had 30 more hellos to get in

        assertNull(sim.path(a, p(4)), "a has no route to d's prefix");
        assertTrue(d.fib.isEmpty(), "d installed nothing: " + d.fib);
        assertTrue(a.router.neighbours().stream().noneMatch(n -> n.interfaceName().equals(ad.ifname)),
                "d is not even a neighbour of a: " + a.router.neighbours());
        Map<Verdict.Reason, Long> atA = ad.protector().macCounts();
        assertTrue(atA.getOrDefault(Verdict.Reason.BAD_MAC, 0L) >= 30, "a refused d's packets as BAD_MAC: " + atA);
        assertEquals(0, ad.protector().accepted(), "a accepted nothing from d");
        assertEquals(0, ad.peer().protector().accepted(), "d accepted nothing from a");
        assertTrue(sim.packetsRefused >= 60, "refused packets counted: " + sim.packetsRefused);

        Link ab = a.links().values().iterator().next();
        Map<Verdict.Reason, Long> ok = ab.protector().macCounts();
        assertTrue(ok.getOrDefault(Verdict.Reason.CHALLENGE_SUCCEEDED, 0L) >= 1, "a challenged b once at least: " + ok);
        assertTrue(ok.getOrDefault(Verdict.Reason.AUTHENTICATED, 0L) >= 30, "then authenticated its packets: " + ok);
        assertEquals(0, ok.getOrDefault(Verdict.Reason.BAD_MAC, 0L), "b's MACs all verify: " + ok);
    }

    @Test
    void hmacSha256AndKeyRotationKeepTheRoutes() {
        Simulation sim = new Simulation(12);
        Node a = sim.node("a"), b = sim.node("b");
        a.macPolicy(MacPolicy.of(HMAC));
        b.macPolicy(MacPolicy.of(HMAC));
        Link ab = sim.connect(a, b, 1, WIRED);
        a.originate(p(1));
        b.originate(p(2));
        assertTrue(sim.runUntil(60_000, sim::fullyConnected), "HMAC-SHA256 keyed pair converges");
        // rotation as the registry does it: accept the new key, sign with it, drop the old one
        a.macPolicy(MacPolicy.of(HMAC).withAccept(BLAKE));
        b.macPolicy(MacPolicy.of(HMAC).withAccept(BLAKE));
        sim.run(5_000);
        a.macPolicy(MacPolicy.of(BLAKE).withAccept(HMAC));
        b.macPolicy(MacPolicy.of(BLAKE).withAccept(HMAC));
        sim.run(5_000);
        long refusedBefore = sim.packetsRefused;
        a.macPolicy(MacPolicy.of(BLAKE));
        b.macPolicy(MacPolicy.of(BLAKE));
        sim.run(30_000);
        assertTrue(sim.fullyConnected(), "still connected after the rotation");
        assertEquals(refusedBefore, sim.packetsRefused, "no packet refused once both sign with the new key");
        assertEquals(0, ab.protector().macCounts().getOrDefault(Verdict.Reason.BAD_MAC, 0L));
    }

    @Test
    void truncatedAndGarbledPacketsAreDroppedAndCountedNeverThrown() {
        Simulation sim = new Simulation(13);
        Node a = sim.node("a"), b = sim.node("b");
        MacPolicy keys = MacPolicy.of(BLAKE);
        a.macPolicy(keys);
        b.macPolicy(keys);
        Link ab = sim.connect(a, b, 1, WIRED);
        a.originate(p(1));
        b.originate(p(2));
        assertTrue(sim.runUntil(60_000, sim::fullyConnected));
        Link ba = ab.peer();
        PacketProtector atA = ab.protector();
        // A real packet from b, caught on the wire before a gets it: its index is known at a and
        // its PC new, so a garbled copy is refused for its MAC alone.
        byte[][] caught = new byte[1][];
        sim.wireTap = (l, bytes) -> {
            if (l == ba)
                caught[0] = bytes;
        };
        assertTrue(sim.runUntil(10_000, () -> caught[0] != null));
        sim.wireTap = null;
        byte[] good = caught[0];

        List<byte[]> bad = new ArrayList<>();
        bad.add(new byte[0]);
        bad.add(new byte[] {42, 2, 0});                                 // shorter than a header
        bad.add(new byte[] {41, 2, 0, 0});                              // bad magic
        bad.add(new byte[] {42, 3, 0, 0});                              // bad version
        for (int cut = 4; cut < good.length; cut += 3)                  // every truncation
            bad.add(java.util.Arrays.copyOf(good, cut));
        SplittableRandom r = new SplittableRandom(99);
        for (int i = 0; i < 300; i++) {                                 // garbled: 1 to 3 bytes changed
            byte[] g = good.clone();
            for (int k = 1 + r.nextInt(3); k > 0; k--) {
                int at = r.nextInt(g.length);
                g[at] ^= (byte) (1 + r.nextInt(255));
            }
            bad.add(g);
        }

        long accepted = atA.accepted(), malformed = atA.malformed(), rejected = atA.rejected(),
                refused = sim.packetsRefused;
        int neighbours = a.router.neighbourCount(), routes = a.router.routeCount();
        Map<List<Prefix>, KernelRoute> fib = Map.copyOf(a.fib);
        for (byte[] g : bad)
            sim.inject(ab, g);
        assertEquals(accepted, atA.accepted(), "no garbled packet was accepted");
        assertEquals(bad.size(), (atA.malformed() - malformed) + (atA.rejected() - rejected),
                "each bad packet counted once, as malformed or rejected");
        assertTrue(atA.malformed() - malformed >= 4, "the four with a bad header at least are malformed");
        assertTrue(atA.rejected() - rejected >= bad.size() - 4 - 300, "every truncation is rejected (no MAC left)");
        assertEquals(bad.size(), sim.packetsRefused - refused);
        assertEquals(neighbours, a.router.neighbourCount(), "nothing changed in the core");
        assertEquals(routes, a.router.routeCount());
        assertEquals(fib, a.fib);

        sim.run(10_000);
        assertTrue(sim.fullyConnected(), "the real packets still get through");
    }

    @Test
    void withoutKeysAPacketCutShortIsParsedUpToTheCutAndCounted() {
        SimulationTest.Pair pair = SimulationTest.Pair.converged(14);
        Simulation sim = pair.sim();
        Link ab = pair.ab();
        PacketProtector atA = ab.protector();
        long malformed = atA.malformed(), tlvs = atA.malformedTlvs();
        sim.inject(ab, new byte[] {42, 2, 0});
        sim.inject(ab, new byte[] {42, 2, 0, 6, 4, 6, 0, 0, 0, 1}); // a Hello TLV running past the body's end
        assertEquals(malformed + 1, atA.malformed(), "the 3-byte datagram has no header");
        assertEquals(tlvs + 1, atA.malformedTlvs(), "the cut Hello is a malformed TLV, the packet is still read");
        sim.run(10_000);
        assertTrue(sim.fullyConnected());
    }
}
