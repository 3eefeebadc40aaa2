package re6st.registry.mail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import re6st.registry.Counterparts;

/**
 * Token mail to an mbox file, and through a real SMTP server (Debian's python3-aiosmtpd) with and without STARTTLS,
 * and with a server that requires STARTTLS and AUTH.
 */
class TokenMailerTest {
    static final Pattern TOKEN = Pattern.compile("token to join re6st network is: ([a-z]{8})");

    @Test
    void mboxGetsOneMessagePerTokenThatCanBeReadBack(@TempDir Path dir) throws IOException {
        Path mbox = dir.resolve("mail");
        TokenMailer m = TokenMailer.of(mbox.toString(), null, null, false, "ca@example.org");
        m.send("alice@example.org", "abcdefgh");
        m.send("bob@example.org", "ijklmnop");
        String all = Files.readString(mbox);
        assertEquals(2, all.split("(?m)^From ", -1).length - 1, all);
        assertTrue(all.contains("Subject: [re6stnet] Token Request") && all.contains("To: bob@example.org")
                && all.contains("From: ca@example.org"), all);
        Matcher t = TOKEN.matcher(all);
        assertTrue(t.find() && t.group(1).equals("abcdefgh") && t.find() && t.group(1).equals("ijklmnop"));
        assertThrows(IllegalArgumentException.class, () -> m.send("not an address", "abcdefgh"));
        assertEquals(2, Files.readString(mbox).split("(?m)^From ", -1).length - 1, "a refused address writes nothing");
    }

    /** Skips the calling test, with the reason printed, without python3's aiosmtpd (the SMTP server these tests talk to). */
    static void assumeAiosmtpd() {
        boolean present;
        try {
            present = new ProcessBuilder("/usr/bin/python3", "-c", "import aiosmtpd").start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            present = false;
        }
        Counterparts.assume(present, "python3's aiosmtpd module", "python3-aiosmtpd");
    }

    @Test
    void smtpWithAndWithoutStarttls(@TempDir Path dir) throws Exception {
        assumeAiosmtpd();
        Path cert = dir.resolve("smtp.crt"), key = dir.resolve("smtp.key");
        selfSignedCertificate(cert, key);
        for (boolean tls : new boolean[] {false, true}) {
            Path maildir = dir.resolve("maildir-" + tls);
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            List<String> cmd = new java.util.ArrayList<>(List.of("/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:" + port,
                    "-c", "aiosmtpd.handlers.Mailbox"));
            if (tls)
                cmd.addAll(List.of("--tlscert", cert.toString(), "--tlskey", key.toString()));
            cmd.add(maildir.toString());
            Process smtp = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("smtp-" + tls + ".log").toFile()).start();
            try {
                awaitPort(port, smtp, dir.resolve("smtp-" + tls + ".log"));
                TokenMailer.Smtp m = (TokenMailer.Smtp) TokenMailer.of("127.0.0.1:" + port, null, null, tls, "ca@example.org");
                if (tls)
                    m.trust = trustOnly(cert); // a throwaway self-signed server certificate for 127.0.0.1
                m.send("carol@example.org", tls ? "qrstuvwx" : "yzabcdef");
                Path newDir = maildir.resolve("new");
                String got;
                try (Stream<Path> files = Files.list(newDir)) {
                    got = Files.readString(files.findFirst().orElseThrow());
                }
                Matcher t = TOKEN.matcher(got);
                assertTrue(t.find() && t.group(1).equals(tls ? "qrstuvwx" : "yzabcdef"), got);
                assertTrue(got.contains("Subject: [re6stnet] Token Request"), got);
            } finally {
                smtp.destroy();
                smtp.waitFor();
            }
        }
    }

    /**
     * A server that requires STARTTLS, then AUTH (src/test/resources/.../smtp_auth_server.py on
     * aiosmtpd; one login, a non-ASCII password). Without a login the mail is refused; without
     * STARTTLS no AUTH is offered and the login is not sent; a certificate that does not name the
     * host ends the session before AUTH; a wrong password is refused with a clear message that,
     * like the registry's log of the failed requestToken, does not contain the password; the
     * right one delivers the token. The mechanism is PLAIN when offered (aiosmtpd offers LOGIN and
     * PLAIN), LOGIN when it is the only one.
     */
    @Test
    void smtpServerRequiringAuthentication(@TempDir Path dir) throws Exception {
        assumeAiosmtpd();
        Path cert = dir.resolve("smtp.crt"), key = dir.resolve("smtp.key");
        selfSignedCertificate(cert, key);
        javax.net.ssl.TrustManager trust = trustOnly(cert);
        String user = "re6st-mailer", password = "s3cret-pässwört";
        List<String> secrets = List.of(password, b64(password), b64("\0" + user + "\0" + password));

        try (AuthServer s = AuthServer.start(dir, "both", cert, key, user, password)) {
            IOException e = assertThrows(IOException.class, () -> s.mailer(null, null, true, trust).send("erin@example.org", "aaaaaaaa"));
            assertTrue(e.getMessage().contains("MAIL FROM refused: 530"), e.getMessage());

            e = assertThrows(IOException.class, () -> s.mailer(user, password, false, trust).send("erin@example.org", "bbbbbbbb"));
            assertTrue(e.getMessage().contains("offers no AUTH without STARTTLS") && e.getMessage().contains("login was not sent"), e.getMessage());

            TokenMailer.Smtp byName = (TokenMailer.Smtp) TokenMailer.of("localhost:" + s.port, user, password, true, "ca@example.org");
            byName.trust = trust;
            if (java.net.InetAddress.getByName("localhost").getHostAddress().equals("127.0.0.1")) { // the server listens there only
                e = assertThrows(IOException.class, () -> byName.send("erin@example.org", "cccccccc"));
                assertTrue(e.getMessage().contains("STARTTLS with localhost failed"), e.getMessage()); // the certificate names 127.0.0.1 only
            } else
                System.out.println("TokenMailerTest: localhost is not 127.0.0.1 here, host name check not exercised");

            // the wrong password, through the registry (requestToken): 500, the token deleted again, nothing in the log
            List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
            String refusal = viaRegistry(dir, s.mailer(user, "wrong-" + password, true, trust), log);
            assertTrue(refusal.contains("answered 500"), refusal);
            String logged = String.join("\n", log);
            assertTrue(logged.contains("cannot mail the token: SMTP AUTH PLAIN as " + user + " refused: 535"), logged);
            for (String secret : secrets)
                assertFalse(logged.contains(secret) || refusal.contains(secret), "the password in the registry's log or answer:\n" + logged);
            assertEquals("AUTH PLAIN " + user + " refused", s.nextAuth(), "the first AUTH the server saw: none of the cases above sent one");

            e = assertThrows(IOException.class, () -> s.mailer(user, password.toUpperCase(java.util.Locale.ROOT), true, trust)
                    .send("erin@example.org", "dddddddd"));
            assertEquals("SMTP AUTH PLAIN as " + user + " refused: 535 5.7.8 Authentication credentials invalid", e.getMessage());
            java.io.StringWriter trace = new java.io.StringWriter();
            e.printStackTrace(new java.io.PrintWriter(trace));
            for (String secret : secrets)
                assertFalse(trace.toString().toUpperCase(java.util.Locale.ROOT).contains(secret.toUpperCase(java.util.Locale.ROOT)), trace.toString());
            assertEquals("AUTH PLAIN " + user + " refused", s.nextAuth());
            assertEquals(List.of(), s.delivered(), "nothing delivered without a good login");

            s.mailer(user, password, true, trust).send("erin@example.org", "efghijkl");
            assertEquals("AUTH PLAIN " + user + " ok", s.nextAuth());
            List<String> got = s.delivered();
            assertEquals(1, got.size());
            Matcher t = TOKEN.matcher(got.get(0));
            assertTrue(t.find() && t.group(1).equals("efghijkl") && got.get(0).contains("To: erin@example.org"), got.get(0));
        }

        try (AuthServer s = AuthServer.start(dir, "login", cert, key, user, password, "LOGIN")) {
            IOException e = assertThrows(IOException.class, () -> s.mailer(user, "nope", true, trust).send("frank@example.org", "mnopqrst"));
            assertEquals("SMTP AUTH LOGIN as " + user + " refused: 535 5.7.8 Authentication credentials invalid", e.getMessage());
            assertEquals("AUTH LOGIN " + user + " refused", s.nextAuth());
            assertEquals(List.of(), s.delivered());
            s.mailer(user, password, true, trust).send("frank@example.org", "uvwxyzab");
            assertEquals("AUTH LOGIN " + user + " ok", s.nextAuth());
            List<String> got = s.delivered();
            assertEquals(1, got.size());
            assertTrue(got.get(0).contains("token to join re6st network is: uvwxyzab"), got.get(0));
        }
    }

    static String b64(String s) {
        return java.util.Base64.getEncoder().encodeToString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * requestToken through a registry (in-process, on loopback) whose mailer is {@code mailer};
     * returns the client's error. {@code log} gets every log record (formatted, with stack trace)
     * of the call; the token is checked to be deleted again.
     */
    static String viaRegistry(Path dir, TokenMailer mailer, List<String> log) throws Exception {
        re6st.registry.ca.CertificateAuthority ca = re6st.registry.ca.CertificateAuthority.initCa(
                re6st.net.Network.parse("2001:db8:42::/48"), 2048, new org.bouncycastle.asn1.x500.X500Name("CN=mail test"),
                Duration.ofDays(1), java.time.Clock.systemUTC());
        Path caFile = dir.resolve("ca.crt"), caKey = dir.resolve("ca.key");
        ca.writePem(caFile, caKey);
        re6st.registry.cli.RegistryOptions o = new re6st.registry.cli.RegistryOptions();
        new picocli.CommandLine(o).parseArgs("--ca", caFile.toString(), "--key", caKey.toString(), "--db", dir.resolve("registry.db").toString());
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            final java.util.logging.Formatter f = new java.util.logging.SimpleFormatter();

            @Override
            public void publish(java.util.logging.LogRecord r) {
                log.add(f.format(r));
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        capture.setLevel(java.util.logging.Level.ALL);
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        java.util.logging.Level before = root.getLevel();
        root.addHandler(capture);
        root.setLevel(java.util.logging.Level.ALL);
        try (re6st.registry.store.RegistryDb db = re6st.registry.store.RegistryDb.open(o.db)) {
            re6st.registry.Registry registry = new re6st.registry.Registry(o, ca, db, mailer, re6st.registry.alloc.Communities.none(),
                    java.time.Clock.systemUTC());
            re6st.registry.http.RpcServer server = new re6st.registry.http.RpcServer(registry.authenticator(),
                    java.util.Set.copyOf(o.origins()), new com.codahale.metrics.MetricRegistry(), 2);
            registry.declare(server);
            try {
                int port = server.start(List.of(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0))).get(0).getPort();
                re6st.registry.client.RegistryClient client = new re6st.registry.client.RegistryClient(java.net.URI.create("http://127.0.0.1:" + port + "/"));
                IOException e = assertThrows(IOException.class, () -> client.requestToken("dave@example.org"));
                assertEquals(List.of(), db.read(tx -> tx.tokens()), "a token that could not be mailed is deleted");
                return e.getMessage();
            } finally {
                server.close();
            }
        } finally {
            root.removeHandler(capture);
            root.setLevel(before);
        }
    }

    /** A self-signed certificate (and key) for 127.0.0.1, by openssl. */
    static void selfSignedCertificate(Path cert, Path key) throws Exception {
        Process ossl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out",
                cert.toString(), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1")
                .redirectErrorStream(true).start();
        String out = new String(ossl.getInputStream().readAllBytes());
        assertEquals(0, ossl.waitFor(), out);
    }

    /** Trusts exactly the certificate in {@code pem}. */
    static javax.net.ssl.TrustManager trustOnly(Path pem) throws Exception {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        try (java.io.InputStream in = Files.newInputStream(pem)) {
            ks.setCertificateEntry("smtp", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory f = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        f.init(ks);
        return f.getTrustManagers()[0];
    }

    /** smtp_auth_server.py in a child process; its AUTH lines in a queue; stops when its stdin is closed. */
    static final class AuthServer implements AutoCloseable {
        final Process process;
        final int port;
        final Path maildir, log;
        final java.util.concurrent.BlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();

        private AuthServer(Process process, int port, Path maildir, Path log) {
            this.process = process;
            this.port = port;
            this.maildir = maildir;
            this.log = log;
        }

        static AuthServer start(Path dir, String name, Path cert, Path key, String user, String password, String... mechanisms) throws Exception {
            Path script = Path.of(TokenMailerTest.class.getResource("smtp_auth_server.py").toURI());
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path maildir = dir.resolve("maildir-" + name), log = dir.resolve("smtp-" + name + ".log");
            List<String> cmd = new java.util.ArrayList<>(List.of("/usr/bin/python3", script.toString(), "127.0.0.1", Integer.toString(port),
                    cert.toString(), key.toString(), maildir.toString()));
            cmd.addAll(List.of(mechanisms));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(log.toFile());
            pb.environment().put("SMTP_TEST_USER", user);
            pb.environment().put("SMTP_TEST_PASSWORD_HEX", java.util.HexFormat.of().formatHex(password.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            AuthServer s = new AuthServer(pb.start(), port, maildir, log);
            Thread reader = new Thread(() -> {
                try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(s.process.getInputStream()))) {
                    for (String line; (line = r.readLine()) != null; )
                        s.lines.add(line);
                } catch (IOException e) {
                    // the process ended
                }
            }, "aiosmtpd-" + name);
            reader.setDaemon(true);
            reader.start();
            String ready = s.lines.poll(20, java.util.concurrent.TimeUnit.SECONDS);
            if (!"READY".equals(ready)) {
                s.close();
                throw new AssertionError("smtp_auth_server.py did not start (" + ready + "): " + Files.readString(log));
            }
            return s;
        }

        TokenMailer.Smtp mailer(String user, String password, boolean starttls, javax.net.ssl.TrustManager trust) {
            TokenMailer.Smtp m = (TokenMailer.Smtp) TokenMailer.of("127.0.0.1:" + port, user, password, starttls, "ca@example.org");
            m.trust = trust;
            return m;
        }

        /** The next "AUTH ..." line (printed before the server answers, so already there or on its way). */
        String nextAuth() throws Exception {
            String l = lines.poll(10, java.util.concurrent.TimeUnit.SECONDS);
            if (l == null)
                throw new AssertionError("the server printed no AUTH line: " + Files.readString(log));
            return l;
        }

        /** The messages in the Maildir's new/ (Mailbox writes one before it answers DATA). */
        List<String> delivered() throws IOException {
            Path n = maildir.resolve("new");
            if (!Files.isDirectory(n))
                return List.of();
            try (Stream<Path> files = Files.list(n)) {
                List<String> out = new java.util.ArrayList<>();
                for (Path f : files.sorted().toList())
                    out.add(Files.readString(f));
                return out;
            }
        }

        @Override
        public void close() throws IOException {
            process.getOutputStream().close(); // end of stdin: the script stops its server
            try {
                if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    static void awaitPort(int port, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive())
                throw new AssertionError("aiosmtpd exited: " + Files.readString(log));
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.onSpinWait();
                p.waitFor(50, java.util.concurrent.TimeUnit.MILLISECONDS); // bounded wait for the server to listen
            }
        }
        throw new AssertionError("aiosmtpd does not listen on " + port);
    }
}
