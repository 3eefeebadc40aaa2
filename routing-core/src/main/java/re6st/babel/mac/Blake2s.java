package re6st.babel.mac;

import java.util.Arrays;

/**
 * Keyed BLAKE2s (RFC 7693) with a fixed output length, reusable without allocating: the state
 * after the key block is computed once, and every MAC starts from a copy of it. RFC 8967 uses
 * it with a 16-byte output (babeld's {@code blake2s128}, the original re6st's key type).
 * BouncyCastle's Blake2sDigest allocates in every digest, so the MAC of every packet would;
 * the tests check this one against it. Not thread-safe.
 */
final class Blake2s {
    private static final int BLOCK = 64;
    private static final int[] IV = {
        0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};
    private static final byte[][] SIGMA = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
        {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
        {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
        {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
        {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
        {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
        {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
        {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
        {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
        {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0}};

    private final int outLength;
    private final int[] init = new int[8];  // the state before anything: IV and parameter block
    private final byte[] keyBlock;           // the key, zero-padded to a block
    private final int[] keyed = new int[8]; // the state after the key block, when data follows
    private final int[] h = new int[8];
    private final int[] m = new int[16];
    private final int[] v = new int[16];
    private final byte[] buf = new byte[BLOCK];
    private int bufLength;
    private long counter;
    private boolean fed;    // data since the last digest: else the key block is the last block

    /** @param key 1 to 32 bytes; @param outLength 1 to 32 bytes of digest */
    Blake2s(byte[] key, int outLength) {
        if (key.length < 1 || key.length > 32 || outLength < 1 || outLength > 32)
            throw new IllegalArgumentException("BLAKE2s: key of " + key.length + " bytes, output of " + outLength);
        this.outLength = outLength;
        System.arraycopy(IV, 0, init, 0, 8);
        init[0] ^= 0x0101_0000 ^ (key.length << 8) ^ outLength; // parameter block: fanout 1, depth 1
        keyBlock = Arrays.copyOf(key, BLOCK);
        System.arraycopy(init, 0, h, 0, 8);
        counter = BLOCK;
        compress(keyBlock, false);
        System.arraycopy(h, 0, keyed, 0, 8);
        reset();
    }

    private void reset() {
        System.arraycopy(keyed, 0, h, 0, 8);
        counter = BLOCK;
        bufLength = 0;
        fed = false;
    }

    void update(byte[] in, int off, int len) {
        if (len > 0)
            fed = true;
        while (len > 0) {
            if (bufLength == BLOCK) { // more data follows: this block is not the last
                counter += BLOCK;
                compress(buf, false);
                bufLength = 0;
            }
            int n = Math.min(BLOCK - bufLength, len);
            System.arraycopy(in, off, buf, bufLength, n);
            bufLength += n;
            off += n;
            len -= n;
        }
    }

    /** Writes the digest at {@code out[off .. off+outLength)} and starts over for the next one. */
    void doFinal(byte[] out, int off) {
        if (fed) {
            counter += bufLength;
            Arrays.fill(buf, bufLength, BLOCK, (byte) 0);
            compress(buf, true);
        } else { // no data: the key block itself is the last block
            System.arraycopy(init, 0, h, 0, 8);
            compress(keyBlock, true);
        }
        for (int i = 0; i < outLength; i++)
            out[off + i] = (byte) (h[i >> 2] >>> (8 * (i & 3)));
        reset();
    }

    private void compress(byte[] block, boolean last) {
        for (int i = 0; i < 16; i++)
            m[i] = (block[4 * i] & 0xFF) | (block[4 * i + 1] & 0xFF) << 8 | (block[4 * i + 2] & 0xFF) << 16
                    | (block[4 * i + 3] & 0xFF) << 24;
        System.arraycopy(h, 0, v, 0, 8);
        System.arraycopy(IV, 0, v, 8, 8);
        v[12] ^= (int) counter;
        v[13] ^= (int) (counter >>> 32);
        if (last)
            v[14] = ~v[14];
        for (byte[] s : SIGMA) {
            g(0, 4, 8, 12, m[s[0]], m[s[1]]);
            g(1, 5, 9, 13, m[s[2]], m[s[3]]);
            g(2, 6, 10, 14, m[s[4]], m[s[5]]);
            g(3, 7, 11, 15, m[s[6]], m[s[7]]);
            g(0, 5, 10, 15, m[s[8]], m[s[9]]);
            g(1, 6, 11, 12, m[s[10]], m[s[11]]);
            g(2, 7, 8, 13, m[s[12]], m[s[13]]);
            g(3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for (int i = 0; i < 8; i++)
            h[i] ^= v[i] ^ v[i + 8];
    }

    private void g(int a, int b, int c, int d, int x, int y) {
        v[a] += v[b] + x;
        v[d] = Integer.rotateRight(v[d] ^ v[a], 16);
        v[c] += v[d];
        v[b] = Integer.rotateRight(v[b] ^ v[c], 12);
        v[a] += v[b] + y;
        v[d] = Integer.rotateRight(v[d] ^ v[a], 8);
        v[c] += v[d];
        v[b] = Integer.rotateRight(v[b] ^ v[c], 7);
    }
}
