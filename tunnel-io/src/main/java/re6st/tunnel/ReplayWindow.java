package re6st.tunnel;

import java.util.Arrays;

/**
 * Sliding anti-replay window over the 64-bit counter nonces of one data-channel key, the RFC 6479
 * bitmap as in wireguard-go's replay/: a ring of 64-bit blocks, one bit per counter. Moving the
 * window forward only zeroes the blocks it passes over, so a check costs O(1) amortised, touches
 * one long and allocates nothing.
 *
 * <p>The ring holds 2048 bits; one block is always being reused, so the guaranteed window is
 * {@link #SIZE} = 1984 counters behind the highest accepted one. Reordering on real paths (multi
 * queue NICs, ECMP, batched sends) stays far below that at our packet rates.
 *
 * <p>Call {@link #accept} only after the AEAD tag verified: a forged packet must not move the
 * window. Counters are 0..{@link Long#MAX_VALUE}; the sender rekeys long before (2^63 packets is
 * millennia at line rate), so a negative value is never a valid counter. Not thread-safe: the one
 * thread that decrypts a tunnel's packets owns its window.
 */
public final class ReplayWindow {
    private static final int BLOCK_BIT_LOG = 6; // 64 bits per block
    private static final int BLOCK_BITS = 1 << BLOCK_BIT_LOG;
    private static final int RING_BLOCKS = 32; // power of two: 2048 bits
    private static final int BLOCK_MASK = RING_BLOCKS - 1;
    private static final int BIT_MASK = BLOCK_BITS - 1;

    /** How far behind the highest accepted counter a counter is still accepted (once). */
    public static final int SIZE = (RING_BLOCKS - 1) * BLOCK_BITS;

    private final long[] ring = new long[RING_BLOCKS];
    private long last; // highest counter accepted so far (0 when none)

    /** True the first time a counter is seen within the window; false for a replay or too old. */
    public boolean accept(long counter) {
        if (counter < 0)
            return false;
        long block = counter >>> BLOCK_BIT_LOG;
        if (counter > last) {
            // Zero the blocks the window slides over; a jump past the ring clears it all once.
            long current = last >>> BLOCK_BIT_LOG;
            long diff = Math.min(block - current, RING_BLOCKS);
            for (long i = current + 1; i <= current + diff; i++)
                ring[(int) (i & BLOCK_MASK)] = 0;
            last = counter;
        } else if (last - counter > SIZE) {
            return false;
        }
        int index = (int) (block & BLOCK_MASK);
        long bit = 1L << (counter & BIT_MASK);
        long old = ring[index];
        ring[index] = old | bit;
        return (old & bit) == 0;
    }

    /** Forgets everything, as for a new key: counters start again from 0. */
    public void reset() {
        Arrays.fill(ring, 0);
        last = 0;
    }
}
