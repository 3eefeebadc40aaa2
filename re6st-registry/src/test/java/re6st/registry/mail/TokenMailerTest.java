package re6st.registry.mail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

/** Token mail to an mbox file, and through a real SMTP server (Debian's python3-aiosmtpd) with and without STARTTLS. */
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

    static boolean hasAiosmtpd() {
        try {
            return new ProcessBuilder("/usr/bin/python3", "-c", "import aiosmtpd").start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void smtpWithAndWithoutStarttls(@TempDir Path dir) throws Exception {
        if (!hasAiosmtpd())
            System.out.println("SKIPPED TokenMailerTest.smtpWithAndWithoutStarttls: needs python3-aiosmtpd (apt-get install python3-aiosmtpd)");
        assumeTrue(hasAiosmtpd(), "python3-aiosmtpd is not installed");
        Path cert = dir.resolve("smtp.crt"), key = dir.resolve("smtp.key");
        Process ossl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out",
                cert.toString(), "-days", "1", "-subj", "/CN=localhost").redirectErrorStream(true).start();
        ossl.getInputStream().readAllBytes();
        assertEquals(0, ossl.waitFor());
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
                    m.trust = org.apache.commons.net.util.TrustManagerUtils.getAcceptAllTrustManager(); // a throwaway self-signed server cert
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
