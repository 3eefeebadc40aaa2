package re6st.node;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.Future;
import java.util.function.LongSupplier;

import re6st.cli.Failures;

/**
 * The timer that restores each {@link TunnelCuts cut} at its own bound: the control socket's
 * {@code blackhole} goes through {@link #blackhole}, which arms one task at the earliest bound;
 * that task restores what is due ({@link TunnelCuts#expire}) and arms itself again at the next
 * bound {@code expire} returns, until no cut is left. A new cut with an earlier bound moves the task
 * earlier. Any thread.
 */
final class CutBounds {
    private static final Logger LOG = System.getLogger("re6st.node.blackhole");
    /** When restoring fails (a bug): try again this much later rather than leave a tunnel cut. */
    static final long RETRY_MS = 1_000;

    /** Runs a task once after a delay (the daemon's single-thread scheduled executor; a test's fake clock). */
    @FunctionalInterface
    interface Scheduler {
        Future<?> schedule(Runnable task, long delayMs);
    }

    private final TunnelCuts cuts;
    private final Scheduler scheduler;
    private final LongSupplier clockMs;
    private Future<?> armed; // the one task waiting, at armedAt (clock ms); null: none
    private long armedAt;

    CutBounds(TunnelCuts cuts, Scheduler scheduler, LongSupplier clockMs) {
        this.cuts = cuts;
        this.scheduler = scheduler;
        this.clockMs = clockMs;
    }

    /** The control socket's {@code blackhole}: {@link TunnelCuts#blackhole}, then the timer at the earliest bound. */
    String blackhole(List<String> args, String who) {
        String a = cuts.blackhole(args, who);
        arm();
        return a;
    }

    /** Restores what is due, and arms the task at the next bound (unless it waits for that one or an earlier one already). */
    synchronized void arm() {
        arm(cuts.expire());
    }

    private void arm(long next) {
        if (next == Long.MAX_VALUE) {
            if (armed != null)
                armed.cancel(false);
            armed = null;
            return;
        }
        if (armed != null && !armed.isDone() && armedAt - next <= 0)
            return;
        if (armed != null)
            armed.cancel(false);
        armedAt = next;
        armed = scheduler.schedule(() -> fire(next), Math.max(0, next - clockMs.getAsLong()));
    }

    private synchronized void fire(long at) {
        if (at == armedAt)
            armed = null; // this task: it has run
        try {
            arm();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "restoring a blackholed tunnel: {0} (trying again in {1} ms)", Failures.explain(e), RETRY_MS);
            arm(clockMs.getAsLong() + RETRY_MS);
        }
    }
}
