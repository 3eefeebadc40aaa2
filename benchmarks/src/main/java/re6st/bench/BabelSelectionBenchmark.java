package re6st.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import re6st.babel.BabelRouter;
import re6st.babel.Route;
import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Message.Ihu;
import re6st.babel.message.Message.Update;

import static re6st.bench.BabelFixtures.*;

/**
 * Route selection in a router holding {@value #DESTINATIONS} destinations, each learned from three
 * neighbours A, B and C (one tunnel interface each, link cost 96), with reported metrics 100, 150
 * and 180: A's route (metric 196) is installed, B's (246) and C's (276) are feasible alternatives
 * (their reported metrics are below the feasibility distance 196). Smoothing is off (with a frozen
 * virtual clock it would freeze selection).
 * <ul>
 * <li>{@code oneUpdateKeep}: one Update from A changing one destination's metric (reported 100 to
 *     120 and back on the next pass over the destinations): selection for that destination, A stays;
 * <li>{@code oneUpdateSwitch}: the same with 100 to 190 (metric 286): the destination switches to B
 *     (one kernel route replaced), and back to A on the next pass;
 * <li>{@code neighbourCostKeep}: an IHU from A with rxcost 96 to 120 and back: the cost of A's
 *     {@value #DESTINATIONS} routes changes, A stays the best everywhere. Score per route;
 * <li>{@code neighbourCostSwitch}: A's cost 96 to 200 and back: every destination switches to B
 *     (and back). Score per route.
 * </ul>
 * Single-update scores visit the destinations in turn (100,000 prebuilt one-Update lists per
 * direction), so the table is walked as a large one, not one hot entry.
 * {@link #main} measures heap per destination and per route and the time to learn the table.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BabelSelectionBenchmark {
    static final int DESTINATIONS = 100_000;
    static final int[] REFMETRICS = {100, 150, 180};
    static final int SEQNO = 1000;
    /** Updates per learning packet: about what fits a 1,440-byte packet. */
    static final int PER_PACKET = 40;

    static String ifname(int k) {
        return "tun" + (k + 1);
    }

    /** Our interfaces 0..neighbours-1, each with one established neighbour. */
    static BabelRouter routerWithNeighbours(CountingEffects out, int neighbours, long now) {
        BabelRouter r = newRouter(0, out);
        for (int k = 0; k < neighbours; k++)
            establish(r, ifname(k), ownAddress(k), neighbourAddress(k), now);
        return r;
    }

    /** Neighbour {@code k} announces every destination, in packets of {@value #PER_PACKET} freshly made Updates. */
    static void learnFrom(BabelRouter r, int k, int destinations, long now) {
        Addr from = neighbourAddress(k);
        for (int i = 0; i < destinations; i += PER_PACKET)
            r.receive(ifname(k), from, false,
                    updates(i, Math.min(PER_PACKET, destinations - i), from, SEQNO, REFMETRICS[k]), now);
    }

    /** Every destination has {@code routes} routes and A's is installed. */
    static void check(BabelRouter r, int destinations, int routes, int expectInstalledVia) {
        if (r.routeCount() != destinations * routes)
            throw new IllegalStateException(r.routeCount() + " routes, expected " + destinations * routes);
        int installed = 0;
        Addr via = neighbourAddress(expectInstalledVia);
        for (Route x : r.routes())
            if (x.installed()) {
                installed++;
                if (!x.neighbour().address().equals(via))
                    throw new IllegalStateException("installed via " + x.neighbour() + ": " + x);
            }
        if (installed != destinations)
            throw new IllegalStateException(installed + " installed routes, expected " + destinations);
        if (r.stats().unfeasible != 0)
            throw new IllegalStateException(r.stats().unfeasible + " unfeasible updates");
    }

    @State(Scope.Thread)
    public static class Table {
        CountingEffects out;
        BabelRouter router;
        long now = T0;
        String ifA = ifname(0);
        Addr fromA;
        /** [0]: A's raised metric (keep), [1]: A's raised metric (switch), [2]: A's original metric. */
        @SuppressWarnings("unchecked")
        List<Message>[][] one = new List[3][DESTINATIONS];
        int next;
        List<Message> ihuOriginal, ihuKeep, ihuSwitch;
        boolean raised;

        @Setup(Level.Trial)
        public void setUp(Blackhole bh) {
            out = new CountingEffects(bh);
            long t = System.nanoTime();
            router = routerWithNeighbours(out, 3, now);
            for (int k = 0; k < 3; k++)
                learnFrom(router, k, DESTINATIONS, now);
            System.out.printf("%n[table] %,d destinations x 3 neighbours learned in %.2f s%n", DESTINATIONS,
                    (System.nanoTime() - t) / 1e9);
            check(router, DESTINATIONS, 3, 0);
            fromA = neighbourAddress(0);
            int[] refmetric = {120, 190, REFMETRICS[0]};
            for (int v = 0; v < 3; v++)
                for (int i = 0; i < DESTINATIONS; i++)
                    one[v][i] = List.of(new Update(prefix(i), null, origin(i), fromA, SEQNO, refmetric[v], UPDATE_INTERVAL_CS));
            Addr self = ownAddress(0);
            ihuOriginal = List.of(new Ihu(self, COST, 1200, Message.NO_TIMESTAMP, Message.NO_TIMESTAMP));
            ihuKeep = List.of(new Ihu(self, 120, 1200, Message.NO_TIMESTAMP, Message.NO_TIMESTAMP));
            ihuSwitch = List.of(new Ihu(self, 200, 1200, Message.NO_TIMESTAMP, Message.NO_TIMESTAMP));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (router.stats().unfeasible != 0)
                throw new IllegalStateException(router.stats().unfeasible + " unfeasible updates");
        }

        /** The next single-Update list: the next destination, raised on even passes, restored on odd ones. */
        List<Message> nextOne(int raisedVariant) {
            int i = next;
            int pass = next / DESTINATIONS;
            if (++next == 2 * DESTINATIONS)
                next = 0;
            return one[pass == 0 ? raisedVariant : 2][i - pass * DESTINATIONS];
        }

        List<Message> nextIhu(List<Message> raise) {
            raised = !raised;
            return raised ? raise : ihuOriginal;
        }
    }

    @Benchmark
    public void oneUpdateKeep(Table s) {
        s.router.receive(s.ifA, s.fromA, false, s.nextOne(0), s.now);
    }

    @Benchmark
    public void oneUpdateSwitch(Table s) {
        s.router.receive(s.ifA, s.fromA, false, s.nextOne(1), s.now);
    }

    @Benchmark
    @OperationsPerInvocation(DESTINATIONS)
    public void neighbourCostKeep(Table s) {
        s.router.receive(s.ifA, s.fromA, false, s.nextIhu(s.ihuKeep), s.now);
    }

    @Benchmark
    @OperationsPerInvocation(DESTINATIONS)
    public void neighbourCostSwitch(Table s) {
        s.router.receive(s.ifA, s.fromA, false, s.nextIhu(s.ihuSwitch), s.now);
    }

    /**
     * Heap per destination and per route, and learning time: routers with the {@value #DESTINATIONS}
     * destinations from 1, 2 and 3 neighbours, heap in use after full GCs (Runtime totalMemory -
     * freeMemory) before and after. The Updates are made per packet and dropped, as from the
     * decoder: what stays is what the table keeps (including the Prefix objects it holds).
     */
    public static void main(String[] args) {
        int destinations = args.length > 0 ? Integer.parseInt(args[0]) : DESTINATIONS;
        long now = T0;
        // warm up the code paths (JIT) on a smaller table first, so that timings mean something
        for (int w = 0; w < 3; w++) {
            BabelRouter r = routerWithNeighbours(new CountingEffects(null), 3, now);
            for (int k = 0; k < 3; k++)
                learnFrom(r, k, 20_000, now);
        }
        long[] used = new long[4];
        double[] seconds = new double[4];
        for (int n = 1; n <= 3; n++) {
            long before = usedHeapAfterGc();
            CountingEffects out = new CountingEffects(null);
            BabelRouter r = routerWithNeighbours(out, n, now);
            long t = System.nanoTime();
            for (int k = 0; k < n; k++)
                learnFrom(r, k, destinations, now);
            seconds[n] = (System.nanoTime() - t) / 1e9;
            used[n] = usedHeapAfterGc() - before;
            check(r, destinations, n, 0);
            System.out.printf("%d neighbour(s): %,d routes learned in %.3f s (%.0f ns/update), heap %,.1f MB%n", n,
                    r.routeCount(), seconds[n], seconds[n] * 1e9 / r.routeCount(), used[n] / 1e6);
            if (r.routeCount() < 0)
                System.out.println(r); // keep r reachable until measured
        }
        double perExtraRoute = (used[3] - used[1]) / 2.0 / destinations;
        double perDestination = (double) used[1] / destinations - perExtraRoute;
        System.out.printf("heap per route: %.0f B (each route beyond the first of a destination: (3 nbrs - 1 nbr) / 2)%n",
                perExtraRoute);
        System.out.printf("heap per destination besides its routes: %.0f B; destination with 1 route: %.0f B%n",
                perDestination, (double) used[1] / destinations);
        System.out.printf("table of %,d destinations x 3 routes: %,.1f MB = %.0f B per route overall%n", destinations,
                used[3] / 1e6, (double) used[3] / (3.0 * destinations));
    }
}
