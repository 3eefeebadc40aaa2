package re6st.bench;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import com.codahale.metrics.MetricRegistry;

import re6st.slap.client.SlapClient;
import re6st.slap.master.AllowList;
import re6st.slap.master.MasterModel.Address;
import re6st.slap.master.MasterModel.ComputerConfig;
import re6st.slap.master.MasterModel.PartitionConfig;
import re6st.slap.master.SlapHttpServer;
import re6st.slap.master.SlapMaster;
import re6st.slap.xml.XmlValue;

/**
 * The SlapOS master under load (issue 16, acceptance 4): a master in-process on [::1] (SQLite in
 * a temporary directory, WAL, synchronous=FULL: every call a durable commit), 10 computers of 100
 * partitions, and 32 clients over HTTP doing {@code requestComputerPartition} as {@code slapos
 * request} sends it: (a) each client places new instances (a write per call), (b) each client
 * re-requests its instances unchanged (the steady state of nodes and users rerunning requests:
 * no write), (c) the same with a changed parameter each time (a write, a new timestamp). Checks
 * every answer (a SoftwareInstance with the parameters asked) and prints a Markdown table: operation,
 * clients, count, per second, p50 ms, p99 ms.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar re6st.bench.SlapMasterBench [SECONDS per phase]</pre>
 */
public final class SlapMasterBench {
    static final int CLIENTS = 32, COMPUTERS = 10, PARTITIONS = 100;
    static final String SR = "https://example.com/web/software.json";

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Path dir = Files.createTempDirectory("slapbench");
        try (SlapMaster master = SlapMaster.open(dir.resolve("master.db"), SlapMaster.systemClock())) {
            SlapHttpServer server = new SlapHttpServer(master, AllowList.loopback(), new MetricRegistry(), 8);
            int port = server.start(List.of(new InetSocketAddress(InetAddress.getByName("::1"), 0))).get(0).getPort();
            try {
                for (int c = 0; c < COMPUTERS; c++) {
                    List<PartitionConfig> parts = new ArrayList<>();
                    for (int i = 0; i < PARTITIONS; i++)
                        parts.add(new PartitionConfig("slappart" + i, "slappart" + i,
                                List.of(new Address("lo", "2001:db8:" + c + "::" + Integer.toHexString(i + 2), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))));
                    master.loadComputer(new ComputerConfig("COMP-" + c, "2001:db8:" + c + "::1", "ffff:ffff:ffff:ffff::", parts));
                }
                String url = "http://[::1]:" + port;
                System.out.printf(Locale.ROOT, "SlapMasterBench: %d clients, %d computers x %d partitions, %d s per phase (db in %s)%n", CLIENTS,
                        COMPUTERS, PARTITIONS, seconds, dir);
                List<RegistryBench.Row> rows = new ArrayList<>();
                int perClient = COMPUTERS * PARTITIONS / CLIENTS;
                rows.add(phase(url, "request, new instance (placement)", perClient, 0, false));
                rows.add(phase(url, "request again, unchanged", 0, seconds, false));
                rows.add(phase(url, "request again, a parameter changed", 0, seconds, true));
                System.out.println("| operation | clients | count | per second | p50 ms | p99 ms |");
                System.out.println("|---|---|---|---|---|---|");
                for (RegistryBench.Row r : rows)
                    System.out.printf(Locale.ROOT, "| %s | %d | %d | %.1f | %.2f | %.2f |%n", r.op(), r.clients(), r.latNs().length, r.perSecond(),
                            r.pMs(0.5), r.pMs(0.99));
                System.out.printf(Locale.ROOT, "Machine: nproc %d, %s %s, Java %s. Master in-process on [::1] (8 workers, SQLite WAL synchronous=FULL), "
                        + "clients: java.net.http, keep-alive.%n", Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
                        System.getProperty("os.version"), System.getProperty("java.version"));
            } finally {
                server.close();
            }
        } finally {
            try (var s = Files.walk(dir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList())
                    Files.deleteIfExists(p);
            }
        }
    }

    /** {@code count} calls per client, or calls for {@code seconds} when count is 0. */
    static RegistryBench.Row phase(String url, String op, int count, int seconds, boolean change) throws Exception {
        long[][] lat = new long[CLIENTS][];
        AtomicLong failures = new AtomicLong();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        long[] start = new long[1];
        for (int t = 0; t < CLIENTS; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                SlapClient c = new SlapClient(url, Duration.ofSeconds(30));
                long[] l = new long[1 << 16];
                int n = 0;
                try {
                    go.await();
                    long end = start[0] + seconds * 1_000_000_000L;
                    for (int k = 0; count > 0 ? k < count : System.nanoTime() < end; k++) {
                        String title = "c" + id + "-" + (count > 0 ? k : k % 4);
                        Map<String, String> params = change ? Map.of("port", "8080", "rev", Integer.toString(k)) : Map.of("port", "8080");
                        long t0 = System.nanoTime();
                        XmlValue v = c.request(SR, title, params, null, Map.of(), "started", false);
                        long d = System.nanoTime() - t0;
                        if (!(v instanceof XmlValue.Obj o) || !"SoftwareInstance".equals(o.className())
                                || !(o.attributes().entries().get(new XmlValue.Str("_parameter_dict")) instanceof XmlValue.Dict pd)
                                || !new XmlValue.Str("8080").equals(pd.entries().get(new XmlValue.Str("port"))))
                            failures.incrementAndGet();
                        if (n == l.length)
                            l = Arrays.copyOf(l, n * 2);
                        l[n++] = d;
                    }
                } catch (Exception e) {
                    failures.incrementAndGet();
                    System.err.println(op + ": client " + id + ": " + e);
                }
                lat[id] = Arrays.copyOf(l, n);
            });
            th.start();
            threads.add(th);
        }
        start[0] = System.nanoTime();
        go.countDown();
        for (Thread th : threads)
            th.join();
        double secs = (System.nanoTime() - start[0]) / 1e9;
        if (failures.get() > 0)
            throw new IllegalStateException(op + ": " + failures.get() + " failed calls");
        return new RegistryBench.Row(op, CLIENTS, Arrays.stream(lat).flatMapToLong(Arrays::stream).toArray(), secs);
    }
}
