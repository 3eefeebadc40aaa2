package re6st.registry.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import re6st.registry.ca.CertificateAuthority;
import re6st.registry.client.RegistryClient;

/** {@code re6st registry --metrics PORT} (child JVM): Prometheus' text format on loopback, with what happened in it. */
class MetricsExportTest {
    @Test
    void prometheusSeesEnrolmentsAndErrors(@TempDir Path dir) throws Exception {
        CertificateAuthority ca = ConcurrencyCrashTest.initCa(dir);
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        ConcurrencyCrashTest.Child registry = ConcurrencyCrashTest.Child.start(dir, ca, dir.resolve("registry.db"), "metrics", "--metrics",
                Integer.toString(port));
        try {
            RegistryClient client = new RegistryClient(registry.url);
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            KeyPair kp = g.generateKeyPair();
            ConcurrencyCrashTest.enrol(client, kp);
            ConcurrencyCrashTest.enrol(client, kp);
            try {
                client.call("hello", RegistryClient.params("client_prefix", "2"));
            } catch (RegistryClient.RegistryException e) {
                // 400: not a binary prefix
            }
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            String m = r.body();
            assertTrue(r.statusCode() == 200 && r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), r + "\n" + m);
            assertTrue(Pattern.compile("(?m)^registry_certificates_issued 2(\\.0)?$").matcher(m).find(), m);
            assertTrue(Pattern.compile("(?m)^registry_rpc_requestCertificate_count 2(\\.0)?$").matcher(m).find(), m);
            assertTrue(Pattern.compile("(?m)^registry_rpc_errors_400_total 1(\\.0)?$").matcher(m).find(), m);
            assertTrue(Pattern.compile("(?m)^registry_network_version [1-9]").matcher(m).find(), m);
            for (String limit : new String[] {"limited_hello_source", "limited_hello_evictions", "limited_request_token_email",
                    "limited_request_token_source", "limited_anonymous_source", "limited_token_attempts_source", "tokens_wrong",
                    "connections_refused", "connections_refused_source", "connections_timed_out"}) // the enrolments came from loopback: never limited
                assertTrue(Pattern.compile("(?m)^registry_" + limit + "_total 0(\\.0)?$").matcher(m).find(), limit + " in\n" + m);
            assertTrue(registry.log().contains("metrics for Prometheus on port " + port), registry.log());
        } finally {
            registry.stop();
        }
    }
}
