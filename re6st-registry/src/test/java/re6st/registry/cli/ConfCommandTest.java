package re6st.registry.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** re6st conf's own pieces (the enrolment end to end runs against the registry in netsim-tests). */
class ConfCommandTest {
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
    void subjectFieldsTheRegistryChoosesAreRefused() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(new ConfCommand());
        cl.setErr(new PrintWriter(err, true));
        java.io.PrintStream old = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true));
        try {
            assertEquals(1, cl.execute("--registry", "http://127.0.0.1:1/", "-r", "CN", "1/16"));
            assertEquals(1, cl.execute("--registry", "http://127.0.0.1:1/", "--anonymous", "--token", "abc"));
        } finally {
            System.setErr(old);
        }
        assertTrue(captured.toString().contains("the registry chooses the CN"), captured.toString());
        assertEquals(2, cl.execute("--email"), "usage error");
    }

    @Test
    void fingerprintNeedsAKnownHash() {
        assertThrows(IllegalArgumentException.class, () -> ConfCommand.fingerprintMatches(null, "nocolon"));
        assertThrows(java.security.NoSuchAlgorithmException.class, () -> ConfCommand.fingerprintMatches(null, "whirlpool:00"));
    }
}
