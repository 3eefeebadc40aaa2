package re6st.registry.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** The per-key token bucket, on a virtual clock. */
class RateLimiterTest {
    long now = 1_000_000_000_000L;

    RateLimiter limiter(String rate, int maxKeys) {
        return new RateLimiter(Rate.parse(rate), () -> now, maxKeys);
    }

    @Test
    void aBurstThenOneEachIntervalPerKey() {
        RateLimiter l = limiter("3/60", 100);
        for (int i = 0; i < 3; i++)
            assertEquals(Duration.ZERO, l.acquire("a"), "use " + (i + 1) + " of the burst");
        assertEquals(Duration.ofSeconds(20), l.acquire("a"), "the 4th waits one refill interval (60 s / 3)");
        assertEquals(Duration.ZERO, l.acquire("b"), "another key has its own bucket");
        now += Duration.ofSeconds(19).toNanos();
        assertEquals(Duration.ofSeconds(1), l.check("a"));
        now += Duration.ofSeconds(1).toNanos();
        assertEquals(Duration.ZERO, l.acquire("a"), "one refilled");
        assertEquals(Duration.ofSeconds(20), l.acquire("a"), "and only one");
        now += Duration.ofHours(1).toNanos();
        for (int i = 0; i < 3; i++)
            assertEquals(Duration.ZERO, l.acquire("a"), "a long pause refills the burst, no more: use " + (i + 1));
        assertEquals(Duration.ofSeconds(20), l.check("a"));
    }

    @Test
    void refusalsAndChecksTakeNothing() {
        RateLimiter l = limiter("2/60", 100);
        l.acquire("a");
        l.acquire("a");
        for (int i = 0; i < 50; i++)
            assertEquals(Duration.ofSeconds(30), l.acquire("a"), "refused again and again: the wait does not grow");
        now += Duration.ofSeconds(30).toNanos();
        assertEquals(Duration.ZERO, l.check("a"));
        assertEquals(Duration.ZERO, l.check("a"), "a check takes nothing");
        assertEquals(Duration.ZERO, l.acquire("a"));
    }

    @Test
    void chargesCountFailuresAfterTheFactButNeverBeyondAFullBucket() {
        RateLimiter l = limiter("3/60", 100);
        for (int i = 0; i < 100; i++)
            l.charge("a");
        assertEquals(Duration.ofSeconds(20), l.check("a"), "100 charges weigh what 3 do: one interval to the next allowance");
        now += Duration.ofSeconds(60).toNanos();
        for (int i = 0; i < 3; i++)
            assertEquals(Duration.ZERO, l.acquire("a"));
    }

    @Test
    void boundedTheLeastRecentlyUsedKeyIsForgotten() {
        RateLimiter l = limiter("1/60", 2);
        l.acquire("a");
        l.acquire("b");
        l.check("a"); // a is now more recent than b
        l.acquire("c");
        assertEquals(2, l.size());
        assertEquals(1, l.evicted());
        assertEquals(Duration.ZERO, l.check("b"), "b was forgotten: a full bucket again, like any new key");
        assertEquals(Duration.ofSeconds(60), l.check("a"), "a was kept");
    }

    @Test
    void zeroIsNoLimit() {
        RateLimiter l = limiter("0", 1);
        for (int i = 0; i < 1000; i++)
            assertEquals(Duration.ZERO, l.acquire("k" + i));
        assertEquals(0, l.size(), "nothing remembered");
    }

    @Test
    void ratesAsTheCommandLineWritesThem() {
        assertEquals(new Rate(30, Duration.ofSeconds(60)), Rate.parse("30/60"));
        assertEquals("30/60", Rate.parse(" 30/60 ").toString());
        assertEquals(Rate.OFF, Rate.parse("0/60"));
        assertEquals("0", Rate.OFF.toString());
        for (String bad : new String[] {"", "30", "30/0", "-1/60", "a/b", "30/60/1", "1/-5"})
            assertThrows(IllegalArgumentException.class, () -> Rate.parse(bad), bad);
    }
}
