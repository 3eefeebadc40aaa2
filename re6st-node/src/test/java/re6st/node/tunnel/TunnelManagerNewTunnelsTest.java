package re6st.node.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static re6st.node.tunnel.ManagerFixture.SELF;
import static re6st.node.tunnel.ManagerFixture.addr;
import static re6st.node.tunnel.ManagerFixture.p;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import re6st.node.tunnel.ManagerFixture.Routes;
import re6st.peer.PeerAddress;

class TunnelManagerNewTunnelsTest {

    /** Neighbours 2 (the registry) and 3; 4..4+n-1 routed through 3. */
    private static Routes distant(int n) {
        Routes r = new Routes().registry().neighbour(2).neighbour(3);
        for (int i = 4; i < 4 + n; i++)
            r.via(i, 3);
        return r;
    }

    @Test
    void tunnelsGoToRoutedPeersThatAreNeitherNeighboursNorOurselvesThroughCachedAddresses() {
        ManagerFixture f = new ManagerFixture(10);
        f.incoming(9);
        f.cached(2, 3, 4, 5);
        f.routes(distant(2).via(1, 3).build());
        f.pass();
        List<String> calls = f.fx.take();
        assertEquals(Set.of("dial " + p(4) + " " + addr(4), "dial " + p(5) + " " + addr(5)),
                new HashSet<>(calls), calls.toString());
        assertEquals(2, f.m.counters().dials());
    }

    /**
     * Two nodes that dial each other at the same instant both fail (crossed handshakes); their
     * passes must drift apart, not repeat that every 5 s: each pass comes 4.5 to 5 s after the
     * last, at random, and two managers started together do not stay in step.
     */
    @Test
    void passesComeAtRandomWithinATenthOfThePeriodSoThatTwoNodesDoNotStayInStep() {
        ManagerFixture a = new ManagerFixture(ManagerFixture.options(10), 1), b = new ManagerFixture(ManagerFixture.options(10), 2);
        Set<Long> gaps = new HashSet<>();
        long apart = 0;
        for (int i = 0; i < 20; i++) {
            long ta = a.now, tb = b.now;
            a.advance(a.m.nextPassAt() - a.now);
            b.advance(b.m.nextPassAt() - b.now);
            long gap = a.m.nextPassAt() - a.now;
            assertTrue(gap > TunnelManager.PASS_MS * 9 / 10 - 1 && gap <= TunnelManager.PASS_MS, "gap " + gap);
            gaps.add(gap);
            if (i > 0)
                apart = Math.max(apart, Math.abs((a.now - ta) - (b.now - tb)));
        }
        assertTrue(gaps.size() > 10, "gaps " + gaps);
        assertTrue(apart > 0, "the two managers' passes kept the same period");
        assertEquals(20, a.m.counters().passes(), "a pass at each deadline");
    }

    /** client_count 1, peers 4 and 5 cached, 4 routed: the first pass dials 4. */
    private static ManagerFixture oneSlotDialling4() {
        ManagerFixture f = new ManagerFixture(1);
        f.incoming(9);
        f.cached(4, 5);
        f.routes(distant(1).build());
        f.pass();
        assertEquals(List.of("dial " + p(4) + " " + addr(4)), f.fx.take());
        return f;
    }

    @Test
    void aDialThatNeitherConnectsNorFailsIsGivenUpAfterTwiceTheTimeoutAndFreesItsSlot() {
        ManagerFixture f = oneSlotDialling4();
        long timeout = ManagerFixture.options(1).timeoutMs();
        f.advance(2 * timeout - TunnelManager.PASS_MS); // silence from the transport, but not for long enough
        assertEquals(List.of(), f.fx.take(), "the slot is taken while the dial may still connect");
        f.routes(distant(2).build());
        f.advance(2 * TunnelManager.PASS_MS);
        List<String> calls = f.fx.take();
        assertEquals("hangUp " + p(4), calls.get(0), calls.toString());
        assertEquals(1, f.m.counters().dialsExpired());
        assertTrue(calls.stream().skip(1).anyMatch(c -> c.startsWith("dial ") || c.startsWith("askAddress ")),
                "the freed slot is filled again: " + calls);
    }

    @Test
    void anOutgoingTunnelWhosePathStaysDeadForTheTimeoutIsHungUpAndItsSlotFilledAgain() {
        // WanMeshTest saw it: a TCP server full of clients accepted one more in its handshake, closed it, then refused
        // its reconnections (access_denied) for ever; the dead tunnel held the node's only outgoing slot, to the
        // registry, so it never bootstrapped again and stayed cut off
        ManagerFixture f = oneSlotDialling4();
        f.established(4);
        long timeout = ManagerFixture.options(1).timeoutMs();
        f.m.pathDown(f.now, p(4), true);
        f.advance(timeout - 1);
        f.m.pathUp(f.now, p(4), true); // back in time: kept
        f.m.pathDown(f.now, p(4), false); // an incoming tunnel of the same peer: not ours to hang up
        f.advance(2 * timeout);
        assertEquals(List.of(), f.fx.take(), "a tunnel whose path came back is kept");

        f.m.pathDown(f.now, p(4), true);
        f.routes(distant(2).build());
        f.advance(timeout - TunnelManager.PASS_MS);
        assertEquals(List.of(), f.fx.take(), "the slot is kept while the path may come back");
        f.advance(TunnelManager.PASS_MS);
        List<String> calls = f.fx.take();
        assertEquals("hangUp " + p(4), calls.get(0), calls.toString());
        assertEquals(1, f.m.counters().tunnelsLost());
        assertEquals(2, calls.size(), calls.toString());
        // its cached address is blacklisted now: another peer is dialled, or its address asked again first
        assertTrue(calls.get(1).startsWith("dial ") && !calls.get(1).startsWith("dial " + p(4)) || calls.get(1).startsWith("askAddress "),
                "the freed slot is filled again: " + calls);
        f.m.removed(f.now, p(4), true); // the transport confirms, maybe after a new dial to the same peer: that one goes on
        assertEquals(List.of(), f.fx.take());
    }

    @Test
    void aTunnelEstablishedAgainAfterADeadPathIsKept() {
        // a UDP dialler handshakes again a few seconds after its path died: a new session, reported as established
        // (never as "path back"); the dead-path clock must stop there
        ManagerFixture f = oneSlotDialling4();
        f.established(4);
        f.m.pathDown(f.now, p(4), true);
        f.advance(TunnelManager.PASS_MS);
        f.established(4);
        f.advance(4 * ManagerFixture.options(1).timeoutMs());
        assertEquals(List.of(), f.fx.take(), "the re-established tunnel is kept");
        assertEquals(0, f.m.counters().tunnelsLost());
    }

    @Test
    void aNodeRoutedByNobodyAsksTheRegistryAgainAfterAPassThenLessAndLessOften() {
        ManagerFixture f = new ManagerFixture(2);
        List<Long> asked = new java.util.ArrayList<>();
        long start = f.now;
        for (int i = 0; i < 40; i++) {
            f.pass();
            if (f.fx.take().contains("askBootstrap")) {
                asked.add((f.now - start) / 1000);
                f.m.bootstrapFailed(f.now); // the registry knew no peer yet
            }
        }
        long timeout = ManagerFixture.options(2).timeoutMs() / 1000;
        // at 5 s, then gaps of 5, 10, 20, 40, ... capped at the original's timeout (nobody routed: 1 x timeout)
        assertEquals(List.of(5L, 10L, 20L, 40L, 80L, 80L + timeout), asked.subList(0, Math.min(6, asked.size())), asked.toString());
    }

    @Test
    void aPeerWithoutCachedAddressIsAskedAndOnlyAnAnswerBeforeTheNextPassOpensATunnel() {
        ManagerFixture f = new ManagerFixture(2);
        f.incoming(9);
        f.routes(new Routes().registry().neighbour(3).via(4, 3).build());
        f.pass();
        assertEquals(List.of("askAddress " + p(4)), f.fx.take());
        f.m.addressReceived(f.now, p(4), addr(4));
        assertEquals(List.of("dial " + p(4) + " " + addr(4)), f.fx.take());

        f.routes(new Routes().registry().neighbour(3).via(4, 3).via(5, 3).build());
        f.pass();
        assertEquals(List.of("askAddress " + p(5)), f.fx.take());
        f.routes(new Routes().registry().neighbour(3).via(4, 3).build());
        f.pass(); // the question is now older than a pass (and 5 no longer routed, so not asked again)
        assertEquals(List.of(), f.fx.take());
        f.m.addressReceived(f.now, p(5), addr(5));
        assertEquals(List.of(), f.fx.take());
        assertEquals(java.util.Optional.of(addr(5)), f.cache.address(p(5)), "a late answer is still cached");
        assertEquals(2, f.m.counters().addressQueries());
    }

    @Test
    void whileNobodyIsConnectedToUsAtMostTwoOutgoingTunnelsAreOpened() {
        ManagerFixture f = new ManagerFixture(10);
        f.cached(4, 5, 6, 7, 8);
        f.routes(distant(5).build());
        f.pass();
        assertEquals(2, f.fx.dialled().size());
        f.pass();
        assertEquals(0, f.fx.dialled().size(), "still capped");
        f.incoming(9);
        f.pass();
        assertEquals(3, f.fx.dialled().size(), "someone reached us: the cap is lifted");
    }

    @Test
    void neighbourOptionPeersAreTriedFirst() {
        for (long seed = 0; seed < 20; seed++) {
            TunnelManager.Options d = ManagerFixture.options(1);
            ManagerFixture f = new ManagerFixture(new TunnelManager.Options(d.self(), d.registry(), 1, d.timeoutMs(),
                    d.refreshMs(), Set.of(p(6)), d.protocols(), d.countries(), false), seed);
            f.incoming(9);
            f.cached(4, 5, 6, 7, 8);
            f.routes(distant(5).build());
            f.pass();
            assertEquals(List.of(p(6)), f.fx.dialled(), "seed " + seed);
        }
    }

    @Test
    void candidatesAreShuffled() {
        Set<String> first = new HashSet<>();
        for (long seed = 0; seed < 20; seed++) {
            ManagerFixture f = new ManagerFixture(ManagerFixture.options(1), seed);
            f.incoming(9);
            f.cached(4, 5, 6, 7, 8);
            f.routes(distant(5).build());
            f.pass();
            first.addAll(f.fx.dialled());
        }
        assertTrue(first.size() > 1, first.toString());
    }

    @Test
    void theSameSeedAndInputsGiveTheSameDecisions() {
        List<List<String>> runs = new java.util.ArrayList<>();
        for (long seed : new long[] {7, 7, 8}) {
            ManagerFixture f = new ManagerFixture(ManagerFixture.options(3), seed);
            f.incoming(9);
            f.cached(4, 6, 8, 10);
            f.routes(distant(10).build());
            f.pass();
            f.m.addressReceived(f.now, p(5), addr(5));
            runs.add(f.fx.take());
        }
        assertEquals(runs.get(0), runs.get(1));
        assertNotEquals(runs.get(0), runs.get(2), "another seed, another order (these two seeds differ)");
    }

    @Test
    void aFailedAttemptMovesToThePeersNextAddressAndSuccessThereMovesItFirstInTheCache() {
        ManagerFixture f = new ManagerFixture(1);
        f.incoming(9);
        String two = "198.18.0.4,1194,udp;198.18.1.4,1194,tcp";
        f.cache.put(p(4), two);
        f.routes(new Routes().registry().neighbour(3).via(4, 3).build());
        f.pass();
        assertEquals(List.of("dial " + p(4) + " 198.18.0.4,1194,udp"), f.fx.take());
        assertTrue(f.cache.entries().get(0).blacklisted(), "blacklisted while the attempt runs");

        f.m.failed(f.now, p(4), PeerAddress.parse("198.18.9.9,1194,udp").get(0));
        assertEquals(List.of(), f.fx.take(), "not the address being tried");
        f.m.failed(f.now, p(4), PeerAddress.parse(two).get(0));
        assertEquals(List.of("hangUp " + p(4), "dial " + p(4) + " 198.18.1.4,1194,tcp"), f.fx.take());
        f.established(4);
        assertEquals(java.util.Optional.of("198.18.1.4,1194,tcp;198.18.0.4,1194,udp"), f.cache.address(p(4)));
        assertFalse(f.cache.entries().get(0).blacklisted());
    }

    @Test
    void whenEveryAddressFailedThePeerStaysBlacklistedAndIsAskedItsAddressNext() {
        ManagerFixture f = new ManagerFixture(1);
        f.incoming(9);
        f.cached(4);
        f.routes(new Routes().registry().neighbour(3).via(4, 3).build());
        f.pass();
        f.fx.take();
        f.m.failed(f.now, p(4), PeerAddress.parse(addr(4)).get(0));
        assertEquals(List.of("hangUp " + p(4)), f.fx.take());
        assertTrue(f.cache.entries().get(0).blacklisted());
        f.pass();
        assertEquals(List.of("askAddress " + p(4)), f.fx.take());
    }

    @Test
    void sameCountryKeepsOnlyAddressesInOurCountryWhenItIsListedAndUnknownOnesAreAllowed() {
        TunnelManager.Options d = ManagerFixture.options(2);
        ManagerFixture f = new ManagerFixture(new TunnelManager.Options(d.self(), d.registry(), 2, d.timeoutMs(),
                d.refreshMs(), Set.of(), d.protocols(), new CountryFilter("FR", Set.of("FR")), false), 1);
        f.incoming(9);
        f.cache.put(p(4), "198.18.0.4,1194,udp,DE;198.18.1.4,1194,udp,FR");
        f.cache.put(p(5), "198.18.0.5,1194,udp,DE");
        f.cache.put(p(6), "198.18.0.6,1194,udp");
        f.routes(new Routes().registry().neighbour(3).via(4, 3).via(5, 3).via(6, 3).build());
        f.pass();
        assertEquals(Set.of("dial " + p(4) + " 198.18.1.4,1194,udp,FR", "dial " + p(6) + " 198.18.0.6,1194,udp"),
                new HashSet<>(f.fx.take()));
    }

    @Test
    void aCountryNotListedNeverTunnelsIntoAListedOne() {
        CountryFilter c = new CountryFilter("BE", Set.of("FR", "DE"));
        assertFalse(c.allows(PeerAddress.parse("198.18.0.4,1194,udp,FR").get(0)));
        assertTrue(c.allows(PeerAddress.parse("198.18.0.4,1194,udp,NL").get(0)));
        assertTrue(new CountryFilter(null, Set.of("FR")).allows(PeerAddress.parse("198.18.0.4,1194,udp,DE").get(0)));
    }

    @Test
    void addressesOfProtocolsWeDoNotDialAreSkipped() {
        TunnelManager.Options d = ManagerFixture.options(1);
        ManagerFixture f = new ManagerFixture(new TunnelManager.Options(d.self(), d.registry(), 1, d.timeoutMs(),
                d.refreshMs(), Set.of(), Set.of("tcp"), d.countries(), false), 1);
        f.incoming(9);
        f.cache.put(p(4), "198.18.0.4,1194,udp;198.18.0.4,1195,tcp");
        f.routes(new Routes().registry().neighbour(3).via(4, 3).build());
        f.pass();
        assertEquals(List.of("dial " + p(4) + " 198.18.0.4,1195,tcp"), f.fx.take());
    }

    @Test
    void ofTwoTunnelsBetweenTheSamePeersExactlyOneIsDroppedByTheSmallerPrefix() {
        // A = 0000000000000001 (smaller) and B = 0000000000000100 both dial each other
        ManagerFixture a = new ManagerFixture(1);
        TunnelManager.Options d = ManagerFixture.options(1);
        ManagerFixture b = new ManagerFixture(new TunnelManager.Options(p(4), d.registry(), 1, d.timeoutMs(),
                d.refreshMs(), Set.of(), d.protocols(), d.countries(), false), 1);
        a.incoming(9);
        b.incoming(9);
        a.cached(4);
        b.cache.put(SELF, addr(1));
        a.routes(new Routes().registry().neighbour(3).via(4, 3).build());
        b.m.routes(b.now, new RouteSnapshot(java.util.Map.of(SELF, new RouteSnapshot.Route(p(3), false),
                p(3), new RouteSnapshot.Route(p(3), true)), true));
        a.pass();
        b.pass();
        assertEquals(List.of(p(4)), a.fx.dialled());
        assertEquals(List.of(SELF), b.fx.dialled());
        // each side's outgoing tunnel comes up, and is the other's incoming one
        a.established(4);
        b.m.established(b.now, SELF, true);
        a.incoming(4);
        b.m.established(b.now, SELF, false);
        assertEquals(List.of("hangUp " + p(4)), a.fx.take());
        assertEquals(List.of(), b.fx.take());
        assertEquals(1, a.m.counters().duplicatesDropped() + b.m.counters().duplicatesDropped());
        assertEquals("0 4/16 9/16", a.m.topology());
        assertEquals("1 1/16 1/16 9/16", b.m.topology());
    }

    @Test
    void topologyListsOutgoingThenIncomingPeersAsCns() {
        ManagerFixture f = new ManagerFixture(10);
        f.incoming(12);
        f.incoming(3);
        f.cached(7);
        f.routes(new Routes().registry().neighbour(3).via(7, 3).via(2, 3).build());
        f.pass();
        assertEquals("1 7/16 3/16 12/16", f.m.topology());
    }

    @Test
    void withoutAManagerNothingIsDecidedCode2IsRefusedAndTopologyCountsNoOutgoingTunnel() {
        for (TunnelManager.Options o : List.of(ManagerFixture.options(0), fixedClient())) {
            ManagerFixture f = new ManagerFixture(o, 1);
            f.incoming(5);
            f.cached(4, 6);
            f.routes(new Routes().neighbour(3).via(4, 3).build());
            for (int i = 0; i < 100; i++)
                f.pass();
            assertEquals(List.of(), f.fx.take());
            assertFalse(f.m.killRequested(f.now, p(5)));
            assertEquals("0 5/16", f.m.topology());
            assertEquals(Long.MAX_VALUE, f.m.nextDeadline());
            assertEquals(0, f.m.counters().passes());
        }
    }

    private static TunnelManager.Options fixedClient() {
        TunnelManager.Options d = ManagerFixture.options(10);
        return new TunnelManager.Options(d.self(), d.registry(), 10, d.timeoutMs(), d.refreshMs(), d.neighbours(),
                d.protocols(), d.countries(), true);
    }
}
