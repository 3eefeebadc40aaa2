package re6st.registry.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import re6st.cli.Launcher;

/** re6st conf's own pieces and its one-line errors (the enrolment end to end is EnrolmentTest). */
class ConfCommandTest {
    record Outcome(int code, List<String> lines) {}

    static Outcome conf(String... args) {
        StringWriter w = new StringWriter();
        int code = Launcher.commandLine(new ConfCommand(), new PrintWriter(w, true)).execute(args);
        return new Outcome(code, w.toString().lines().toList());
    }

    @Test
    void keyFilesAreWrittenPrivateFromTheStart(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("cert.key");
        ConfCommand.writeAtomically(key, "secret".getBytes(), true);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        ConfCommand.writeAtomically(key, "secret2".getBytes(), true);
        assertEquals("secret2", Files.readString(key));
        assertFalse(Files.exists(dir.resolve(".cert.key.tmp")));
    }

    @Test
    void subjectFieldsTheRegistryChoosesAreAUsageError(@TempDir Path dir) {
        assertEquals(new Outcome(2, List.of("re6st conf: -r CN: the registry chooses the CN and serialNumber")),
                conf("--registry", "http://127.0.0.1:1/", "-d", dir.toString(), "-r", "CN", "1/16"));
    }

    @Test
    void anonymousWithATokenIsAUsageErrorBeforeAnyNetworkCall(@TempDir Path dir) {
        // a closed port would give exit 1 "cannot reach": the usage check comes first
        assertEquals(new Outcome(2, List.of("re6st conf: --anonymous excludes --token and --email")),
                conf("--registry", "http://127.0.0.1:1/", "-d", dir.toString(), "--anonymous", "--token", "abc"));
    }

    @Test
    void aMissingOptionValueIsAUsageError() {
        Outcome o = conf("--email");
        assertEquals(2, o.code);
        assertTrue(o.lines.get(0).startsWith("re6st conf: Missing required parameter for option '--email'"), o.lines.toString());
    }

    @Test
    void aRegistryThatIsNotAUrlIsAUsageErrorNamingIt(@TempDir Path dir) {
        assertEquals(new Outcome(2, List.of("re6st conf: --registry: 'not-a-url' is not an http:// or https:// URL with a host "
                + "(e.g. http://re6st.example.com/)")), conf("--registry", "not-a-url", "--anonymous", "-d", dir.toString()));
    }

    @Test
    void aRegistryNobodyListensAtSaysWhichUrlAndWhy(@TempDir Path dir) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) { // a port that was just free, now closed
            port = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port + "/";
        Outcome o = conf("--registry", url, "--anonymous", "-d", dir.toString());
        assertEquals(1, o.code);
        assertEquals(List.of("re6st conf: cannot reach the registry at " + url + " (getCa): connection refused (nothing listens "
                + "there: is the service running, are the host and port right?)"), o.lines);
    }

    @Test
    void fingerprintNeedsAKnownHash(@TempDir Path dir) {
        assertEquals("--fingerprint: expected ALG:HEX, e.g. sha256:ab12...", assertUsage(() -> ConfCommand.fingerprintMatches(null, "nocolon")));
        assertTrue(assertUsage(() -> ConfCommand.fingerprintMatches(null, "whirlpool:00")).startsWith("--fingerprint: unknown hash whirlpool"));
    }

    private static String assertUsage(org.junit.jupiter.api.function.Executable e) {
        re6st.cli.CommandFailure f = org.junit.jupiter.api.Assertions.assertThrows(re6st.cli.CommandFailure.class, e);
        assertEquals(2, f.exitCode());
        return f.getMessage();
    }
}
