package re6st.bench;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Locale;
import java.util.Random;

import re6st.jni.Libc;
import re6st.jni.Tun;
import re6st.netsim.Iperf;
import re6st.netsim.Namespace;
import re6st.netsim.NsProcess;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;
import re6st.tunnel.Liveness;
import re6st.tunnel.TunnelSession;
import re6st.tunnel.UdpTunnel;
import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataKey;

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
            Namespace a = net.namespace("a"), b = net.namespace("b");
            net.veth(a, "veth0", b, "veth0");
            a.addAddress("veth0", "198.18.80.1/24");
            b.addAddress("veth0", "198.18.80.2/24");
            byte[] k1 = new byte[32], k2 = new byte[32];
            new Random(1).nextBytes(k1);
            new Random(2).nextBytes(k2);
            DataKey ab = new DataKey(k1, new byte[] {1, 0, 0, 0}, 0), ba = new DataKey(k2, new byte[] {2, 0, 0, 0}, 0);
            UdpTunnel ta = a.call(() -> new UdpTunnel(re6st.tunnel.TunDevice.open("r6t0"), UdpTunnel.bind(new InetSocketAddress("198.18.80.1", 1194)),
                    new InetSocketAddress("198.18.80.2", 1194), new TunnelSession(new DataChannel(ab, ba),
                            Liveness.defaults(System.nanoTime())), UdpTunnel.Listener.NONE));
            net.own(ta);
            UdpTunnel tb = b.call(() -> new UdpTunnel(re6st.tunnel.TunDevice.open("r6t0"), UdpTunnel.bind(new InetSocketAddress("198.18.80.2", 1194)),
                    null, new TunnelSession(new DataChannel(ba, ab), Liveness.defaults(System.nanoTime())),
                    UdpTunnel.Listener.NONE));
            net.own(tb);
            for (Namespace n : new Namespace[] {a, b})
                n.ip("link", "set", "r6t0", "mtu", "1400", "up");
            a.addAddress("r6t0", "fd00:80::1/64");
            b.addAddress("r6t0", "fd00:80::2/64");
            Wait.until("tunnel passes pings", Duration.ofSeconds(10), () -> a.pings("fd00:80::2"));
            NsProcess server = Iperf.server(b);
            System.out.printf(Locale.ROOT, "%-34s %10s%n", "path (iperf3 TCP, " + seconds + " s, 1 stream)", "Mbit/s");
            System.out.printf(Locale.ROOT, "%-34s %10.0f%n", "raw veth", Iperf.mbits(a, "198.18.80.2", seconds));
            System.out.printf(Locale.ROOT, "%-34s %10.0f%n", "re6st tunnel (AES-256-GCM, UDP)", Iperf.mbits(a, "fd00:80::2", seconds));
            System.out.printf(Locale.ROOT, "tunnel counters: a out %d (%d sends) in %d; b in %d (%d receives, %d TUN writes) out %d; drops %s %s%n",
                    ta.counters().packetsOut.getCount(), ta.counters().udpSends.getCount(), ta.counters().packetsIn.getCount(),
                    tb.counters().packetsIn.getCount(), tb.counters().udpReceives.getCount(), tb.counters().tunWrites.getCount(),
                    tb.counters().packetsOut.getCount(),
                    ta.session().channel().drops(), tb.session().channel().drops());
            server.close();
        }
    }
}
