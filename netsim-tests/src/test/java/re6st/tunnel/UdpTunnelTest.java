package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import re6st.jni.Tun;
import re6st.netsim.LinkParams;
import re6st.netsim.Namespace;
import re6st.netsim.Ping;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.UdpProbe;
import re6st.netsim.Wait;
import re6st.netsim.WanLink;
import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataKey;

/**
 * A tunnel between two namespaces over an emulated WAN link (keys given directly: the
 * handshake is tested on its own): traffic passes encrypted, a blackholed underlay takes the
 * tunnel interface down after a second of silence (not sooner), healing brings it back without a restart.
 */
@RequiresRoot
class UdpTunnelTest {

    static DataKey key(int seed) {
        byte[] k = new byte[32];
        new Random(seed).nextBytes(k);
        return new DataKey(k, new byte[] {(byte) seed, 0, 0, 1}, 0);
    }

    @Test
    void pingThroughTheTunnelThenBlackholeAndHeal() throws Exception {
        try (TestNet net = TestNet.create("udptunnel")) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            WanLink wan = net.wan("ab", a, "wan0", b, "wan0", LinkParams.delayMillis(2));
            a.addAddress("wan0", "198.18.70.1/24");
            b.addAddress("wan0", "198.18.70.2/24");
            DataKey ab = key(1), ba = key(2);
            AtomicLong downAt = new AtomicLong(), upAt = new AtomicLong();
            UdpTunnel.Listener watch = new UdpTunnel.Listener() {
                @Override
                public void up(UdpTunnel t) {
                    upAt.set(System.nanoTime());
                }

                @Override
                public void down(UdpTunnel t) {
                    downAt.set(System.nanoTime());
                }
            };
            UdpTunnel ta = a.call(() -> new UdpTunnel(TunDevice.open("r6t0"),
                    UdpTunnel.bind(new InetSocketAddress("198.18.70.1", 1194)), new InetSocketAddress("198.18.70.2", 1194),
                    new TunnelSession(new DataChannel(ab, ba), Liveness.defaults(System.nanoTime())), watch));
            net.own(ta);
            UdpTunnel tb = b.call(() -> new UdpTunnel(TunDevice.open("r6t0"),
                    UdpTunnel.bind(new InetSocketAddress("198.18.70.2", 1194)), null,
                    new TunnelSession(new DataChannel(ba, ab), Liveness.defaults(System.nanoTime())), UdpTunnel.Listener.NONE));
            net.own(tb);
            a.addAddress("r6t0", "fd00:70::1/64");
            b.addAddress("r6t0", "fd00:70::2/64");
            a.up("r6t0");
            b.up("r6t0");
            Ping.Result r = Ping.answered(a, "fd00:70::2", 5, Duration.ofMillis(50));
            assertEquals(5, r.received(), r.output());
            assertTrue(tb.peer() != null, "the accepting side learned the peer's address");

            // traffic waits for the path when it dies (BENCHMARKS.md 2: a 10 ms probe stream): the fast detection
            UdpProbe stream = UdpProbe.start(a, b, "fd00:70::2", 7070, Duration.ofMillis(10));
            Wait.until("the probe stream gets answers", Duration.ofSeconds(10), () -> stream.received() > 10);
            long cut = System.nanoTime();
            wan.blackhole(true);
            Wait.until("tunnel down at a", Duration.ofSeconds(30), () -> downAt.get() != 0);
            stream.close();
            double seconds = LivenessAssertions.assertDownForSilence(ta.session(), cut, downAt.get());
            assertTrue(!a.ip("link", "show", "r6t0").output().contains(",UP"), "the TUN interface is down");
            wan.blackhole(false);
            long healed = System.nanoTime();
            Wait.until("tunnel up again at a", Duration.ofSeconds(30), () -> upAt.get() > healed);
            Ping.Result again = Ping.answered(a, "fd00:70::2", 3, Duration.ofMillis(50));
            // ping stops at 3 answers; more come when the first replies were late: at least 3
            assertTrue(again.received() >= 3, again.output());
            System.out.printf("tunnel: down %.2f s after the cut, up %.2f s after healing%n", seconds,
                    (upAt.get() - healed) / 1e9);
        }
    }

    /**
     * Bulk TCP both ways at once through the offload path (TSO super-packets cut into segments,
     * UDP GSO/GRO, segments glued back for the receiving TCP): every byte arrives intact and in
     * order (SHA-256 of 24 MiB each way), and the batching really happens.
     */
    @Test
    void bulkTransferBothWaysIsIntactAndBatched() throws Exception {
        try (TestNet net = TestNet.create("udpbulk")) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            net.veth(a, "veth0", b, "veth0");
            a.addAddress("veth0", "198.18.71.1/24");
            b.addAddress("veth0", "198.18.71.2/24");
            DataKey ab = key(3), ba = key(4);
            UdpTunnel ta = a.call(() -> new UdpTunnel(TunDevice.open("r6t0"),
                    UdpTunnel.bind(new InetSocketAddress("198.18.71.1", 1194)), new InetSocketAddress("198.18.71.2", 1194),
                    new TunnelSession(new DataChannel(ab, ba), Liveness.defaults(System.nanoTime())), UdpTunnel.Listener.NONE));
            net.own(ta);
            UdpTunnel tb = b.call(() -> new UdpTunnel(TunDevice.open("r6t0"),
                    UdpTunnel.bind(new InetSocketAddress("198.18.71.2", 1194)), null,
                    new TunnelSession(new DataChannel(ba, ab), Liveness.defaults(System.nanoTime())), UdpTunnel.Listener.NONE));
            net.own(tb);
            for (Namespace n : new Namespace[] {a, b})
                n.ip("link", "set", "r6t0", "mtu", "1400", "up");
            a.addAddress("r6t0", "fd00:71::1/64");
            b.addAddress("r6t0", "fd00:71::2/64");
            a.ip("addr", "add", "10.71.0.1/24", "dev", "r6t0");
            b.ip("addr", "add", "10.71.0.2/24", "dev", "r6t0");
            Wait.until("tunnel passes pings", Duration.ofSeconds(10), () -> a.pings("fd00:71::2"));

            int size = 24 << 20;
            // before both interfaces were up, the TUN may have refused a packet (EIO): count from here
            long[] dropsBefore = {drops(ta), drops(tb)};
            java.net.ServerSocket server6 = b.call(() -> new java.net.ServerSocket(5001, 1, java.net.InetAddress.getByName("fd00:71::2")));
            java.net.ServerSocket server4 = a.call(() -> new java.net.ServerSocket(5002, 1, java.net.InetAddress.getByName("10.71.0.1")));
            // A Socket's descriptor is created at connect: connect inside the namespace.
            java.net.Socket c6 = a.call(() -> connect(new InetSocketAddress("fd00:71::2", 5001)));
            java.net.Socket c4 = b.call(() -> connect(new InetSocketAddress("10.71.0.1", 5002)));
            try (server6; server4; c6; c4) {
                java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
                try {
                    var got6 = pool.submit(() -> digestOf(server6));
                    var got4 = pool.submit(() -> digestOf(server4));
                    var sent6 = pool.submit(() -> send(c6, size, 6));
                    var sent4 = pool.submit(() -> send(c4, size, 4));
                    assertEquals(sent6.get(60, java.util.concurrent.TimeUnit.SECONDS), got6.get(60, java.util.concurrent.TimeUnit.SECONDS),
                            "A to B over IPv6: the bytes received are the bytes sent");
                    assertEquals(sent4.get(60, java.util.concurrent.TimeUnit.SECONDS), got4.get(60, java.util.concurrent.TimeUnit.SECONDS),
                            "B to A over IPv4: the bytes received are the bytes sent");
                } finally {
                    pool.shutdownNow();
                }
            }
            for (UdpTunnel t : new UdpTunnel[] {ta, tb}) {
                TunnelCounters c = t.counters();
                System.out.printf("tunnel %s: %d datagrams out in %d sends, %d in in %d receives, %d TUN writes, drops %s,"
                        + " malformed from TUN %d, refused by TUN %d, too big %d%n",
                        t.tun().name(), c.packetsOut.getCount(), c.udpSends.getCount(), c.packetsIn.getCount(),
                        c.udpReceives.getCount(), c.tunWrites.getCount(), t.session().channel().drops(),
                        c.dropMalformedTun.getCount(), c.dropTun.getCount(), c.dropMtu.getCount());
                assertTrue(c.packetsOut.getCount() > 2 * c.udpSends.getCount(), "several datagrams per send (UDP GSO)");
                assertTrue(c.packetsIn.getCount() > 2 * c.tunWrites.getCount(), "several segments per TUN write (coalescing)");
            }
            assertEquals(dropsBefore[0], drops(ta), "no packet dropped during the transfer");
            assertEquals(dropsBefore[1], drops(tb), "no packet dropped during the transfer");
        }
    }

    static long drops(UdpTunnel t) {
        TunnelCounters c = t.counters();
        return c.dropMalformedTun.getCount() + c.dropTun.getCount() + c.dropMtu.getCount() + c.dropSend.getCount()
                + t.session().channel().drops().values().stream().mapToLong(Long::longValue).sum();
    }

    static java.net.Socket connect(InetSocketAddress to) throws Exception {
        java.net.Socket s = new java.net.Socket();
        s.connect(to, 10_000);
        return s;
    }

    static String send(java.net.Socket s, int size, int seed) throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        byte[] chunk = new byte[1 << 16];
        Random r = new Random(seed);
        try (var out = s.getOutputStream()) {
            for (int left = size; left > 0; ) {
                int n = Math.min(left, chunk.length - r.nextInt(1000)); // uneven writes: segments of every size
                r.nextBytes(chunk);
                out.write(chunk, 0, n);
                md.update(chunk, 0, n);
                left -= n;
            }
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    static String digestOf(java.net.ServerSocket server) throws Exception {
        server.setSoTimeout(30_000);
        try (java.net.Socket s = server.accept(); var in = s.getInputStream()) {
            s.setSoTimeout(30_000);
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; )
                md.update(buf, 0, n);
            return java.util.HexFormat.of().formatHex(md.digest());
        }
    }
}
