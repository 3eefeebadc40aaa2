package re6st.registry;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * How the registry's tests wait for something another thread or process does: on the condition
 * itself, polled with a bounded timeout that only catches "never happens" (never a sleep of a
 * guessed length). The namespace harness has the same as {@code re6st.netsim.Wait}.
 */
public final class Poll {
    private Poll() {
    }

    /** Polls {@code condition} (1 ms, doubling up to 50 ms) until it holds; AssertionError naming {@code what} after {@code timeout}. */
    public static void until(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 1;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0)
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting until " + what);
            Thread.sleep(pause);
            pause = Math.min(pause * 2, 50);
        }
    }
}
