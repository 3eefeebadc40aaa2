package re6st.cli;

import java.util.logging.LogManager;

/**
 * java.util.logging's manager for our daemons ({@code -Djava.util.logging.manager=re6st.cli.DaemonLogManager},
 * set by the launcher): the JDK's own shutdown hook resets the logging (closing every handler) while
 * the daemons' hooks are still at work, so what a node said at SIGTERM ("routes retracted", "tunnel
 * closed", "deleted the UPnP mapping") was lost. This manager ignores a reset during shutdown: the
 * handlers stay open until the JVM ends (ours flush every record, ConsoleHandler too).
 */
public final class DaemonLogManager extends LogManager {
    /** The value of {@code java.util.logging.manager} that selects this manager. */
    public static final String PROPERTY = "-Djava.util.logging.manager=" + DaemonLogManager.class.getName();

    @Override
    public void reset() {
        if (shuttingDown())
            return;
        super.reset();
    }

    /** True once the JVM runs its shutdown hooks (a hook can no longer be added). */
    static boolean shuttingDown() {
        Thread probe = new Thread(() -> {});
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }
}
