package re6st.tunnel.handshake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import re6st.tunnel.handshake.CertificateRefusedException.Reason;

/**
 * The DTLS handshake over the TCP transport's framed stream: two {@link StreamDatagramTransport}s
 * joined by an in-memory "stream" that re-reads each frame's length prefix, as the real reader
 * does. The server needs no cookie round; refusals work as over UDP.
 */
public class StreamDatagramTransportTest {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static ExecutorService pool;
    static Credentials server, client, foreignClient, third;
    static KeyPair otherKey; // not 2/16's

    @BeforeAll
    static void setUp() throws Exception {
        pool = Executors.newCachedThreadPool();
        TestPki pki = new TestPki("re6st test network", TestPki.rsa());
        TestPki other = new TestPki("another network", TestPki.rsa());
        KeyPair sk = TestPki.rsa(), ck = TestPki.rsa();
        server = new Credentials(pki.ca, pki.issue("1/16", sk), sk.getPrivate(), null);
        client = new Credentials(pki.ca, pki.issue("2/16", ck), ck.getPrivate(), null);
        foreignClient = new Credentials(other.ca, other.issue("2/16", ck), ck.getPrivate(), null);
        otherKey = TestPki.rsa();
        third = new Credentials(pki.ca, pki.issue("3/16", otherKey), otherKey.getPrivate(), null);
    }

    @AfterAll
    static void tearDown() {
        pool.shutdownNow();
    }

    /** Two transports, each one's frames parsed (length prefix checked) and delivered to the other (also for the tests of re6st.tunnel). */
    public static StreamDatagramTransport[] pair() {
        return pair(new ArrayList<>(), new ArrayList<>());
    }

    /** As {@link #pair()}, keeping the frames each side sent (without their length prefix). */
    static StreamDatagramTransport[] pair(List<byte[]> sentBy0, List<byte[]> sentBy1) {
        StreamDatagramTransport[] t = new StreamDatagramTransport[2];
        t[0] = new StreamDatagramTransport(frame -> {
            sentBy0.add(Arrays.copyOfRange(frame, StreamDatagramTransport.HEADER, frame.length));
            deliver(frame, t[1]);
        }, 64, null);
        t[1] = new StreamDatagramTransport(frame -> {
            sentBy1.add(Arrays.copyOfRange(frame, StreamDatagramTransport.HEADER, frame.length));
            deliver(frame, t[0]);
        }, 64, null);
        return t;
    }

    static final int CLIENT_HELLO = 1, SERVER_HELLO = 2, HELLO_VERIFY_REQUEST = 3, CERTIFICATE = 11;

    /**
     * The handshake message types of the plaintext (epoch 0) DTLS handshake records in {@code datagrams}
     * (RFC 6347 4.1: 13-byte record header; 4.2.2: the message type is the handshake header's first byte).
     */
    static List<Integer> handshakeTypes(List<byte[]> datagrams) {
        List<Integer> types = new ArrayList<>();
        for (byte[] d : datagrams) {
            ByteBuffer b = ByteBuffer.wrap(d);
            while (b.remaining() >= 13) {
                int contentType = b.get(b.position()) & 0xff, epoch = b.getShort(b.position() + 3) & 0xffff;
                int length = b.getShort(b.position() + 11) & 0xffff;
                if (contentType == 22 && epoch == 0 && length > 0)
                    types.add(b.get(b.position() + 13) & 0xff);
                b.position(Math.min(b.limit(), b.position() + 13 + length));
            }
        }
        return types;
    }

    static void deliver(byte[] frame, StreamDatagramTransport to) {
        ByteBuffer b = ByteBuffer.wrap(frame);
        int len = b.getShort(0) & 0xffff;
        assertTrue(StreamDatagramTransport.validLength(len));
        assertEquals(frame.length, StreamDatagramTransport.HEADER + len, "a frame is its length and that many bytes");
        to.deliver(b.position(StreamDatagramTransport.HEADER));
    }

    @Test
    void handshakeOverFramesWithoutCookie() throws Exception {
        List<byte[]> fromServer = Collections.synchronizedList(new ArrayList<>()),
                fromClient = Collections.synchronizedList(new ArrayList<>());
        StreamDatagramTransport[] t = pair(fromServer, fromClient);
        Future<SessionKeys> srv = pool.submit(() -> DtlsHandshake.acceptConnected(t[0], server, TIMEOUT));
        SessionKeys c = DtlsHandshake.connect(t[1], client, "1/16", TIMEOUT);
        SessionKeys s = srv.get(15, TimeUnit.SECONDS);
        assertEquals("1/16", c.peerCn());
        assertEquals("2/16", s.peerCn());
        byte[] inner = {0x45, 1, 2, 3, 4, 5, 6, 7};
        ByteBuffer wire = ByteBuffer.allocate(64);
        new re6st.tunnel.data.DataChannel(c.send(), c.receive()).seal(ByteBuffer.wrap(inner), wire);
        ByteBuffer out = ByteBuffer.allocate(64);
        assertEquals(inner.length, new re6st.tunnel.data.DataChannel(s.send(), s.receive()).open(wire.flip(), out),
                "the server opens what the client sealed: the same keys");
        byte[] got = new byte[inner.length];
        out.flip().get(got);
        assertArrayEquals(inner, got);
        // ClientHello goes straight to ServerHello (no HelloVerifyRequest: TCP already proved the address)
        List<Integer> server = handshakeTypes(fromServer), client = handshakeTypes(fromClient);
        System.out.printf("handshake over frames: client sent %d frames (types %s), server %d (types %s)%n", t[1].sent(),
                client, t[0].sent(), server);
        assertEquals(CLIENT_HELLO, client.get(0), "the client starts with a ClientHello: " + client);
        assertEquals(SERVER_HELLO, server.get(0), "the server answers with a ServerHello: " + server);
        assertFalse(server.contains(HELLO_VERIFY_REQUEST), "no HelloVerifyRequest: " + server);
        assertEquals(fromServer.size(), t[0].sent());
        assertEquals(fromClient.size(), t[1].sent());
    }

    /** A client of another network: it refuses the server's certificate first (OTHER_CA), the server hears the alert. */
    @Test
    void peerFromAnotherCaIsRefused() throws Exception {
        StreamDatagramTransport[] t = pair();
        Future<Throwable> srv = pool.submit(() -> {
            try {
                DtlsHandshake.acceptConnected(t[0], server, TIMEOUT);
                return null;
            } catch (Exception e) {
                return e;
            }
        });
        CertificateRefusedException c = assertThrows(CertificateRefusedException.class,
                () -> DtlsHandshake.connect(t[1], foreignClient, "1/16", TIMEOUT));
        assertEquals(Reason.OTHER_CA, c.reason());
        DtlsHandshake.HandshakeAbortedException e = assertInstanceOf(DtlsHandshake.HandshakeAbortedException.class,
                srv.get(15, TimeUnit.SECONDS));
        assertTrue(e.getMessage().contains("unknown_ca"), e.getMessage());
    }

    /**
     * An admission that refuses with {@code atCertificate} when the client's certificate arrives,
     * or with {@code atProof} once the client proved its key (null: admits there, and runs {@code
     * onAdmit}), keeping what it was asked and told in {@code calls}: "refuse CN" (the check at
     * the certificate), "admit CN" and "release CN" lines.
     */
    record RecordingAdmission(String atCertificate, String atProof, Runnable onAdmit, List<String> calls)
            implements DtlsHandshake.Admission {
        RecordingAdmission(String atCertificate, String atProof, Runnable onAdmit) {
            this(atCertificate, atProof, onAdmit, Collections.synchronizedList(new ArrayList<>()));
        }

        @Override
        public String refuse(String peerCn) {
            calls.add("refuse " + peerCn);
            return atCertificate;
        }

        @Override
        public DtlsHandshake.Reservation admit(String peerCn) throws AdmissionRefusedException {
            calls.add("admit " + peerCn);
            if (atProof != null)
                throw new AdmissionRefusedException(peerCn, atProof);
            onAdmit.run();
            return () -> calls.add("release " + peerCn);
        }
    }

    /** The server side of a handshake over {@code t[0]} with {@code a}; what it threw (even an Error), or null. */
    Future<Throwable> serve(StreamDatagramTransport[] t, DtlsHandshake.Admission a) {
        return pool.submit(() -> {
            try {
                DtlsHandshake.acceptConnectedSession(t[0], server, TIMEOUT, a);
                return null;
            } catch (Exception | Error e) {
                return e;
            }
        });
    }

    /**
     * A client admitted (a place held for it, {@code re6st.tunnel.ClientSlots}) whose handshake
     * then fails is given back at once, once; one that completes, or one refused (at its
     * certificate, or once it proved its key), is not.
     */
    @Test
    void anAdmissionIsGivenBackOnceWhenTheHandshakeFailsAfterIt() throws Exception {
        StreamDatagramTransport[] t = pair();
        RecordingAdmission dropped = new RecordingAdmission(null, null, () -> { // the connection breaks right after admission
            t[0].closed("reset by the peer");
            t[1].closed("reset by the peer");
        });
        Future<Throwable> srv = serve(t, dropped);
        assertThrows(java.io.IOException.class, () -> DtlsHandshake.connect(t[1], client, "1/16", TIMEOUT));
        assertInstanceOf(EOFException.class, srv.get(15, TimeUnit.SECONDS));
        assertEquals(List.of("refuse 2/16", "admit 2/16", "release 2/16"), dropped.calls());

        StreamDatagramTransport[] ok = pair();
        RecordingAdmission admitted = new RecordingAdmission(null, null, () -> {});
        Future<DtlsHandshake.ServerSession> done = pool.submit(() -> DtlsHandshake.acceptConnectedSession(ok[0], server, TIMEOUT, admitted));
        assertEquals("1/16", DtlsHandshake.connect(ok[1], client, "1/16", TIMEOUT).peerCn());
        DtlsHandshake.ServerSession session = done.get(15, TimeUnit.SECONDS);
        assertEquals(List.of("refuse 2/16", "admit 2/16"), admitted.calls(), "a completed handshake keeps what it was given");
        session.admitted().release();
        session.admitted().release();
        assertEquals(List.of("refuse 2/16", "admit 2/16", "release 2/16"), admitted.calls(),
                "the caller gives it back (no tunnel after all), and only its first release counts");

        for (RecordingAdmission refused : List.of(new RecordingAdmission("1 clients already (max clients)", null, () -> {}),
                new RecordingAdmission(null, "1 clients already (max clients)", () -> {}))) {
            StreamDatagramTransport[] full = pair();
            Future<Throwable> no = serve(full, refused);
            DtlsHandshake.HandshakeAbortedException e = assertThrows(DtlsHandshake.HandshakeAbortedException.class,
                    () -> DtlsHandshake.connect(full[1], client, "1/16", TIMEOUT));
            assertEquals(org.bouncycastle.tls.AlertDescription.access_denied, e.alert(), "refused inside its handshake either way");
            assertInstanceOf(AdmissionRefusedException.class, no.get(15, TimeUnit.SECONDS));
            assertEquals(refused.atCertificate() != null ? List.of("refuse 2/16") : List.of("refuse 2/16", "admit 2/16"),
                    refused.calls(), "a refused client was given nothing");
        }
    }

    /**
     * Anything thrown on the handshake's thread after the admission, even an Error, gives back
     * what it reserved: a place must not wait for its hold to lapse.
     */
    @Test
    void anErrorAfterTheAdmissionGivesItBack() throws Exception {
        class Broken extends Error {
            private static final long serialVersionUID = 1L;
        }
        java.util.concurrent.atomic.AtomicBoolean broken = new java.util.concurrent.atomic.AtomicBoolean();
        StreamDatagramTransport[] t = new StreamDatagramTransport[2];
        t[0] = new StreamDatagramTransport(frame -> {
            if (broken.get())
                throw new Broken(); // the server's last flight, after the admission
            deliver(frame, t[1]);
        }, 64, null);
        t[1] = new StreamDatagramTransport(frame -> deliver(frame, t[0]), 64, null);
        RecordingAdmission a = new RecordingAdmission(null, null, () -> broken.set(true));
        Future<Throwable> srv = serve(t, a);
        Future<Throwable> cli = pool.submit(() -> {
            try {
                DtlsHandshake.connect(t[1], client, "1/16", Duration.ofSeconds(2));
                return null;
            } catch (Exception e) {
                return e;
            }
        });
        assertInstanceOf(Broken.class, srv.get(15, TimeUnit.SECONDS));
        assertEquals(List.of("refuse 2/16", "admit 2/16", "release 2/16"), a.calls());
        t[1].closed("the server is gone");
        assertInstanceOf(java.io.IOException.class, cli.get(15, TimeUnit.SECONDS));
    }

    /**
     * A client that sends a member's certificate (they are public: every handshake carries one in
     * clear) but cannot sign with its key is never admitted: the admission takes the client only
     * once its CertificateVerify is checked, and the server refuses the impostor's there.
     */
    @Test
    void anImpostorWithAMembersCertificateIsNeverAdmitted() throws Exception {
        Credentials impostor = new Credentials(client.ca(), client.cert(), otherKey.getPrivate(), null);
        StreamDatagramTransport[] t = pair();
        RecordingAdmission a = new RecordingAdmission(null, null, () -> {});
        Future<Throwable> srv = serve(t, a);
        DtlsHandshake.HandshakeAbortedException e = assertThrows(DtlsHandshake.HandshakeAbortedException.class,
                () -> DtlsHandshake.connect(t[1], impostor, "1/16", TIMEOUT));
        assertEquals(org.bouncycastle.tls.AlertDescription.decrypt_error, e.alert(), "its signature is refused");
        assertInstanceOf(java.io.IOException.class, srv.get(15, TimeUnit.SECONDS));
        assertEquals(List.of("refuse 2/16"), a.calls(), "checked at its certificate, never admitted");
    }

    /**
     * The reviewer's case: max clients 1, an impostor sends 2/16's certificate (not its key) and
     * then stalls, before any CertificateVerify. It must hold no place meanwhile: a genuine client
     * is admitted and gets the place. (When the hold was taken at the certificate, the genuine one
     * was refused "1 clients already (max clients; 1 of them in their handshake)" until the
     * impostor's hold lapsed.)
     */
    @Test
    void anImpostorStallingAfterAMembersCertificateHoldsNoPlace() throws Exception {
        re6st.tunnel.ClientSlots slots = new re6st.tunnel.ClientSlots(1, Duration.ofMinutes(1));
        java.util.concurrent.CountDownLatch certificateSeen = new java.util.concurrent.CountDownLatch(1);
        DtlsHandshake.Admission admission = new DtlsHandshake.Admission() {
            @Override
            public String refuse(String peerCn) {
                String no = slots.refusal(peerCn);
                certificateSeen.countDown();
                return no;
            }

            @Override
            public DtlsHandshake.Reservation admit(String peerCn) throws AdmissionRefusedException {
                return slots.reserve(peerCn);
            }
        };
        Credentials impostor = new Credentials(client.ca(), client.cert(), otherKey.getPrivate(), null);
        // impostor -> server: only its ClientHello and Certificate get through (it stalls there)
        StreamDatagramTransport[] t = new StreamDatagramTransport[2];
        t[0] = new StreamDatagramTransport(frame -> deliver(frame, t[1]), 64, null);
        t[1] = new StreamDatagramTransport(frame -> {
            List<Integer> types = handshakeTypes(List.of(Arrays.copyOfRange(frame, StreamDatagramTransport.HEADER, frame.length)));
            if (!types.isEmpty() && List.of(CLIENT_HELLO, CERTIFICATE).containsAll(types))
                deliver(frame, t[0]);
        }, 64, null);
        Future<Throwable> stalled = serve(t, admission);
        Future<Throwable> impostorSide = pool.submit(() -> {
            try {
                DtlsHandshake.connect(t[1], impostor, "1/16", TIMEOUT);
                return null;
            } catch (Exception e) {
                return e;
            }
        });
        assertTrue(certificateSeen.await(15, TimeUnit.SECONDS), "the server got the impostor's certificate");
        assertEquals(0, slots.taken(), "a certificate alone holds no place");

        StreamDatagramTransport[] u = pair();
        Future<DtlsHandshake.ServerSession> genuine = pool.submit(() -> DtlsHandshake.acceptConnectedSession(u[0], server, TIMEOUT,
                admission));
        assertEquals("1/16", DtlsHandshake.connect(u[1], third, "1/16", TIMEOUT).peerCn(), "the genuine client is admitted");
        assertEquals("3/16", genuine.get(15, TimeUnit.SECONDS).keys().peerCn());
        assertEquals(1, slots.holds(), "the genuine client holds the place");
        assertTrue(slots.take("3/16"), "and its tunnel takes it");

        t[0].closed("gone");
        t[1].closed("gone");
        assertInstanceOf(java.io.IOException.class, stalled.get(15, TimeUnit.SECONDS));
        assertInstanceOf(java.io.IOException.class, impostorSide.get(15, TimeUnit.SECONDS));
        assertEquals(1, slots.taken(), "the impostor's end changes nothing");
    }

    @Test
    void endOfStreamEndsAWaitingReceive() throws Exception {
        StreamDatagramTransport t = new StreamDatagramTransport(frame -> {}, 4, null);
        assertEquals(-1, t.receive(new byte[100], 0, 100, 10), "nothing within the wait: -1 (BC retransmits)");
        t.closed("reset by the peer");
        EOFException e = assertThrows(EOFException.class, () -> t.receive(new byte[100], 0, 100, 1000));
        assertTrue(e.getMessage().contains("reset by the peer"), e.getMessage());
        assertThrows(EOFException.class, () -> t.send(new byte[10], 0, 10));
    }

    @Test
    void fullQueueAsksToStopReadingAndLeftoversGoToTheDataPath() throws Exception {
        List<String> events = new ArrayList<>();
        StreamDatagramTransport t = new StreamDatagramTransport(frame -> {}, 4, () -> events.add("room"));
        for (int i = 0; i < 3; i++)
            assertTrue(t.deliver(ByteBuffer.wrap(new byte[] {(byte) i})));
        assertFalse(t.deliver(ByteBuffer.wrap(new byte[] {3})), "the 4th frame fills the queue: stop reading");
        byte[] b = new byte[8];
        assertEquals(1, t.receive(b, 0, 8, 0));
        assertEquals(0, b[0]);
        assertEquals(1, t.receive(b, 0, 8, 0));
        assertEquals(List.of("room"), events, "half empty again: reading may go on");
        List<Byte> rest = new ArrayList<>();
        t.drainTo(p -> rest.add(p.get()));
        assertEquals(List.of((byte) 2, (byte) 3), rest, "frames not taken by the handshake, in order");
        assertEquals(-1, t.receive(b, 0, 8, 0), "drained: nothing left for the handshake");
    }

    @Test
    void frameLengths() {
        assertFalse(StreamDatagramTransport.validLength(0));
        assertTrue(StreamDatagramTransport.validLength(1));
        assertTrue(StreamDatagramTransport.validLength(65507));
        assertFalse(StreamDatagramTransport.validLength(65508));
        assertThrows(IllegalArgumentException.class, () -> StreamDatagramTransport.putHeader(ByteBuffer.allocate(2), 0, 0));
    }
}
