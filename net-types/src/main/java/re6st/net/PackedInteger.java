package re6st.net;

import java.util.Objects;

/**
 * The registry's order-preserving variable-length integer ({@code packInteger}), used for the
 * signed network-config version. The top 3 bits of the first byte give the number n of extra
 * bytes; each length starts where the shorter ones end (n bytes cover 32 << 8n values after them),
 * so comparing encodings byte by byte orders them like the numbers. 0..31 take one byte,
 * 32..8223 two, and so on up to {@link #MAX} in eight.
 */
public final class PackedInteger {
    /** Largest encodable value: sum of 32 << 8n for n = 0..7, minus 1 (0x202020202020201f). */
    public static final long MAX;

    static {
        long max = 0;
        for (int n = 0; n < 8; n++)
            max += 32L << 8 * n;
        MAX = max - 1;
    }

    /** A decoded value and how many bytes it took. */
    public record Unpacked(long value, int length) {
    }

    private PackedInteger() {
    }

    public static byte[] pack(long value) {
        if (value < 0 || value > MAX)
            throw new IllegalArgumentException("cannot pack " + value + ": outside 0.." + MAX);
        long i = value;
        for (int n = 0; ; n++) {
            long x = 32L << 8 * n;
            if (i < x) {
                long v = i + n * x; // n in the top 3 bits of the first byte; wraps only in bit 63
                byte[] out = new byte[n + 1];
                for (int k = 0; k <= n; k++)
                    out[k] = (byte) (v >>> 8 * (n - k));
                return out;
            }
            i -= x;
        }
    }

    /** Decodes the integer starting at {@code b[offset]}; trailing bytes (e.g. a signature) are left. */
    public static Unpacked unpack(byte[] b, int offset) {
        Objects.checkIndex(offset, b.length);
        int n = (b[offset] & 0xFF) >>> 5;
        if (offset + n + 1 > b.length)
            throw new IllegalArgumentException("packed integer at offset " + offset + " needs " + (n + 1)
                    + " bytes, only " + (b.length - offset) + " available");
        long v = 0;
        for (int k = 0; k <= n; k++)
            v = v << 8 | (b[offset + k] & 0xFF);
        long value = v - n * (32L << 8 * n);
        for (int k = 0; k < n; k++)
            value += 32L << 8 * k;
        return new Unpacked(value, n + 1);
    }
}
