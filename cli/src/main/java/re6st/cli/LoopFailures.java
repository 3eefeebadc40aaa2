package re6st.cli;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a daemon loop does with an exception while handling one packet, datagram, request or
 * timer: count it, log it once per cause (the exception type and where it was thrown; the first
 * time with its stack trace, since it is a bug), and go on with the next one. A loop must not
 * die of one bad input, nor stay silent about it.
 */
public final class LoopFailures {
    private final System.Logger log;
    private final String loop;
    private final AtomicLong count = new AtomicLong();
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    /** {@code loop} names the loop in the log ("babel core", "tunnel receive"). */
    public LoopFailures(System.Logger log, String loop) {
        this.log = log;
        this.loop = loop;
    }

    /** Records that handling {@code what} (e.g. "a packet from fe80::1%eth0") failed with {@code e}; the loop goes on. */
    public void survived(String what, Exception e) {
        long n = count.incrementAndGet();
        StackTraceElement[] st = e.getStackTrace();
        String cause = e.getClass().getName() + (st.length > 0 ? " at " + st[0] : "");
        if (seen.size() < 1000 && seen.add(cause))
            log.log(System.Logger.Level.ERROR, loop + ": handling " + what + " failed (a bug in re6st; the loop goes on, "
                    + "and further failures of this kind are only counted): " + e, e);
        else
            log.log(System.Logger.Level.DEBUG, loop + ": handling " + what + " failed again (" + n + " in all): " + e);
    }

    /** Exceptions survived so far. */
    public long count() {
        return count.get();
    }
}
