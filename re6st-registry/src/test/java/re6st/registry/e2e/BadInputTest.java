package re6st.registry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.codahale.metrics.MetricRegistry;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import re6st.net.Network;
import re6st.net.NodePrefix;
import re6st.registry.Registry;
import re6st.registry.alloc.Communities;
import re6st.registry.ca.CertificateAuthority;
import re6st.registry.cli.RegistryOptions;
import re6st.registry.client.RegistryClient;
import re6st.registry.http.RpcServer;
import re6st.registry.store.ConfigKey;
import re6st.registry.store.RegistryDb;

/**
 * Acceptance 7, on an in-process registry (anonymous enrolment on, so a refusal is about the input,
 * not the configuration): malformed CSRs, a CSR asking for a CN, a key of the wrong size, an
 * oversized request, bad query strings, an unknown method, wrong parameter types, a parameter given
 * twice, a missing or unexpected parameter, a non-GET: each gets a 4xx with a message saying what
 * is wrong, and afterwards every table (config, cert, token, crl) is exactly as before.
 */
class BadInputTest {
    record Case(String what, String request, String expectedInMessage) {}

    @Test
    void badInputGets4xxAndLeavesTheDatabaseUnchanged(@TempDir Path dir) throws Exception {
        long t0 = System.nanoTime();
        CertificateAuthority ca = CertificateAuthority.initCa(Network.parse("2001:db8:42::/48"), 2048,
                new X500Name("CN=bad input,emailAddress=ca@example.org"), Duration.ofDays(30), Clock.systemUTC());
        RegistryOptions o = new RegistryOptions();
        new CommandLine(o).parseArgs("--db", dir.resolve("registry.db").toString(), "--anonymous-prefix-length", "16");
        try (RegistryDb db = RegistryDb.open(o.db)) {
            Registry registry = new Registry(o, ca, db, null, Communities.none(), Clock.systemUTC());
            RpcServer server = new RpcServer(registry.authenticator(), Set.copyOf(o.origins()), new MetricRegistry(), 4);
            registry.declare(server);
            try {
                int port = server.start(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))).get(0).getPort();
                RegistryClient client = new RegistryClient(URI.create("http://127.0.0.1:" + port + "/"));

                // some state: one node enrolled anonymously, one token waiting
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048);
                KeyPair good = g.generateKeyPair();
                String cert = ConcurrencyCrashTest.enrol(client, good);
                String nodeBits = NodePrefix.parseCn(ConcurrencyCrashTest.cn(ConcurrencyCrashTest.certificate(cert))).bits();
                String token = new String(client.call("addToken", RegistryClient.params("email", "bob@example.org", "token", "")));
                Map<String, Object> before = dump(db);

                g.initialize(1024);
                KeyPair small = g.generateKeyPair();
                String withCn = csr(good, "CN=0/16");
                String smallKey = csr(small, null);
                String valid = csr(good, null);
                String notDer = "-----BEGIN CERTIFICATE REQUEST-----\nAAAAAAAA\n-----END CERTIFICATE REQUEST-----\n";
                String aCert = cert; // a certificate is not a certificate request
                char[] big = new char[100 * 1024];
                java.util.Arrays.fill(big, 'a');

                List<Case> cases = List.of(
                        new Case("malformed CSR (not PEM)", "/requestCertificate?token=&req=garbage&location=", "certificate request"),
                        new Case("malformed CSR (PEM, not DER)", "/requestCertificate?token=&req=" + enc(notDer) + "&location=", "PKCS#10"),
                        new Case("a certificate instead of a CSR", "/requestCertificate?token=&req=" + enc(aCert) + "&location=", "CERTIFICATE"),
                        new Case("CSR asking for a CN", "/requestCertificate?token=&req=" + enc(withCn) + "&location=", "CN"),
                        new Case("CSR asking for a CN, with a valid token", "/requestCertificate?token=" + token + "&req=" + enc(withCn)
                                + "&location=", "CN"),
                        new Case("CSR with a 1024-bit key (CA: 2048)", "/requestCertificate?token=" + token + "&req=" + enc(smallKey)
                                + "&location=", "2048"),
                        new Case("oversized request (100 KB query string)", "/requestCertificate?token=&req=" + new String(big), "oversized"),
                        new Case("query: pair without '='", "/requestCertificate?token&req=" + enc(valid), "no '='"),
                        new Case("query: bad %-escape", "/requestCertificate?token=%zz&req=" + enc(valid), "%-escape"),
                        new Case("query: truncated %-escape", "/requestToken?email=a%4", "%-escape"),
                        new Case("query: not UTF-8", "/requestCertificate?token=%ff&req=" + enc(valid), "UTF-8"),
                        new Case("unknown method", "/noSuchMethod?x=1", "unknown method"),
                        new Case("unknown method (nested path)", "/getCa/x", "unknown method"),
                        new Case("wrong type: hello protocol=abc", "/hello?client_prefix=" + nodeBits + "&protocol=abc", "integer"),
                        new Case("wrong type: hello client_prefix=0x12", "/hello?client_prefix=0x12", "binary prefix"),
                        new Case("parameter given twice", "/requestCertificate?token=&token=&req=" + enc(valid), "twice"),
                        new Case("missing parameter", "/requestCertificate?token=", "missing parameter 'req'"),
                        new Case("unexpected parameter", "/requestCertificate?token=&req=" + enc(valid) + "&evil=1", "unexpected parameter"),
                        new Case("POST instead of GET", "POST /requestCertificate?token=&req=" + enc(valid), "GET"));
                List<String> report = new ArrayList<>();
                for (Case c : cases) {
                    String[] r = raw(port, c.request());
                    int status = Integer.parseInt(r[0]);
                    String line = String.format("%-45s -> %d %s", c.what(), status, r[1].strip());
                    report.add(line);
                    assertTrue(status >= 400 && status < 500, line);
                    assertTrue(r[1].contains(c.expectedInMessage()), "the message says what is wrong (" + c.expectedInMessage() + "): " + line);
                }
                report.forEach(l -> System.out.println("BadInputTest: " + l));
                assertEquals(before, dump(db), "the database is unchanged");

                // the registry still works, and the token was not consumed by the refused requests
                assertTrue(new String(client.requestCertificate(token, valid, "", ""), StandardCharsets.US_ASCII)
                        .contains("BEGIN CERTIFICATE"), "the token still works after the refusals");
                org.junit.jupiter.api.Assertions.assertNotEquals(before, dump(db), "(the dump does see a change: the last enrolment)");
            } finally {
                server.close();
            }
        }
        System.out.printf("BadInputTest: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }

    /** Every table, through RegistryDb.read: config (each key, typed), cert rows, tokens, CRL. */
    static Map<String, Object> dump(RegistryDb db) {
        return db.read(tx -> {
            Map<String, Object> m = new LinkedHashMap<>();
            for (ConfigKey k : ConfigKey.values())
                m.put("config." + k.column(), switch (k.type()) {
                    case TEXT -> tx.configText(k).orElse(null);
                    case INTEGER -> tx.configInteger(k).isPresent() ? tx.configInteger(k).getAsLong() : null;
                    case BLOB -> tx.configBlob(k).map(b -> HexFormat.of().formatHex(b)).orElse(null);
                });
            m.put("cert", tx.certs());
            m.put("token", tx.tokens());
            m.put("crl", tx.crl());
            return m;
        });
    }

    static String csr(KeyPair kp, String subject) throws Exception {
        X500Name name = subject == null ? new X500NameBuilder(BCStyle.INSTANCE).build() : new X500Name(subject);
        return ConcurrencyCrashTest.csrPem(new JcaPKCS10CertificationRequestBuilder(name, kp.getPublic())
                .build(new JcaContentSignerBuilder("SHA512withRSA").build(kp.getPrivate())).getEncoded());
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /**
     * Sends {@code request} ("/path?query", or "VERB /path?query") byte for byte on a fresh
     * connection, no client-side encoding; returns {status, body}.
     */
    static String[] raw(int port, String request) throws IOException {
        return raw(port, request, "Host: 127.0.0.1:" + port + "\r\n");
    }

    /** The same with {@code headers} ("Name: value\r\n" lines, Host included) instead of the Host line. */
    static String[] raw(int port, String request, String headers) throws IOException {
        String verb = "GET";
        if (!request.startsWith("/")) {
            verb = request.substring(0, request.indexOf(' '));
            request = request.substring(verb.length() + 1);
        }
        byte[] head = (verb + " " + request + " HTTP/1.1\r\n" + headers + "Content-Length: 0\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            try {
                out.write(head);
                out.flush();
            } catch (IOException e) {
                // the server may answer and close before reading an oversized request to its end
            }
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; )
                    got.write(buf, 0, n);
            } catch (java.net.SocketException e) {
                if (got.size() == 0)
                    throw e;
            }
            String text = got.toString(StandardCharsets.UTF_8);
            assertTrue(text.startsWith("HTTP/1.1 "), "an HTTP response: " + text);
            int split = text.indexOf("\r\n\r\n");
            return new String[] {text.substring(9, 12), split < 0 ? "" : text.substring(split + 4)};
        }
    }
}
