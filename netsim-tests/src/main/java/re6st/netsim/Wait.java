package re6st.netsim;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waiting on a condition with a bounded timeout: the only way tests synchronise. */
public final class Wait {
    private Wait() {}

    /** Polls {@code condition} until it holds; throws AssertionError naming {@code what} after {@code timeout}. */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        if (!poll(timeout, condition))
            throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting until " + what);
    }

    /** Like {@link #until} but returns false instead of throwing. */
    public static boolean poll(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 1_000_000; // 1 ms, doubling up to 100 ms
        while (true) {
            if (condition.getAsBoolean())
                return true;
            long left = deadline - System.nanoTime();
            if (left <= 0)
                return false;
            sleepNanos(Math.min(pause, left));
            pause = Math.min(pause * 2, 100_000_000);
        }
    }

    /** Waits until {@code supplier} returns non-null and returns it. */
    public static <T> T forValue(String what, Duration timeout, Supplier<T> supplier) {
        Object[] box = new Object[1];
        until(what, timeout, () -> (box[0] = supplier.get()) != null);
        @SuppressWarnings("unchecked")
        T t = (T) box[0];
        return t;
    }

    private static void sleepNanos(long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
    }
}
