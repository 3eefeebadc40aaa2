package re6st.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import re6st.babel.BabelRouter;
import re6st.babel.Route;
import re6st.babel.message.Addr;
import re6st.babel.message.Message;

import static re6st.bench.BabelFixtures.*;

/**
 * Updates processed per second by {@link BabelRouter#receive}: one interface, one neighbour
 * already established (Hello, Hello, IHU: cost 96), and receive calls of {@value #BATCH} IPv6
 * Updates each (distinct /64 prefixes, prebuilt). Scores are per Update.
 * <ul>
 * <li>{@code learn}: destinations the router has never seen (new source, destination and route,
 *     installation, triggered update): a fresh router per invocation, built outside the timing;
 * <li>{@code newSeqno}: the routes already installed, re-announced with a newer seqno (feasible,
 *     the route's seqno, time and smoothing state change; the metric does not, so nothing is sent).
 *     {@value #CYCLE} prebuilt batches with seqnos s0+1 .. s0+{@value #CYCLE} are replayed in turn:
 *     each stays newer than the feasibility distance (s0), which is what feasibility looks at;
 * <li>{@code sameRoutes}: the steady state, the same (seqno, metric) announced again, as in the
 *     periodic full updates of a neighbour.
 * </ul>
 * {@code halfLifeMs} is the metric smoothing half-life (babeld's and our daemon's default is 4 s;
 * 0 turns it off). The virtual clock advances 10 us per receive call.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(BabelUpdateBenchmark.BATCH)
public class BabelUpdateBenchmark {
    static final int BATCH = 1000;
    static final int CYCLE = 16;
    static final int S0 = 1000;
    static final int REFMETRIC = 100;
    static final String IF = "tun0";

    /** A router that already holds and has installed the {@value #BATCH} routes. */
    @State(Scope.Thread)
    public static class Established {
        @Param({"0", "4000"})
        int halfLifeMs;

        CountingEffects out;
        BabelRouter router;
        Addr from;
        List<Message> same;
        @SuppressWarnings("unchecked")
        List<Message>[] newer = new List[CYCLE];
        long now = T0;
        int next;

        @Setup(Level.Trial)
        public void setUp(Blackhole bh) {
            out = new CountingEffects(bh);
            router = newRouter(halfLifeMs, out);
            Addr nh = neighbourAddress(0);
            establish(router, IF, ownAddress(0), nh, now);
            router.receive(IF, nh, false, updates(0, BATCH, nh, S0, REFMETRIC), now);
            check(router, BATCH);
            from = neighbourAddress(0);
            Addr packetNextHop = neighbourAddress(0);
            same = updates(0, BATCH, packetNextHop, S0, REFMETRIC);
            for (int k = 0; k < CYCLE; k++)
                newer[k] = updates(0, BATCH, packetNextHop, S0 + 1 + k, REFMETRIC);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            check(router, BATCH);
            if (router.stats().unfeasible != 0)
                throw new IllegalStateException(router.stats().unfeasible + " unfeasible updates");
            int seqno = next == 0 ? S0 : S0 + 1 + ((next - 1) & (CYCLE - 1)); // what newSeqno announced last
            for (Route r : router.routes())
                if (r.seqno() != seqno)
                    throw new IllegalStateException("seqno " + r.seqno() + ", expected " + seqno + ": " + r);
        }
    }

    /** A router with an established neighbour and no routes, new for every invocation. */
    @State(Scope.Thread)
    public static class Fresh {
        @Param({"0", "4000"})
        int halfLifeMs;

        Blackhole bh;
        CountingEffects out;
        BabelRouter router;
        Addr from;
        List<Message> batch;
        long now = T0;

        @Setup(Level.Trial)
        public void setUpTrial(Blackhole bh) {
            this.bh = bh;
            from = neighbourAddress(0);
            batch = updates(0, BATCH, neighbourAddress(0), S0, REFMETRIC);
        }

        @Setup(Level.Invocation)
        public void setUpInvocation() {
            now += 10_000;
            out = new CountingEffects(bh);
            router = newRouter(halfLifeMs, out);
            establish(router, IF, ownAddress(0), neighbourAddress(0), now);
        }

        @TearDown(Level.Invocation)
        public void tearDownInvocation() {
            if (router.routeCount() != BATCH || out.installs != BATCH)
                throw new IllegalStateException("learned " + router.routeCount() + " routes, installed " + out.installs);
        }
    }

    static void check(BabelRouter router, int routes) {
        if (router.routeCount() != routes)
            throw new IllegalStateException(router.routeCount() + " routes, expected " + routes);
        for (Route r : router.routes())
            if (!r.installed())
                throw new IllegalStateException("not installed: " + r);
    }

    @Benchmark
    public void learn(Fresh s) {
        s.router.receive(IF, s.from, false, s.batch, s.now);
    }

    @Benchmark
    public void newSeqno(Established s) {
        s.now += 10_000;
        s.router.receive(IF, s.from, false, s.newer[s.next++ & (CYCLE - 1)], s.now);
    }

    @Benchmark
    public void sameRoutes(Established s) {
        s.now += 10_000;
        s.router.receive(IF, s.from, false, s.same, s.now);
    }
}
