package re6st.cli;

import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A long-running command's life: it runs until SIGTERM or SIGINT, then closes what it opened (in
 * reverse order); and if one of its loops dies, the whole process goes down with a clear message
 * and a non-zero exit, so that a supervisor (systemd) restarts it, instead of a half-alive daemon.
 * Under systemd ({@code Type=notify}) it says READY=1 once serving and STOPPING=1 at SIGTERM.
 */
public final class Daemon {
    /** Exit status when a loop of the daemon died (EX_SOFTWARE of sysexits.h). */
    public static final int LOOP_DIED = 70;

    private Daemon() {}

    /**
     * Blocks until the JVM is asked to stop (SIGTERM, SIGINT, or {@link #die}), then closes
     * {@code resources} last to first; a failure to close one is printed and the others are still closed.
     */
    public static void runUntilTerminated(String name, List<? extends AutoCloseable> resources) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            SdNotify.notify("STOPPING=1");
            try {
                closeAll(name, resources);
            } finally {
                stop.countDown();
            }
        }, name.replace(' ', '-') + "-shutdown"));
        SdNotify.notify("READY=1\nSTATUS=" + name + " running");
        stop.await();
    }

    /** Closes {@code resources} last to first, printing (not throwing) what fails. */
    public static void closeAll(String name, List<? extends AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                System.err.println(name + ": closing " + resources.get(i) + ": " + Failures.explain(e));
            }
        }
    }

    /**
     * A loop the daemon cannot live without ended with {@code why}: says so, with the trace, and
     * exits with {@link #LOOP_DIED} (the shutdown hooks close the rest). Never returns.
     */
    public static void die(String name, String loop, Throwable why) {
        System.err.println(name + ": the " + loop + " loop died: " + Failures.explain(why)
                + "; exiting (status " + LOOP_DIED + ") so that a supervisor restarts " + name);
        why.printStackTrace();
        System.err.flush();
        System.exit(LOOP_DIED);
    }
}
