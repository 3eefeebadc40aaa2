package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import re6st.tunnel.data.DataChannel;

/**
 * The listening side of the TCP transport on loopback (no root needed): connections beyond the
 * handshake limit are closed at once, a connection that does not complete its handshake in time
 * is closed, a bad frame length closes the connection, and the endpoint goes on accepting.
 */
class TcpEndpointTest {
    static final InetAddress LO = InetAddress.getLoopbackAddress();

    /** A "handshake" that completes when the client sends one frame (any bytes). */
    static final TcpEndpoint.Authenticator ONE_FRAME = (t, client) -> {
        byte[] b = new byte[64];
        if (t.receive(b, 0, b.length, 60_000) < 0)
            throw new SocketTimeoutException("no frame");
        return new TcpEndpoint.Authenticated(new TunnelSession(new DataChannel(TcpConnectionTest.key(1), TcpConnectionTest.key(2)),
                Liveness.defaults(System.nanoTime())), "peer");
    };

    private static final java.util.concurrent.atomic.AtomicInteger NEXT_SOURCE = new java.util.concurrent.atomic.AtomicInteger(2);

    /** A connection from a loopback address of its own (127.0.0.N): one client each, as far as the per-address cap goes. */
    static Socket connect(TcpEndpoint e) throws IOException {
        return connect(e, InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) NEXT_SOURCE.getAndIncrement()}));
    }

    static Socket connect(TcpEndpoint e, InetAddress from) throws IOException {
        Socket s = new Socket(LO, e.localAddress().getPort(), from, 0);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Reads until EOF; the time it took, ms. */
    static long millisToEof(Socket s) throws IOException {
        long t0 = System.nanoTime();
        InputStream in = s.getInputStream();
        while (in.read() >= 0) {
            // drain
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void boundedAndTimedHandshakes() throws Exception {
        try (TcpEndpoint e = TcpEndpoint.listen(new InetSocketAddress(LO, 0), ONE_FRAME, Duration.ofMillis(500), 2)
                .evictIdleAfter(Duration.ofDays(1)); Socket a = connect(e); Socket b = connect(e)) {
            // a and b are handshaking (silent; accepted first: the backlog is in order); a third is one too many
            try (Socket c = connect(e)) {
                millisToEof(c);
            }
            assertEquals(1, e.counters().refusedBusy.getCount(), "closed at once: two handshakes in progress");
            long ms = millisToEof(a);
            millisToEof(b);
            assertTrue(waitFor(() -> e.counters().handshakeTimeouts.getCount() == 2), "both silent connections timed out");
            assertTrue(waitFor(() -> e.handshaking() == 0), "their handshakes ended");
            System.out.printf("silent connection closed after %d ms (timeout 500 ms)%n", ms);

            // room again: a client that completes its handshake gets through
            try (Socket d = connect(e)) {
                d.getOutputStream().write(new byte[] {0, 1, 42});
                TcpConnection got = e.first(Duration.ofSeconds(10));
                assertEquals("peer", got.peer());
                assertEquals(d.getLocalPort(), got.remote().getPort());
            }
        }
    }

    /** Idle connections (slowloris) fill every handshake slot: a new client closes the one silent longest and gets in. */
    @Test
    void aNewClientEvictsTheConnectionSilentLongest() throws Exception {
        try (TcpEndpoint e = TcpEndpoint.listen(new InetSocketAddress(LO, 0), ONE_FRAME, Duration.ofSeconds(60), 2)
                .evictIdleAfter(Duration.ZERO); Socket a = connect(e)) {
            assertTrue(waitFor(() -> e.handshaking() == 1), "a is handshaking");
            try (Socket b = connect(e)) {
                assertTrue(waitFor(() -> e.handshaking() == 2), "b is handshaking: every slot taken by a silent connection");
                try (Socket c = connect(e)) {
                    c.getOutputStream().write(new byte[] {0, 1, 42});
                    TcpConnection got = e.first(Duration.ofSeconds(10));
                    assertEquals(c.getLocalPort(), got.remote().getPort(), "the real client got in");
                    millisToEof(a); // a, silent longest, was closed for it
                    assertEquals(1, e.counters().evicted.getCount());
                    assertEquals(0, e.counters().refusedBusy.getCount(), "nobody was turned away");
                    assertTrue(waitFor(() -> e.handshaking() == 1), "b, silent for less long, still has its slot");
                }
            }
        }
    }

    /** One address holds at most two handshake slots however many are free; other addresses still get in. */
    @Test
    void oneAddressHoldsAtMostTwoPendingConnections() throws Exception {
        InetAddress one = InetAddress.getByName("127.0.0.250");
        try (TcpEndpoint e = TcpEndpoint.listen(new InetSocketAddress(LO, 0), ONE_FRAME, Duration.ofSeconds(60), 8)
                .evictIdleAfter(Duration.ofDays(1)); Socket a = connect(e, one); Socket b = connect(e, one)) {
            assertTrue(waitFor(() -> e.handshaking() == 2), "two from one address are handshaking");
            try (Socket c = connect(e, one)) {
                millisToEof(c);
            }
            assertEquals(1, e.counters().refusedPerAddress.getCount(), "the third from that address closed at once");
            assertEquals(0, e.counters().refusedBusy.getCount(), "slots were free: not a refusal for lack of room");
            try (Socket d = connect(e)) {
                d.getOutputStream().write(new byte[] {0, 1, 42});
                assertEquals(d.getLocalPort(), e.first(Duration.ofSeconds(10)).remote().getPort(), "another address gets in");
            }
            assertTrue(waitFor(() -> e.handshaking() == 2), "the two from the capped address still hold their slots: " + e.handshaking());
            assertEquals(1, e.counters().refusedPerAddress.getCount(), "the capped address's connections were not refused again");
        }
    }

    /**
     * What the server's admission reserved for a client (a place among max clients) is given back
     * when its authenticated connection is dropped before a tunnel takes it: here, the endpoint
     * closes while it waits to be handed over.
     */
    @Test
    void aConnectionDroppedBeforeItsHandOverGivesBackItsAdmission() throws Exception {
        java.util.concurrent.atomic.AtomicInteger released = new java.util.concurrent.atomic.AtomicInteger();
        TcpEndpoint.Authenticator admitting = (t, client) -> {
            TcpEndpoint.Authenticated a = ONE_FRAME.authenticate(t, client);
            return new TcpEndpoint.Authenticated(a.session(), a.peer(), null, released::incrementAndGet);
        };
        TcpEndpoint e = TcpEndpoint.listen(new InetSocketAddress(LO, 0), admitting, Duration.ofSeconds(10), 2);
        try (Socket s = connect(e)) {
            s.getOutputStream().write(new byte[] {0, 1, 42});
            assertTrue(waitFor(() -> e.counters().connections.getCount() == 1 && e.handshaking() == 0),
                    "authenticated, and waiting to be handed over");
            assertEquals(0, released.get(), "its place is still reserved");
            e.close();
            assertEquals(1, released.get(), "given back at the close, once");
        } finally {
            e.close();
        }
    }

    @Test
    void badFrameLengthClosesTheConnection() throws Exception {
        try (TcpEndpoint e = TcpEndpoint.listen(new InetSocketAddress(LO, 0), ONE_FRAME, Duration.ofSeconds(10), 2);
                Socket s = connect(e)) {
            s.getOutputStream().write(new byte[] {0, 0});
            millisToEof(s);
            assertEquals(1, e.counters().framingErrors.getCount());
            assertTrue(waitFor(() -> e.counters().handshakeFailures.getCount() == 1), "the handshake failed");
            assertThrows(SocketTimeoutException.class, () -> e.first(Duration.ofMillis(50)), "nobody authenticated");
        }
    }

    /** Polls {@code c} (another thread makes it true) for at most 5 s. */
    static boolean waitFor(java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline)
                return false;
            Thread.sleep(1);
        }
        return true;
    }
}
