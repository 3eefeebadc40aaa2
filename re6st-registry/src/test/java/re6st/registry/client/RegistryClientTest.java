package re6st.registry.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.codahale.metrics.MetricRegistry;

import re6st.registry.http.RpcException;
import re6st.registry.http.RpcServer;
import re6st.registry.http.RpcServer.Kind;
import re6st.registry.http.RpcServer.Param;

/** The client against our RpcServer: parameters and encoding, statuses, re-hello on 401 once. */
class RegistryClientTest {
    static RpcServer server;
    static RegistryClient client;
    static final AtomicInteger sessionsKnown = new AtomicInteger(); // the server's "session table": a generation number

    @BeforeAll
    static void start() throws IOException {
        RpcServer.Authenticator auth = new RpcServer.Authenticator() {
            @Override
            public byte[] authenticate(String cn, String pathWithQuery, String hmac) throws RpcException {
                if (hmac == null || !hmac.equals("gen" + sessionsKnown.get() + pathWithQuery))
                    throw new RpcException(401, "unknown session");
                return new byte[0];
            }

            @Override
            public String sign(byte[] key, byte[] body) {
                return "ok";
            }
        };
        server = new RpcServer(auth, Set.of(InetAddress.getLoopbackAddress()), new MetricRegistry(), 2)
                .declare("getCa", Kind.PUBLIC, r -> "CA PEM".getBytes())
                .declare("requestToken", Kind.PUBLIC, r -> {
                    if (!r.param("email").contains("@"))
                        throw RpcException.badRequest("bad email");
                    return null;
                }, Param.required("email"))
                .declare("requestCertificate", Kind.PUBLIC,
                        r -> r.param("token").isEmpty() ? null : (r.param("token") + "|" + r.param("req")).getBytes(StandardCharsets.UTF_8),
                        Param.required("token"), Param.required("req"), Param.optional("location", ""), Param.optional("ip", ""))
                .declare("getNetworkConfig", Kind.AUTHENTICATED, r -> "cfg".getBytes(), Param.required("cn"));
        List<InetSocketAddress> at = server.start(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        client = new RegistryClient(URI.create("http://127.0.0.1:" + at.get(0).getPort() + "/"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void publicCalls() throws IOException {
        assertArrayEquals("CA PEM".getBytes(), client.getCa());
        client.requestToken("a@b.c");
        RegistryClient.RegistryException e = assertThrows(RegistryClient.RegistryException.class, () -> client.requestToken("nobody"));
        assertEquals(400, e.status());
        String csr = "-----BEGIN CERTIFICATE REQUEST-----\nAB+/=&?\n-----END CERTIFICATE REQUEST-----\n";
        assertEquals("tok|" + csr, new String(client.requestCertificate("tok", csr, "", ""), StandardCharsets.UTF_8),
                "a PEM with +, /, =, & and newlines survives the query string");
        assertEquals(0, client.requestCertificate("", csr, "", "").length, "204: unknown token");
    }

    @Test
    void a401MakesTheSessionHelloAgainOnce() throws IOException {
        AtomicInteger hellos = new AtomicInteger();
        RegistryClient.Session s = new RegistryClient.Session() {
            int gen = -1;

            @Override
            public String cn() {
                return "0101";
            }

            @Override
            public String sign(RegistryClient c, String pathWithQuery) {
                if (gen < 0) {
                    hellos.incrementAndGet();
                    gen = sessionsKnown.get();
                }
                return "gen" + gen + pathWithQuery;
            }

            @Override
            public boolean verify(String hmacHeader, byte[] body) {
                return "ok".equals(hmacHeader);
            }

            @Override
            public void reset() {
                gen = -1;
            }
        };
        assertArrayEquals("cfg".getBytes(), client.call("getNetworkConfig", RegistryClient.params("cn", "0101"), s));
        sessionsKnown.incrementAndGet(); // "the registry restarted": the old key is unknown
        assertArrayEquals("cfg".getBytes(), client.call("getNetworkConfig", RegistryClient.params("cn", "0101"), s));
        assertEquals(2, hellos.get(), "one hello at first, one after the 401");
    }
}
