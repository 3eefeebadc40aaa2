package re6st.registry.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import com.codahale.metrics.MetricRegistry;

import re6st.registry.http.RpcServer.Kind;

/** The registry's HTTP server cannot be held by slow connections (slowloris) or by many (the connection cap). */
class ConnectionLimitsTest {
    static final InetAddress LO = InetAddress.getLoopbackAddress();

    /** An RPC server on loopback (one method: getCa) and its metrics, closed at the end of a test. */
    static final class Serving implements AutoCloseable {
        final MetricRegistry metrics = new MetricRegistry();
        final RpcServer server;
        final int port;

        /** @param origins the admin origins (not counted by the per-source cap) */
        Serving(ConnectionLimits.Settings limits, Set<InetAddress> origins) throws IOException {
            server = server(metrics, limits, origins);
            port = server.start(List.of(new InetSocketAddress(LO, 0))).get(0).getPort();
        }

        Serving(ConnectionLimits.Settings limits) throws IOException {
            this(limits, Set.of(LO));
        }

        int open() {
            return ((Number) metrics.getGauges().get("registry.connections.open").getValue()).intValue();
        }

        long count(String counter) {
            return metrics.counter(counter).getCount();
        }

        @Override
        public void close() {
            server.close();
        }
    }

    static RpcServer server(MetricRegistry metrics, ConnectionLimits.Settings limits, Set<InetAddress> origins) {
        RpcServer.Authenticator none = new RpcServer.Authenticator() {
            @Override
            public byte[] authenticate(String cn, String pathWithQuery, String hmac) throws RpcException {
                throw new RpcException(401, "no sessions here");
            }

            @Override
            public String sign(byte[] key, byte[] body) {
                return "";
            }
        };
        return new RpcServer(none, origins, metrics, 2, limits).declare("getCa", Kind.PUBLIC, r -> "PEM\n".getBytes());
    }

    static String readAll(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void aRequestTricklingInSlowerThanTheTimeoutIsCutOff() throws Exception {
        try (Serving server = new Serving(new ConnectionLimits.Settings(Duration.ofMillis(500))); Socket s = new Socket(LO, server.port)) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            byte[] request = "GET /getCa HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII);
            int sent = 0;
            try {
                for (; sent < request.length; sent++) { // a byte every 50 ms: each read resets a plain read timeout, not this one
                    out.write(request[sent]);
                    out.flush();
                    Thread.sleep(50); // the client's pace, not a synchronisation
                    if (server.count("registry.connections.timed_out") > 0)
                        break;
                }
            } catch (IOException closed) {
                // the server closed it under us: expected
            }
            assertTrue(sent < request.length, "cut off before the request was complete (" + sent + " of " + request.length + " bytes)");
            assertEquals("", readAllOrEmpty(s), "no answer: the connection was closed");
            assertEquals(1, server.count("registry.connections.timed_out"));
        }
    }

    @Test
    void overTheConnectionCapAClientGetsA503WithTheReason() throws Exception {
        try (Serving server = new Serving(new ConnectionLimits.Settings(Duration.ofMinutes(10), 2, 2));
                Socket a = new Socket(LO, server.port); Socket b = new Socket(LO, server.port)) { // two idle connections fill the cap
            re6st.registry.Poll.until("both connections are open on the server", Duration.ofSeconds(60),
                    () -> server.open() == 2);
            try (Socket c = new Socket(LO, server.port)) {
                String answer = getCa(c);
                assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
                assertTrue(answer.contains("maximum of 2 connections (--max-connections)"), answer);
            }
            assertEquals(1, server.count("registry.connections.refused"));
            assertEquals(2, server.open(), "the refused connection was never counted open");
            a.close();
            re6st.registry.Poll.until("the server saw one close", Duration.ofSeconds(60), () -> server.open() == 1);
            try (Socket d = new Socket(LO, server.port)) { // room again
                String answer = getCa(d);
                assertTrue(answer.startsWith("HTTP/1.1 200") && answer.endsWith("PEM\n"), answer);
            }
            assertEquals(1, server.count("registry.connections.refused"));
        }
    }

    /** Keep-alive requests, one after the other on one connection: it closes after its last allowed answer. */
    @Test
    void aConnectionCarriesAtMostMaxRequestsThenCloses() throws Exception {
        int max = ConnectionLimits.Settings.MAX_REQUESTS_PER_CONNECTION;
        try (Serving server = new Serving(ConnectionLimits.Settings.defaults()); Socket s = new Socket(LO, server.port)) {
            s.setSoTimeout(60_000);
            java.io.BufferedInputStream in = new java.io.BufferedInputStream(s.getInputStream());
            for (int i = 0; i < max; i++) {
                s.getOutputStream().write("GET /getCa HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                String head = readHead(in);
                assertTrue(head.startsWith("HTTP/1.1 200"), "answer " + (i + 1) + ": " + head);
                int len = Integer.parseInt(head.replaceAll("(?s).*content-length: *(\\d+).*", "$1"));
                assertEquals(len, in.readNBytes(len).length);
            }
            assertEquals(-1, in.read(), "closed after the " + max + "th answer");
            assertEquals(0, server.count("registry.connections.timed_out"), "closed by the cap, not by the idle deadline");
        }
    }

    /** The status line and headers of one response (lower case), up to the blank line. */
    static String readHead(java.io.InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) != -1; ) {
            b.append((char) c);
            if (b.length() >= 4 && b.substring(b.length() - 4).equals("\r\n\r\n"))
                return b.toString().toLowerCase(java.util.Locale.ROOT).replace("http/1.1", "HTTP/1.1");
        }
        throw new IOException("the connection closed in a response's head: " + b);
    }

    /**
     * One GET /getCa on {@code s}, then what the server sends until it closes (Connection: close, so
     * that a 200 where a refusal was expected ends the read at once too; a 503 closes in any case).
     */
    static String getCa(Socket s) throws IOException {
        s.setSoTimeout(60_000);
        s.getOutputStream().write("GET /getCa HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return readAll(s);
    }

    @Test
    void oneSourceNetworkCannotTakeEveryPlace() throws Exception {
        InetAddress other = InetAddress.getByName("127.0.0.2"); // all of 127/8 is loopback on Linux: another IPv4 source
        // loopback is no admin origin here, so that its connections are counted per source
        try (Serving server = new Serving(new ConnectionLimits.Settings(Duration.ofMinutes(10), 10, 1), Set.of());
                Socket a = new Socket(LO, server.port)) {
            re6st.registry.Poll.until("the first connection is open", Duration.ofSeconds(60), () -> server.open() == 1);
            try (Socket b = new Socket(LO, server.port)) {
                String answer = getCa(b);
                assertTrue(answer.startsWith("HTTP/1.1 503") && answer.contains("127.0.0.1 already has 1 connections open "
                        + "(--max-connections-per-source)"), answer);
            }
            assertEquals(1, server.count("registry.connections.refused.source"));
            assertEquals(1, server.count("registry.connections.refused"));
            try (Socket c = new Socket(LO, server.port, other, 0)) {
                String answer = getCa(c);
                assertTrue(answer.startsWith("HTTP/1.1 200"), "another source is served: " + answer);
            }
            a.close();
            re6st.registry.Poll.until("the server saw the close", Duration.ofSeconds(60), () -> server.open() == 0);
            try (Socket d = new Socket(LO, server.port)) {
                assertTrue(getCa(d).startsWith("HTTP/1.1 200"), "127.0.0.1's place is free again");
            }
            assertEquals(1, server.count("registry.connections.refused.source"));
        }
    }

    @Test
    void theAdminOriginsAreNotCappedPerSource() throws Exception {
        try (Serving server = new Serving(new ConnectionLimits.Settings(Duration.ofMinutes(10), 10, 1)); // loopback: an admin origin
                Socket a = new Socket(LO, server.port); Socket b = new Socket(LO, server.port)) {
            re6st.registry.Poll.until("both connections are open", Duration.ofSeconds(60), () -> server.open() == 2);
            assertTrue(getCa(b).startsWith("HTTP/1.1 200"), "a reverse proxy on loopback brings everyone's connections");
            assertEquals(0, server.count("registry.connections.refused"));
        }
    }

    static String readAllOrEmpty(Socket s) {
        try {
            return readAll(s);
        } catch (IOException e) {
            return "";
        }
    }
}
