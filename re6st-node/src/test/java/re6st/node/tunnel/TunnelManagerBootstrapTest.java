package re6st.node.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static re6st.node.tunnel.ManagerFixture.REGISTRY;
import static re6st.node.tunnel.ManagerFixture.addr;
import static re6st.node.tunnel.ManagerFixture.p;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import re6st.node.tunnel.ManagerFixture.Routes;

class TunnelManagerBootstrapTest {
    private static final long TIMEOUT = 60_000;

    @Test
    void withNoRouteAtAllCachedPeersAreDialledAndTheRegistryIsNotAsked() {
        ManagerFixture f = new ManagerFixture(10);
        f.cached(4, 5);
        f.pass();
        List<String> calls = f.fx.take();
        assertEquals(Set.of("dial " + p(4) + " " + addr(4), "dial " + p(5) + " " + addr(5)), new HashSet<>(calls));
        assertEquals(0, f.m.counters().bootstraps());
    }

    @Test
    void withNoRouteAndNothingUsableCachedTheRegistrysPeerIsDialled() {
        ManagerFixture f = new ManagerFixture(10);
        f.cached(4);
        f.cache.attempting(p(4));
        f.pass();
        assertEquals(List.of("askBootstrap"), f.fx.take());
        f.m.bootstrapAnswer(f.now, p(6), addr(6));
        assertEquals(List.of("dial " + p(6) + " " + addr(6)), f.fx.take());
        assertEquals(1, f.m.counters().bootstraps());
    }

    @Test
    void whenTheRegistryFailsABlacklistedAddressIsTheLastChance() {
        ManagerFixture f = new ManagerFixture(10);
        f.cached(4);
        f.cache.attempting(p(4));
        f.pass();
        assertEquals(List.of("askBootstrap"), f.fx.take());
        f.m.bootstrapFailed(f.now);
        assertEquals(List.of("dial " + p(4) + " " + addr(4)), f.fx.take());
    }

    @Test
    void theRegistryIsAskedOnlyWhenTheCacheHadNothingUsableNotWhenItsEntriesFailed() {
        TunnelManager.Options d = ManagerFixture.options(10);
        ManagerFixture f = new ManagerFixture(new TunnelManager.Options(d.self(), d.registry(), 10, d.timeoutMs(), d.refreshMs(),
                d.neighbours(), Set.of("tcp"), d.countries(), false), 1);
        f.cached(4); // a UDP address: usable in the cache, but not by our transports
        f.pass();
        assertEquals(List.of(), f.fx.take());
        assertEquals(0, f.m.counters().bootstraps());
    }

    @Test
    void rejoinAttemptsAreSpacedByTheTimeoutTimesOneToOnePlusThePeerCount() {
        Set<Long> gaps = new HashSet<>();
        for (long seed = 0; seed < 10; seed++) {
            ManagerFixture f = new ManagerFixture(ManagerFixture.options(10), seed);
            f.incoming(9);
            // two routed peers, none of them the registry
            f.routes(new Routes().neighbour(3).via(4, 3).build());
            f.cache.put(p(4), addr(4));
            f.pass();
            assertTrue(f.fx.take().contains("askBootstrap"), "the first try is immediate");
            long last = f.now;
            for (int tries = 0; tries < 3; ) {
                f.m.bootstrapFailed(f.now);
                f.pass();
                if (f.fx.take().contains("askBootstrap")) {
                    long gap = f.now - last;
                    // passes fall on multiples of 5 s from the first, so the gap is the backoff itself
                    assertEquals(0, gap % TIMEOUT, "gap " + gap);
                    gaps.add(gap / TIMEOUT);
                    last = f.now;
                    tries++;
                }
            }
        }
        assertEquals(Set.of(1L, 2L, 3L), gaps, "1 + rand(0..2 peers) timeouts, each value seen");
    }

    @Test
    void aRejoinPeerAlreadyRoutedIsNotDialledButAnotherIs() {
        ManagerFixture f = new ManagerFixture(10);
        f.incoming(9);
        f.routes(new Routes().neighbour(3).via(4, 3).build());
        f.pass();
        assertTrue(f.fx.take().contains("askBootstrap"));
        f.m.bootstrapAnswer(f.now, p(4), addr(4));
        assertEquals(List.of(), f.fx.take());
        f.advance(3 * TIMEOUT + TunnelManager.PASS_MS);
        assertTrue(f.fx.take().contains("askBootstrap"));
        f.m.bootstrapAnswer(f.now, p(7), addr(7));
        assertEquals(List.of("dial " + p(7) + " " + addr(7)), f.fx.take());
    }

    @Test
    void aRoutedRegistryMeansNoBootstrap() {
        ManagerFixture f = new ManagerFixture(10);
        f.incoming(9);
        f.routes(new Routes().registry().neighbour(2).neighbour(3).build());
        for (int i = 0; i < 100; i++)
            f.pass();
        assertEquals(0, f.m.counters().bootstraps());
        assertEquals(List.of(), f.fx.take());
    }

    @Test
    void theRegistrysOwnNodeUsesItsCacheWhenItHasNoDistantPeerAndNeverAsksItself() {
        TunnelManager.Options d = ManagerFixture.options(10);
        ManagerFixture f = new ManagerFixture(new TunnelManager.Options(REGISTRY, REGISTRY, 10, d.timeoutMs(), d.refreshMs(),
                d.neighbours(), d.protocols(), d.countries(), false), 1);
        f.pass();
        assertEquals(List.of(), f.fx.take(), "an empty cache: nothing to dial, and no registry to ask");
        f.cached(4);
        f.pass();
        assertEquals(List.of("dial " + p(4) + " " + addr(4)), f.fx.take());
        assertEquals(0, f.m.counters().bootstraps());
    }
}
