package re6st.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command, run through the {@code ./re6st} launcher as a user runs it, answers each kind of
 * mistake with one line that names the thing and the fix, and the original tools' exit code (2:
 * usage or configuration, 1: failure), without a stack trace. The launcher runs on the test's
 * classpath (RE6ST_CLASSPATH) instead of building.
 */
class LauncherErrorsTest {
    static final Path LAUNCHER = Path.of("..", "re6st").toAbsolutePath().normalize();

    record Run(int code, List<String> out, List<String> err) {
        /** The error output is exactly {@code line}. */
        void saysOnly(int expectedCode, String line) {
            assertEquals(expectedCode, code, "exit code; stderr: " + err);
            assertEquals(List.of(line), err, "one line on stderr, no stack trace");
        }
    }

    static Run re6st(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        pb.environment().put("RE6ST_CLASSPATH", cp);
        pb.environment().put("JAVA", ProcessHandle.current().info().command().orElse("java")); // this test's JVM
        // what would add lines of its own, or change what the commands do
        for (String v : List.of("RE6ST_DEBUG", "RE6ST_JAVA_OPTS", "GEOIP2_MMDB", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS"))
            pb.environment().remove(v);
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("re6st " + String.join(" ", args) + " did not end within 60 s");
        }
        return new Run(p.exitValue(), out.get().lines().toList(), err.get().lines().toList());
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort(); // free a moment ago, closed now: nothing listens there
        }
    }

    // ---- re6st conf ----

    @Test
    void confWithNothingListeningAtTheRegistrySaysWhichUrlAndThatItWasRefused(@TempDir Path dir) throws Exception {
        String url = "http://127.0.0.1:" + closedPort() + "/";
        re6st("conf", "--registry", url, "--anonymous", "-d", dir.toString()).saysOnly(1, "re6st conf: cannot reach the registry at "
                + url + " (getCa): connection refused (nothing listens there: is the service running, are the host and port right?)");
    }

    @Test
    void confWithARegistryThatIsNotAUrlIsAUsageError(@TempDir Path dir) throws Exception {
        re6st("conf", "--registry", "not-a-url", "--anonymous", "-d", dir.toString()).saysOnly(2,
                "re6st conf: --registry: 'not-a-url' is not an http:// or https:// URL with a host (e.g. http://re6st.example.com/)");
    }

    @Test
    void confWithAnUnknownOptionPointsToHelp() throws Exception {
        Run r = re6st("conf", "--registry", "http://127.0.0.1/", "--bogus");
        assertEquals(2, r.code);
        assertEquals(List.of("re6st conf: Unknown option: '--bogus'", "Run 're6st conf --help' for the options."), r.err);
    }

    // ---- re6st bench failover ----

    @Test
    void benchFailoverWithBadInputOrNoNodeSaysSoAndTouchesNothing(@TempDir Path dir) throws Exception {
        re6st("bench", "failover", "--to", "not-an-address").saysOnly(2,
                "re6st bench failover: --to not-an-address: not an IPv6 address (give the overlay address of another node)");
        re6st("bench", "failover", "--to", "2001:db8::1", "--duration", "301").saysOnly(2, "re6st bench failover: --duration 301: 1 to 300 s");
        Run noNode = re6st("bench", "failover", "--to", "2001:db8::1", "-r", dir.toString());
        if (new com.sun.security.auth.module.UnixSystem().getUid() == 0)
            noNode.saysOnly(1, "re6st bench failover: no node control socket at " + dir.resolve("babeld.sock") + ": is re6st node running, with -r "
                    + dir + "?");
        else
            noNode.saysOnly(1, "re6st bench failover: it runs as root: it uses the node's control socket (mode 0600) "
                    + "and pings every 10 ms");
    }

    // ---- re6st registry ----

    @Test
    void registryWithABadLimitNamesTheOptionAndTheForm(@TempDir Path dir) throws Exception {
        Run r = re6st("registry", "--ca", dir.resolve("ca.crt").toString(), "--key", dir.resolve("ca.key").toString(),
                "--hello-rate-per-source", "30");
        assertEquals(2, r.code, "stderr: " + r.err);
        assertEquals(List.of("re6st registry: Invalid value for option '--hello-rate-per-source': '30' is not a rate: N/SECONDS "
                + "(e.g. 30/60: 30 at once, 30 a minute), or 0 for none", "Run 're6st registry --help' for the options."), r.err);
        re6st("registry", "--ca", dir.resolve("ca.crt").toString(), "--key", dir.resolve("ca.key").toString(), "--token-length", "5")
                .saysOnly(2, "re6st registry: --token-length must be 8 (the original's) to 26 (every letter once), got 5");
    }

    @Test
    void registryWithAMissingCaFileNamesIt(@TempDir Path dir) throws Exception {
        Path ca = dir.resolve("ca.crt");
        re6st("registry", "--ca", ca.toString(), "--key", dir.resolve("ca.key").toString(), "--db", dir.resolve("r.db").toString())
                .saysOnly(2, "re6st registry: " + ca + ": no such file or directory (check the path)");
        assertFalse(Files.exists(dir.resolve("r.db")), "nothing created");
    }

    @Test
    void registryStartsWithoutLibraryNoiseAndABusyPortIsOneLine(@TempDir Path dir) throws Exception {
        Path ca = dir.resolve("ca.crt"), key = dir.resolve("ca.key");
        Run init = re6st("registry", "init-ca", "--network", "2001:db8:42::/48", "--ca", ca.toString(), "--key", key.toString());
        assertEquals(0, init.code, init.err.toString());
        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new java.net.InetSocketAddress("::", 0));
            int port = busy.getLocalPort();
            Run r = re6st("registry", "--ca", ca.toString(), "--key", key.toString(), "--db", dir.resolve("r.db").toString(),
                    "--port", String.valueOf(port), "-r", dir.toString());
            assertEquals(1, r.code, "a busy port is a failure of the environment, not of the command line: " + r.err);
            String last = r.err.get(r.err.size() - 1);
            assertTrue(last.startsWith("re6st registry: cannot listen on port " + port + " (--port): cannot use the local address: ")
                    && last.endsWith("Address already in use (another process listens there: pick another port, or stop it)"), r.err.toString());
            // what precedes the error is the registry's own log (java.util.logging, two lines a record), nothing from SLF4J
            assertFalse(r.err.stream().anyMatch(l -> l.startsWith("SLF4J")), r.err.toString());
            assertFalse(r.err.stream().anyMatch(l -> l.startsWith("\tat ")), "no stack trace: " + r.err);
        }
    }

    @Test
    void slf4jLoggingReachesJavaUtilLogging() throws Exception {
        // metrics-core and Netty log through SLF4J; with the jdk14 binding their records reach the handlers -v/-l configure
        assertEquals("org.slf4j.impl.JDK14LoggerFactory", org.slf4j.LoggerFactory.getILoggerFactory().getClass().getName());
    }

    // ---- re6st babel ----

    @Test
    void babelWithABadStatementValueNamesTheStatement() throws Exception {
        re6st("babel", "-C", "interface foo hello-interval banana")
                .saysOnly(2, "re6st babel: -C 1: interface: hello-interval needs a positive number, got 'banana'");
    }

    @Test
    void babelWithAMissingConfigFileNamesIt(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("babeld.conf");
        re6st("babel", "-c", f.toString(), "lo").saysOnly(2, "re6st babel: -c: " + f + ": no such file or directory (check the path)");
    }

    @Test
    void babelOnAnInterfaceThatDoesNotExistSaysHowToListThem() throws Exception {
        re6st("babel", "no-such-if0").saysOnly(2, "re6st babel: no interface no-such-if0 on this machine ('ip link' lists them)");
    }

    // ---- re6st node ----

    @Test
    void nodeWithoutItsRequiredOptionsNamesThemAndTheOptionsFile() throws Exception {
        re6st("node").saysOnly(2, "re6st node: missing --registry URL, --ca FILE, --cert FILE, --key FILE (on the command line, "
                + "or in an options file such as the re6stnet.conf that re6st conf writes: re6st node @re6stnet.conf)");
    }

    @Test
    void nodeWithAMissingCaFileNamesIt(@TempDir Path dir) throws Exception {
        Path ca = dir.resolve("ca.crt");
        re6st("node", "--registry", "http://127.0.0.1/", "--ca", ca.toString(), "--cert", dir.resolve("cert.crt").toString(),
                "--key", dir.resolve("cert.key").toString(), "-s", dir.toString(), "-r", dir.toString())
                .saysOnly(2, "re6st node: " + ca + ": no such file or directory (check the path)");
    }

    @Test
    void nodeWithAStatusPageAddressThatIsNoAddressSaysSo(@TempDir Path dir) throws Exception {
        String[] files = {"--registry", "http://127.0.0.1/", "--ca", dir.resolve("ca.crt").toString(), "--cert",
            dir.resolve("cert.crt").toString(), "--key", dir.resolve("cert.key").toString(), "--http"};
        re6st(with(files, "status.example.com:8080")).saysOnly(2, "re6st node: --http status.example.com:8080: not an IP address: 'status.example.com'");
        re6st(with(files, "80x")).saysOnly(2, "re6st node: --http 80x: expected PORT or ADDR:PORT for the status page, got '80x'");
    }

    /** {@code re6st node FILES... --http VALUE}. */
    private static String[] with(String[] files, String http) {
        java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of("node"));
        all.addAll(java.util.List.of(files));
        all.add(http);
        return all.toArray(String[]::new);
    }

    // ---- re6st tunnel ----

    @Test
    void tunnelWithAMissingCertificateNamesIt(@TempDir Path dir) throws Exception {
        Path ca = dir.resolve("ca.crt");
        re6st("tunnel", "--connect", "198.18.0.1:1194", "--ca", ca.toString(), "--cert", dir.resolve("c.crt").toString(),
                "--key", dir.resolve("c.key").toString()).saysOnly(2, "re6st tunnel: " + ca + ": no such file or directory (check the path)");
    }

    @Test
    void tunnelWithANameInsteadOfAnAddressIsAUsageError(@TempDir Path dir) throws Exception {
        re6st("tunnel", "--connect", "peer.example.com:1194", "--ca", "a", "--cert", "b", "--key", "c").saysOnly(2,
                "re6st tunnel: --connect: 'peer.example.com' is not an IP address (give the peer's address, not a name)");
        re6st("tunnel", "--listen", "99999", "--ca", "a", "--cert", "b", "--key", "c").saysOnly(2,
                "re6st tunnel: --listen: '99999' is not a port number (0-65535)");
        re6st("tunnel", "--listen", "1194", "--ca", "a", "--cert", "b", "--key", "c", "--session-lifetime", "1 day").saysOnly(2,
                "re6st tunnel: --session-lifetime: expected a duration such as 3600, 90s, 30m or 1h, got '1 day'");
        re6st("tunnel", "--listen", "1194", "--ca", "a", "--cert", "b", "--key", "c", "--session-lifetime", "0").saysOnly(2,
                "re6st tunnel: --session-lifetime must be between 1 s and 7 days, got 0");
    }

    @Test
    void tunnelWithABadNumberIsPicocliOneLineAndHelp() throws Exception {
        Run r = re6st("tunnel", "--connect", "198.18.0.1:1", "--ca", "a", "--cert", "b", "--key", "c", "--rekey", "soon");
        assertEquals(2, r.code);
        assertEquals(List.of("re6st tunnel: Invalid value for option '--rekey': 'soon' is not a long",
                "Run 're6st tunnel --help' for the options."), r.err);
    }

    // ---- re6st demo ----

    @Test
    void demoWithABadDurationIsAUsageError() throws Exception {
        re6st("demo", "--cut", "0").saysOnly(2, "re6st demo: --cut must be more than 0 and at most 600 seconds, got 0.0");
    }

    // ---- the launcher itself ----

    @Test
    void anUnknownCommandIsAUsageErrorListingTheCommands() throws Exception {
        Run r = re6st("nosuchcommand");
        assertEquals(2, r.code);
        assertEquals("re6st: unknown command 'nosuchcommand'", r.err.get(0));
        assertTrue(r.err.stream().anyMatch(l -> l.startsWith("  conf ")), r.err.toString());
    }
}
