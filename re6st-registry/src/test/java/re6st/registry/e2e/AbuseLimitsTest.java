package re6st.registry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;

import com.codahale.metrics.MetricRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import re6st.net.NodePrefix;
import re6st.registry.Registry;
import re6st.registry.TestClock;
import re6st.registry.alloc.Communities;
import re6st.registry.ca.TestCa;
import re6st.registry.cli.RegistryOptions;
import re6st.registry.http.RpcServer;
import re6st.registry.mail.TokenMailer;
import re6st.registry.protocol.HelloResponse;
import re6st.registry.protocol.HmacChain;
import re6st.registry.store.RegistryDb;

/**
 * The abuse limits (issue 12 items 8 and 10) on a registry served over loopback, the clients
 * told apart by X-Forwarded-For (loopback is a trusted proxy): over each limit, a 429 with a
 * message naming the option, nothing changed in the database or the sessions, the counter
 * incremented; a node's hello survives strangers' hellos for its prefix; a source that gave too
 * many wrong tokens is refused even the right one; a token older than its lifetime is unknown
 * and the expiry deletes it. The registry's clock stands still, so no allowance refills midway.
 */
class AbuseLimitsTest {
    record Answer(int status, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** For assertion messages: the status and the text, or the size of a binary body (a hello's answer). */
        @Override
        public String toString() {
            String t = text();
            return status + " " + (t.chars().allMatch(c -> c == '\n' || (c >= ' ' && c < 0x7f)) ? t.strip() : body.length + " bytes");
        }
    }

    static final class Fixture implements AutoCloseable {
        final TestClock clock = new TestClock();
        final MetricRegistry metrics = new MetricRegistry();
        final RegistryOptions o = new RegistryOptions();
        final Path mbox;
        final RegistryDb db;
        final Registry registry;
        final RpcServer server;
        final String base;
        final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        KeyPair nodeKey;
        String node; // the enrolled node's binary prefix

        Fixture(Path dir, String... options) throws Exception {
            mbox = dir.resolve("mbox");
            List<String> args = new ArrayList<>(List.of("--db", dir.resolve("registry.db").toString(), "--anonymous-prefix-length", "16"));
            args.addAll(List.of(options));
            new CommandLine(o).parseArgs(args.toArray(String[]::new));
            db = RegistryDb.open(o.db);
            registry = new Registry(o, TestCa.ca(), db, TokenMailer.of(mbox.toString(), null, null, false, "ca@example.org"),
                    Communities.none(), clock);
            registry.registerMetrics(metrics);
            server = new RpcServer(registry.authenticator(), Set.copyOf(o.origins()), metrics, 4);
            registry.declare(server);
            int port = server.start(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))).get(0).getPort();
            base = "http://127.0.0.1:" + port;
        }

        /** A node enrolled from the registry's host (not limited). */
        Fixture withNode() throws Exception {
            nodeKey = TestCa.nodeKey(0);
            Answer a = get(null, "/requestCertificate?token=&req=" + BadInputTest.enc(BadInputTest.csr(nodeKey, null)));
            assertEquals(200, a.status(), a.text());
            node = NodePrefix.parseCn(ConcurrencyCrashTest.cn(ConcurrencyCrashTest.certificate(a.text()))).bits();
            return this;
        }

        /** GET as a client at {@code from} behind the loopback proxy (null: the registry's host itself). */
        Answer get(String from, String pathWithQuery, String... headers) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + pathWithQuery)).timeout(Duration.ofSeconds(60));
            if (from != null)
                b.header("X-Forwarded-For", from);
            for (int i = 0; i < headers.length; i += 2)
                b.header(headers[i], headers[i + 1]);
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Answer(r.statusCode(), r.body());
        }

        /** hello for the node from {@code from}: the secret K, opened with the node's key (the test plays every party). */
        byte[] hello(String from) throws Exception {
            Answer a = get(from, "/hello?client_prefix=" + node + "&protocol=10");
            assertEquals(200, a.status(), "hello from " + from + ": " + a);
            return HelloResponse.open(a.body(), TestCa.ca().publicKey(), nodeKey.getPrivate());
        }

        /** An authenticated call made with {@code key}: its status (200 if the registry holds the key). */
        int callWith(byte[] key, String from) throws Exception {
            String path = "/getNetworkConfig?cn=" + node;
            return get(from, path, HmacChain.HEADER, HmacChain.requestHeader(key, path)).status();
        }

        /** A token from the admin call addToken (on the registry's host). */
        String registryToken(String email) throws Exception {
            Answer a = get(null, "/addToken?email=" + BadInputTest.enc(email) + "&token=");
            assertEquals(200, a.status(), a.text());
            return a.text();
        }

        long counter(String name) {
            return metrics.counter(name).getCount();
        }

        static void assertLimited(Answer a, String option) {
            assertEquals(429, a.status(), a.toString());
            assertTrue(a.text().contains(option) && a.text().contains("retry in"), a.toString());
        }

        @Override
        public void close() {
            server.close();
            db.close();
        }
    }

    @Test
    void helloPerSource(@TempDir Path dir) throws Exception {
        try (Fixture f = new Fixture(dir, "--hello-rate-per-source", "3/3600").withNode()) {
            byte[] k = null;
            for (int i = 0; i < 3; i++)
                k = f.hello("198.51.100.7");
            Map<String, Object> before = BadInputTest.dump(f.db);
            Answer a = f.get("198.51.100.7", "/hello?client_prefix=" + f.node + "&protocol=10");
            Fixture.assertLimited(a, "--hello-rate-per-source 3/3600");
            assertEquals(1, f.counter("registry.limited.hello.source"));
            assertEquals(0, f.counter("registry.limited.hello.evictions"));
            assertEquals(before, BadInputTest.dump(f.db));
            f.hello("2001:db8:9:1::7"); // another source is not limited
            assertEquals(200, f.callWith(k, "198.51.100.7"), "the refused hello replaced nothing: the third one's secret still works");
        }
    }

    @Test
    void theNodesHelloSurvivesStrangersHellosForItsPrefix(@TempDir Path dir) throws Exception {
        try (Fixture f = new Fixture(dir).withNode()) {
            byte[] mine = f.hello("203.0.113.10");
            for (int i = 0; i < 20; i++) // three strangers; the original kept one pending hello: the first of these locked the node out
                f.hello("198.51.100." + (1 + i % 3));
            assertEquals(200, f.callWith(mine, "203.0.113.10"), "the node's call with its own hello's key");
            for (int i = 0; i < 5; i++) // again, the strangers before and after the node's hello
                f.hello("198.51.100." + (1 + i % 3));
            byte[] again = f.hello("203.0.113.10");
            for (int i = 0; i < 5; i++)
                f.hello("198.51.100." + (1 + i % 3));
            assertEquals(200, f.callWith(again, "203.0.113.10"));
            assertEquals(0, f.counter("registry.limited.hello.evictions"));
        }
    }

    @Test
    void evictionsAreChargedToTheAddressThatSaysHello(@TempDir Path dir) throws Exception {
        int n = re6st.registry.auth.Sessions.PENDING_PER_PREFIX;
        String x = "198.51.101.1";
        try (Fixture f = new Fixture(dir, "--hello-evictions-per-source", "2/3600").withNode()) {
            for (int i = 0; i < n; i++) // they fill the pending hellos: nobody pushed out
                f.hello("198.51.100." + i);
            f.hello(x); // pushes out the oldest: x's first eviction
            f.hello(x); // renews its own pending hello: pushes nobody out, uses nothing
            byte[] last = null;
            for (int i = 0; i < n; i++) // n newcomers, one eviction each from their own allowance: x's is pushed out too
                last = f.hello("198.51.102." + i);
            f.hello(x); // x's second eviction
            for (int i = 0; i < n; i++)
                last = f.hello("198.51.103." + i);
            assertEquals(0, f.counter("registry.limited.hello.evictions"), "every newcomer used only its own allowance");
            Map<String, Object> before = BadInputTest.dump(f.db);
            Answer a = f.get(x, "/hello?client_prefix=" + f.node + "&protocol=10");
            Fixture.assertLimited(a, "--hello-evictions-per-source 2/3600");
            assertEquals(1, f.counter("registry.limited.hello.evictions"));
            assertEquals(before, BadInputTest.dump(f.db));
            assertEquals(200, f.callWith(last, "198.51.103." + (n - 1)), "the refused hello pushed nothing out");
        }
    }

    /** A cold review's attack on a per-prefix gate: strangers use up the prefix's allowance, then the node can never say hello. */
    @Test
    void strangersCannotUseUpTheNodesRightToSayHello(@TempDir Path dir) throws Exception {
        int n = re6st.registry.auth.Sessions.PENDING_PER_PREFIX;
        try (Fixture f = new Fixture(dir).withNode()) {
            for (int round = 0; round < 8; round++) // more strangers than slots, each pushing others out, until refused
                for (int i = 0; i < n + 8; i++)
                    f.get("198.51.100." + i, "/hello?client_prefix=" + f.node + "&protocol=10");
            assertTrue(f.counter("registry.limited.hello.evictions") > 0, "the strangers were limited");
            byte[] mine = f.hello("203.0.113.10");
            assertEquals(200, f.callWith(mine, "203.0.113.10"), "the node says hello and calls with its key all the same");
        }
    }

    static int mails(Path mbox) throws Exception {
        if (!Files.exists(mbox))
            return 0;
        Matcher m = EnrolmentTest.TOKEN.matcher(Files.readString(mbox));
        int n = 0;
        while (m.find())
            n++;
        return n;
    }

    @Test
    void requestTokenPerEmailAndPerSource(@TempDir Path dir) throws Exception {
        try (Fixture f = new Fixture(dir, "--token-request-rate-per-email", "2/3600", "--token-request-rate-per-source", "3/3600")) {
            for (int i = 0; i < 2; i++)
                assertEquals(204, f.get("198.51.100.7", "/requestToken?email=alice%40example.org").status());
            Map<String, Object> before = BadInputTest.dump(f.db);
            Answer a = f.get("2001:db8:9::1", "/requestToken?email=ALICE%40example.org"); // another source, the same mailbox
            Fixture.assertLimited(a, "--token-request-rate-per-email 2/3600");
            assertEquals(1, f.counter("registry.limited.request_token.email"));
            assertEquals(before, BadInputTest.dump(f.db), "no token made");
            assertEquals(2, mails(f.mbox), "no mail sent");

            assertEquals(204, f.get("198.51.100.7", "/requestToken?email=bob%40example.org").status(), "the source's third");
            before = BadInputTest.dump(f.db);
            a = f.get("198.51.100.7", "/requestToken?email=carol%40example.org");
            Fixture.assertLimited(a, "--token-request-rate-per-source 3/3600");
            assertEquals(1, f.counter("registry.limited.request_token.source"));
            assertEquals(before, BadInputTest.dump(f.db));
            assertEquals(3, mails(f.mbox));
            assertEquals(204, f.get("2001:db8:9::1", "/requestToken?email=carol%40example.org").status(),
                    "carol's allowance was not used by the refusal");
        }
    }

    @Test
    void anonymousRequestCertificatePerSource(@TempDir Path dir) throws Exception {
        try (Fixture f = new Fixture(dir, "--anonymous-rate-per-source", "2/3600")) {
            String req = "/requestCertificate?token=&req=" + BadInputTest.enc(BadInputTest.csr(TestCa.nodeKey(0), null));
            for (int i = 0; i < 2; i++)
                assertEquals(200, f.get("2001:db8:9:1::" + (i + 1), req).status(), "two from one /64");
            Map<String, Object> before = BadInputTest.dump(f.db);
            Answer a = f.get("2001:db8:9:1::3", req);
            Fixture.assertLimited(a, "--anonymous-rate-per-source 2/3600");
            assertEquals(1, f.counter("registry.limited.anonymous.source"));
            assertEquals(before, BadInputTest.dump(f.db), "no prefix taken, no certificate issued");
            assertEquals(200, f.get("2001:db8:9:2::1", req).status(), "the next /64 is another source");
        }
    }

    @Test
    void tooManyWrongTokensLockTheSourceOutEvenWithTheRightOne(@TempDir Path dir) throws Exception {
        try (Fixture f = new Fixture(dir, "--token-failures-per-source", "3/3600")) {
            String token = f.registryToken("dave@example.org");
            String csr = BadInputTest.enc(BadInputTest.csr(TestCa.nodeKey(0), null));
            for (String wrong : List.of("abcdefgh", "bcdefghi", "cdefghij"))
                assertEquals(204, f.get("198.51.100.7", "/requestCertificate?token=" + wrong + "&req=" + csr).status());
            assertEquals(3, f.counter("registry.tokens.wrong"));
            Map<String, Object> before = BadInputTest.dump(f.db);
            Fixture.assertLimited(f.get("198.51.100.7", "/requestCertificate?token=defghijk&req=" + csr), "--token-failures-per-source 3/3600");
            Fixture.assertLimited(f.get("198.51.100.7", "/requestCertificate?token=" + token + "&req=" + csr), "--token-failures-per-source");
            assertEquals(2, f.counter("registry.limited.token_attempts.source"));
            assertEquals(3, f.counter("registry.tokens.wrong"), "refused tokens were not even looked at");
            assertEquals(before, BadInputTest.dump(f.db), "the right token is still there, no certificate issued");
            assertEquals(200, f.get("198.51.100.8", "/requestCertificate?token=" + token + "&req=" + csr).status(),
                    "from another source the right token works");
        }
    }

    @Test
    void anUnusedTokenExpiresAfterItsLifetime(@TempDir Path dir) throws Exception {
        try (Fixture f = new Fixture(dir, "--token-lifetime", "3600")) {
            String early = f.registryToken("erin@example.org"), used = f.registryToken("frank@example.org");
            f.clock.advance(Duration.ofSeconds(3599));
            f.registry.expire();
            assertEquals("1", f.get(null, "/isToken?token=" + early).text(), "alive for 3599 s");
            f.clock.advance(Duration.ofSeconds(1));
            String csr = BadInputTest.enc(BadInputTest.csr(TestCa.nodeKey(0), null));
            assertEquals(204, f.get("198.51.100.7", "/requestCertificate?token=" + used + "&req=" + csr).status(),
                    "3600 s old: unknown, even before the expiry runs");
            long lateMade = f.clock.instant().getEpochSecond();
            String late = f.registryToken("gina@example.org");
            assertEquals(java.util.OptionalLong.of(lateMade + 3600), f.registry.expire(),
                    "the expiry timer comes back when the next token is due (no certificate here)");
            assertEquals(204, f.get(null, "/isToken?token=" + early).status(), "the expiry deleted it");
            assertEquals("1", f.get(null, "/isToken?token=" + late).text(), "a younger token stays");
            assertEquals(List.of(late), f.db.read(tx -> tx.tokens()).stream().map(t -> t.token()).toList());
        }
    }

    @Test
    void longerTokensOnRequestAndTheyWorkLikeTheOriginals(@TempDir Path dir) throws Exception {
        try (Fixture f = new Fixture(dir, "--token-length", "12")) {
            String token = f.registryToken("hal@example.org");
            assertTrue(token.matches("[a-z]{12}") && token.chars().distinct().count() == 12, token);
            assertEquals(200, f.get("198.51.100.7", "/requestCertificate?token=" + token + "&req="
                    + BadInputTest.enc(BadInputTest.csr(TestCa.nodeKey(0), null))).status());
        }
        RegistryOptions o = new RegistryOptions();
        new CommandLine(o).parseArgs();
        assertEquals(8, o.tokenLength, "the original's 8 letters by default");
    }

    @Test
    void tokensLiveSevenDaysByDefaultAndZeroKeepsThemForTheGracePeriod() {
        RegistryOptions o = new RegistryOptions();
        new CommandLine(o).parseArgs();
        assertEquals(7 * 24 * 3600, o.tokenLifetime());
        new CommandLine(o).parseArgs("--token-lifetime", "0", "--grace-period", "1000");
        assertEquals(1000, o.tokenLifetime());
    }
}
