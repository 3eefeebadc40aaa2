package re6st.node.tunnel;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import re6st.node.cache.MemoryPeerCache;
import re6st.node.tunnel.RouteSnapshot.Route;

/** One manager on a virtual clock, with a recording of its effects and an in-memory cache. */
final class ManagerFixture {
    static final String SELF = p(1), REGISTRY = p(2);

    final RecordingEffects fx = new RecordingEffects();
    final MemoryPeerCache cache = new MemoryPeerCache();
    final TunnelManager m;
    long now = 1_000_000;

    ManagerFixture(TunnelManager.Options o, long seed) {
        m = new TunnelManager(o, fx, cache, new SplittableRandom(seed), now);
    }

    ManagerFixture(int clientCount) {
        this(options(clientCount), 1);
    }

    static TunnelManager.Options options(int clientCount) {
        TunnelManager.Options d = TunnelManager.Options.defaults(SELF, REGISTRY);
        return new TunnelManager.Options(d.self(), d.registry(), clientCount, d.timeoutMs(), d.refreshMs(),
                d.neighbours(), d.protocols(), d.countries(), d.fixedClient());
    }

    /** Node prefix n on 16 bits. */
    static String p(int n) {
        String b = Integer.toBinaryString(n);
        return "0".repeat(16 - b.length()) + b;
    }

    static String addr(int n) {
        return "198.18.0." + n + ",1194,udp";
    }

    /** Runs the next pass: the clock moves to the manager's next deadline, or by a pass if later. */
    void pass() {
        now += TunnelManager.PASS_MS;
        m.tick(now);
    }

    void advance(long ms) {
        now += ms;
        m.tick(now);
    }

    void routes(RouteSnapshot s) {
        m.routes(now, s);
    }

    void cached(int... peers) {
        for (int n : peers)
            cache.put(p(n), addr(n));
    }

    /** An outgoing tunnel dialled through the manager and up. */
    void established(int n) {
        m.established(now, p(n), true);
    }

    void incoming(int n) {
        m.established(now, p(n), false);
    }

    /** Routes builder: {@code new Routes().neighbour(3).via(4, 3).registry()}. */
    static final class Routes {
        private final Map<String, Route> m = new HashMap<>();
        private boolean registry;

        /** {@code n} is a direct neighbour through our tunnel with it. */
        Routes neighbour(int n) {
            m.put(p(n), new Route(p(n), true));
            return this;
        }

        /** {@code n} is routed through our tunnel with {@code hop}. */
        Routes via(int n, int hop) {
            m.put(p(n), new Route(p(hop), false));
            return this;
        }

        /** {@code n} is routed through a neighbour that is not one of our tunnels. */
        Routes lan(int n) {
            m.put(p(n), new Route(null, false));
            return this;
        }

        Routes registry() {
            registry = true;
            return this;
        }

        RouteSnapshot build() {
            return new RouteSnapshot(m, registry);
        }
    }
}
