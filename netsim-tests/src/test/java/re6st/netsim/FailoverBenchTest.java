package re6st.netsim;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/**
 * Issue 15 part 1 in CI: the failover benchmark's harness on real processes, one run of the real node (a) in the diamond.
 * What is asserted is behaviour, not speed: traffic survives the silent cut over the other path, comes back to the fast
 * path after the heal, and the fast path carries the traffic while it works. The static-tunnel variants (b-d) would add a
 * minute each to CI for no behaviour of the product. The figures (printed) are measured by hand, five runs of each
 * variant: {@code FailoverBenchmark} in benchmarks/.
 */
@RequiresRoot
class FailoverBenchTest {
    @Test
    void theNodeFailsOverAroundASilentBlackholeAndComesBackToTheFastPath() throws Exception {
        try (TestNet net = TestNet.create("fail"); FailoverBench bench = new FailoverBench(net, System.out)) {
            for (String key : new String[] {"a"}) {
                FailoverBench.Variant v = FailoverBench.Variant.of(key);
                bench.start(v);
                try {
                    FailoverBench.Result r = bench.measure(Duration.ofSeconds(120), Duration.ofSeconds(5), Duration.ofSeconds(90));
                    System.out.printf("(%s) %s: gap %s, fast path again %s after the heal, slow replies while the fast path "
                            + "worked: %d before the cut, %d after the return; %d/%d probes answered%n", key, v.title(),
                            FailoverBench.seconds(r.gap()), FailoverBench.seconds(r.backToFast()), r.slowBeforeCut(), r.slowAfterBack(),
                            r.answered(), r.sent());
                    assertNotNull(r.gap(), key + ": no reply came over A-C-D while A-B was cut");
                    assertNotNull(r.backToFast(), key + ": the fast path did not carry the probes again after the heal");
                    // latency awareness: the fast path carries the traffic while it works. Not "never the slow one": the node's
                    // routes still flip for a few replies now and then (1-33 in 3 s, seen in the benchmark; an open issue)
                    long before = (FailoverBench.BEFORE_CUT.toMillis() / 10);
                    assertTrue(r.slowBeforeCut() < before / 10, key + ": " + r.slowBeforeCut() + " replies took the slow path in the "
                            + FailoverBench.BEFORE_CUT.toSeconds() + " s before the cut while the fast one worked");
                    assertTrue(r.answered() > 0 && r.answered() <= r.sent());
                } finally {
                    bench.stop();
                }
            }
            for (Mesh.Host h : bench.mesh.hosts)
                h.wan.checkHealthy();
        }
    }
}
