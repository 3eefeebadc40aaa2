package re6st.tunnel.handshake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.DatagramSender;
import org.bouncycastle.tls.DatagramTransport;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import re6st.jni.UdpSocket;
import re6st.tunnel.data.DataChannel.Drop;
import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataKey;
import re6st.tunnel.data.DataPacket;
import re6st.tunnel.handshake.CertificateRefusedException.Reason;
import re6st.tunnel.handshake.DtlsHandshake.HandshakeAbortedException;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DtlsHandshakeTest {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final InetAddress LO = InetAddress.getLoopbackAddress();

    static ExecutorService pool;
    static TestPki pki, otherPki;
    static KeyPair serverKeys, clientKeys;
    static Credentials server, client, revokedClient, expiredServer, foreignClient;

    @BeforeAll
    static void setUp() throws Exception {
        pool = Executors.newCachedThreadPool();
        pki = new TestPki("re6st test network", TestPki.rsa());
        otherPki = new TestPki("some other network", TestPki.rsa());
        serverKeys = TestPki.rsa();
        clientKeys = TestPki.rsa();
        var revokedCert = pki.issue("3/16", clientKeys);
        X509CRL crl = pki.crl(revokedCert);
        server = new Credentials(pki.ca, pki.issue("1/16", serverKeys), serverKeys.getPrivate(), crl);
        client = new Credentials(pki.ca, pki.issue("2/16", clientKeys), clientKeys.getPrivate(), crl);
        revokedClient = new Credentials(pki.ca, revokedCert, clientKeys.getPrivate(), crl);
        Instant now = Instant.now();
        expiredServer = new Credentials(pki.ca, pki.issue("1/16", serverKeys, now.minus(Duration.ofDays(30)),
                now.minus(Duration.ofDays(1))), serverKeys.getPrivate(), crl);
        // same CN, same key, but issued by another CA (which even trusts itself)
        foreignClient = new Credentials(otherPki.ca, otherPki.issue("2/16", clientKeys), clientKeys.getPrivate(), null);
    }

    @AfterAll
    static void tearDown() {
        pool.shutdownNow();
    }

    /** Outcome of one side: keys or the exception. */
    record Side(SessionKeys keys, Throwable error, long millis) {}

    /** Runs a server (accept with cookies) and a client on loopback UDP; returns {server, client}. */
    static Side[] handshake(Credentials serverCreds, Credentials clientCreds, String expectedCn, CookieGate gate)
            throws Exception {
        try (UdpSocket s = UdpSocket.bind(new InetSocketAddress(LO, 0));
                UdpSocket c = UdpSocket.bind(new InetSocketAddress(LO, 0))) {
            Future<Side> srv = pool.submit(() -> run(() -> DtlsHandshake.accept(s, serverCreds, gate, TIMEOUT).keys()));
            Side cli = run(() -> DtlsHandshake.connect(c, s.localAddress(), clientCreds, expectedCn, TIMEOUT));
            Side sv = srv.get(TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
            return new Side[] {sv, cli};
        }
    }

    interface Call {
        SessionKeys call() throws Exception;
    }

    static Side run(Call call) {
        long t0 = System.nanoTime();
        try {
            SessionKeys k = call.call();
            return new Side(k, null, (System.nanoTime() - t0) / 1_000_000);
        } catch (Throwable e) {
            return new Side(null, e, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    static void assertOk(Side s) {
        if (s.error != null)
            throw new AssertionError("handshake failed: " + s.error, s.error);
        assertNotNull(s.keys);
    }

    /** Seals a packet with {@code from} and opens it with {@code to}. */
    static int exchange(DataChannel from, DataChannel to, byte[] inner) {
        ByteBuffer wire = ByteBuffer.allocate(inner.length + DataPacket.OVERHEAD);
        from.seal(ByteBuffer.wrap(inner), wire);
        wire.flip();
        ByteBuffer out = ByteBuffer.allocate(inner.length + 64);
        int n = to.open(wire, out);
        if (n >= 0) {
            byte[] got = new byte[n];
            out.flip().get(got);
            assertArrayEquals(inner, got);
        }
        return n;
    }

    @Test
    void mutualHandshakeDerivesMatchingKeysBehindACookieRound() throws Exception {
        CookieGate gate = new CookieGate();
        Side[] r = handshake(server, client, "1/16", gate);
        assertOk(r[0]);
        assertOk(r[1]);
        System.out.println("first (cold) DTLS handshake: client " + r[1].millis + " ms, server " + r[0].millis + " ms");
        SessionKeys sk = r[0].keys, ck = r[1].keys;
        assertEquals("2/16", sk.peerCn());
        assertEquals("1/16", ck.peerCn());
        assertEquals(client.cert(), sk.peer());
        assertEquals(server.cert(), ck.peer());
        // the stateless cookie round happened first: a HelloVerifyRequest (more than one if the client
        // retransmitted its first hello, as DTLS does after 1 s without an answer), then one verified hello
        assertTrue(gate.helloVerifyRequests() >= 1, "a HelloVerifyRequest before the verified hello: " + gate.helloVerifyRequests());
        assertEquals(1, gate.verified());
        assertEquals(0, gate.ignored());

        // client send == server receive and vice versa: packets pass both ways
        DataChannel cc = new DataChannel(ck.send(), ck.receive()), sc = new DataChannel(sk.send(), sk.receive());
        byte[] ping = "ping through the tunnel".getBytes();
        assertEquals(ping.length, exchange(cc, sc, ping));
        assertEquals(ping.length, exchange(sc, cc, ping));
        // the two directions use different keys
        DataChannel reflected = new DataChannel(ck.send(), ck.receive()); // a reflected packet does not open
        assertEquals(Drop.AUTH_FAILED, DataChannel.reason(exchange(cc, reflected, ping)));

        // rekey: both ends derive generation N independently
        cc.rekeySend(ck.generation(1).send());
        sc.rekeyReceive(sk.generation(1).receive());
        assertEquals(ping.length, exchange(cc, sc, ping));
        // generation 256 has epoch 0 on the wire but is a different key (nonces never reused)
        DataKey g256 = ck.schedule().sendKey(256);
        assertEquals(0, g256.epoch());
        DataChannel c256 = new DataChannel(g256, ck.receive());
        DataChannel s0 = new DataChannel(sk.send(), sk.receive());
        assertEquals(Drop.AUTH_FAILED, DataChannel.reason(exchange(c256, s0, ping)));

        // key material is never printed
        assertTrue(ck.toString().contains("1/16"));
        assertTrue(ck.schedule().toString().startsWith("KeySchedule[client"));
    }

    /**
     * Handshakes one after another on fresh sockets all succeed (each with its cookie round). How
     * long they take is printed here, not asserted (see DEVELOPERS.md, "Rules for tests").
     */
    @Test
    void repeatedHandshakesAllSucceed() throws Exception {
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            CookieGate gate = new CookieGate();
            Side[] r = handshake(server, client, "1/16", gate);
            assertOk(r[0]);
            assertOk(r[1]);
            assertEquals(1, gate.verified(), "handshake " + i);
            byte[] ping = {1, 2, 3};
            assertEquals(ping.length, exchange(new DataChannel(r[1].keys.send(), r[1].keys.receive()),
                    new DataChannel(r[0].keys.send(), r[0].keys.receive()), ping), "the two ends agree on the keys");
            all.append(r[1].millis).append(" ms ");
        }
        System.out.println("DTLS handshake (client connect, loopback, RSA-" + TestPki.BITS + "): " + all);
    }

    /**
     * An attacker's client that accepts any server and presents a certificate of its own CA (an
     * honest client of another network would refuse our server first, see the next test).
     */
    static final class RogueClient extends DefaultTlsClient {
        final Credentials creds;
        final int[] suites;

        RogueClient(Credentials creds) {
            this(creds, DtlsHandshake.CIPHER_SUITES);
        }

        RogueClient(Credentials creds, int... suites) {
            super(DtlsHandshake.crypto());
            this.creds = creds;
            this.suites = suites;
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return suites.clone();
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.DTLSv12.only();
        }

        @Override
        public TlsAuthentication getAuthentication() {
            return new TlsAuthentication() {
                @Override
                public void notifyServerCertificate(TlsServerCertificate serverCertificate) {}

                @Override
                public TlsCredentials getClientCredentials(CertificateRequest request) {
                    Certificate chain = new Certificate(new TlsCertificate[] {new JcaTlsCertificate(DtlsHandshake.crypto(), creds.cert())});
                    return new JcaDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), DtlsHandshake.crypto(),
                            creds.key(), chain, SignatureAndHashAlgorithm.rsa_pss_rsae_sha256);
                }
            };
        }
    }

    @Test
    void clientFromAnotherCaIsRefused() throws Exception {
        CookieGate gate = new CookieGate();
        try (UdpSocket s = UdpSocket.bind(new InetSocketAddress(LO, 0));
                UdpSocket c = UdpSocket.bind(new InetSocketAddress(LO, 0))) {
            Future<Side> srv = pool.submit(() -> run(() -> DtlsHandshake.accept(s, server, gate, TIMEOUT).keys()));
            try (UdpDatagramTransport t = new UdpDatagramTransport(c, s.localAddress())) {
                TlsFatalAlertReceived a = assertThrows(TlsFatalAlertReceived.class,
                        () -> new DTLSClientProtocol().connect(new RogueClient(foreignClient), t));
                assertEquals(AlertDescription.unknown_ca, a.getAlertDescription());
            }
            Side sv = srv.get(TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
            CertificateRefusedException e = assertInstanceOf(CertificateRefusedException.class, sv.error);
            assertEquals(Reason.OTHER_CA, e.reason());
            assertTrue(e.getMessage().contains("not by the network CA"), e.getMessage());
            assertNull(sv.keys);
            assertEquals(1, gate.verified());
        }
    }

    @Test
    void onlyEcdheWithAesGcmIsAccepted() throws Exception {
        for (int suite : new int[] {CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384, // no forward secrecy
                CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, // not AEAD
                CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}) {
            try (UdpSocket s = UdpSocket.bind(new InetSocketAddress(LO, 0));
                    UdpSocket c = UdpSocket.bind(new InetSocketAddress(LO, 0))) {
                Future<Side> srv = pool.submit(() -> run(() -> DtlsHandshake.accept(s, server, new CookieGate(), TIMEOUT).keys()));
                try (UdpDatagramTransport t = new UdpDatagramTransport(c, s.localAddress())) {
                    TlsFatalAlertReceived a = assertThrows(TlsFatalAlertReceived.class,
                            () -> new DTLSClientProtocol().connect(new RogueClient(client, suite), t));
                    assertEquals(AlertDescription.handshake_failure, a.getAlertDescription());
                }
                Side sv = srv.get(TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
                assertNotNull(sv.error, "suite " + suite);
                assertNull(sv.keys);
            }
        }
    }

    @Test
    void serverFromAnotherCaIsRefusedByTheClient() throws Exception {
        Credentials foreignServer = new Credentials(otherPki.ca, otherPki.issue("1/16", serverKeys), serverKeys.getPrivate(), null);
        Side[] r = handshake(foreignServer, client, "1/16", new CookieGate());
        CertificateRefusedException e = assertInstanceOf(CertificateRefusedException.class, r[1].error);
        assertEquals(Reason.OTHER_CA, e.reason());
        assertNull(r[1].keys);
        HandshakeAbortedException a = assertInstanceOf(HandshakeAbortedException.class, r[0].error);
        assertEquals(AlertDescription.unknown_ca, a.alert());
        assertNull(r[0].keys);
    }

    @Test
    void aSerialTheNetworkConfigRevokesIsRefusedLikeACrlEntry() throws Exception {
        Credentials noCrl = new Credentials(pki.ca, server.cert(), server.key(), null);
        Side[] ok = handshake(noCrl, client, "1/16", new CookieGate());
        assertNull(ok[0].error, "without the revocation the client gets in");
        Credentials revoking = noCrl.withRevoked(java.util.Set.of(client.cert().getSerialNumber()));
        Side[] r = handshake(revoking, client, "1/16", new CookieGate());
        CertificateRefusedException e = assertInstanceOf(CertificateRefusedException.class, r[0].error);
        assertEquals(Reason.REVOKED, e.reason());
        assertTrue(e.getMessage().contains("revoked by the network config"), e.getMessage());
        assertNull(r[0].keys);
    }

    @Test
    void revokedCertificateIsRefused() throws Exception {
        Side[] r = handshake(server, revokedClient, "1/16", new CookieGate());
        CertificateRefusedException e = assertInstanceOf(CertificateRefusedException.class, r[0].error);
        assertEquals(Reason.REVOKED, e.reason());
        assertTrue(e.getMessage().contains("revoked on"), e.getMessage());
        assertTrue(e.getMessage().contains("3/16"), e.getMessage());
        assertNull(r[0].keys);
        HandshakeAbortedException a = assertInstanceOf(HandshakeAbortedException.class, r[1].error);
        assertEquals(AlertDescription.certificate_revoked, a.alert());
        assertTrue(a.getMessage().contains("certificate_revoked"), a.getMessage());
        assertNull(r[1].keys);
    }

    @Test
    void expiredCertificateIsRefused() throws Exception {
        Side[] r = handshake(expiredServer, client, "1/16", new CookieGate());
        CertificateRefusedException e = assertInstanceOf(CertificateRefusedException.class, r[1].error);
        assertEquals(Reason.EXPIRED, e.reason());
        assertTrue(e.getMessage().contains("expired on"), e.getMessage());
        assertNull(r[1].keys);
        HandshakeAbortedException a = assertInstanceOf(HandshakeAbortedException.class, r[0].error);
        assertEquals(AlertDescription.certificate_expired, a.alert());
        assertNull(r[0].keys);
    }

    @Test
    void wrongExpectedCnIsRefused() throws Exception {
        Side[] r = handshake(server, client, "9/16", new CookieGate());
        CertificateRefusedException e = assertInstanceOf(CertificateRefusedException.class, r[1].error);
        assertEquals(Reason.WRONG_CN, e.reason());
        assertTrue(e.getMessage().contains("'1/16' but we dialled '9/16'"), e.getMessage());
        assertNull(r[1].keys);
        assertInstanceOf(HandshakeAbortedException.class, r[0].error);
        assertNull(r[0].keys);
    }

    @Test
    void aFloodOfClientHellosOnlyGetsCookies() throws Exception {
        // capture a genuine first ClientHello (no cookie) from our client
        byte[][] hello = new byte[1][];
        DatagramTransport capture = new DatagramTransport() {
            @Override
            public int getReceiveLimit() {
                return 1500;
            }

            @Override
            public int getSendLimit() {
                return 1232;
            }

            @Override
            public int receive(byte[] buf, int off, int len, int waitMillis) {
                return -1;
            }

            @Override
            public void send(byte[] buf, int off, int len) throws IOException {
                hello[0] = java.util.Arrays.copyOfRange(buf, off, off + len);
                throw new IOException("captured");
            }

            @Override
            public void close() {}
        };
        assertThrows(IOException.class, () -> DtlsHandshake.connect(capture, client, "1/16", TIMEOUT));
        assertNotNull(hello[0]);
        assertEquals(22, hello[0][0], "a DTLS handshake record");

        CookieGate gate = new CookieGate();
        AtomicInteger replies = new AtomicInteger();
        DatagramSender sink = new DatagramSender() {
            @Override
            public int getSendLimit() {
                return 1232;
            }

            @Override
            public void send(byte[] buf, int off, int len) {
                replies.incrementAndGet();
                assertTrue(len < 100, "a HelloVerifyRequest is small: " + len);
            }
        };
        int n = 2000;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            InetSocketAddress spoofed = new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, 0, (byte) (i >> 8), (byte) i}), 4000 + i);
            assertNull(gate.check(spoofed, hello[0], 0, hello[0].length, sink));
        }
        long micros = (System.nanoTime() - t0) / 1000 / n;
        System.out.println("cookie gate: " + micros + " us per ClientHello");
        assertEquals(n, gate.helloVerifyRequests());
        assertEquals(n, replies.get());
        assertEquals(0, gate.verified());
        // non-hellos are ignored without a reply
        assertNull(gate.check(new InetSocketAddress(LO, 1), new byte[] {1, 2, 3}, 0, 3, sink));
        assertEquals(1, gate.ignored());
        assertEquals(n, replies.get());
    }

    @Test
    void verifierChecksOnItsOwn() throws Exception {
        assertEquals("2/16", re6st.pki.Certificates.cn(client.cert()));
        java.util.Date now = new java.util.Date();
        assertEquals("2/16", PeerVerifier.verify(client.cert(), server, null, now));
        CertificateRefusedException e = assertThrows(CertificateRefusedException.class,
                () -> PeerVerifier.verify(client.cert(), server, null, new java.util.Date(now.getTime() - 30L * 86_400_000)));
        assertEquals(Reason.NOT_YET_VALID, e.reason());
        e = assertThrows(CertificateRefusedException.class, () -> PeerVerifier.verify(foreignClient.cert(), server, null, now));
        assertEquals(Reason.OTHER_CA, e.reason());
        // an impostor CA with the network CA's very name, but another key
        TestPki impostor = new TestPki("re6st test network", otherPki.caKeys);
        e = assertThrows(CertificateRefusedException.class,
                () -> PeerVerifier.verify(impostor.issue("2/16", clientKeys), server, null, now));
        assertEquals(Reason.OTHER_CA, e.reason());
        assertTrue(e.getMessage().contains("not signed by it"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new Credentials(pki.ca, foreignClient.cert(), clientKeys.getPrivate(), null), "our own cert must chain to the CA");
        assertThrows(IllegalArgumentException.class,
                () -> new Credentials(pki.ca, client.cert(), clientKeys.getPrivate(), otherPki.crl()), "CRL of another CA");
    }

    @Test
    void acceptTimesOutWithoutAClient() throws Exception {
        try (UdpSocket s = UdpSocket.bind(new InetSocketAddress(LO, 0))) {
            IOException e = assertThrows(IOException.class,
                    () -> DtlsHandshake.accept(s, server, new CookieGate(), Duration.ofMillis(200)));
            assertTrue(e.getMessage().contains("no ClientHello"), e.getMessage());
        }
    }
}
