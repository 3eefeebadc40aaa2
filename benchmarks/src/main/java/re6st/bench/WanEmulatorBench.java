package re6st.bench;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Locale;

import re6st.jni.Libc;
import re6st.netsim.LinkParams;
import re6st.netsim.Iperf;
import re6st.netsim.Namespace;
import re6st.netsim.NsProcess;
import re6st.netsim.Ping;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;
import re6st.netsim.WanLink;

/**
 * What the WAN link emulator costs and how exact it is: iperf3 TCP throughput through an
 * unlimited link and through a 100 Mbit/s rate limit, and ping RTT accuracy at 20 ms one way.
 * Side by side with a plain veth pair in the same run. Not a test: it prints a table.
 *
 * <pre>sudo java -cp benchmarks/target/benchmarks.jar re6st.bench.WanEmulatorBench [seconds]</pre>
 */
public final class WanEmulatorBench {
    public static void main(String[] args) throws Exception {
        if (!Libc.isRoot()) {
            System.err.println("WanEmulatorBench: needs root (namespaces, TAP devices)");
            System.exit(1);
        }
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        try (TestNet net = TestNet.create("wanbench", Files.createTempDirectory("r6wanbench"))) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            net.veth(a, "veth0", b, "veth0");
            a.addAddress("veth0", "198.18.30.1/24");
            b.addAddress("veth0", "198.18.30.2/24");
            WanLink link = net.wan("ab", a, "wan0", b, "wan0", LinkParams.PERFECT);
            a.addAddress("wan0", "198.18.31.1/24");
            b.addAddress("wan0", "198.18.31.2/24");
            Wait.until("emulated link up", Duration.ofSeconds(10), () -> a.pings("198.18.31.2"));
            NsProcess server = Iperf.server(b);

            System.out.printf(Locale.ROOT, "%-40s %12s%n", "path (iperf3 TCP, " + seconds + " s)", "Mbit/s");
            System.out.printf(Locale.ROOT, "%-40s %12.0f%n", "veth, no emulator", Iperf.mbits(a, "198.18.30.2", seconds));
            System.out.printf(Locale.ROOT, "%-40s %12.0f%n", "emulator, unlimited, 0 ms", Iperf.mbits(a, "198.18.31.2", seconds));
            link.set(LinkParams.PERFECT.withRate(100_000_000));
            System.out.printf(Locale.ROOT, "%-40s %12.0f%n", "emulator, rate 100 Mbit/s, 0 ms", Iperf.mbits(a, "198.18.31.2", seconds));
            link.set(LinkParams.delayMillis(10));
            System.out.printf(Locale.ROOT, "%-40s %12.0f%n", "emulator, unlimited, 10 ms one way", Iperf.mbits(a, "198.18.31.2", seconds));
            server.close();

            System.out.println();
            System.out.printf(Locale.ROOT, "%-40s %8s %8s %8s %8s%n", "RTT (200 pings, 10 ms apart)", "min", "avg", "max", "mdev");
            for (int oneWay : new int[] {0, 1, 20}) {
                link.set(LinkParams.delayMillis(oneWay));
                Ping.Result r = Ping.run(a, "198.18.31.2", 200, Duration.ofMillis(10));
                System.out.printf(Locale.ROOT, "%-40s %8.3f %8.3f %8.3f %8.3f%n", "emulator " + oneWay + " ms one way (expect "
                        + 2 * oneWay + ")", r.min(), r.avg(), r.max(), r.mdev());
            }
            Ping.Result v = Ping.run(a, "198.18.30.2", 200, Duration.ofMillis(10));
            System.out.printf(Locale.ROOT, "%-40s %8.3f %8.3f %8.3f %8.3f%n", "veth, no emulator", v.min(), v.avg(), v.max(), v.mdev());
            link.checkHealthy();
        }
    }
}
