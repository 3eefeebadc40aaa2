package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import re6st.jni.Netlink;
import re6st.jni.Tun;
import re6st.jni.UdpSocket;
import re6st.net.IpPrefix;
import re6st.netsim.Namespace;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.UdpProbe;
import re6st.netsim.Wait;
import re6st.tunnel.handshake.Credentials;

/**
 * One server endpoint on one UDP port, three clients dialling it with their own certificates:
 * each gets its own TUN on the server, all pass traffic at once; a client whose address changes
 * (roaming) handshakes again from the new address by itself and keeps its tunnel and the
 * server-side interface; a client of another CA is refused without disturbing the others.
 */
@RequiresRoot
class UdpEndpointTest {
    static Path pki;

    @BeforeAll
    static void makePki() throws IOException {
        pki = Files.createTempDirectory("r6endpoint");
        TunnelCommandTest.pki(pki, "ca", "1/16", "2/16", "3/16", "4/16");
        TunnelCommandTest.pki(pki, "other", "5/16");
    }

    @AfterAll
    static void removePki() throws IOException {
        deleteTree(pki);
    }

    /** Removes a test's temporary directory and everything in it. */
    static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static Credentials creds(String ca, String cn) throws IOException {
        String n = pki + "/" + ca + "-" + cn.replace('/', '_');
        return Credentials.load(Path.of(pki + "/" + ca + ".crt"), Path.of(n + ".crt"), Path.of(n + ".key"), null);
    }

    /** A namespace {@code label} plugged into the LAN {@code sw} as eth0 with address {@code cidr}. */
    static Namespace lanHost(TestNet net, Namespace sw, String label, String cidr) {
        Namespace n = net.namespace(label);
        net.attach(n, "eth0", sw);
        n.addAddress("eth0", cidr);
        return n;
    }

    /** Opens a TUN for peer CN "N/16" with address fd00:74:N::{host}/64. */
    static Tun tun(String name, String cn, int host) throws IOException {
        Tun t = TunDevice.open(name);
        try (Netlink nl = Netlink.open()) {
            int idx = nl.index(t.name());
            nl.setMtu(idx, 1400);
            nl.addAddress(idx, IpPrefix.parse("fd00:74:" + cn.substring(0, cn.indexOf('/')) + "::" + host + "/64"), true);
        }
        return t;
    }

    /** The server endpoint in {@code s} on UDP 1194 (CN 1/16): each client's TUN goes into {@code tuns}, removed CNs into {@code removed}. */
    static UdpEndpoint server(TestNet net, Namespace s, Map<String, Tun> tuns, List<String> removed) throws Exception {
        return server(net, s, tuns, removed, UdpEndpoint.Options.defaults());
    }

    static UdpEndpoint server(TestNet net, Namespace s, Map<String, Tun> tuns, List<String> removed, UdpEndpoint.Options options)
            throws Exception {
        Credentials serverCreds = creds("ca", "1/16");
        UdpEndpoint server = s.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("::"), 1194)),
                serverCreds, options, new UdpEndpoint.Handler() {
                    @Override
                    public Tun tunFor(String cn, InetSocketAddress address) throws IOException {
                        Tun t = tun("re6st%d", cn, 1);
                        tuns.put(cn, t);
                        return t;
                    }

                    @Override
                    public void removed(UdpEndpoint.PeerTunnel p) {
                        removed.add(p.cn());
                    }
                }));
        net.own(server);
        return server;
    }

    @Test
    void manyClientsOnePortRoamingAndAStranger() throws Exception {
        try (TestNet net = TestNet.create("endpoint")) {
            Namespace sw = net.lan("sw");
            Namespace s = lanHost(net, sw, "s", "198.18.74.1/24");
            Map<String, Tun> serverTuns = new ConcurrentHashMap<>();
            UdpEndpoint server = server(net, s, serverTuns, new java.util.ArrayList<>());

            String[] cns = {"2/16", "3/16", "4/16"};
            Namespace[] clients = new Namespace[3];
            for (int i = 0; i < 3; i++) {
                Namespace c = clients[i] = lanHost(net, sw, "c" + i, "198.18.74." + (11 + i) + "/24");
                String cn = cns[i];
                Credentials cc = creds("ca", cn);
                UdpEndpoint e = c.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("0.0.0.0"), 0)),
                        cc, UdpEndpoint.Options.defaults().withAccept(false), (peerCn, a) -> tun("r6c0", cn, 2)));
                net.own(e);
                e.connect(new InetSocketAddress("198.18.74.1", 1194), "1/16");
            }
            for (int i = 0; i < 3; i++) {
                Namespace c = clients[i];
                String target = "fd00:74:" + cns[i].charAt(0) + "::1";
                Wait.until("client " + cns[i] + " pings the server through its tunnel", Duration.ofSeconds(20), () -> c.pings(target));
            }
            List<UdpEndpoint.PeerTunnel> peers = server.peers();
            assertEquals(3, peers.size(), "three tunnels on one port: " + peers);
            assertEquals(3, peers.stream().map(p -> p.tun().name()).distinct().count(), "each client has its own TUN: " + peers);

            // roaming: client 0 moves to another address; it notices the dead path, handshakes again from there
            String before = serverTuns.get("2/16").name();
            long t0 = System.nanoTime();
            clients[0].ip("addr", "del", "198.18.74.11/24", "dev", "eth0");
            clients[0].addAddress("eth0", "198.18.74.21/24");
            Wait.until("client 2/16 pings again after moving", Duration.ofSeconds(30), () -> clients[0].pings("fd00:74:2::1"));
            double roamSeconds = (System.nanoTime() - t0) / 1e9;
            UdpEndpoint.PeerTunnel moved = server.peers().stream().filter(p -> p.cn().equals("2/16")).findFirst().orElseThrow();
            assertEquals("198.18.74.21", moved.address().getAddress().getHostAddress().replace("::ffff:", ""),
                    "the server follows the re-authenticated address");
            assertEquals(before, moved.tun().name(), "the same server-side interface carries the tunnel");
            System.out.printf("roaming: tunnel back %.1f s after the client's address changed%n", roamSeconds);

            // a stranger (another CA: it refuses our certificate, we would refuse its own) gets no tunnel;
            // the others keep working (a stranger trusting our CA is refused by the server: DtlsHandshakeTest)
            Namespace x = lanHost(net, sw, "x", "198.18.74.30/24");
            Credentials xc = creds("other", "5/16");
            UdpEndpoint stranger = x.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("0.0.0.0"), 0)),
                    xc, UdpEndpoint.Options.defaults().withAccept(false), (peerCn, a) -> tun("r6c0", "5/16", 2)));
            net.own(stranger);
            stranger.connect(new InetSocketAddress("198.18.74.1", 1194), null);
            Wait.until("the handshake with the stranger fails", Duration.ofSeconds(20), () -> server.handshakesFailed.getCount() >= 1);
            assertEquals(3, server.peers().size(), "no tunnel for the stranger");
            for (int i = 0; i < 3; i++)
                assertTrue(clients[i].pings("fd00:74:" + cns[i].charAt(0) + "::1"), "client " + cns[i] + " unaffected");
            assertTrue(server.handshakeTime.getCount() >= 4, "handshakes timed: " + server.handshakeTime.getCount());
            assertNotNull(server.cookieGate());
        }
    }
    /** Another node authenticating from the address (IP and port) of a live peer gets its own TUN; the old CN is forgotten. */
    @Test
    void anotherCnFromTheAddressOfAPeerGetsItsOwnTunAndTheOldTunnelIsRemoved() throws Exception {
        try (TestNet net = TestNet.create("endpoint-cn")) {
            Namespace sw = net.lan("sw");
            Namespace s = lanHost(net, sw, "s", "198.18.75.1/24");
            Map<String, Tun> serverTuns = new ConcurrentHashMap<>();
            List<String> removed = new java.util.concurrent.CopyOnWriteArrayList<>();
            UdpEndpoint server = server(net, s, serverTuns, removed);
            Namespace c = lanHost(net, sw, "c", "198.18.75.11/24");
            InetSocketAddress serverAddress = new InetSocketAddress("198.18.75.1", 1194);
            Credentials first = creds("ca", "2/16"), second = creds("ca", "3/16");
            UdpEndpoint a = c.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("0.0.0.0"), 40000)),
                    first, UdpEndpoint.Options.defaults().withAccept(false), (peerCn, x) -> tun("r6c0", "2/16", 2)));
            a.connect(serverAddress, "1/16");
            Wait.until("2/16 pings the server through its tunnel", Duration.ofSeconds(20), () -> c.pings("fd00:74:2::1"));
            Tun oldTun = serverTuns.get("2/16");
            a.close(); // the node goes; its address (198.18.75.11:40000) is taken by another node
            UdpEndpoint b = c.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("0.0.0.0"), 40000)),
                    second, UdpEndpoint.Options.defaults().withAccept(false), (peerCn, x) -> tun("r6c1", "3/16", 2)));
            net.own(b);
            b.connect(serverAddress, "1/16");
            Wait.until("3/16 pings the server through its own tunnel", Duration.ofSeconds(20), () -> c.pings("fd00:74:3::1"));
            List<UdpEndpoint.PeerTunnel> peers = server.peers();
            assertEquals(List.of("3/16"), peers.stream().map(UdpEndpoint.PeerTunnel::cn).toList(), "no stale CN mapping: " + peers);
            assertTrue(serverTuns.get("3/16") != oldTun && peers.get(0).tun() != oldTun, "3/16 did not inherit the TUN of 2/16: " + peers);
            assertEquals(List.of("2/16"), removed, "the tunnel of 2/16 was removed");
            assertTrue(!oldTun.isOpen(), "the TUN of 2/16 is closed (the kernel may give its name to the new one)");
        }
    }
    /**
     * DTLS records from (or spoofed as) a member's address, outside any handshake, never reach
     * BouncyCastle on the receiving thread: each is dropped and counted once, and the tunnel
     * carries on without a liveness alarm.
     */
    @Test
    void dtlsRecordsFromAKnownPeerOutsideAHandshakeAreDroppedAndCounted() throws Exception {
        try (TestNet net = TestNet.create("endpoint-dtls")) {
            Namespace sw = net.lan("sw");
            Namespace s = lanHost(net, sw, "s", "198.18.76.1/24");
            UdpEndpoint server = server(net, s, new ConcurrentHashMap<>(), new java.util.ArrayList<>());
            Namespace c = lanHost(net, sw, "c", "198.18.76.11/24");
            Credentials cc = creds("ca", "2/16");
            UdpEndpoint client = c.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("0.0.0.0"), 40001)),
                    cc, UdpEndpoint.Options.defaults().withAccept(false), (peerCn, x) -> tun("r6c0", "2/16", 2)));
            net.own(client);
            client.connect(new InetSocketAddress("198.18.76.1", 1194), "1/16");
            Wait.until("2/16 pings the server through its tunnel", Duration.ofSeconds(20), () -> c.pings("fd00:74:2::1"));
            UdpEndpoint.PeerTunnel peer = server.peers().get(0);
            long transitions = peer.session().liveness().transitions();
            long dropped = server.dtlsDropped.getCount();

            InetSocketAddress from = new InetSocketAddress("198.18.76.11", 40001), to = new InetSocketAddress("198.18.76.1", 1194);
            int records = 2000;
            re6st.jni.PacketSocket raw = c.call(() -> re6st.jni.PacketSocket.open("eth0", re6st.jni.PacketSocket.ETH_P_ALL));
            long t0 = System.nanoTime();
            try (raw) {
                java.util.Random random = new java.util.Random(7);
                for (int i = 0; i < records; i++) {
                    // handshake (epoch 0: a Certificate message), change cipher spec, alert, application data (epoch 1)
                    byte[] r = re6st.netsim.RawPackets.forgedDtlsRecord(random, i);
                    byte[] pkt = re6st.netsim.RawPackets.udp(from, to, r);
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(pkt.length).put(pkt);
                    raw.send(b, 0, pkt.length, re6st.jni.PacketSocket.ETH_P_IP);
                }
            }
            Wait.until("every record dropped and counted once", Duration.ofSeconds(30),
                    () -> server.dtlsDropped.getCount() - dropped >= records);
            System.out.printf("%d DTLS records from a member's address dropped in %.2f s%n", records, (System.nanoTime() - t0) / 1e9);
            assertEquals(records, server.dtlsDropped.getCount() - dropped, "each counted once");
            assertEquals(0, server.retransmissions.getCount(), "none reached BouncyCastle: the client had sent authentic data");
            assertEquals(transitions, peer.session().liveness().transitions(), "no liveness alarm");
            assertTrue(c.pings("fd00:74:2::1"), "the tunnel still carries traffic");
        }
    }
    /** A new CRL on a running endpoint closes the live tunnel of the revoked peer, and only that one; it cannot come back. */
    @Test
    void aNewCrlClosesTheRevokedPeersTunnelAndItCannotComeBack() throws Exception {
        try (TestNet net = TestNet.create("endpoint-crl")) {
            Namespace sw = net.lan("sw");
            Namespace s = lanHost(net, sw, "s", "198.18.79.1/24");
            List<String> removed = new java.util.concurrent.CopyOnWriteArrayList<>();
            UdpEndpoint server = server(net, s, new ConcurrentHashMap<>(), removed);
            List<Namespace> clients = new java.util.ArrayList<>();
            for (String cn : List.of("2/16", "3/16")) {
                Namespace c = lanHost(net, sw, "c" + cn.charAt(0), "198.18.79." + (10 + cn.charAt(0) - '0') + "/24");
                Credentials cc = creds("ca", cn);
                UdpEndpoint e = c.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("0.0.0.0"), 0)),
                        cc, UdpEndpoint.Options.defaults().withAccept(false), (peerCn, x) -> tun("r6c0", cn, 2)));
                net.own(e);
                e.connect(new InetSocketAddress("198.18.79.1", 1194), "1/16");
                clients.add(c);
            }
            for (int i = 0; i < 2; i++) {
                Namespace c = clients.get(i);
                String target = "fd00:74:" + (2 + i) + "::1";
                Wait.until("client " + (2 + i) + "/16 pings the server", Duration.ofSeconds(20), () -> c.pings(target));
            }
            // the CA revokes 2/16 (openssl ca); the server learns the new CRL while both tunnels run
            Path config = TunnelCommandTest.caConfig(pki, "ca");
            TunnelCommandTest.openssl(pki, "ca", "-config", config.toString(), "-revoke", pki + "/ca-2_16.crt");
            Path crl = pki.resolve("revoked-2.crl");
            TunnelCommandTest.openssl(pki, "ca", "-config", config.toString(), "-gencrl", "-out", crl.toString());
            long refusedBefore = server.refused.getCount();
            server.setCredentials(Credentials.load(pki.resolve("ca.crt"), pki.resolve("ca-1_16.crt"), pki.resolve("ca-1_16.key"), crl));
            Wait.until("the revoked peer's tunnel is closed", Duration.ofSeconds(10), () -> removed.contains("2/16"));
            assertEquals(1, server.closedInvalid.getCount());
            assertTrue(clients.get(1).pings("fd00:74:3::1"), "3/16 keeps its tunnel");
            Wait.until("2/16, dialling again, is refused", Duration.ofSeconds(30), () -> server.refused.getCount() > refusedBefore);
            assertEquals(List.of("3/16"), server.peers().stream().map(UdpEndpoint.PeerTunnel::cn).toList());
        }
    }
    /**
     * The client learns a CRL revoking the server it dialled: the session closes and, at once (not
     * at a liveness or Babel timeout), the handler hears {@code down} and the TUN is set down; the
     * peer is no longer listed, and the redial, refused, brings no {@code established}.
     */
    @Test
    void aDialledServerRevokedByTheClientsCrlIsRemovedAtOnceAndNotDialledAgain() throws Exception {
        try (TestNet net = TestNet.create("endpoint-dialcrl")) {
            Namespace sw = net.lan("sw");
            Namespace s = lanHost(net, sw, "s", "198.18.86.1/24");
            server(net, s, new ConcurrentHashMap<>(), new java.util.ArrayList<>());
            Namespace c = lanHost(net, sw, "c", "198.18.86.11/24");
            List<String> events = new CopyOnWriteArrayList<>();
            List<IOException> failures = new CopyOnWriteArrayList<>();
            Credentials cc = creds("ca", "2/16");
            UdpEndpoint client = c.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("0.0.0.0"), 0)),
                    cc, UdpEndpoint.Options.defaults().withAccept(false), new UdpEndpoint.Handler() {
                        @Override
                        public Tun tunFor(String peerCn, InetSocketAddress a) throws IOException {
                            return tun("r6c0", "2/16", 2);
                        }

                        @Override
                        public void established(UdpEndpoint.PeerTunnel p, boolean first) {
                            events.add("established");
                        }

                        @Override
                        public void down(UdpEndpoint.PeerTunnel p) {
                            events.add("down");
                        }

                        @Override
                        public void up(UdpEndpoint.PeerTunnel p) {
                            events.add("up");
                        }

                        @Override
                        public void removed(UdpEndpoint.PeerTunnel p) {
                            events.add("removed");
                        }

                        @Override
                        public void handshakeFailed(UdpEndpoint.PeerTunnel p, InetSocketAddress a, IOException why) {
                            failures.add(why);
                        }
                    }));
            net.own(client);
            client.connect(new InetSocketAddress("198.18.86.1", 1194), "1/16");
            Wait.until("2/16 pings the server through its tunnel", Duration.ofSeconds(20), () -> c.pings("fd00:74:2::1"));
            assertEquals(List.of("established"), events);
            assertTrue(linkFlags(c, "r6c0").contains("UP"), "the TUN is up while the tunnel lives: " + linkFlags(c, "r6c0"));

            Path config = TunnelCommandTest.caConfig(pki, "ca");
            TunnelCommandTest.openssl(pki, "ca", "-config", config.toString(), "-revoke", pki + "/ca-1_16.crt");
            Path crl = pki.resolve("revoked-1.crl");
            TunnelCommandTest.openssl(pki, "ca", "-config", config.toString(), "-gencrl", "-out", crl.toString());
            client.setCredentials(Credentials.load(pki.resolve("ca.crt"), pki.resolve("ca-2_16.crt"), pki.resolve("ca-2_16.key"), crl));
            Wait.until("the client closed the revoked server's session", Duration.ofSeconds(10), () -> client.closedInvalid.getCount() == 1);
            // a revoked server is not dialled again: its tunnel is removed in the same turn (the node then picks other peers)
            Wait.until("the handler heard removed", Duration.ofSeconds(10), () -> events.contains("removed"));
            System.out.println("events after the revocation: " + events);
            assertEquals("established", events.get(0));
            assertEquals("removed", events.get(events.size() - 1), events.toString());
            assertEquals(1, events.stream().filter("established"::equals).count(), "no second session: " + events);
            assertEquals(List.of(), client.peers(), "no session: not listed");
            assertTrue(failures.stream().noneMatch(f -> f instanceof re6st.tunnel.handshake.CertificateRefusedException),
                    "no handshake with the revoked server after its removal: " + failures);
        }
    }

    /**
     * The handshake succeeds but the TUN the handler gave cannot carry a tunnel (opened without
     * the vnet header: attach refuses it): the endpoint closes that TUN and reports the failure
     * for the CN; nothing is listed and no {@code established} comes.
     */
    @Test
    void aTunThatCannotBeAttachedIsClosedAndTheHandshakeReportedFailed() throws Exception {
        try (TestNet net = TestNet.create("endpoint-attach")) {
            Namespace[] hosts = serverAndClient(net, 88);
            Namespace s = hosts[0], c = hosts[1];
            List<String> tunNames = new CopyOnWriteArrayList<>(), events = new CopyOnWriteArrayList<>();
            UdpEndpoint server = s.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("::"), 1194)),
                    creds("ca", "1/16"), UdpEndpoint.Options.defaults(), new UdpEndpoint.Handler() {
                        @Override
                        public Tun tunFor(String cn, InetSocketAddress address) throws IOException {
                            Tun t = Tun.open("r6bad%d"); // no vnet header, no offloads
                            tunNames.add(t.name());
                            return t;
                        }

                        @Override
                        public void established(UdpEndpoint.PeerTunnel p, boolean first) {
                            events.add("established");
                        }

                        @Override
                        public void handshakeFailed(UdpEndpoint.PeerTunnel p, InetSocketAddress a, IOException why) {
                            events.add("failed " + (p == null ? null : p.cn()) + " "
                                    + (p != null && tunNames.contains(p.tun() == null ? "" : p.tun().name()) ? "tun open" : "no tun"));
                        }
                    }));
            net.own(server);
            UdpEndpoint client = c.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("0.0.0.0"), 0)),
                    creds("ca", "2/16"), UdpEndpoint.Options.defaults().withAccept(false), (peerCn, x) -> tun("r6c0", "2/16", 2)));
            net.own(client);
            client.connect(new InetSocketAddress("198.18.88.1", 1194), "1/16");
            Wait.until("the server reports the tunnel it could not set up", Duration.ofSeconds(30), () -> !events.isEmpty());
            System.out.println("server events: " + events + ", TUNs given: " + tunNames);
            assertEquals("failed 2/16 no tun", events.get(0), "reported for the client's CN, its TUN closed first");
            assertTrue(!s.exec(Duration.ofSeconds(10), "ip", "link", "show", "dev", tunNames.get(0)).ok(),
                    tunNames.get(0) + " is closed (gone with its last descriptor)");
            assertEquals(List.of(), server.peers(), "no tunnel listed");
            assertTrue(server.handshakesFailed.getCount() >= 1);
            assertTrue(!events.contains("established"));
        }
    }

    /**
     * We dial B; B dials us from another address (another port): its accepted session takes over the
     * tunnel of our dial. When that session dies and is removed, we dial B again, so the dial
     * survives the takeover: a fresh B that only listens gets our tunnel back.
     */
    @Test
    void aDialTakenOverByTheSameCnsIncomingSessionIsDialledAgainWhenThatOneIsGone() throws Exception {
        try (TestNet net = TestNet.create("endpoint-cross")) {
            Namespace sw = net.lan("sw");
            Namespace a = lanHost(net, sw, "a", "198.18.89.1/24"), b = lanHost(net, sw, "b", "198.18.89.2/24");
            a.addAddress("eth0", "fd00:89::1/64");
            b.addAddress("eth0", "fd00:89::2/64");
            Wait.until("a reaches b over IPv6", Duration.ofSeconds(10), () -> a.pings("fd00:89::2"));
            UdpEndpoint.Options d = UdpEndpoint.Options.defaults();
            UdpEndpoint.Options quickExpiry = new UdpEndpoint.Options(d.handshakeTimeout(), d.rekeyIntervalNs(), d.rehandshakeAfter(),
                    d.retryMax(), Duration.ofSeconds(2), d.maxConcurrentHandshakes(), true, d.acceptTimeout(), d.maxClients(),
                    d.sessionLifetime(), true);
            List<String> events = new CopyOnWriteArrayList<>();
            UdpEndpoint ea = a.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("::"), 1194)),
                    creds("ca", "1/16"), quickExpiry, new UdpEndpoint.Handler() {
                        @Override
                        public Tun tunFor(String cn, InetSocketAddress address) throws IOException {
                            return tun("r6a%d", cn, 1);
                        }

                        @Override
                        public void established(UdpEndpoint.PeerTunnel p, boolean first) {
                            events.add("established " + (p.isDialer() ? "dialled" : "accepted"));
                        }

                        @Override
                        public void removed(UdpEndpoint.PeerTunnel p) {
                            events.add("removed");
                        }
                    }));
            net.own(ea);
            UdpEndpoint eb = endpointB(net, b, 1194);
            ea.connect(new InetSocketAddress("fd00:89::2", 1194), "2/16");
            Wait.until("a's dial to b carries traffic", Duration.ofSeconds(20), () -> a.pings("fd00:74:2::2"));
            UdpEndpoint ebDial = endpointB(net, b, 1195);
            ebDial.connect(new InetSocketAddress("fd00:89::1", 1194), "1/16");
            Wait.until("b's session, from its port 1195, takes over a's tunnel", Duration.ofSeconds(20),
                    () -> events.contains("established accepted"));
            assertEquals(List.of("established dialled", "established accepted"), events);
            assertEquals(1, ea.peers().size());

            ebDial.close(); // b goes away; a fresh b on the port a dialled only listens
            eb.close();
            endpointB(net, b, 1194);
            Wait.until("a's accepted session from b dies and is removed, and a dials b again", Duration.ofSeconds(60),
                    () -> events.size() >= 4);
            System.out.println("a's events: " + events);
            assertEquals(List.of("established dialled", "established accepted", "removed", "established dialled"), events);
            Wait.until("the new tunnel carries traffic", Duration.ofSeconds(20), () -> a.pings("fd00:74:2::2"));
        }
    }

    /** An endpoint of B (CN 2/16) on UDP {@code port} in {@code b}, accepting; its TUNs have fd00:74:2::2. */
    static UdpEndpoint endpointB(TestNet net, Namespace b, int port) throws Exception {
        UdpEndpoint e = b.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("::"), port)),
                creds("ca", "2/16"), UdpEndpoint.Options.defaults(), (peerCn, x) -> tun("r6b%d", "2/16", 2)));
        net.own(e);
        return e;
    }

    /** A server host "s" (198.18.{subnet}.1) and a client host "c" (.11) on one LAN. */
    static Namespace[] serverAndClient(TestNet net, int subnet) {
        Namespace sw = net.lan("sw");
        return new Namespace[] {lanHost(net, sw, "s", "198.18." + subnet + ".1/24"), lanHost(net, sw, "c", "198.18." + subnet + ".11/24")};
    }

    /** The flags of {@code ifname} in {@code ns} ({@code ip -o link show}: UP, LOWER_UP, ...). */
    static List<String> linkFlags(Namespace ns, String ifname) {
        String out = ns.ip("-o", "link", "show", "dev", ifname).output();
        return List.of(out.substring(out.indexOf('<') + 1, out.indexOf('>')).split(","));
    }

    /**
     * The maximum session lifetime (issue 12 item 5): with a 3 s lifetime and a UDP probe stream
     * (one datagram every 10 ms) through the tunnel, the client renews the session by new
     * handshakes again and again; the keys really change (the old keys are wiped at both ends),
     * and the tunnel never notices: same TUN, same session object, liveness never down, no probe lost.
     */
    @Test
    void shortLifetimeRenewsTheSessionUnderTrafficWithoutAGap() throws Exception {
        try (TestNet net = TestNet.create("lifetime")) {
            Namespace sw = net.lan("sw");
            Namespace s = lanHost(net, sw, "s", "198.18.80.1/24");
            Namespace c = lanHost(net, sw, "c", "198.18.80.11/24");
            UdpEndpoint.Options options = UdpEndpoint.Options.defaults().withSessionLifetime(Duration.ofSeconds(3));
            AtomicInteger downs = new AtomicInteger();
            List<String> removed = new CopyOnWriteArrayList<>();
            Map<String, Tun> serverTuns = new ConcurrentHashMap<>();
            UdpEndpoint server = server(net, s, serverTuns, removed, options);
            Credentials cc = creds("ca", "2/16");
            UdpEndpoint client = c.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("0.0.0.0"), 0)),
                    cc, options.withAccept(false), new UdpEndpoint.Handler() {
                        @Override
                        public Tun tunFor(String peerCn, InetSocketAddress a) throws IOException {
                            return tun("r6c0", "2/16", 2);
                        }

                        @Override
                        public void down(UdpEndpoint.PeerTunnel p) {
                            downs.incrementAndGet();
                        }
                    }));
            net.own(client);
            client.connect(new InetSocketAddress("198.18.80.1", 1194), "1/16");
            Wait.until("2/16 pings the server through its tunnel", Duration.ofSeconds(20), () -> c.pings("fd00:74:2::1"));
            UdpEndpoint.PeerTunnel atServer = server.peers().get(0), atClient = client.peers().get(0);
            TunnelSession serverSession = atServer.session(), clientSession = atClient.session();
            Tun serverTun = atServer.tun();
            long serialS = serverSession.keySerial(), serialC = clientSession.keySerial();

            UdpProbe probe = UdpProbe.start(c, s, "fd00:74:2::1", 7000, Duration.ofMillis(10));
            Wait.until("the probe gets answers", Duration.ofSeconds(10), () -> probe.received() > 10);
            long t0 = System.nanoTime();
            Wait.until("two renewals changed the keys over at both ends, and the old keys were wiped", Duration.ofSeconds(90),
                    () -> serverSession.keySerial() >= serialS + 2 && clientSession.keySerial() >= serialC + 2
                            && serverSession.retiredKeypairs() >= 2 && clientSession.retiredKeypairs() >= 2);
            double seconds = (System.nanoTime() - t0) / 1e9;
            long sentBefore = probe.sent();
            Wait.until("probes sent after the last renewal are answered", Duration.ofSeconds(10),
                    () -> probe.received() >= sentBefore);
            probe.close();
            System.out.printf("session lifetime 3 s: %d renewals (server %d) in %.1f s, key serial %d/%d, %d probes sent, "
                    + "%d answered, %d lost, longest gap %d ms, handshakes %d%n", client.renewals.getCount(),
                    server.renewals.getCount(), seconds, clientSession.keySerial(), serverSession.keySerial(), probe.sent(),
                    probe.received(), probe.lost(), probe.longestGap(false).toMillis(), server.handshakeTime.getCount());

            assertTrue(client.renewals.getCount() >= 2 && server.renewals.getCount() >= 2, "renewal handshakes counted");
            assertTrue(clientSession.retiredKeypairs() >= 2 && serverSession.retiredKeypairs() >= 2,
                    "the old keys were wiped at both ends: " + clientSession.retiredKeypairs() + "/" + serverSession.retiredKeypairs());
            assertEquals(0, probe.lost(), "no probe lost through the renewals");
            assertEquals(0, downs.get(), "the client's liveness never went down");
            assertEquals(0, clientSession.liveness().transitions(), "client: no liveness transition");
            assertEquals(0, serverSession.liveness().transitions(), "server: no liveness transition");
            UdpEndpoint.PeerTunnel nowAtServer = server.peers().get(0);
            assertSame(serverSession, nowAtServer.session(), "the server's session object carries on (no new data path)");
            assertSame(serverTun, nowAtServer.tun(), "the same TUN");
            assertSame(clientSession, client.peers().get(0).session(), "the client's session object carries on");
            assertEquals(List.of(), removed, "nothing removed");
            assertEquals(0, server.closedLifetime.getCount() + client.closedLifetime.getCount(), "no session outlived its lifetime");
            assertTrue(s.exec(Duration.ofSeconds(5), "ip", "link", "show", serverTun.name()).output().contains(",UP"),
                    "the server's interface is up");
        }
    }

    /**
     * The server's final flight (ChangeCipherSpec, Finished) lost once on the way: the client
     * repeats its last flight, the server's endpoint hands it to BouncyCastle (on its own
     * thread), which sends the final flight again; the tunnel comes up.
     */
    @Test
    void theServersFinalFlightLostOnceIsSentAgain() throws Exception {
        try (TestNet net = TestNet.create("endpoint-final")) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            re6st.netsim.WanLink link = net.wan("ab", a, "wan0", b, "wan0", re6st.netsim.LinkParams.delayMillis(1));
            a.addAddress("wan0", "198.18.81.1/24");
            b.addAddress("wan0", "198.18.81.2/24");
            Wait.until("underlay", Duration.ofSeconds(10), () -> a.pings("198.18.81.2"));
            long[] firstDrop = {0};
            link.filter(re6st.netsim.WanLink.Direction.B_TO_A, (frame, off, len) -> {
                if (len < 14 + 28 + 14 || frame.getShort(off + 12) != 0x0800)
                    return false;
                re6st.netsim.RawPackets.Udp u = re6st.netsim.RawPackets.parseUdp(frame, off + 14, len - 14);
                if (u == null || u.source().getPort() != 1194 || u.payloadLength() < 13)
                    return false;
                int at = u.payloadOffset(), type = frame.get(at); // (an absolute position)
                boolean finalFlight = type == 20 || type == 22 && frame.getShort(at + 3) == 1; // CCS, or Finished (epoch 1)
                long now = System.nanoTime();
                if (!finalFlight || firstDrop[0] != 0 && now - firstDrop[0] > 200_000_000L)
                    return false; // only the first sending of the final flight (its records leave together)
                if (firstDrop[0] == 0)
                    firstDrop[0] = now;
                return true;
            });
            UdpEndpoint server = server(net, b, new ConcurrentHashMap<>(), new java.util.ArrayList<>());
            Credentials cc = creds("ca", "2/16");
            UdpEndpoint client = a.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("0.0.0.0"), 0)),
                    cc, UdpEndpoint.Options.defaults().withAccept(false), (peerCn, x) -> tun("r6c0", "2/16", 2)));
            net.own(client);
            long t0 = System.nanoTime();
            client.connect(new InetSocketAddress("198.18.81.2", 1194), "1/16");
            Wait.until("2/16 pings the server through its tunnel", Duration.ofSeconds(30), () -> a.pings("fd00:74:2::1"));
            System.out.printf("final flight lost once (%d frames dropped): tunnel up after %.2f s, %d client flight records "
                    + "handed to BouncyCastle, client handshakes failed %d%n", link.filtered(re6st.netsim.WanLink.Direction.B_TO_A),
                    (System.nanoTime() - t0) / 1e9, server.retransmissions.getCount(), client.handshakesFailed.getCount());
            assertTrue(link.filtered(re6st.netsim.WanLink.Direction.B_TO_A) >= 1, "the final flight was dropped");
            assertTrue(server.retransmissions.getCount() >= 1, "the client's repeated flight reached BouncyCastle");
            assertEquals(0, client.handshakesFailed.getCount(), "the first handshake completed (no new one)");
            assertEquals(1, server.handshakeTime.getCount(), "one handshake in all");
        }
    }

    /**
     * A renewal checks the peer's certificate again: the server moves to another certificate of
     * its CN, which the client's CRL revokes; the client's stored certificate of the server is
     * still good (the per-second check sees nothing), but its next renewal is refused (REVOKED)
     * and the tunnel closes.
     */
    @Test
    void aRenewalThatRefusesThePeersCertificateClosesTheTunnel() throws Exception {
        Path config = TunnelCommandTest.caConfig(pki, "ca");
        String other = pki + "/ca-1_16-other";
        TunnelCommandTest.openssl(pki, "req", "-new", "-key", pki + "/ca-1_16.key", "-out", other + ".csr", "-subj", "/CN=1\\/16");
        TunnelCommandTest.openssl(pki, "ca", "-config", config.toString(), "-batch", "-notext", "-in", other + ".csr", "-out",
                other + ".crt", "-days", "30");
        TunnelCommandTest.openssl(pki, "ca", "-config", config.toString(), "-revoke", other + ".crt");
        Path crl = pki.resolve("other-1.crl");
        TunnelCommandTest.openssl(pki, "ca", "-config", config.toString(), "-gencrl", "-out", crl.toString());
        try (TestNet net = TestNet.create("endpoint-renewcrl")) {
            Namespace sw = net.lan("sw");
            Namespace s = lanHost(net, sw, "s", "198.18.85.1/24");
            UdpEndpoint server = server(net, s, new ConcurrentHashMap<>(), new java.util.ArrayList<>());
            Namespace c = lanHost(net, sw, "c", "198.18.85.11/24");
            Credentials cc = Credentials.load(pki.resolve("ca.crt"), pki.resolve("ca-2_16.crt"), pki.resolve("ca-2_16.key"), crl);
            List<IOException> failures = new CopyOnWriteArrayList<>();
            AtomicInteger downs = new AtomicInteger();
            UdpEndpoint client = c.call(() -> new UdpEndpoint(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal("0.0.0.0"), 0)),
                    cc, UdpEndpoint.Options.defaults().withAccept(false).withSessionLifetime(Duration.ofSeconds(3)),
                    new UdpEndpoint.Handler() {
                        @Override
                        public Tun tunFor(String peerCn, InetSocketAddress a) throws IOException {
                            return tun("r6c0", "2/16", 2);
                        }

                        @Override
                        public void handshakeFailed(UdpEndpoint.PeerTunnel p, InetSocketAddress a, IOException why) {
                            failures.add(why);
                        }

                        @Override
                        public void down(UdpEndpoint.PeerTunnel p) {
                            downs.incrementAndGet();
                        }
                    }));
            net.own(client);
            client.connect(new InetSocketAddress("198.18.85.1", 1194), "1/16");
            Wait.until("2/16 pings the server through its tunnel", Duration.ofSeconds(20), () -> c.pings("fd00:74:2::1"));
            Wait.until("a first renewal", Duration.ofSeconds(30), () -> client.renewals.getCount() >= 1);
            assertEquals(0, client.closedInvalid.getCount());
            server.setCredentials(Credentials.load(pki.resolve("ca.crt"), Path.of(other + ".crt"), pki.resolve("ca-1_16.key"), null));
            Wait.until("the client's next renewal refuses the server's new certificate and closes the tunnel", Duration.ofSeconds(30),
                    () -> client.closedInvalid.getCount() >= 1);
            re6st.tunnel.handshake.CertificateRefusedException refusal = (re6st.tunnel.handshake.CertificateRefusedException) failures.get(0);
            assertEquals(re6st.tunnel.handshake.CertificateRefusedException.Reason.REVOKED, refusal.reason(), refusal.getMessage());
            Wait.until("the tunnel carries nothing any more", Duration.ofSeconds(10), () -> !c.pings("fd00:74:2::1"));
            assertEquals(List.of(), client.peers(), "the client's session is closed: the server is not listed");
            assertTrue(downs.get() >= 1, "the handler heard down when the session closed");
            assertTrue(!linkFlags(c, "r6c0").contains("UP"), "the TUN is set down: " + linkFlags(c, "r6c0"));
        }
    }
}
