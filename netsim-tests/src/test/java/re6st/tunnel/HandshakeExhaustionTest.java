package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

import org.bouncycastle.tls.DatagramTransport;
import org.bouncycastle.tls.UDPTransport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import re6st.jni.UdpSocket;
import re6st.net.IpPrefix;
import re6st.netsim.Namespace;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;
import re6st.tunnel.handshake.Credentials;
import re6st.tunnel.handshake.DtlsHandshake;

/**
 * Sources that complete the cookie exchange (so their addresses are real) and then go silent
 * take every incoming-handshake slot of an endpoint: a real client still gets in, because the
 * handshake silent longest is cut short for it; one source cannot hold two slots.
 */
@RequiresRoot
class HandshakeExhaustionTest {
    @BeforeAll
    static void makePki() throws IOException {
        UdpEndpointTest.makePki();
    }

    @AfterAll
    static void removePki() throws IOException {
        UdpEndpointTest.removePki();
    }

    /** Sends only ClientHellos (the first, and the one with the cookie); everything after is swallowed: the handshake hangs. */
    static DatagramTransport silentAfterCookie(DatagramTransport t) {
        return new DatagramTransport() {
            @Override
            public int getReceiveLimit() throws IOException {
                return t.getReceiveLimit();
            }

            @Override
            public int getSendLimit() throws IOException {
                return t.getSendLimit();
            }

            @Override
            public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
                return t.receive(buf, off, len, waitMillis);
            }

            @Override
            public void send(byte[] buf, int off, int len) throws IOException {
                if (len > 13 && buf[off] == 22 && buf[off + 13] == 1) // handshake record, ClientHello
                    t.send(buf, off, len);
            }

            @Override
            public void close() throws IOException {
                t.close();
            }
        };
    }

    @Test
    void silentSourcesHoldingEverySlotDoNotKeepARealClientOut() throws Exception {
        try (TestNet net = TestNet.create("hs-exhaust")) {
            Namespace sw = net.lan("sw");
            Namespace s = UdpEndpointTest.lanHost(net, sw, "s", "198.18.77.1/24");
            // a long accept timeout: the silent handshakes must still hold their slots when the real client comes
            UdpEndpoint server = UdpEndpointTest.server(net, s, new ConcurrentHashMap<>(), new ArrayList<>(),
                    UdpEndpoint.Options.defaults().withAcceptTimeout(Duration.ofSeconds(60)));
            InetSocketAddress serverAddress = new InetSocketAddress("198.18.77.1", 1194);
            int slots = UdpEndpoint.Options.defaults().maxConcurrentHandshakes();

            List<Thread> silent = new ArrayList<>();
            List<DatagramSocket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < slots; i++) {
                    Namespace x = UdpEndpointTest.lanHost(net, sw, "x" + i, "198.18.77." + (20 + i) + "/24");
                    silent.add(silentHandshake(x, new InetSocketAddress(0), serverAddress, sockets));
                }
                Wait.until("every accept slot held by a silent source", Duration.ofSeconds(20),
                        () -> server.acceptsInProgress() == slots);

                Namespace c = UdpEndpointTest.lanHost(net, sw, "c", "198.18.77.11/24");
                Credentials cc = UdpEndpointTest.creds("ca", "2/16");
                UdpEndpoint client = c.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("0.0.0.0"), 0)),
                        cc, UdpEndpoint.Options.defaults().withAccept(false), (peerCn, a) -> UdpEndpointTest.tun("r6c0", "2/16", 2)));
                net.own(client);
                long t0 = System.nanoTime();
                client.connect(serverAddress, "1/16");
                Wait.until("the real client authenticates", Duration.ofSeconds(30),
                        () -> cns(server).contains("2/16"));
                System.out.printf("real client in %.2f s with %d silent handshakes holding every slot%n",
                        (System.nanoTime() - t0) / 1e9, slots);
                Wait.until("the handshake cut short for it has ended, counted as evicted", Duration.ofSeconds(10),
                        () -> server.evicted.getCount() >= 1);
                assertEquals(0, server.handshakesFailed.getCount(), "an evicted handshake is not a failed one");
                Wait.until("2/16 pings the server through its tunnel", Duration.ofSeconds(20), () -> c.pings("fd00:74:2::1"));
                assertEquals(1, server.peers().size(), "no tunnel for the silent sources");
            } finally {
                for (DatagramSocket d : sockets)
                    d.close();
                for (Thread t : silent)
                    t.join(10_000);
            }
        }
    }
    @Test
    void maxClientsRefusesANewCnBeyondTheLimit() throws Exception {
        try (TestNet net = TestNet.create("hs-maxclients")) {
            Namespace sw = net.lan("sw");
            Namespace s = UdpEndpointTest.lanHost(net, sw, "s", "198.18.78.1/24");
            UdpEndpoint server = UdpEndpointTest.server(net, s, new ConcurrentHashMap<>(), new ArrayList<>(),
                    UdpEndpoint.Options.defaults().withMaxClients(1));
            InetSocketAddress serverAddress = new InetSocketAddress("198.18.78.1", 1194);
            List<Namespace> clients = new ArrayList<>();
            List<Long> refusedAt = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<IOException> refusals = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (String cn : List.of("2/16", "3/16")) {
                Namespace c = UdpEndpointTest.lanHost(net, sw, "c" + cn.charAt(0), "198.18.78." + (10 + cn.charAt(0) - '0') + "/24");
                Credentials cc = UdpEndpointTest.creds("ca", cn);
                UdpEndpoint e = c.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("0.0.0.0"), 0)),
                        cc, UdpEndpoint.Options.defaults().withAccept(false), new UdpEndpoint.Handler() {
                            @Override
                            public re6st.jni.Tun tunFor(String peerCn, InetSocketAddress a) throws IOException {
                                return UdpEndpointTest.tun("r6c0", cn, 2);
                            }

                            @Override
                            public void handshakeFailed(UdpEndpoint.PeerTunnel p, InetSocketAddress a, IOException why) {
                                refusedAt.add(System.nanoTime());
                                refusals.add(why);
                            }
                        }));
                net.own(e);
                e.connect(serverAddress, "1/16");
                clients.add(c);
                if (cn.equals("2/16"))
                    Wait.until("the first client pings through its tunnel", Duration.ofSeconds(20), () -> c.pings("fd00:74:2::1"));
            }
            Wait.until("the second CN is refused twice: max clients 1", Duration.ofSeconds(60), () -> refusedAt.size() >= 2);
            assertEquals(List.of("2/16"), cns(server));
            assertTrue(clients.get(0).pings("fd00:74:2::1"), "the first client is not disturbed");
            // refused in the handshake, with an alert the client understands; it backs off
            DtlsHandshake.HandshakeAbortedException first = (DtlsHandshake.HandshakeAbortedException) refusals.get(0);
            assertEquals(org.bouncycastle.tls.AlertDescription.access_denied, first.alert(), first.getMessage());
            long gap = refusedAt.get(1) - refusedAt.get(0);
            System.out.printf("refused client: %s; dialled again %.1f s later%n", first.getMessage(), gap / 1e9);
            assertTrue(gap >= UdpEndpoint.FULL_BACKOFF_NS, "it waited at least 5 s before dialling again: " + gap / 1e6 + " ms");
            assertTrue(server.full.getCount() >= 2, "each refusal counted: " + server.full.getCount());
            assertEquals(1, server.handshakeTime.getCount(), "only the admitted client's handshake is timed");
            assertEquals(0, server.handshakesFailed.getCount(), "a refusal for room is not a failure");
        }
    }

    /** The CNs of the server's tunnels (peers() waits on the endpoint thread). */
    static List<String> cns(UdpEndpoint server) {
        try {
            return server.peers().stream().map(UdpEndpoint.PeerTunnel::cn).toList();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts a handshake from {@code from} that stalls after the cookie round (it holds an accept slot). */
    static Thread silentHandshake(Namespace ns, InetSocketAddress from, InetSocketAddress server, List<DatagramSocket> sockets)
            throws Exception {
        Credentials xc = UdpEndpointTest.creds("ca", "3/16");
        DatagramSocket ds = ns.call(() -> {
            DatagramSocket d = new DatagramSocket(from);
            d.connect(server);
            return d;
        });
        sockets.add(ds);
        Thread t = new Thread(() -> {
            try {
                DtlsHandshake.connect(silentAfterCookie(new UDPTransport(ds, 1400)), xc, "1/16", Duration.ofSeconds(30));
            } catch (IOException e) {
                // expected: it never completes
            }
        }, "silent-" + from);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** One IPv6 /64 holds at most two incoming-handshake slots, whatever its number of addresses; another /64 still gets one. */
    @Test
    void oneIpv6Slash64HoldsAtMostTwoHandshakeSlots() throws Exception {
        try (TestNet net = TestNet.create("hs-prefix")) {
            Namespace sw = net.lan("sw");
            Namespace s = UdpEndpointTest.lanHost(net, sw, "s", "198.18.82.1/24");
            s.ip("addr", "add", "fd00:82::1/48", "dev", "eth0", "nodad");
            UdpEndpoint server = UdpEndpointTest.server(net, s, new ConcurrentHashMap<>(), new ArrayList<>(),
                    UdpEndpoint.Options.defaults().withAcceptTimeout(Duration.ofSeconds(60)));
            InetSocketAddress serverAddress = new InetSocketAddress("fd00:82::1", 1194);
            Namespace x = UdpEndpointTest.lanHost(net, sw, "x", "198.18.82.10/24"), y = UdpEndpointTest.lanHost(net, sw, "y", "198.18.82.20/24");
            for (int i = 0; i < 3; i++)
                x.ip("addr", "add", "fd00:82:0:1::" + (10 + i) + "/48", "dev", "eth0", "nodad");
            y.ip("addr", "add", "fd00:82:0:2::10/48", "dev", "eth0", "nodad");
            Wait.until("IPv6 on the LAN", Duration.ofSeconds(10), () -> x.pings("fd00:82::1") && y.pings("fd00:82::1"));
            List<Thread> silent = new ArrayList<>();
            List<DatagramSocket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++)
                    silent.add(silentHandshake(x, new InetSocketAddress("fd00:82:0:1::" + (10 + i), 0), serverAddress, sockets));
                Wait.until("the third source of the /64 is turned away", Duration.ofSeconds(20), () -> server.busyPrefix.getCount() >= 1);
                assertEquals(2, server.acceptsInProgress(), "two handshakes from one /64, free slots notwithstanding");
                silent.add(silentHandshake(y, new InetSocketAddress("fd00:82:0:2::10", 0), serverAddress, sockets));
                Wait.until("another /64 gets a slot", Duration.ofSeconds(20), () -> server.acceptsInProgress() == 3);
            } finally {
                for (DatagramSocket d : sockets)
                    d.close();
                for (Thread t : silent)
                    t.join(10_000);
            }
        }
    }
}
