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

    static RpcServer server(MetricRegistry metrics, ConnectionLimits.Settings limits) {
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
        return new RpcServer(none, Set.of(LO), metrics, 2, limits).declare("getCa", Kind.PUBLIC, r -> "PEM\n".getBytes());
    }

    static String readAll(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void aRequestTricklingInSlowerThanTheTimeoutIsCutOff() throws Exception {
        MetricRegistry metrics = new MetricRegistry();
        RpcServer server = server(metrics, new ConnectionLimits.Settings(Duration.ofMillis(500)));
        int port = server.start(List.of(new InetSocketAddress(LO, 0))).get(0).getPort();
        try (Socket s = new Socket(LO, port)) {
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
                    if (metrics.counter("registry.connections.timed_out").getCount() > 0)
                        break;
                }
            } catch (IOException closed) {
                // the server closed it under us: expected
            }
            assertTrue(sent < request.length, "cut off before the request was complete (" + sent + " of " + request.length + " bytes)");
            assertEquals("", readAllOrEmpty(s), "no answer: the connection was closed");
            assertEquals(1, metrics.counter("registry.connections.timed_out").getCount());
        } finally {
            server.close();
        }
    }

    @Test
    void overTheConnectionCapAClientGetsA503WithTheReason() throws Exception {
        MetricRegistry metrics = new MetricRegistry();
        RpcServer server = server(metrics, new ConnectionLimits.Settings(Duration.ofMinutes(10), 2));
        int port = server.start(List.of(new InetSocketAddress(LO, 0))).get(0).getPort();
        com.codahale.metrics.Gauge<?> open = metrics.getGauges().get("registry.connections.open");
        try (Socket a = new Socket(LO, port); Socket b = new Socket(LO, port)) { // two idle connections fill the cap
            re6st.registry.Poll.until("both connections are open on the server", Duration.ofSeconds(60),
                    () -> ((Number) open.getValue()).intValue() == 2);
            try (Socket c = new Socket(LO, port)) {
                c.setSoTimeout(60_000);
                // Connection: close so that a wrong 200 ends the read at once too; the 503 closes in any case
                c.getOutputStream().write("GET /getCa HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                String answer = readAll(c);
                assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
                assertTrue(answer.contains("maximum of 2 connections (--max-connections)"), answer);
            }
            assertEquals(1, metrics.counter("registry.connections.refused").getCount());
            assertEquals(2, ((Number) open.getValue()).intValue(), "the refused connection was never counted open");
            a.close();
            re6st.registry.Poll.until("the server saw one close", Duration.ofSeconds(60), () -> ((Number) open.getValue()).intValue() == 1);
            try (Socket d = new Socket(LO, port)) { // room again
                d.setSoTimeout(60_000);
                d.getOutputStream().write("GET /getCa HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                String answer = readAll(d);
                assertTrue(answer.startsWith("HTTP/1.1 200") && answer.endsWith("PEM\n"), answer);
            }
            assertEquals(1, metrics.counter("registry.connections.refused").getCount());
        } finally {
            server.close();
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
