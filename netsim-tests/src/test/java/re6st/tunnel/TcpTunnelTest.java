package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import re6st.netsim.Iperf;
import re6st.netsim.LinkParams;
import re6st.netsim.Namespace;
import re6st.netsim.NsProcess;
import re6st.netsim.Ping;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.UdpProbe;
import re6st.netsim.Wait;
import re6st.netsim.WanLink;
import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataKey;

/**
 * The TCP transport between two namespaces over TCP/IPv4. In process (keys given directly):
 * bulk transfer both ways intact and batched; liveness down when the underlay is blackholed
 * under a probe stream (its probes unanswered) and up again when it heals; a broken connection
 * is redialled and accepted again, the TUN kept. As processes ({@code re6st tunnel --proto tcp}, openssl-made
 * certificates): up, ping and iperf3 through it, no UDP socket; a server restart is survived;
 * a client of another network is refused and the server goes on listening.
 */
@RequiresRoot
class TcpTunnelTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void makePki() {
        TunnelCommandTest.pki(dir, "ca", "1/16", "2/16");
        TunnelCommandTest.pki(dir, "other", "1/16");
    }

    /** A handshake that exchanges nothing: fixed keys (the handshake is tested on its own). */
    static TcpEndpoint.Authenticator fixedKeys(DataKey send, DataKey receive) {
        return (transport, client) -> new TcpEndpoint.Authenticated(
                new TunnelSession(new DataChannel(send, receive), Liveness.defaults(System.nanoTime())), "test-peer");
    }

    /** Tunnel ends on r6t0 in a (dialling 198.18.N.2:1194) and b (listening), inner fd00:N::1 and ::2. */
    static TcpTunnel[] tunnels(TestNet net, Namespace a, Namespace b, int n, TcpTunnel.Listener watchA) throws Exception {
        DataKey ab = UdpTunnelTest.key(2 * n), ba = UdpTunnelTest.key(2 * n + 1);
        return tunnels(net, a, b, n, watchA, fixedKeys(ba, ab), fixedKeys(ab, ba), Duration.ofSeconds(5));
    }

    /** As {@link #tunnels(TestNet, Namespace, Namespace, int, TcpTunnel.Listener)}, with these authenticators. */
    static TcpTunnel[] tunnels(TestNet net, Namespace a, Namespace b, int n, TcpTunnel.Listener watchA, TcpEndpoint.Authenticator serverAuth,
            TcpEndpoint.Authenticator clientAuth, Duration timeout) throws Exception {
        TcpEndpoint server = b.call(() -> TcpEndpoint.listen(new InetSocketAddress("198.18." + n + ".2", 1194),
                serverAuth, timeout, TcpEndpoint.DEFAULT_MAX_UNAUTHENTICATED));
        net.own(server);
        TcpTunnel ta = a.call(() -> {
            TcpEndpoint client = TcpEndpoint.dial(new InetSocketAddress("198.18." + n + ".2", 1194), clientAuth, timeout);
            try {
                return new TcpTunnel(TunDevice.open("r6t0"), client, client.first(Duration.ofSeconds(10)), watchA);
            } catch (Exception e) {
                client.close();
                throw e;
            }
        });
        net.own(ta);
        TcpTunnel tb = b.call(() -> new TcpTunnel(TunDevice.open("r6t0"), server, server.first(Duration.ofSeconds(10)),
                TcpTunnel.Listener.NONE));
        net.own(tb);
        a.addAddress("r6t0", "fd00:" + n + "::1/64");
        b.addAddress("r6t0", "fd00:" + n + "::2/64");
        a.up("r6t0");
        b.up("r6t0");
        return new TcpTunnel[] {ta, tb};
    }

    static long drops(TcpTunnel t) {
        TunnelCounters c = t.counters();
        return c.dropMalformedTun.getCount() + c.dropTun.getCount() + c.dropMtu.getCount() + c.dropSend.getCount()
                + t.session().channel().drops().values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Bulk TCP both ways at once through the tunnel's TCP connection: every byte intact and in
     * order (SHA-256 of 16 MiB each way), several frames per socket write, several segments per
     * TUN write, nothing dropped.
     */
    @Test
    void bulkTransferBothWaysIsIntactAndBatched() throws Exception {
        try (TestNet net = TestNet.create("tcpbulk")) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            net.veth(a, "veth0", b, "veth0");
            a.addAddress("veth0", "198.18.73.1/24");
            b.addAddress("veth0", "198.18.73.2/24");
            TcpTunnel[] t = tunnels(net, a, b, 73, TcpTunnel.Listener.NONE);
            TcpTunnel ta = t[0], tb = t[1];
            a.ip("addr", "add", "10.73.0.1/24", "dev", "r6t0");
            b.ip("addr", "add", "10.73.0.2/24", "dev", "r6t0");
            Wait.until("tunnel passes pings", Duration.ofSeconds(10), () -> a.pings("fd00:73::2"));

            int size = 16 << 20;
            long[] dropsBefore = {drops(ta), drops(tb)};
            java.net.ServerSocket server6 = b.call(() -> new java.net.ServerSocket(5001, 1, java.net.InetAddress.getByName("fd00:73::2")));
            java.net.ServerSocket server4 = a.call(() -> new java.net.ServerSocket(5002, 1, java.net.InetAddress.getByName("10.73.0.1")));
            java.net.Socket c6 = a.call(() -> UdpTunnelTest.connect(new InetSocketAddress("fd00:73::2", 5001)));
            java.net.Socket c4 = b.call(() -> UdpTunnelTest.connect(new InetSocketAddress("10.73.0.1", 5002)));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try (server6; server4; c6; c4) {
                Future<String> got6 = pool.submit(() -> UdpTunnelTest.digestOf(server6));
                Future<String> got4 = pool.submit(() -> UdpTunnelTest.digestOf(server4));
                Future<String> sent6 = pool.submit(() -> UdpTunnelTest.send(c6, size, 6));
                Future<String> sent4 = pool.submit(() -> UdpTunnelTest.send(c4, size, 4));
                assertEquals(sent6.get(60, TimeUnit.SECONDS), got6.get(60, TimeUnit.SECONDS),
                        "A to B over IPv6: the bytes received are the bytes sent");
                assertEquals(sent4.get(60, TimeUnit.SECONDS), got4.get(60, TimeUnit.SECONDS),
                        "B to A over IPv4: the bytes received are the bytes sent");
            } finally {
                pool.shutdownNow();
            }
            for (TcpTunnel x : t) {
                TunnelCounters c = x.counters();
                TcpCounters tcp = x.tcpCounters();
                System.out.printf("tcp tunnel %s: %d frames out in %d writes, %d in in %d reads, %d TUN writes, drops %s,"
                        + " malformed from TUN %d, refused by TUN %d, not sent %d, framing errors %d%n",
                        x.tun().name(), c.packetsOut.getCount(), tcp.writes.getCount(), c.packetsIn.getCount(),
                        tcp.reads.getCount(), c.tunWrites.getCount(), x.session().channel().drops(),
                        c.dropMalformedTun.getCount(), c.dropTun.getCount(), c.dropSend.getCount(), tcp.framingErrors.getCount());
                assertTrue(c.packetsOut.getCount() > 2 * tcp.writes.getCount(), "several frames per socket write");
                assertTrue(c.packetsIn.getCount() > 2 * c.tunWrites.getCount(), "several segments per TUN write (coalescing)");
                assertEquals(0, tcp.framingErrors.getCount());
            }
            assertEquals(dropsBefore[0], drops(ta), "no packet dropped during the transfer");
            assertEquals(dropsBefore[1], drops(tb), "no packet dropped during the transfer");
        }
    }

    /**
     * Liveness as over UDP: the underlay blackholed under a 10 ms probe stream, the interface
     * goes down when the liveness probes go unanswered, and up again when it heals (TCP delivers what waited). Then the server drops the
     * connection: the client redials, the server accepts it again, the TUNs stay and carry pings.
     */
    @Test
    void blackholeHealAndReconnect() throws Exception {
        try (TestNet net = TestNet.create("tcplive")) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            WanLink wan = net.wan("ab", a, "wan0", b, "wan0", LinkParams.delayMillis(2));
            a.addAddress("wan0", "198.18.74.1/24");
            b.addAddress("wan0", "198.18.74.2/24");
            Wait.until("underlay", Duration.ofSeconds(10), () -> a.pings("198.18.74.2"));
            AtomicLong downAt = new AtomicLong(), upAt = new AtomicLong();
            TcpTunnel[] t = tunnels(net, a, b, 74, new TcpTunnel.Listener() {
                @Override
                public void up(TcpTunnel x) {
                    upAt.set(System.nanoTime());
                }

                @Override
                public void down(TcpTunnel x) {
                    downAt.set(System.nanoTime());
                }
            });
            TcpTunnel ta = t[0], tb = t[1];
            Ping.Result r = Ping.answered(a, "fd00:74::2", 5, Duration.ofMillis(50));
            assertEquals(5, r.received(), r.output());

            // traffic waits for the path when it dies (BENCHMARKS.md 2: a 10 ms probe stream): the fast detection
            UdpProbe stream = UdpProbe.start(a, b, "fd00:74::2", 7074, Duration.ofMillis(10));
            Wait.until("the probe stream gets answers", Duration.ofSeconds(10), () -> stream.received() > 10);
            long cut = System.nanoTime();
            wan.blackhole(true);
            Wait.until("tunnel down at a", Duration.ofSeconds(30), () -> downAt.get() != 0);
            stream.close();
            double seconds = LivenessAssertions.assertDownForSilence(ta.session(), cut, downAt.get());
            assertFalse(a.ip("link", "show", "r6t0").output().contains(",UP"), "the TUN interface is down");
            wan.blackhole(false);
            long healed = System.nanoTime();
            Wait.until("tunnel up again at a", Duration.ofSeconds(30), () -> upAt.get() > healed);
            Ping.Result again = Ping.answered(a, "fd00:74::2", 3, Duration.ofMillis(50));
            // ping stops at 3 answers; more come when the first replies were late (a tcp
            // retransmission backed off during the cut holds what follows): at least 3
            assertTrue(again.received() >= 3, again.output());
            System.out.printf("tcp tunnel: down %.2f s after the cut, up %.2f s after healing%n", seconds, (upAt.get() - healed) / 1e9);

            TcpConnection before = ta.connection();
            long connections = ta.tcpCounters().connections.getCount();
            tb.connection().close("test: the server drops the connection");
            long dropped = System.nanoTime();
            Wait.until("the client redialled", Duration.ofSeconds(10),
                    () -> ta.tcpCounters().connections.getCount() > connections && ta.connection() != before);
            Wait.until("the server took the new connection", Duration.ofSeconds(10),
                    () -> tb.connection().isOpen() && tb.connection().remote().getPort() == localPort(ta.connection()));
            Wait.until("pings pass again", Duration.ofSeconds(10), () -> a.pings("fd00:74::2"));
            System.out.printf("tcp tunnel: reconnected %.2f s after the server dropped the connection%n",
                    (System.nanoTime() - dropped) / 1e9);
            assertTrue(ta.tun().isOpen() && tb.tun().isOpen(), "the TUNs were kept");
            assertEquals(1, ta.tcpCounters().disconnects.getCount(), "the client saw the connection go once");
        }
    }

    static int localPort(TcpConnection c) {
        return ((InetSocketAddress) c.channel().localAddress()).getPort();
    }

    // ---- re6st tunnel --proto tcp -----------------------------------------------------------

    static NsProcess server(Namespace b, String log, int n, String... more) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--proto", "tcp", "--listen", "1194",
                "--ifname", "tun0", "--address", "fd00:" + n + "::2/64", "--timeout", "10"));
        args.addAll(java.util.List.of(more));
        return TunnelCommandTest.tunnel(b, log, dir, "ca", "2/16", args.toArray(String[]::new));
    }

    static NsProcess client(Namespace a, String log, int n) {
        return TunnelCommandTest.tunnel(a, log, dir, "ca", "1/16", "--proto", "tcp", "--connect", "198.18." + n + ".2:1194",
                "--peer-cn", "2/16", "--ifname", "tun0", "--address", "fd00:" + n + "::1/64", "--timeout", "10");
    }

    /** {@code re6st tunnel --proto tcp}: up, ping, iperf3 through it, and not a single UDP socket. */
    @Test
    void commandUpPingIperfAndNoUdp() throws Exception {
        try (TestNet net = TestNet.create("tcpcmd")) {
            Namespace[] ab = TunnelCommandTest.underlay(net, 93);
            Namespace a = ab[0], b = ab[1];
            NsProcess server = server(b, "server", 93);
            NsProcess client = client(a, "client", 93);
            Wait.until("both ends say the tunnel is up", Duration.ofSeconds(60),
                    () -> server.log().contains("tunnel up: tun0 <-> 1/16") && client.log().contains("tunnel up: tun0 <-> 2/16"));
            assertTrue(client.log().contains("over TCP"), client.log());
            Ping.Result r = Ping.answered(a, "fd00:93::2", 5, Duration.ofMillis(50));
            assertEquals(5, r.received(), r.output() + "\n" + client.log() + server.log());

            for (Namespace ns : ab) {
                String udp = ns.exec(Duration.ofSeconds(5), "ss", "-Hanu").output();
                assertFalse(udp.contains(":1194"), "no UDP socket on port 1194 in " + ns.label() + ":\n" + udp);
            }
            assertTrue(b.exec(Duration.ofSeconds(5), "ss", "-Hlnt").output().contains(":1194 "), "the server listens on TCP 1194");
            String tcp = a.exec(Duration.ofSeconds(5), "ss", "-Hnt", "state", "established").output();
            assertTrue(tcp.contains("198.18.93.2]:1194") || tcp.contains("198.18.93.2:1194"), "the client's connection is TCP:\n" + tcp);

            NsProcess iperf = Iperf.server(b);
            double mbits = Iperf.mbits(a, "fd00:93::2", 3);
            iperf.close();
            System.out.printf("iperf3 through re6st tunnel --proto tcp: %.0f Mbit/s%n", mbits);
            assertTrue(mbits > 0, "iperf3 ran");
            String logs = client.log() + server.log();
            assertFalse(logs.contains("protocol error") || logs.contains("Exception"), logs);
        }
    }

    /**
     * A broken connection: the server restarts, the client redials, handshakes again and keeps
     * its TUN (that the listening side accepts its peer again is tested in process above). Then a
     * client of another network is refused, and the server goes on listening and carrying pings.
     */
    @Test
    void commandSurvivesAServerRestartAndRefusesAStranger() throws Exception {
        try (TestNet net = TestNet.create("tcprestart")) {
            Namespace[] ab = TunnelCommandTest.underlay(net, 94);
            Namespace a = ab[0], b = ab[1];
            NsProcess server = server(b, "server", 94);
            NsProcess client = client(a, "client", 94);
            Wait.until("tunnel up", Duration.ofSeconds(60),
                    () -> server.log().contains("tunnel up: tun0") && client.log().contains("tunnel up: tun0"));
            Wait.until("pings pass", Duration.ofSeconds(10), () -> a.pings("fd00:94::2"));

            server.close(); // SIGTERM: the client sees the connection end
            Wait.until("the client notices", Duration.ofSeconds(30), () -> client.log().contains("lost: closed by the peer (EOF)"));
            NsProcess server2 = server(b, "server2", 94);
            Wait.until("the client is connected again", Duration.ofSeconds(60),
                    () -> client.log().contains("connected again to 2/16"));
            Wait.until("pings pass through the kept TUN", Duration.ofSeconds(10), () -> a.pings("fd00:94::2"));
            assertTrue(client.isAlive(), client.log());

            NsProcess stranger = TunnelCommandTest.tunnel(a, "stranger", dir, "other", "1/16", "--proto", "tcp", "--connect",
                    "198.18.94.2:1194", "--ifname", "tun9", "--timeout", "10");
            Integer rc = stranger.waitFor(Duration.ofSeconds(30));
            assertNotNull(rc, "the stranger gave up: " + stranger.log());
            assertTrue(rc != 0 && stranger.log().contains("OTHER_CA"), stranger.log());
            // The stranger's fatal alert may or may not reach the server before its process exits and the
            // connection ends (seen in CI): either way the server logs a failed handshake and goes on.
            Wait.until("the server logs the refusal", Duration.ofSeconds(10),
                    () -> server2.log().contains("failed: the peer aborted the handshake with alert unknown_ca")
                            || server2.log().contains("failed: the connection closed during the handshake"));
            assertTrue(server2.log().contains("still listening") && server2.isAlive(), "the server goes on listening:\n" + server2.log());
            assertTrue(a.pings("fd00:94::2"), "the tunnel still carries pings");
            assertFalse(a.exec(Duration.ofSeconds(5), "ip", "link", "show", "tun9").ok(), "no TUN for the stranger");
        }
    }

    /**
     * The session lifetime over TCP: with a 3 s lifetime and a UDP probe stream (every 10 ms)
     * through the tunnel, the dialling side renews the session by new DTLS handshakes inside the
     * same connection; keys change over at both ends, the old ones are wiped, and nothing else
     * changes: one connection, the same session object, liveness never down, no probe lost.
     */
    @Test
    void shortLifetimeRenewsTheSessionInsideTheConnection() throws Exception {
        try (TestNet net = TestNet.create("tcplifetime")) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            net.veth(a, "veth0", b, "veth0");
            a.addAddress("veth0", "198.18.83.1/24");
            b.addAddress("veth0", "198.18.83.2/24");
            Duration timeout = Duration.ofSeconds(10);
            re6st.tunnel.handshake.Credentials ca1 = re6st.tunnel.handshake.Credentials.load(dir.resolve("ca.crt"),
                    dir.resolve("ca-1_16.crt"), dir.resolve("ca-1_16.key"), null);
            re6st.tunnel.handshake.Credentials ca2 = re6st.tunnel.handshake.Credentials.load(dir.resolve("ca.crt"),
                    dir.resolve("ca-2_16.crt"), dir.resolve("ca-2_16.key"), null);
            AtomicLong downs = new AtomicLong();
            TcpTunnel[] t = tunnels(net, a, b, 83, new TcpTunnel.Listener() {
                @Override
                public void up(TcpTunnel x) {}

                @Override
                public void down(TcpTunnel x) {
                    downs.incrementAndGet();
                }
            }, new TcpEndpoint.Dtls(ca2, null, timeout, 120_000_000_000L), new TcpEndpoint.Dtls(ca1, "2/16", timeout, 120_000_000_000L),
                    timeout);
            TcpTunnel ta = t[0], tb = t[1];
            ta.sessionLifetime(Duration.ofSeconds(3));
            tb.sessionLifetime(Duration.ofSeconds(3));
            Wait.until("tunnel passes pings", Duration.ofSeconds(10), () -> a.pings("fd00:83::2"));
            TunnelSession sa = ta.session(), sb = tb.session();
            long serialA = sa.keySerial(), serialB = sb.keySerial();
            re6st.netsim.UdpProbe probe = re6st.netsim.UdpProbe.start(a, b, "fd00:83::2", 7000, Duration.ofMillis(10));
            Wait.until("the probe gets answers", Duration.ofSeconds(10), () -> probe.received() > 10);
            Wait.until("two renewals changed the keys over at both ends, and the old keys were wiped", Duration.ofSeconds(90),
                    () -> sa.keySerial() >= serialA + 2 && sb.keySerial() >= serialB + 2 && sa.retiredKeypairs() >= 2
                            && sb.retiredKeypairs() >= 2);
            long sentBefore = probe.sent();
            Wait.until("probes sent after the last renewal are answered", Duration.ofSeconds(10), () -> probe.received() >= sentBefore);
            probe.close();
            System.out.printf("TCP session lifetime 3 s: renewals a %d b %d (failed %d/%d), key serial %d/%d, %d probes, %d lost, "
                    + "longest gap %d ms%n", ta.renewals.getCount(), tb.renewals.getCount(), ta.renewalsFailed.getCount(),
                    tb.renewalsFailed.getCount(), sa.keySerial(), sb.keySerial(), probe.sent(), probe.lost(),
                    probe.longestGap(false).toMillis());
            assertTrue(ta.renewals.getCount() >= 2 && tb.renewals.getCount() >= 2, "renewal handshakes at both ends");
            assertEquals(0, probe.lost(), "no probe lost through the renewals");
            assertEquals(0, downs.get(), "liveness never went down");
            assertEquals(0, sa.liveness().transitions() + sb.liveness().transitions(), "no liveness transition");
            assertTrue(sa == ta.session() && sb == tb.session(), "the same sessions carry on");
            assertEquals(1, ta.tcpCounters().connections.getCount(), "one connection: the renewals ran inside it");
            assertEquals(1, tb.tcpCounters().connections.getCount());
            assertEquals(0, ta.renewalRecordsDropped.getCount() + tb.renewalRecordsDropped.getCount(), "no DTLS record dropped");
        }
    }
}
