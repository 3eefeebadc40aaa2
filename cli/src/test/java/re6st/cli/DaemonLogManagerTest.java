package re6st.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import org.junit.jupiter.api.Test;

class DaemonLogManagerTest {
    /** A daemon whose shutdown hook logs after the JDK's logging shutdown may have run. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Logger log = Logger.getLogger("re6st.child");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                // the JDK's own hook (LogManager's cleaner) runs alongside: wait until it reset the logging (the root's
                // console handler gone), or 2 s (ours never does)
                long end = System.nanoTime() + 2_000_000_000L;
                while (Logger.getLogger("").getHandlers().length > 0 && System.nanoTime() < end)
                    Thread.onSpinWait();
                log.info("last words at shutdown");
            }));
            log.info("started");
            System.exit(0);
        }
    }

    private static String run(boolean ours) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        if (ours)
            cmd.add(DaemonLogManager.PROPERTY);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("started"), out);
        return out;
    }

    @Test
    void whatAShutdownHookLogsIsNotLost() throws Exception {
        assertTrue(run(true).contains("last words at shutdown"), "with our manager, the hook's line is written");
        // the JDK's default loses it (the reason for this class); if a JDK stops doing so, this says the class can go
        assertTrue(!run(false).contains("last words at shutdown"), "the JDK's manager resets the logging at shutdown");
    }
}
