package re6st.bench;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import re6st.jni.Libc;
import re6st.netsim.FailoverBench;
import re6st.netsim.FailoverBench.Result;
import re6st.netsim.FailoverBench.Variant;
import re6st.netsim.TestNet;

/**
 * BENCHMARKS.md section 2, issue 15 part 1: the failover table. One diamond of emulated WAN links
 * (A-B-D 10 ms, A-C-D 40 ms per link), a probe every 10 ms from A to D, a silent blackhole of
 * A-B, healed; for each routing set-up ({@link Variant#ALL}: re6st node; babeld at hello 1 s and
 * 4 s, the original re6st's babeld settings, our Babel, the last four over static tunnels without
 * liveness) {@code runs} cuts, reporting the median and the spread of the longest gap in replies
 * and of the time until the fast path carries the replies again after the heal, and the replies
 * that took the slow path while the fast one worked. Then {@code noiseSeconds} of 5 % loss and
 * 20 ms jitter on every link under the real node: false failovers (A's first hop to D changing,
 * tunnels declared down).
 *
 * <pre>sudo java -cp benchmarks/target/benchmarks.jar re6st.bench.FailoverBenchmark [runs=5] [variants=a,b1,b4,c,d] [noiseSeconds=300]</pre>
 */
public final class FailoverBenchmark {
    public static void main(String[] args) throws Exception {
        if (!Libc.isRoot()) {
            System.err.println("FailoverBenchmark: needs root (network namespaces, TAP devices)");
            System.exit(1);
        }
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        List<Variant> variants = new ArrayList<>();
        for (String k : (args.length > 1 ? args[1] : "a,b1,b4,c,d").split(","))
            variants.add(Variant.of(k.strip()));
        int noiseSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 300;
        Map<Variant, List<Result>> results = new LinkedHashMap<>();
        FailoverBench.Noise noise = null;
        try (TestNet net = TestNet.create("failbench", Files.createTempDirectory("r6failbench"));
                FailoverBench bench = new FailoverBench(net, System.out)) {
            System.out.println("logs in " + net.logDir());
            for (Variant v : variants) {
                System.out.printf(Locale.ROOT, "== (%s) %s%n", v.key(), v.title());
                bench.start(v);
                try {
                    // a cut lasts until the failover and at least 5 s; the bounds cover hello 15 s (45-60 s by the original's help)
                    Duration bound = Duration.ofSeconds(v.hello() >= 10 ? 180 : 90);
                    List<Result> rs = new ArrayList<>();
                    for (int i = 0; i < runs; i++) {
                        Result r = bench.measure(Duration.ofSeconds(180), Duration.ofSeconds(5), bound);
                        System.out.printf(Locale.ROOT, "   run %d: gap %s, fast path again %s after the heal, slow replies while "
                                + "the fast path worked: %d in the 3 s before the cut, %d in the 10 s after the return; %d/%d answered%n",
                                i + 1, FailoverBench.seconds(r.gap()), FailoverBench.seconds(r.backToFast()), r.slowBeforeCut(),
                                r.slowAfterBack(), r.answered(), r.sent());
                        rs.add(r);
                    }
                    results.put(v, rs);
                    if (v.kind() == FailoverBench.Kind.NODE && noiseSeconds > 0) {
                        System.out.printf(Locale.ROOT, "   %d s of 5%% loss and +-20 ms jitter on every link between two hosts...%n",
                                noiseSeconds);
                        noise = bench.noise(Duration.ofSeconds(noiseSeconds), Duration.ofMillis(20), 0.05);
                    }
                } finally {
                    bench.stop();
                }
            }
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "Failover on the diamond (A-B-D 10 ms, A-C-D 40 ms per link), silent blackhole of A-B, %d runs each%n", runs);
        System.out.printf(Locale.ROOT, "%-4s %-66s %-22s %-22s %s%n", "", "routing", "longest gap: median (spread)", "fast path again",
                "slow replies (before cut / after return)");
        for (var e : results.entrySet()) {
            List<Duration> gaps = e.getValue().stream().map(Result::gap).toList();
            List<Duration> backs = e.getValue().stream().map(Result::backToFast).toList();
            int before = e.getValue().stream().mapToInt(Result::slowBeforeCut).sum();
            int after = e.getValue().stream().mapToInt(Result::slowAfterBack).sum();
            System.out.printf(Locale.ROOT, "%-4s %-66s %-22s %-22s %d / %d%n", "(" + e.getKey().key() + ")", e.getKey().title(), summary(gaps),
                    summary(backs), before, after);
        }
        if (noise != null)
            System.out.printf(Locale.ROOT, "%nNoise under re6st node: %d route changes of A's first hop to D in %d polls (%d without "
                    + "a route), %d tunnels declared down, %d of %d probes lost (%.1f %%)%n", noise.routeChanges(), noise.polls(),
                    noise.noRoute(), noise.tunnelDowns(),
                    noise.probesLost(), noise.sent(), 100.0 * noise.probesLost() / Math.max(1, noise.sent()));
    }

    /** "median (min-max)", with the count of runs that never got there. */
    static String summary(List<Duration> ds) {
        List<Duration> ok = ds.stream().filter(d -> d != null).sorted().toList();
        if (ok.isEmpty())
            return "never";
        String s = String.format(Locale.ROOT, "%.2f (%.2f-%.2f) s", sec(FailoverBench.median(ok)), sec(ok.get(0)), sec(ok.get(ok.size() - 1)));
        return ok.size() < ds.size() ? s + " " + (ds.size() - ok.size()) + " never" : s;
    }

    private static double sec(Duration d) {
        return d.toNanos() / 1e9;
    }
}
