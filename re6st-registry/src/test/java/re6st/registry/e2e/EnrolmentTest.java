package re6st.registry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.codahale.metrics.MetricRegistry;
import org.bouncycastle.asn1.x500.X500Name;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import re6st.net.Network;
import re6st.registry.Registry;
import re6st.registry.alloc.Communities;
import re6st.registry.ca.CertificateAuthority;
import re6st.registry.ca.TestCa;
import re6st.registry.cli.ConfCommand;
import re6st.registry.cli.RegistryOptions;
import re6st.registry.client.RegistryClient;
import re6st.registry.http.RpcServer;
import re6st.registry.mail.TokenMailer;
import re6st.registry.store.RegistryDb;

/**
 * Acceptance 1, in one JVM on loopback: a registry with an mbox mail host; `re6st conf --email`
 * asks for a token, which is read back from the mbox and typed in; the certificate it gets passes
 * the signature of the network CA (and `openssl verify -CAfile ca.crt cert.crt`, where openssl is
 * installed), its CN is the first prefix of the allocation rules, the key file is 0600; a second
 * node enrols with a token given by the admin RPC addToken, and gets the next prefix; an
 * anonymous request is refused (not configured).
 */
class EnrolmentTest {
    static final Pattern TOKEN = Pattern.compile("token to join re6st network is: ([a-z]{8})");

    /** A fresh CA and registry (mail to an mbox) serving on loopback, in {@code dir}. */
    static final class Fixture implements AutoCloseable {
        final CertificateAuthority ca;
        final Path caFile, mbox;
        final RegistryOptions o = new RegistryOptions();
        final RegistryDb db;
        final Registry registry;
        RpcServer server;
        final String url;

        Fixture(Path dir) throws Exception {
            ca = CertificateAuthority.initCa(Network.parse("2001:db8:42::/48"), 2048,
                    new X500Name("CN=test network,emailAddress=ca@example.org"), Duration.ofDays(30), Clock.systemUTC());
            caFile = dir.resolve("ca.crt");
            mbox = dir.resolve("mbox");
            Path caKey = dir.resolve("ca.key");
            ca.writePem(caFile, caKey);
            new CommandLine(o).parseArgs("--ca", caFile.toString(), "--key", caKey.toString(), "--db",
                    dir.resolve("registry.db").toString(), "--mailhost", mbox.toString());
            db = RegistryDb.open(o.db);
            registry = new Registry(o, ca, db, TokenMailer.of(mbox.toString(), null, null, false, "ca@example.org"),
                    Communities.none(), Clock.systemUTC());
            server = new RpcServer(registry.authenticator(), Set.copyOf(o.origins()), new MetricRegistry(), 4);
            registry.declare(server);
            int port = server.start(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))).get(0).getPort();
            url = "http://127.0.0.1:" + port + "/";
        }

        /** Enrols a node in {@code node} with a token the admin RPC hands out. */
        void enrolByAdminToken(Path node, String email) throws Exception {
            String token = new String(new RegistryClient(URI.create(url)).call("addToken", RegistryClient.params("email", email,
                    "token", "")));
            assertEquals(0, re6st.cli.Launcher.run(new ConfCommand(), "--registry", url, "-d", node.toString(), "--token", token));
        }

        @Override
        public void close() {
            server.close();
            db.close();
        }
    }

    /** openssl, the original's client side, accepts what the registry issued. */
    @Test
    void opensslVerifiesAnEnrolledCertificate(@TempDir Path dir) throws Exception {
        TestCa.assumeOpenssl();
        try (Fixture f = new Fixture(dir)) {
            Path n = dir.resolve("node");
            f.enrolByAdminToken(n, "dave@example.org");
            TestCa.Run r = TestCa.openssl(dir, "verify", "-CAfile", n.resolve("ca.crt").toString(), n.resolve("cert.crt").toString());
            assertEquals(0, r.status(), r.out());
            assertTrue(r.out().contains(": OK"), r.out());
        }
    }

    @Test
    void enrolByMailThenByAdminToken(@TempDir Path dir) throws Exception {
        try (Fixture f = new Fixture(dir)) {
            CertificateAuthority ca = f.ca;
            Path caFile = f.caFile, mbox = f.mbox;
            RegistryOptions o = f.o;
            RegistryDb db = f.db;
            Registry registry = f.registry;
            {
                String url = f.url;

                // node 1: by mail, the token typed in when asked (read from the mbox at that moment)
                Path n1 = dir.resolve("node1");
                ConfCommand conf = new ConfCommand();
                setStdin(conf, new BufferedReader(new Reader() {
                    boolean done;

                    @Override
                    public int read(char[] buf, int off, int len) throws IOException {
                        if (done)
                            return -1;
                        done = true;
                        Matcher m = TOKEN.matcher(Files.readString(mbox));
                        assertTrue(m.find(), "a token mail in the mbox");
                        String line = m.group(1) + "\n";
                        line.getChars(0, line.length(), buf, off);
                        return line.length();
                    }

                    @Override
                    public void close() {}
                }));
                assertEquals(0, re6st.cli.Launcher.run(conf, "--registry", url, "-d", n1.toString(), "--email", "alice@example.org",
                        "-r", "O", "Example"));
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(n1.resolve("cert.key"))));
                assertEquals(Files.readString(caFile), Files.readString(n1.resolve("ca.crt")));
                assertTrue(Files.exists(n1.resolve("re6stnet.conf")));
                assertIssuedBy(ca, n1);
                assertEquals("0/16", cn(n1), "the first allocation of a /16 in a fresh registry");

                // node 2: token given by the admin (loopback is an authorised origin)
                RegistryClient admin = new RegistryClient(URI.create(url));
                String token = new String(admin.call("addToken", RegistryClient.params("email", "bob@example.org", "token", "")));
                assertTrue(token.matches("[a-z]{8}"), token);
                Path n2 = dir.resolve("node2");
                assertEquals(0, re6st.cli.Launcher.run(new ConfCommand(), "--registry", url, "-d", n2.toString(), "--token", token));
                assertIssuedBy(ca, n2);
                assertEquals("1/16", cn(n2), "the next prefix");
                assertEquals(1, re6st.cli.Launcher.run(new ConfCommand(), "--registry", url, "-d", dir.resolve("n3").toString(),
                        "--token", token), "a used token does not work twice");
                assertEquals(1, re6st.cli.Launcher.run(new ConfCommand(), "--registry", url, "-d", dir.resolve("n4").toString(),
                        "--anonymous"), "anonymous enrolment is off unless configured");
                assertEquals("1/16", new String(admin.call("getNodePrefix", RegistryClient.params("email", "bob@example.org"))));
                assertTrue(registry.expire().isPresent(), "nothing to expire yet; the next check is when a certificate or token ages out");

                // authenticated calls (acceptance 4 and 5): hello + HMAC chain, replay refused, revoke -> CRL + new version
                String bits1 = re6st.net.NodePrefix.parseCn("0/16").bits();
                java.security.PrivateKey k1 = re6st.pki.Pem.parseRsaPrivateKey(Files.readString(n1.resolve("cert.key")));
                re6st.registry.client.NodeSession s1 = new re6st.registry.client.NodeSession(bits1, k1, ca.publicKey());
                String json1 = re6st.registry.protocol.NetworkConfig.decompress(admin.call("getNetworkConfig", RegistryClient.params("cn", bits1), s1));
                long v1 = version(json1, ca);
                assertTrue(json1.contains("\"crl\": []"), json1);
                assertTrue(json1.contains("\"babel_hmac_sign\": \"") && !json1.contains("babel_hmac_accept"),
                        "a new network signs Babel packets from the start, as the original (slot 0 set at first start): " + json1);
                String json1b = re6st.registry.protocol.NetworkConfig.decompress(admin.call("getNetworkConfig", RegistryClient.params("cn", bits1), s1));
                // the Babel key is RSA-encrypted with random padding each time: compare the rest, and the key once decrypted
                assertEquals(withoutKey(json1), withoutKey(json1b), "the second call (next key of the chain) works too");
                assertEquals(java.util.HexFormat.of().formatHex(babelKey(json1, k1)), java.util.HexFormat.of().formatHex(babelKey(json1b, k1)));
                assertEquals(16, babelKey(json1, k1).length, "a 16-byte key");
                assertEquals(1, s1.hellos());
                String[] replayed = new String[1];
                RegistryClient.Session replayer = new RegistryClient.Session() {
                    final re6st.registry.client.NodeSession inner = new re6st.registry.client.NodeSession(bits1, k1, ca.publicKey());

                    @Override
                    public String cn() {
                        return bits1;
                    }

                    @Override
                    public String sign(RegistryClient c, String pathWithQuery) throws IOException {
                        if (replayed[0] == null)
                            replayed[0] = inner.sign(c, pathWithQuery);
                        return replayed[0]; // the same MAC again: a replay
                    }

                    @Override
                    public boolean verify(String h, byte[] b) {
                        return true;
                    }

                    @Override
                    public void reset() {}
                };
                admin.call("getNetworkConfig", RegistryClient.params("cn", bits1), replayer);
                RegistryClient.RegistryException replay = org.junit.jupiter.api.Assertions.assertThrows(RegistryClient.RegistryException.class,
                        () -> admin.call("getNetworkConfig", RegistryClient.params("cn", bits1), replayer));
                assertEquals(400, replay.status(), "a replayed request is refused: " + replay.getMessage());

                java.security.cert.X509Certificate c2 = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory
                        .getInstance("X.509").generateCertificate(Files.newInputStream(n2.resolve("cert.crt")));
                assertEquals(0, admin.call("revoke", RegistryClient.params("cn_or_serial", "1/16")).length);
                RegistryClient.RegistryException own = org.junit.jupiter.api.Assertions.assertThrows(RegistryClient.RegistryException.class,
                        () -> admin.call("revoke", RegistryClient.params("cn_or_serial", "0/16")));
                assertEquals(403, own.status(), "a deliberate refusal, not a 500: " + own.getMessage());
                assertTrue(own.getMessage().contains("refusing to revoke the registry's own certificate (0/16"), own.getMessage());
                String json2 = re6st.registry.protocol.NetworkConfig.decompress(admin.call("getNetworkConfig", RegistryClient.params("cn", bits1), s1));
                assertTrue(json2.contains("\"crl\": [" + c2.getSerialNumber() + "]"), "the revoked serial is in the CRL: " + json2);
                assertTrue(version(json2, ca) > v1, "the version was bumped");

                // a certificate revoked by serial keeps its prefix; renewing it re-issues (new serial, same notAfter)
                String token3 = new String(admin.call("addToken", RegistryClient.params("email", "carol@example.org", "token", "")));
                Path n3 = dir.resolve("node3");
                assertEquals(0, re6st.cli.Launcher.run(new ConfCommand(), "--registry", url, "-d", n3.toString(), "--token", token3));
                java.security.cert.X509Certificate c3 = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory
                        .getInstance("X.509").generateCertificate(Files.newInputStream(n3.resolve("cert.crt")));
                assertEquals(0, admin.call("revoke", RegistryClient.params("cn_or_serial", c3.getSerialNumber().toString())).length);
                String bits3 = re6st.net.NodePrefix.parseCn(cn(n3)).bits();
                re6st.registry.client.NodeSession s3 = new re6st.registry.client.NodeSession(bits3,
                        re6st.pki.Pem.parseRsaPrivateKey(Files.readString(n3.resolve("cert.key"))), ca.publicKey());
                java.security.cert.X509Certificate r3 = re6st.pki.Pem.parseCertificate(
                        admin.call("renewCertificate", RegistryClient.params("cn", bits3), s3));
                assertTrue(!r3.getSerialNumber().equals(c3.getSerialNumber()), "a new serial");
                assertEquals(c3.getNotAfter(), r3.getNotAfter(), "the same notAfter");
                assertEquals(c3.getSubjectX500Principal(), r3.getSubjectX500Principal(), "the same subject");
                String json3 = re6st.registry.protocol.NetworkConfig.decompress(admin.call("getNetworkConfig", RegistryClient.params("cn", bits1), s1));
                assertTrue(json3.contains("\"crl\": [" + c2.getSerialNumber() + ", " + c3.getSerialNumber() + "]"), json3);

                // registry restart: the session is unknown (401), the client says hello again by itself
                long hellosBefore = s1.hellos(); // (the replaying session above took over the cn's key chain: s1 said hello again)
                f.server.close();
                Registry again = new Registry(o, ca, db, null, Communities.none(), Clock.systemUTC());
                f.server = new RpcServer(again.authenticator(), Set.copyOf(o.origins()), new MetricRegistry(), 4);
                again.declare(f.server);
                int port2 = f.server.start(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))).get(0).getPort();
                RegistryClient c2client = new RegistryClient(URI.create("http://127.0.0.1:" + port2 + "/"));
                String json4 = re6st.registry.protocol.NetworkConfig.decompress(c2client.call("getNetworkConfig", RegistryClient.params("cn", bits1), s1));
                assertEquals(withoutKey(json3), withoutKey(json4), "same configuration after the restart");
                assertEquals(java.util.HexFormat.of().formatHex(babelKey(json3, k1)), java.util.HexFormat.of().formatHex(babelKey(json4, k1)),
                        "same Babel key after the restart");
                assertEquals(hellosBefore + 1, s1.hellos(), "one more hello after the restart, transparently");
            }
        }
    }

    static long version(String json, CertificateAuthority ca) throws Exception {
        Matcher m = Pattern.compile("\"version\": \"([^\"]+)\"").matcher(json);
        assertTrue(m.find(), json);
        return re6st.registry.protocol.NetworkVersion.verify(re6st.registry.protocol.NetworkVersion.base64Decode(m.group(1)), ca.publicKey()).number();
    }

    static void setStdin(ConfCommand c, BufferedReader r) throws Exception {
        java.lang.reflect.Field f = ConfCommand.class.getDeclaredField("stdin");
        f.setAccessible(true);
        f.set(c, r);
    }

    static String cn(Path node) throws Exception {
        java.security.cert.X509Certificate cert = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory
                .getInstance("X.509").generateCertificate(Files.newInputStream(node.resolve("cert.crt")));
        Matcher m = Pattern.compile("CN=([0-9]+/[0-9]+)").matcher(cert.getSubjectX500Principal().getName());
        assertTrue(m.find(), cert.getSubjectX500Principal().getName());
        return m.group(1);
    }

    /** The node's certificate is signed by the CA, valid now, and for the key next to it. */
    static void assertIssuedBy(CertificateAuthority ca, Path node) throws Exception {
        java.security.cert.X509Certificate cert = re6st.pki.Pem.parseCertificate(Files.readString(node.resolve("cert.crt")));
        cert.verify(ca.publicKey());
        cert.checkValidity();
        assertEquals(ca.certificate().getSubjectX500Principal(), cert.getIssuerX500Principal());
        java.security.interfaces.RSAPrivateCrtKey key = (java.security.interfaces.RSAPrivateCrtKey) re6st.pki.Pem
                .parseRsaPrivateKey(Files.readString(node.resolve("cert.key")));
        assertEquals(key.getModulus(), ((java.security.interfaces.RSAPublicKey) cert.getPublicKey()).getModulus(), "the key is the certificate's");
    }

    /** The network configuration without babel_hmac_sign (RSA-encrypted with random padding: different at each call). */
    static String withoutKey(String json) {
        return json.replaceAll("\"babel_hmac_sign\": \"[^\"]*\"", "");
    }

    /** babel_hmac_sign decrypted with the node's key. */
    static byte[] babelKey(String json, java.security.PrivateKey key) throws Exception {
        java.util.regex.Matcher m = Pattern.compile("\"babel_hmac_sign\": \"([^\"]*)\"").matcher(json);
        assertTrue(m.find(), json);
        return re6st.pki.Rsa.decrypt(key, java.util.Base64.getMimeDecoder().decode(m.group(1)));
    }
}
