package re6st.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SdNotifyTest {
    @TempDir
    Path dir;

    @Test
    void aStateReachesTheSocketNamedByNotifySocket() {
        try (NotifyListener l = NotifyListener.inDirectory(dir)) {
            assertTrue(SdNotify.notify(l.name(), "READY=1\nSTATUS=serving"));
            assertEquals("READY=1\nSTATUS=serving", l.next(5));
        }
    }

    @Test
    void anAbstractSocketNameWorksToo() {
        String name = "@re6st-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (NotifyListener l = new NotifyListener(name)) {
            assertTrue(SdNotify.notify(name, "STOPPING=1"));
            assertEquals("STOPPING=1", l.next(5));
        }
    }

    @Test
    void withoutAServiceManagerNothingIsSent() {
        assertFalse(SdNotify.notify(null, "READY=1"));
        assertFalse(SdNotify.notify("", "READY=1"));
        assertFalse(SdNotify.notify("relative/path", "READY=1"), "refused: not absolute");
        assertFalse(SdNotify.notify("/" + "x".repeat(SdNotify.PATH_MAX), "READY=1"), "refused: too long for sun_path");
        assertFalse(SdNotify.notify(dir.resolve("nobody-listens").toString(), "READY=1"), "a send that fails says so");
    }

    @Test
    void aFilePathAddressEndsWithItsNul() {
        byte[] a = SdNotify.sockaddr("/run/x");
        assertEquals(2 + 6 + 1, a.length);
        assertEquals(0, a[a.length - 1]);
        assertEquals('/', a[2]);
        byte[] b = SdNotify.sockaddr("@x");
        assertEquals(2 + 2, b.length, "an abstract name's length is exact");
        assertEquals(0, b[2]);
        assertEquals('x', b[3]);
    }

    /** A daemon under systemd: READY=1 once it serves, STOPPING=1 at SIGTERM. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Daemon.runUntilTerminated("re6st child", List.of(() -> System.out.println("closed")));
        }
    }

    @Test
    void aDaemonSaysReadyThenStoppingAtSigterm() throws Exception {
        try (NotifyListener l = NotifyListener.inDirectory(dir)) {
            ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
                    System.getProperty("java.class.path"), Child.class.getName());
            pb.environment().put("NOTIFY_SOCKET", l.name());
            Process p = pb.start();
            try {
                assertEquals("READY=1\nSTATUS=re6st child running", l.next(60));
                p.destroy(); // SIGTERM
                assertEquals("STOPPING=1", l.next(60));
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
                assertEquals(143, p.exitValue(), "killed by SIGTERM after the shutdown hook ran");
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
