package re6st.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class DaemonTest {
    /** A daemon whose loop dies: it must not stay half alive. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            List<AutoCloseable> opened = List.of(() -> System.out.println("closed on the way out"));
            Thread loop = new Thread(() -> {
                try {
                    throw new OutOfMemoryError("simulated");
                } catch (Throwable e) {
                    Daemon.die("re6st child", "core", e);
                }
            }, "core");
            loop.start();
            Daemon.runUntilTerminated("re6st child", opened);
        }
    }

    @Test
    void aDeadLoopTakesTheProcessDownWithStatus70AndSaysWhy() throws Exception {
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), Child.class.getName()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child exits by itself");
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(Daemon.LOOP_DIED, p.exitValue(), err);
        assertTrue(err.startsWith("re6st child: the core loop died: java.lang.OutOfMemoryError: simulated; exiting (status 70) "
                + "so that a supervisor restarts re6st child"), err);
        assertEquals("closed on the way out\n", out, "what the daemon opened is closed by the shutdown hook");
    }

    @Test
    void closeAllClosesEveryResourceLastToFirstEvenWhenOneFails() {
        List<String> closed = new ArrayList<>();
        Daemon.closeAll("re6st t", List.of(() -> closed.add("first"), () -> {
            throw new java.io.IOException("cannot");
        }, () -> closed.add("last")));
        assertEquals(List.of("last", "first"), closed);
    }
}
