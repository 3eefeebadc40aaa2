package re6st.registry.limit;

import java.time.Duration;

/**
 * A rate limit as the command line gives it, {@code N/SECONDS}: up to {@code burst} at once, and
 * {@code burst} more each {@code period} on average (a token bucket of {@code burst} tokens
 * refilled one every {@code period / burst}). {@code 0} turns the limit off.
 */
public record Rate(int burst, Duration period) {
    public static final Rate OFF = new Rate(0, Duration.ofSeconds(1));

    public Rate {
        if (burst < 0 || period.isNegative() || period.isZero())
            throw new IllegalArgumentException("a rate is N/SECONDS with N >= 0 and SECONDS >= 1, got " + burst + "/" + period.toSeconds());
    }

    /** {@code N/SECONDS}, or {@code 0} (no limit). */
    public static Rate parse(String text) {
        String t = text.strip();
        if (t.equals("0"))
            return OFF;
        int slash = t.indexOf('/');
        try {
            if (slash < 0)
                throw new NumberFormatException();
            int n = Integer.parseInt(t.substring(0, slash));
            long s = Long.parseLong(t.substring(slash + 1));
            if (n < 0 || s < 1)
                throw new NumberFormatException();
            return n == 0 ? OFF : new Rate(n, Duration.ofSeconds(s));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a rate: N/SECONDS (e.g. 30/60: 30 at once, 30 a minute), or 0 for none");
        }
    }

    public boolean enabled() {
        return burst > 0;
    }

    /** Nanoseconds between two refills. */
    long intervalNanos() {
        return Math.max(1, period.toNanos() / burst);
    }

    @Override
    public String toString() {
        return enabled() ? burst + "/" + period.toSeconds() : "0";
    }
}
