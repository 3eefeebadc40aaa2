package re6st.bench;

import java.nio.file.Files;
import java.util.Locale;

import re6st.jni.Libc;
import re6st.netsim.TestNet;
import re6st.tunnel.UdpTunnel;

/**
 * What an idle tunnel costs on the underlay (issue 13's goal: at most 50 B/s each way): a UDP
 * tunnel pair between two namespaces on a veth, one ping to see it work, then nothing through
 * it for {@code seconds}; prints each side's datagrams and bytes sent in that time (UDP payload
 * as counted by the tunnel, and with the IPv4 + UDP headers, 28 bytes each) and its liveness
 * probes. Measured from 15 s after the tunnel came up, when the kernel's own start-up packets
 * on the new interfaces are over; whatever it still sends through the TUN counts too.
 * {@code sudo java -cp benchmarks/target/benchmarks.jar re6st.bench.IdleControlBench [seconds]}
 */
public final class IdleControlBench {
    private static final int IPV4_UDP_HEADERS = 28;

    public static void main(String[] args) throws Exception {
        if (!Libc.isRoot()) {
            System.err.println("IdleControlBench: needs root (network namespaces, TUN devices)");
            System.exit(1);
        }
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        try (TestNet net = TestNet.create("idlebench", Files.createTempDirectory("r6idlebench"))) {
            TunnelPair pair = TunnelPair.udp(net, 82);
            UdpTunnel ta = pair.ta(), tb = pair.tb();
            Thread.sleep(15_000); // the kernel's own start-up traffic on the new interfaces settles (MLD reports; router solicitations, 3 at 4 s intervals)
            UdpTunnel[] t = {ta, tb};
            long[] packets = new long[2], bytes = new long[2], probes = new long[2];
            for (int s = 0; s < 2; s++) {
                packets[s] = t[s].counters().packetsOut.getCount();
                bytes[s] = t[s].counters().bytesOut.getCount();
                probes[s] = t[s].session().liveness().probesSent();
            }
            long start = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            double took = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "idle UDP tunnel pair, %.1f s, nothing sent through it:%n", took);
            System.out.printf(Locale.ROOT, "%-6s %10s %8s %8s %8s %10s %10s %8s%n", "side", "datagrams", "probes", "echoes", "other",
                    "UDP B/s", "IPv4 B/s", "SRTT ms");
            long[] p = new long[2], by = new long[2], pr = new long[2];
            for (int s = 0; s < 2; s++) {
                p[s] = t[s].counters().packetsOut.getCount() - packets[s];
                by[s] = t[s].counters().bytesOut.getCount() - bytes[s];
                pr[s] = t[s].session().liveness().probesSent() - probes[s];
            }
            for (int s = 0; s < 2; s++) // echoes: one per probe of the peer (none lost on a veth); other: what came from the TUN
                System.out.printf(Locale.ROOT, "%-6s %10d %8d %8d %8d %10.1f %10.1f %8.2f%n", s == 0 ? "a->b" : "b->a", p[s], pr[s],
                        pr[1 - s], p[s] - pr[s] - pr[1 - s], by[s] / took, (by[s] + p[s] * IPV4_UDP_HEADERS) / took,
                        t[s].session().liveness().srttNanos() / 1e6);
        }
    }
}
