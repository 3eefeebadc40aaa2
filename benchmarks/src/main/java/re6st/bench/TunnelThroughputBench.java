package re6st.bench;

import java.nio.file.Files;
import java.util.Locale;

import re6st.jni.Libc;
import re6st.netsim.Iperf;
import re6st.netsim.Namespace;
import re6st.netsim.NsProcess;
import re6st.netsim.TestNet;
import re6st.tunnel.UdpTunnel;

/**
 * iperf3 (one TCP stream) through our tunnel between two namespaces on a veth pair, next to the
 * raw veth, in one run (BENCHMARKS.md section 1, without the OpenVPN/wireguard-go baselines yet).
 * {@code sudo java -cp benchmarks/target/benchmarks.jar re6st.bench.TunnelThroughputBench [seconds]}
 */
public final class TunnelThroughputBench {
    public static void main(String[] args) throws Exception {
        if (!Libc.isRoot()) {
            System.err.println("TunnelThroughputBench: needs root");
            System.exit(1);
        }
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        try (TestNet net = TestNet.create("tunbench", Files.createTempDirectory("r6tunbench"))) {
            TunnelPair pair = TunnelPair.udp(net, 80);
            Namespace a = pair.a(), b = pair.b();
            UdpTunnel ta = pair.ta(), tb = pair.tb();
            NsProcess server = Iperf.server(b);
            System.out.printf(Locale.ROOT, "%-34s %10s%n", "path (iperf3 TCP, " + seconds + " s, 1 stream)", "Mbit/s");
            System.out.printf(Locale.ROOT, "%-34s %10.0f%n", "raw veth", Iperf.mbits(a, pair.underlayB(), seconds));
            System.out.printf(Locale.ROOT, "%-34s %10.0f%n", "re6st tunnel (AES-256-GCM, UDP)", Iperf.mbits(a, pair.overlayB(), seconds));
            System.out.printf(Locale.ROOT, "tunnel counters: a out %d (%d sends) in %d; b in %d (%d receives, %d TUN writes) out %d; drops %s %s%n",
                    ta.counters().packetsOut.getCount(), ta.counters().udpSends.getCount(), ta.counters().packetsIn.getCount(),
                    tb.counters().packetsIn.getCount(), tb.counters().udpReceives.getCount(), tb.counters().tunWrites.getCount(),
                    tb.counters().packetsOut.getCount(),
                    ta.session().channel().drops(), tb.session().channel().drops());
            server.close();
        }
    }
}
