package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.tls.AlertDescription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import re6st.tunnel.handshake.AdmissionRefusedException;
import re6st.tunnel.handshake.Credentials;
import re6st.tunnel.handshake.DtlsHandshake;
import re6st.tunnel.handshake.SessionKeys;
import re6st.tunnel.handshake.StreamDatagramTransport;
import re6st.tunnel.handshake.StreamDatagramTransportTest;
import re6st.tunnel.handshake.TestPki;

/**
 * A TCP tunnel's session renewal on the listening side ({@link TcpTunnel}, through {@link
 * TcpEndpoint.Dtls#renewal}): only the tunnel's peer may renew, another CN is refused inside the
 * handshake, and neither takes a place among max clients, whatever the transport's admission
 * would do. (Through the transport's admission, a renewal that authenticated another CN held a
 * place for that CN until the hold lapsed: the handshake had succeeded, so nothing gave it back.)
 */
class TcpRenewalAdmissionTest {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static ExecutorService pool;
    static Credentials server, peer, other;

    @BeforeAll
    static void setUp() throws Exception {
        pool = Executors.newCachedThreadPool();
        TestPki pki = new TestPki("re6st test network", TestPki.rsa());
        KeyPair sk = TestPki.rsa(), pk = TestPki.rsa(), ok = TestPki.rsa();
        server = new Credentials(pki.ca, pki.issue("1/16", sk), sk.getPrivate(), null);
        peer = new Credentials(pki.ca, pki.issue("2/16", pk), pk.getPrivate(), null);
        other = new Credentials(pki.ca, pki.issue("3/16", ok), ok.getPrivate(), null);
    }

    @AfterAll
    static void tearDown() {
        pool.shutdownNow();
    }

    @Test
    void aRenewalIsThePeersOnlyAndTakesNoPlace() throws Exception {
        ClientSlots slots = new ClientSlots(2, Duration.ofMinutes(1));
        slots.admit("2/16");
        assertTrue(slots.take("2/16"), "2/16 dialled us: its tunnel has a place");
        TcpEndpoint.Dtls dtls = new TcpEndpoint.Dtls(server, null, TIMEOUT, Long.MAX_VALUE).admission(new DtlsHandshake.Admission() {
            @Override
            public String refuse(String cn) {
                return slots.refusal(cn);
            }

            @Override
            public DtlsHandshake.Reservation admit(String cn) throws AdmissionRefusedException {
                return slots.reserve(cn);
            }
        });

        StreamDatagramTransport[] t = StreamDatagramTransportTest.pair();
        Future<SessionKeys> impostor = pool.submit(() -> dtls.renewal(t[0], false, "2/16"));
        DtlsHandshake.HandshakeAbortedException e = assertThrows(DtlsHandshake.HandshakeAbortedException.class,
                () -> DtlsHandshake.connect(t[1], other, "1/16", TIMEOUT), "3/16 renewing 2/16's tunnel");
        assertEquals(AlertDescription.access_denied, e.alert(), "refused inside the handshake");
        java.util.concurrent.ExecutionException refused = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> impostor.get(15, TimeUnit.SECONDS));
        assertInstanceOf(AdmissionRefusedException.class, refused.getCause());
        assertEquals(1, slots.taken(), "3/16 holds no place (there was room for it as a client)");

        StreamDatagramTransport[] u = StreamDatagramTransportTest.pair();
        Future<SessionKeys> renewal = pool.submit(() -> dtls.renewal(u[0], false, "2/16"));
        assertEquals("1/16", DtlsHandshake.connect(u[1], peer, "1/16", TIMEOUT).peerCn());
        assertEquals("2/16", renewal.get(15, TimeUnit.SECONDS).peerCn(), "the peer renews");
        assertEquals(1, slots.taken(), "on its tunnel's place");
        assertEquals(0, slots.holds());
    }
}
