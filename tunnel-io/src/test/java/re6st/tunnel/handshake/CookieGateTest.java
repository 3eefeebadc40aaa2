package re6st.tunnel.handshake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.tls.DatagramSender;
import org.bouncycastle.tls.DatagramTransport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cookie secret rotates (every {@link CookieGate#ROTATE_NS}, on an injected clock): a
 * cookie of the current or of the previous secret lets a client in, an older one gets a new
 * HelloVerifyRequest, as does a wrong cookie.
 */
class CookieGateTest {
    static Credentials client;
    static final InetSocketAddress FROM = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);

    @BeforeAll
    static void setUp() throws Exception {
        TestPki pki = new TestPki("re6st test network", TestPki.rsa());
        KeyPair keys = TestPki.rsa();
        client = new Credentials(pki.ca, pki.issue("2/16", keys), keys.getPrivate(), null);
    }

    static final DatagramSender NOWHERE = new DatagramSender() {
        @Override
        public int getSendLimit() {
            return 1200;
        }

        @Override
        public void send(byte[] buf, int off, int len) {}
    };

    /** A real client's second ClientHello: the one that echoes the cookie {@code gate} gave it. */
    static byte[] helloWithCookie(CookieGate gate) {
        LinkedBlockingQueue<byte[]> toClient = new LinkedBlockingQueue<>();
        byte[][] captured = new byte[1][];
        DatagramTransport t = new DatagramTransport() {
            @Override
            public int getReceiveLimit() {
                return 1500;
            }

            @Override
            public int getSendLimit() {
                return 1200;
            }

            @Override
            public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
                try {
                    byte[] d = toClient.poll(waitMillis, TimeUnit.MILLISECONDS);
                    if (d == null)
                        return -1;
                    System.arraycopy(d, 0, buf, off, d.length);
                    return d.length;
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }

            @Override
            public void send(byte[] buf, int off, int len) throws IOException {
                byte[] d = java.util.Arrays.copyOfRange(buf, off, off + len);
                if (gate.check(FROM, d, 0, d.length, new DatagramSender() {
                    @Override
                    public int getSendLimit() {
                        return 1200;
                    }

                    @Override
                    public void send(byte[] b, int o, int l) {
                        toClient.add(java.util.Arrays.copyOfRange(b, o, o + l));
                    }
                }) != null) {
                    captured[0] = d;
                    throw new IOException("captured the hello with its cookie");
                }
            }

            @Override
            public void close() {}
        };
        assertThrows(IOException.class, () -> DtlsHandshake.connect(t, client, null, Duration.ofSeconds(10)));
        assertNotNull(captured[0], "the client echoed the cookie");
        assertTrue(CookieGate.hasCookie(captured[0], 0, captured[0].length));
        return captured[0];
    }

    @Test
    void cookiesOfThePreviousSecretAreAcceptedOlderOnesAreNot() {
        long[] now = {0};
        CookieGate gate = new CookieGate(DtlsHandshake.crypto(), () -> now[0]);
        byte[] hello = helloWithCookie(gate);
        assertEquals(1, gate.helloVerifyRequests());
        assertNotNull(gate.check(FROM, hello, 0, hello.length, NOWHERE), "valid now");

        now[0] += CookieGate.ROTATE_NS - 1;
        assertNotNull(gate.check(FROM, hello, 0, hello.length, NOWHERE), "still the same secret");
        assertEquals(0, gate.rotations());

        now[0] += 1;
        assertNotNull(gate.check(FROM, hello, 0, hello.length, NOWHERE), "the previous secret's cookie is still taken");
        assertEquals(1, gate.rotations());
        assertEquals(1, gate.verifiedPrevious());

        now[0] += CookieGate.ROTATE_NS;
        long hvr = gate.helloVerifyRequests();
        assertNull(gate.check(FROM, hello, 0, hello.length, NOWHERE), "two rotations later: refused");
        assertEquals(hvr + 1, gate.helloVerifyRequests(), "answered with a cookie of the current secret");
        assertEquals(2, gate.rotations());

        // and a cookie of the new secret works
        byte[] fresh = helloWithCookie(gate);
        assertNotNull(gate.check(FROM, fresh, 0, fresh.length, NOWHERE));
    }

    @Test
    void aWrongCookieIsAnsweredWithANewOneAfterARotationToo() {
        long[] now = {0};
        CookieGate gate = new CookieGate(DtlsHandshake.crypto(), () -> now[0]);
        byte[] hello = helloWithCookie(gate);
        now[0] += CookieGate.ROTATE_NS; // a previous secret exists: both are tried
        int cookieAt = 13 + 12 + 2 + 32 + 1 + (hello[13 + 12 + 2 + 32] & 0xff) + 1;
        byte[] forged = hello.clone();
        forged[cookieAt] ^= 1;
        long hvr = gate.helloVerifyRequests(), verified = gate.verified();
        assertNull(gate.check(FROM, forged, 0, forged.length, NOWHERE));
        assertEquals(hvr + 1, gate.helloVerifyRequests());
        assertEquals(verified, gate.verified());
        assertNull(gate.check(new InetSocketAddress(InetAddress.getLoopbackAddress(), 40001), hello, 0, hello.length, NOWHERE),
                "a cookie is bound to the client's address and port");
        assertFalse(CookieGate.hasCookie(new byte[] {22, 0, 0}, 0, 3), "too short to hold one");
    }
}
