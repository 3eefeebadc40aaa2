package re6st.registry.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.codahale.metrics.MetricRegistry;

import re6st.registry.http.RpcServer.Kind;
import re6st.registry.http.RpcServer.Param;

/** The HTTP rules of the registry protocol, against a real server on loopback with raw requests. */
class RpcServerTest {
    static RpcServer server;
    static int port;
    static final MetricRegistry metrics = new MetricRegistry();

    @BeforeAll
    static void start() throws IOException {
        RpcServer.Authenticator auth = new RpcServer.Authenticator() {
            @Override
            public byte[] authenticate(String cn, String pathWithQuery, String hmac) throws RpcException {
                if (hmac == null)
                    throw new RpcException(401, "no session for " + cn);
                if (!hmac.equals("good:" + pathWithQuery))
                    throw RpcException.badRequest("bad HMAC");
                return cn.getBytes(StandardCharsets.US_ASCII);
            }

            @Override
            public String sign(byte[] key, byte[] body) {
                return new String(key, StandardCharsets.US_ASCII) + ":" + body.length;
            }
        };
        server = new RpcServer(auth, Set.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("::1")), metrics, 2)
                .declare("getCa", Kind.PUBLIC, r -> "PEM\n".getBytes())
                .declare("requestToken", Kind.PUBLIC, r -> null, Param.required("email"))
                .declare("echo", Kind.PUBLIC, r -> (r.param("a") + "|" + r.param("b")).getBytes(StandardCharsets.UTF_8),
                        Param.required("a"), Param.optional("b", "dflt"))
                .declare("conflict", Kind.PUBLIC, r -> {
                    throw new RpcException(409, "token exists");
                })
                .declare("crash", Kind.PUBLIC, r -> {
                    throw new IllegalStateException("secret detail");
                })
                .declare("getNetworkConfig", Kind.AUTHENTICATED, r -> "config".getBytes(), Param.required("cn"))
                .declare("revoke", Kind.PRIVATE, r -> null, Param.required("cn_or_serial"));
        List<InetSocketAddress> bound = server.start(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        port = bound.get(0).getPort();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Response(int status, Map<String, String> headers, String body) {}

    static Response get(String target, String... headers) throws IOException {
        return raw("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + String.join("", headers) + "Connection: close\r\n\r\n");
    }

    static Response raw(String request) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            String all = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            int end = all.indexOf("\r\n\r\n");
            String[] lines = all.substring(0, end).split("\r\n");
            Map<String, String> h = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (int i = 1; i < lines.length; i++) {
                int c = lines[i].indexOf(':');
                h.put(lines[i].substring(0, c).trim(), lines[i].substring(c + 1).trim());
            }
            return new Response(Integer.parseInt(lines[0].split(" ")[1]), h,
                    new String(all.substring(end + 4).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
        }
    }

    @Test
    void resultsAndEmptyResults() throws IOException {
        Response r = get("/getCa");
        assertEquals(200, r.status());
        assertEquals("PEM\n", r.body());
        assertEquals("4", r.headers().get("Content-Length"));
        assertFalse(r.headers().containsKey("Content-Type"), "no Content-Type, as the original");
        assertEquals(204, get("/requestToken?email=a%40b.c").status());
        assertEquals("x y|", get("/echo?a=x+y&b=").body(), "blank values kept, + is a space");
        assertEquals("\u00e9|dflt", get("/echo?a=%C3%A9").body(), "defaults filled in, UTF-8 escapes");
    }

    @Test
    void badRequestsAre400WithAMessage() throws IOException {
        for (String target : new String[] {"/nope", "/echo", "/echo?a=1&c=2", "/echo?a", "/echo?a=%zz", "/echo?a=%C3",
            "/echo?a=1&a=2", "/get/Ca", "/"}) {
            Response r = get(target);
            assertEquals(400, r.status(), target + " -> " + r.body());
            assertFalse(r.body().isBlank(), "a message for " + target);
        }
        assertEquals(400, raw("POST /getCa HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab").status());
        Response big = get("/echo?a=" + "x".repeat(5000));
        assertTrue(big.status() >= 400 && big.status() < 500, "oversized request line: " + big.status());
    }

    @Test
    void deliberateErrorsKeepTheirStatusOthersAre500WithoutDetail() throws IOException {
        Response c = get("/conflict");
        assertEquals(409, c.status());
        assertTrue(c.body().contains("token exists"));
        Response x = get("/crash");
        assertEquals(500, x.status());
        assertFalse(x.body().contains("secret"), "no internal detail leaks: " + x.body());
        assertTrue(metrics.counter("registry.rpc.errors.500").getCount() >= 1);
    }

    @Test
    void authenticatedCallsAreCheckedAndSigned() throws IOException {
        assertEquals(401, get("/getNetworkConfig?cn=0101").status(), "no session");
        assertEquals(400, get("/getNetworkConfig?cn=0101", "Re6stHMAC: forged\r\n").status(), "bad HMAC");
        Response ok = get("/getNetworkConfig?cn=0101", "Re6stHMAC: good:/getNetworkConfig?cn=0101\r\n");
        assertEquals(200, ok.status());
        assertEquals("0101:6", ok.headers().get("Re6stHMAC"), "the body's HMAC with the key the authenticator gave");
    }

    @Test
    void adminCallsOnlyFromAuthorisedOrigins() throws IOException {
        assertEquals(204, get("/revoke?cn_or_serial=3").status(), "loopback is authorised");
        assertEquals(403, get("/revoke?cn_or_serial=3", "X-Forwarded-For: 198.51.100.7\r\n").status(), "a proxied stranger");
        assertEquals(204, get("/revoke?cn_or_serial=3", "X-Forwarded-For: 127.0.0.1\r\n").status(), "proxied from loopback");
        assertEquals(403, get("/revoke?cn_or_serial=3", "X-Forwarded-For: 127.0.0.1, evil.example\r\n").status(), "names are not addresses");
        // a client forges a loopback line, its proxy (on loopback) appends the real client on a line of its own
        assertEquals(403, get("/revoke?cn_or_serial=3", "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-For: 198.51.100.7\r\n").status(),
                "every X-Forwarded-For line is checked");
        assertEquals(403, get("/revoke?cn_or_serial=3", "X-Forwarded-For: 198.51.100.7\r\nX-Forwarded-For: 127.0.0.1\r\n").status(),
                "whichever line comes first");
    }

    @Test
    void queryStringRules() throws RpcException {
        assertEquals(Map.of("a", "", "b", "c d"), QueryString.parse("a=&b=c+d"));
        assertEquals(Map.of("a", "1"), QueryString.parse("a=1&&"));
        assertThrows(RpcException.class, () -> QueryString.parse("a=1&b"));
        assertThrows(RpcException.class, () -> QueryString.parse("a=%4"));
        assertEquals(400, assertThrows(RpcException.class, () -> QueryString.parse("a=%ff")).status());
    }

    @Test
    void mappedAddressesAreTheirIpv4() throws Exception {
        assertEquals(InetAddress.getByName("127.0.0.1"),
                re6st.registry.limit.SourceAddress.normalize(InetAddress.getByName("::ffff:127.0.0.1")));
    }
}
