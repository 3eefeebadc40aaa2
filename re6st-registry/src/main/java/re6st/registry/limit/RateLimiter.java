package re6st.registry.limit;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * One {@link Rate} per key (a source network, an e-mail address, a prefix): a token bucket kept
 * as its "theoretical arrival time" (GCRA, the ATM cell-rate algorithm): a key is allowed while
 * that time is at most {@code period} ahead of now; each use pushes it one refill interval on.
 * Time comes from an injected clock (monotonic nanoseconds), so tests run on virtual time.
 *
 * <p>Bounded memory: the keys come from the network (an attacker chooses them), so at most
 * {@code maxKeys} are kept, the least recently used forgotten first (counted in {@link #evicted}).
 * A forgotten key starts again with a full bucket: what any new key gets, so eviction gives an
 * attacker nothing that more addresses would not. Thread-safe.
 */
public final class RateLimiter {
    private final Rate rate;
    private final LongSupplier nanos;
    private final int maxKeys;
    private final LinkedHashMap<Object, long[]> due; // key -> {theoretical arrival time}
    private long evicted;

    public RateLimiter(Rate rate, LongSupplier nanos, int maxKeys) {
        if (maxKeys < 1)
            throw new IllegalArgumentException("maxKeys must be positive, got " + maxKeys);
        this.rate = rate;
        this.nanos = nanos;
        this.maxKeys = maxKeys;
        this.due = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Object, long[]> eldest) {
                if (size() <= RateLimiter.this.maxKeys)
                    return false;
                evicted++;
                return true;
            }
        };
    }

    public Rate rate() {
        return rate;
    }

    /** Zero when {@code key} may go on now; else how long until it may. Takes nothing. */
    public synchronized Duration check(Object key) {
        if (!rate.enabled())
            return Duration.ZERO;
        long now = nanos.getAsLong();
        long[] d = due.get(key);
        long tat = d == null ? now : Math.max(d[0], now);
        long ahead = tat + rate.intervalNanos() - now;
        long allowance = rate.period().toNanos();
        return ahead <= allowance ? Duration.ZERO : Duration.ofNanos(ahead - allowance);
    }

    /** {@link #check}, and when it is zero, uses one of the key's allowance. */
    public synchronized Duration acquire(Object key) {
        Duration wait = check(key);
        if (wait.isZero())
            charge(key);
        return wait;
    }

    /** Uses one of the key's allowance whatever is left (a failure to count after the fact); never more than a full bucket. */
    public synchronized void charge(Object key) {
        if (!rate.enabled())
            return;
        long now = nanos.getAsLong();
        long[] d = due.get(key);
        long tat = d == null ? now : Math.max(d[0], now);
        long next = Math.min(tat + rate.intervalNanos(), now + rate.period().toNanos());
        if (d == null)
            due.put(key, new long[] {next});
        else
            d[0] = next;
    }

    /** Keys held now. */
    public synchronized int size() {
        return due.size();
    }

    /** Keys forgotten because {@code maxKeys} were held. */
    public synchronized long evicted() {
        return evicted;
    }
}
