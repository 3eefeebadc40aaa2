package re6st.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import re6st.babel.BabelRouter;
import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Message.Hello;
import re6st.babel.message.Message.Ihu;

import static re6st.bench.BabelFixtures.*;

/**
 * What the timers of a router with a large, quiet table cost (issue 15: the simulator spent 30%
 * of its time in the route-expiry scan, and so does every node): {@code destinations} routes
 * learned from one neighbour (hold time 96 s), the neighbour's Hello and IHU every second, no
 * full update of ours due (update interval 600 s, the first one sent before the measure), then
 * {@value #SECONDS} virtual seconds of {@link BabelRouter#tick} once a second. Nothing expires
 * in that minute: what it costs is bookkeeping. Score: time per virtual minute.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, batchSize = BabelExpiryBenchmark.SECONDS)
@Measurement(iterations = 10, batchSize = BabelExpiryBenchmark.SECONDS)
@Fork(1)
public class BabelExpiryBenchmark {
    static final int SECONDS = 60;
    static final long SECOND = 1_000_000_000L;

    @State(Scope.Thread)
    public static class Quiet {
        @Param({"1000", "100000"})
        int destinations;

        @Param({"0", "4000"})
        int halfLifeMs;

        BabelRouter router;
        Addr self, from;
        String ifname;
        long now;
        int helloSeqno;

        @Setup(Level.Iteration)
        public void setUp(Blackhole bh) {
            now = T0;
            CountingEffects out = new CountingEffects(bh);
            router = newRouter(halfLifeMs, out);
            ifname = BabelSelectionBenchmark.ifname(0);
            self = ownAddress(0);
            from = neighbourAddress(0);
            router.addInterface(ifname, SETTINGS.withUpdateInterval(600_000), self, now);
            helloSeqno = 100;
            second(); // established: two Hellos and an IHU
            BabelSelectionBenchmark.learnFrom(router, 0, destinations, now);
            for (int i = 0; i < 6; i++)
                second(); // past our first full update (one hello interval after the interface came up)
            if (router.routeCount() != destinations)
                throw new IllegalStateException(router.routeCount() + " routes, expected " + destinations);
        }

        /** One virtual second: the neighbour's Hello and IHU, then our timers. */
        long second() {
            now += SECOND;
            router.receive(ifname, from, false, List.of(new Hello(false, helloSeqno++, 100, Message.NO_TIMESTAMP),
                    new Ihu(self, COST, 300, Message.NO_TIMESTAMP, Message.NO_TIMESTAMP)), now);
            router.tick(now);
            return router.nextTimer();
        }
    }

    @Benchmark
    public long oneSecond(Quiet s) {
        return s.second();
    }
}
