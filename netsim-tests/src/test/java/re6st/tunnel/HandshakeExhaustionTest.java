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
                    Credentials xc = UdpEndpointTest.creds("ca", "3/16");
                    DatagramSocket ds = x.call(() -> {
                        DatagramSocket d = new DatagramSocket(0);
                        d.connect(serverAddress);
                        return d;
                    });
                    sockets.add(ds);
                    Thread t = new Thread(() -> {
                        try {
                            DtlsHandshake.connect(silentAfterCookie(new UDPTransport(ds, 1400)), xc, "1/16", Duration.ofSeconds(30));
                        } catch (IOException e) {
                            // expected: it never completes
                        }
                    }, "silent-" + i);
                    t.setDaemon(true);
                    t.start();
                    silent.add(t);
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
                assertTrue(server.evicted.getCount() >= 1, "a silent handshake was cut short for it: " + server.evicted.getCount());
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
            for (String cn : List.of("2/16", "3/16")) {
                Namespace c = UdpEndpointTest.lanHost(net, sw, "c" + cn.charAt(0), "198.18.78." + (10 + cn.charAt(0) - '0') + "/24");
                Credentials cc = UdpEndpointTest.creds("ca", cn);
                UdpEndpoint e = c.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("0.0.0.0"), 0)),
                        cc, UdpEndpoint.Options.defaults().withAccept(false), (peerCn, a) -> UdpEndpointTest.tun("r6c0", cn, 2)));
                net.own(e);
                e.connect(serverAddress, "1/16");
                clients.add(c);
                if (cn.equals("2/16"))
                    Wait.until("the first client pings through its tunnel", Duration.ofSeconds(20), () -> c.pings("fd00:74:2::1"));
            }
            Wait.until("the second CN is refused: max clients 1", Duration.ofSeconds(20), () -> server.full.getCount() >= 1);
            assertEquals(List.of("2/16"), cns(server));
            assertTrue(clients.get(0).pings("fd00:74:2::1"), "the first client is not disturbed");
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
}
