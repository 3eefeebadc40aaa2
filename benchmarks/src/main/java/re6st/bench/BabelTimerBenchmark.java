package re6st.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import re6st.babel.BabelRouter;
import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Message.SeqnoRequest;

import static re6st.bench.BabelFixtures.*;

/**
 * The fixed cost of one turn of {@code BabelDaemon}'s core loop, which calls
 * {@link BabelRouter#nextTimer()} and {@link BabelRouter#tick} once per received packet (or task),
 * when no timer is due: a router with {@value BabelSelectionBenchmark#DESTINATIONS} destinations
 * learned from neighbour A, and {@code pending} outstanding seqno requests (B asked for a newer seqno
 * of that many destinations, and we forwarded each request to A, as after a large retraction or a
 * neighbour loss). Score: ns per loop turn.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BabelTimerBenchmark {
    @State(Scope.Thread)
    public static class Router {
        @Param({"0", "1000", "100000"})
        int pending;

        CountingEffects out;
        BabelRouter router;
        long now = T0;

        @Setup(Level.Trial)
        public void setUp(Blackhole bh) {
            out = new CountingEffects(bh);
            router = BabelSelectionBenchmark.routerWithNeighbours(out, 2, now);
            BabelSelectionBenchmark.learnFrom(router, 0, BabelSelectionBenchmark.DESTINATIONS, now);
            Addr fromB = neighbourAddress(1);
            long sends = out.sends;
            for (int i = 0; i < pending; i += 40) {
                List<Message> packet = new ArrayList<>(40);
                for (int j = i; j < Math.min(pending, i + 40); j++)
                    packet.add(new SeqnoRequest(prefix(j), null, BabelSelectionBenchmark.SEQNO + 1, 2, origin(j)));
                router.receive(BabelSelectionBenchmark.ifname(1), fromB, false, packet, now);
            }
            if (out.sends - sends != pending || router.stats().requestsForwarded != pending)
                throw new IllegalStateException(router.stats().requestsForwarded + " requests forwarded, expected " + pending);
            now += 1_000_000; // 1 ms later: no request resend due yet (first resend after 2 s)
            router.tick(now);  // the Hellos that are due at once (new neighbours) go now
            sends = out.sends;
            router.tick(now);
            if (out.sends != sends || router.nextTimer() <= now)
                throw new IllegalStateException("a timer is due: the loop would not be idle");
        }
    }

    @Benchmark
    public long idleLoopTurn(Router s) {
        s.router.tick(s.now);
        return s.router.nextTimer();
    }
}
