package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReplayWindowTest {
    private final ReplayWindow window = new ReplayWindow();

    @Test
    void windowSize() {
        assertEquals(1984, ReplayWindow.SIZE);
    }

    @Test
    void inOrderEachOnce() {
        for (long c = 0; c < 10_000; c++) {
            assertTrue(window.accept(c), "first " + c);
            assertFalse(window.accept(c), "replayed " + c);
        }
    }

    @Test
    void counterZeroFirstAndOnlyOnce() {
        assertTrue(window.accept(0));
        assertFalse(window.accept(0));
        assertTrue(window.accept(1));
        assertFalse(window.accept(0));
    }

    @Test
    void counterZeroAfterLaterOnes() {
        assertTrue(window.accept(5));
        assertTrue(window.accept(0), "0 is within the window behind 5");
        assertFalse(window.accept(0));
    }

    @Test
    void reorderingWithinTheWindow() {
        long top = 5000;
        assertTrue(window.accept(top));
        for (long c = top - 1; c >= top - ReplayWindow.SIZE; c--)
            assertTrue(window.accept(c), "late " + c);
        for (long c = top - ReplayWindow.SIZE; c <= top; c++)
            assertFalse(window.accept(c), "duplicate " + c);
    }

    @Test
    void tooOld() {
        long top = 10_000;
        assertTrue(window.accept(top));
        assertTrue(window.accept(top - ReplayWindow.SIZE));
        assertFalse(window.accept(top - ReplayWindow.SIZE - 1));
        assertFalse(window.accept(0));
    }

    @Test
    void jumpBeyondTheWindow() {
        for (long c = 0; c < 100; c++)
            assertTrue(window.accept(c));
        long far = 1_000_000_000_000L;
        assertTrue(window.accept(far));
        assertFalse(window.accept(99), "left behind");
        assertFalse(window.accept(far));
        assertTrue(window.accept(far - 1));
        assertTrue(window.accept(far - ReplayWindow.SIZE));
    }

    @Test
    void reusedRingSlotsStartEmpty() {
        // 2048 counters apart map to the same ring bit: the old bit must not block the new counter.
        for (long c = 0; c < 64; c++)
            assertTrue(window.accept(c));
        for (long c = 2048; c < 2048 + 64; c++)
            assertTrue(window.accept(c), "slot reused by " + c);
        for (long step = 1; step <= 40; step++) {
            long c = 2048 + 64 * 32 * step + 7;
            assertTrue(window.accept(c), "jump to " + c);
        }
    }

    @Test
    void longMaxLimits() {
        assertTrue(window.accept(Long.MAX_VALUE));
        assertFalse(window.accept(Long.MAX_VALUE));
        assertTrue(window.accept(Long.MAX_VALUE - 1));
        assertTrue(window.accept(Long.MAX_VALUE - ReplayWindow.SIZE));
        assertFalse(window.accept(Long.MAX_VALUE - ReplayWindow.SIZE - 1));
        assertFalse(window.accept(0));
    }

    @Test
    void negativeCountersNeverAccepted() {
        assertFalse(window.accept(-1));
        assertFalse(window.accept(Long.MIN_VALUE));
        assertTrue(window.accept(0), "a rejected counter does not move the window");
    }

    @Test
    void resetForgetsEverything() {
        for (long c = 0; c < 3000; c++)
            window.accept(c);
        window.accept(Long.MAX_VALUE);
        window.reset();
        for (long c = 0; c < 3000; c++)
            assertTrue(window.accept(c), "after reset " + c);
    }

    /** Against a set-based model: accept iff never accepted and within SIZE of the highest. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 1194, -99})
    void matchesModel(long seed) {
        Random random = new Random(seed);
        Set<Long> seen = new HashSet<>();
        long highest = 0;
        long base = 0;
        for (int i = 0; i < 20_000; i++) {
            int r = random.nextInt(100);
            if (r == 0)
                base += random.nextInt(1 << 20); // occasional big jump
            else if (r < 60)
                base += random.nextInt(4);
            long c = Math.max(0, base - random.nextInt(2200) + random.nextInt(64));
            boolean expected = !seen.contains(c) && (c > highest || highest - c <= ReplayWindow.SIZE);
            assertEquals(expected, window.accept(c), "seed " + seed + " step " + i + " counter " + c);
            if (expected) {
                seen.add(c);
                highest = Math.max(highest, c);
            }
        }
    }
}
