package re6st.babel;

/**
 * babeld's resend.c schedule: something sent once now, then resent a fixed number of times at
 * intervals that double from a base (max(min(2 s, hello / 2), 20 ms)). Used for seqno requests
 * and urgent updates. Times are the core's monotonic nanoseconds.
 */
final class Resend {
    /** Resends after the first send: 3 sends in all, as babeld. */
    static final int RESENDS = 2;

    private int left;
    private long next = Long.MAX_VALUE;
    private long interval;

    /** Sent now: schedules the resends, the first {@code intervalNs} from now. */
    void start(long now, long intervalNs) {
        left = RESENDS;
        interval = intervalNs;
        next = now + intervalNs;
    }

    /** True when a resend is due at {@code now}: it is counted and the next one scheduled, twice as far. */
    boolean due(long now) {
        if (left <= 0 || now - next < 0)
            return false;
        left--;
        interval *= 2;
        next = now + interval;
        return true;
    }

    /** No resend left. */
    boolean done() {
        return left <= 0;
    }

    /** When the next resend is due ({@link Long#MAX_VALUE} when done). */
    long next() {
        return left > 0 ? next : Long.MAX_VALUE;
    }
}
