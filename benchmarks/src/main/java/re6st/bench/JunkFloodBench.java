package re6st.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import re6st.jni.Libc;
import re6st.jni.PacketSocket;
import re6st.jni.Tun;
import re6st.jni.UdpSocket;
import re6st.net.IpPrefix;
import re6st.netsim.Iperf;
import re6st.netsim.Namespace;
import re6st.netsim.NsProcess;
import re6st.netsim.RawPackets;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;
import re6st.tunnel.TunDevice;
import re6st.tunnel.UdpEndpoint;
import re6st.tunnel.UdpTunnel;
import re6st.tunnel.handshake.Credentials;

/**
 * Issue 12 item 3 acceptance, measured: one server endpoint (one UDP port) with two client
 * tunnels on a LAN; iperf3 (one TCP stream, client 2/16 to the server) through the first while
 * DTLS junk (handshake, change-cipher-spec, alert and application-data records, forged with the
 * address and port of client 3/16, a member) hits the endpoint at {@code RATE} records/s; the
 * same run without junk before each, interleaved. Prints both throughputs, their ratio (the
 * acceptance asks for at least 0.80), what the endpoint counted (each junk record dropped once,
 * none handed to BouncyCastle) and whether any tunnel's liveness ever went down (it must not).
 * Runs in process (the endpoints are objects of this JVM, so their counters are read directly).
 *
 * <pre>sudo benchmarks/run-junk-flood-bench.sh [SECONDS [RATE [RUNS]]]   (10 s, 5000/s, 2 pairs)</pre>
 */
public final class JunkFloodBench {
    static final String SERVER = "198.18.84.1";
    static final int PORT = 1194;

    public static void main(String[] args) throws Exception {
        if (!Libc.isRoot()) {
            System.err.println("JunkFloodBench: needs root (namespaces, TUN devices); run: sudo benchmarks/run-junk-flood-bench.sh");
            System.exit(1);
        }
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        if (seconds < 1 || rate < 1 || runs < 1) {
            System.err.println("usage: JunkFloodBench [SECONDS>=1 [RATE>=1 [RUNS>=1]]]");
            System.exit(2);
        }
        Path logRoot = Path.of(System.getProperty("re6st.netsim.logdir", Files.createTempDirectory("r6junk").toString()));
        try (TestNet net = TestNet.create("junkflood", logRoot)) {
            System.out.println("logs and throwaway certificates: " + net.logDir());
            run(net, seconds, rate, runs);
        }
    }

    /** Opens the TUN of one end of the tunnel with peer N/16: MTU 1400, address fd00:84:N::host/64, up. */
    static Tun tun(String name, String cn, int host) throws IOException {
        return TunDevice.open(name, 1400, IpPrefix.parse("fd00:84:" + cn.substring(0, cn.indexOf('/')) + "::" + host + "/64"));
    }

    static Credentials creds(Path pki, String name) throws IOException {
        return Credentials.load(pki.resolve("ca.crt"), pki.resolve(name + ".crt"), pki.resolve(name + ".key"), null);
    }

    private static void run(TestNet net, int seconds, int rate, int runs) throws Exception {
        Path pki = Files.createDirectories(net.logDir().resolve("pki"));
        String ca = pki + "/ca";
        TunnelCompareBench.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca + ".key", "-out", ca + ".crt",
                "-days", "30", "-subj", "/CN=junk-bench-ca");
        for (String cn : List.of("1/16", "2/16", "3/16"))
            TunnelCompareBench.issue(ca, pki + "/n" + cn.charAt(0), cn, "rsa:2048");

        Namespace sw = net.lan("sw");
        Namespace s = host(net, sw, "s", SERVER);
        AtomicInteger downs = new AtomicInteger();
        Credentials sc = creds(pki, "n1");
        UdpEndpoint server = s.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("::"), PORT)), sc,
                UdpEndpoint.Options.defaults(), handler(cn -> tun("re6st%d", cn, 1), downs)));
        net.own(server);
        List<UdpEndpoint> clients = new ArrayList<>();
        Namespace[] cs = new Namespace[2];
        for (int i = 0; i < 2; i++) {
            String cn = (2 + i) + "/16";
            Namespace c = cs[i] = host(net, sw, "c" + (2 + i), "198.18.84." + (12 + i));
            Credentials cc = creds(pki, "n" + (2 + i));
            int port = 40002 + i;
            UdpEndpoint e = c.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("0.0.0.0"), port)), cc,
                    UdpEndpoint.Options.defaults().withAccept(false), handler(peerCn -> tun("r6c0", cn, 2), downs)));
            net.own(e);
            clients.add(e);
            e.connect(new InetSocketAddress(SERVER, PORT), "1/16");
        }
        for (int i = 0; i < 2; i++) {
            Namespace c = cs[i];
            String target = "fd00:84:" + (2 + i) + "::1";
            Wait.until("client " + (2 + i) + "/16 pings the server through its tunnel", Duration.ofSeconds(60), () -> c.pings(target));
        }
        NsProcess iperf = Iperf.server(s);
        net.own(iperf);
        long transitionsBefore = transitions(server, clients);
        long droppedBefore = server.dtlsDropped.getCount(), handedBefore = server.retransmissions.getCount();
        double[] quiet = new double[runs], flooded = new double[runs];
        long sent = 0, floodNanos = 0;
        for (int r = 0; r < runs; r++) {
            quiet[r] = Iperf.mbits(cs[0], "fd00:84:2::1", seconds);
            try (Flood f = new Flood(cs[1], new InetSocketAddress("198.18.84.13", 40003), new InetSocketAddress(SERVER, PORT), rate)) {
                flooded[r] = Iperf.mbits(cs[0], "fd00:84:2::1", seconds);
                f.stop();
                sent += f.sent;
                floodNanos += f.elapsed;
            }
            System.out.printf(Locale.ROOT, "run %d: %.0f Mbit/s without junk, %.0f Mbit/s with junk (%.2f)%n", r + 1, quiet[r],
                    flooded[r], flooded[r] / quiet[r]);
        }
        long junkSent = sent;
        Wait.poll(Duration.ofSeconds(10), () -> server.dtlsDropped.getCount() - droppedBefore >= junkSent);
        double q = median(quiet), fl = median(flooded);
        long transitions = transitions(server, clients) - transitionsBefore;
        System.out.printf(Locale.ROOT, "%n%d DTLS junk records/s at the endpoint (spoofed from member 3/16) for %d s, iperf3 TCP "
                + "1 stream through member 2/16's tunnel of the same endpoint, %d run(s) of each, interleaved%n", rate, seconds, runs);
        System.out.printf(Locale.ROOT, "  without junk  %8.0f Mbit/s (median)%n  with junk     %8.0f Mbit/s (median)%n"
                + "  ratio         %8.2f (acceptance: >= 0.80: %s)%n", q, fl, fl / q, fl / q >= 0.80 ? "met" : "NOT met");
        System.out.printf(Locale.ROOT, "  junk records sent %d (%.0f/s achieved), counted as dropped by the endpoint %d, handed to "
                + "BouncyCastle %d%n", junkSent, junkSent / (floodNanos / 1e9), server.dtlsDropped.getCount() - droppedBefore,
                server.retransmissions.getCount() - handedBefore);
        System.out.printf(Locale.ROOT, "  liveness: %d down report(s), %d up/down transition(s) on the 4 tunnel ends: %s%n", downs.get(),
                transitions, downs.get() == 0 && transitions == 0 ? "never down" : "WENT DOWN");
    }

    interface TunMaker {
        Tun open(String peerCn) throws IOException;
    }

    /** Opens TUNs with {@code tuns} and counts liveness down reports in {@code downs}. */
    static UdpEndpoint.Handler handler(TunMaker tuns, AtomicInteger downs) {
        return new UdpEndpoint.Handler() {
            @Override
            public Tun tunFor(String peerCn, InetSocketAddress address) throws IOException {
                return tuns.open(peerCn);
            }

            @Override
            public void down(UdpEndpoint.PeerTunnel p) {
                downs.incrementAndGet();
            }
        };
    }

    static Namespace host(TestNet net, Namespace sw, String label, String address) {
        Namespace n = net.namespace(label);
        net.attach(n, "eth0", sw);
        n.addAddress("eth0", address + "/24");
        return n;
    }

    static long transitions(UdpEndpoint server, List<UdpEndpoint> clients) throws InterruptedException {
        long t = 0;
        for (UdpEndpoint e : concat(server, clients))
            for (UdpEndpoint.PeerTunnel p : e.peers())
                t += p.session() == null ? 0 : p.session().liveness().transitions();
        return t;
    }

    private static List<UdpEndpoint> concat(UdpEndpoint first, List<UdpEndpoint> rest) {
        List<UdpEndpoint> all = new ArrayList<>(rest);
        all.add(0, first);
        return all;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /**
     * Forged DTLS records from {@code from} to {@code to}, injected on the LAN from {@code ns}'s
     * eth0 at {@code rate} a second (paced in bursts each millisecond), until {@link #stop}: 256
     * different records made in advance ({@link RawPackets#forgedDtlsRecord}), cycled.
     */
    static final class Flood implements AutoCloseable {
        private final Thread thread;
        private volatile boolean running = true;
        volatile long sent, elapsed;
        private volatile Exception failure;

        Flood(Namespace ns, InetSocketAddress from, InetSocketAddress to, int rate) throws Exception {
            PacketSocket raw = ns.call(() -> PacketSocket.open("eth0", PacketSocket.ETH_P_ALL));
            Random random = new Random(84);
            List<ByteBuffer> packets = new ArrayList<>();
            for (int i = 0; i < 256; i++) {
                byte[] r = RawPackets.forgedDtlsRecord(random, i);
                byte[] pkt = RawPackets.udp(from, to, r);
                packets.add(ByteBuffer.allocateDirect(pkt.length).put(pkt));
            }
            thread = new Thread(() -> {
                long start = System.nanoTime();
                try (raw) {
                    long n = 0;
                    while (running) {
                        long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
                        for (; n < due && running; n++) {
                            ByteBuffer b = packets.get((int) (n & 255));
                            raw.send(b, 0, b.capacity(), PacketSocket.ETH_P_IP);
                            sent = n + 1;
                        }
                        LockSupport.parkNanos(1_000_000L);
                    }
                    elapsed = System.nanoTime() - start;
                } catch (Exception e) {
                    failure = e;
                }
            }, "junk-flood");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws Exception {
            running = false;
            thread.join(5000);
            if (failure != null)
                throw failure;
        }

        @Override
        public void close() throws Exception {
            stop();
        }
    }
}
