package re6st.node.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class StatusPageServerTest {
    /** One response as read off the socket: a raw client, since the JDK's clients will not send any Host header we like. */
    record Response(int code, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    static Response request(InetSocketAddress at, String method, String path, String host) throws IOException {
        try (Socket s = new Socket(at.getAddress(), at.getPort())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write((method + " " + path + " HTTP/1.1\r\n" + (host == null ? "" : "Host: " + host + "\r\n")
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int end = all.indexOf("\r\n\r\n");
            String[] lines = all.substring(0, end).split("\r\n");
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
            return new Response(Integer.parseInt(lines[0].split(" ")[1]), headers, all.substring(end + 4));
        }
    }

    private static StatusPageServer start(Callable<String> status) throws IOException {
        return StatusPageServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), status);
    }

    private static String host(StatusPageServer s) {
        return "127.0.0.1:" + s.address().getPort();
    }

    private static void assertGuarded(Response r) {
        String csp = r.header("Content-Security-Policy");
        assertTrue(csp != null && csp.contains("script-src 'self'") && csp.contains("default-src 'none'") && !csp.contains("unsafe"), csp);
        assertEquals("nosniff", r.header("X-Content-Type-Options"));
        assertEquals("no-store", r.header("Cache-Control"));
    }

    @Test
    void thePageItsScriptStyleAndIconComeFromTheJarWithTheSecurityHeaders() throws Exception {
        try (StatusPageServer s = start(() -> "{}")) {
            Response page = request(s.address(), "GET", "/", host(s));
            assertEquals(200, page.code());
            assertTrue(page.header("Content-Type").startsWith("text/html"), page.headers().toString());
            assertGuarded(page);
            assertTrue(page.body().contains("<script src=\"/status.js\""), page.body());
            assertEquals(1, page.body().split("<script").length - 1, "one script element, and it has a src: nothing inline");
            assertTrue(page.body().contains("href=\"/status.css\""), page.body());
            Response js = request(s.address(), "GET", "/status.js", host(s));
            assertEquals(200, js.code());
            assertTrue(js.header("Content-Type").startsWith("text/javascript"), js.headers().toString());
            assertGuarded(js);
            assertTrue(js.body().contains("/status.json") && js.body().contains("textContent"), "the script polls the JSON");
            for (String unsafe : new String[] {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("})
                assertFalse(js.body().contains(unsafe), "peer CNs are attacker-influenced: the script never parses data as markup (" + unsafe + ")");
            assertTrue(request(s.address(), "GET", "/status.css", host(s)).header("Content-Type").startsWith("text/css"));
            Response icon = request(s.address(), "GET", "/favicon.ico", host(s));
            assertEquals(200, icon.code());
            assertTrue(icon.body().startsWith("<svg"), icon.body());
        }
    }

    @Test
    void theJsonIsMadeAfreshForEachRequest() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (StatusPageServer s = start(() -> "{\"node\":\"1/16\",\"n\":" + calls.incrementAndGet() + "}")) {
            Response first = request(s.address(), "GET", "/status.json?t=1", host(s));
            Response second = request(s.address(), "GET", "/status.json", host(s));
            assertEquals(200, first.code());
            assertEquals("application/json", first.header("Content-Type"));
            assertGuarded(first);
            assertEquals("{\"node\":\"1/16\",\"n\":1}", first.body());
            assertEquals("{\"node\":\"1/16\",\"n\":2}", second.body());
            Response head = request(s.address(), "HEAD", "/status.json", host(s));
            assertEquals(200, head.code());
            assertEquals("", head.body());
            assertEquals(Map.of("200", 3L), s.responses());
        }
    }

    @Test
    void unknownPathsOtherMethodsAndNoStatusYetAreRefusedAndCounted() throws Exception {
        String[] status = {null};
        try (StatusPageServer s = start(() -> {
            if ("throw".equals(status[0]))
                throw new IllegalStateException("the run is closing");
            return status[0];
        })) {
            Response missing = request(s.address(), "GET", "/etc/passwd", host(s));
            assertEquals(404, missing.code());
            assertGuarded(missing);
            assertEquals(404, request(s.address(), "GET", "/status.js/", host(s)).code());
            Response post = request(s.address(), "POST", "/status.json", host(s));
            assertEquals(405, post.code());
            assertEquals("GET, HEAD", post.header("Allow"));
            assertEquals(405, request(s.address(), "DELETE", "/", host(s)).code());
            Response starting = request(s.address(), "GET", "/status.json", host(s));
            assertEquals(503, starting.code(), "no run yet");
            assertEquals("1", starting.header("Retry-After"));
            status[0] = "throw";
            assertEquals(503, request(s.address(), "GET", "/status.json", host(s)).code(), "a run closing under the request");
            status[0] = "{}";
            assertEquals(200, request(s.address(), "GET", "/status.json", host(s)).code());
            assertEquals(Map.of("200", 1L, "404", 2L, "405", 2L, "503", 2L), s.responses());
        }
    }

    @Test
    void aHostHeaderThatIsNoAddressIsRefusedBeforeAnythingIsRead() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (StatusPageServer s = start(() -> "{\"n\":" + calls.incrementAndGet() + "}")) {
            int port = s.address().getPort();
            for (String evil : new String[] {"evil.example", "evil.example:" + port, "127.0.0.1.nip.io:" + port, "0x7f.1:" + port}) {
                Response r = request(s.address(), "GET", "/status.json", evil);
                assertEquals(421, r.code(), evil);
                assertGuarded(r);
            }
            assertEquals(421, request(s.address(), "GET", "/", "rebound.example").code());
            assertEquals(0, calls.get(), "a rebound name never got the status");
            for (String ok : new String[] {"127.0.0.1:" + port, "localhost:" + port, "LocalHost", "[::1]:" + port, "198.18.81.2"})
                assertEquals(200, request(s.address(), "GET", "/status.json", ok).code(), ok);
            assertEquals(200, request(s.address(), "GET", "/status.json", null).code(), "HTTP/1.0 style, no Host: no browser, no rebinding");
        }
    }

    /**
     * Clients that open a connection and send a byte (slowloris) hold a worker thread each while the JDK's
     * server reads their headers: with 2 threads, two such clients used to stop the page for good.
     * Now their connections are cut after the request time bound (with any request that waited behind
     * them: the page's next poll gets through).
     */
    @Test
    void twoClientsThatNeverFinishTheirRequestDoNotStopThePage() throws Exception {
        try (StatusPageServer s = start(() -> "{\"node\":\"1/16\"}"); Socket slow1 = new Socket(); Socket slow2 = new Socket()) {
            for (Socket slow : new Socket[] {slow1, slow2}) {
                slow.connect(s.address());
                slow.getOutputStream().write('G');
                slow.getOutputStream().flush();
            }
            long t0 = System.nanoTime();
            slow1.setSoTimeout(60_000);
            slow2.setSoTimeout(60_000);
            assertEquals(-1, slow1.getInputStream().read(), "the stalled client's connection is closed");
            assertEquals(-1, slow2.getInputStream().read(), "the other's too");
            System.out.printf("two stalled clients cut after %.1f s (bound: %s s)%n", (System.nanoTime() - t0) / 1e9,
                    re6st.metrics.MetricsServer.REQUEST_SECONDS);
            Response r = request(s.address(), "GET", "/status.json", host(s));
            assertEquals(200, r.code(), "the page serves again");
            assertEquals("{\"node\":\"1/16\"}", r.body());
        }
    }

    @Test
    void onlyAddressLiteralsPassAsHost() {
        for (String ok : new String[] {"127.0.0.1", "127.0.0.1:8080", "[::1]", "[2001:db8::1]:80", "localhost", "localhost:1", "[::ffff:1.2.3.4]"})
            assertTrue(StatusPageServer.hostAllowed(ok), ok);
        for (String bad : new String[] {"", "a.b", "1.2.3.256", "1.2.3", "1.2.3.4.5", "[::1", "[::1]x", "[::1]:", "[evil]:80",
            "localhost.evil", "127.0.0.1:80:80", "127.0.0.1:port", "[2001:db8::g]"})
            assertFalse(StatusPageServer.hostAllowed(bad), bad);
    }
}
