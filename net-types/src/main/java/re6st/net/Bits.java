package re6st.net;

import java.math.BigInteger;

/** The '0'/'1' strings the original uses for prefixes, to and from numbers. */
final class Bits {
    private Bits() {
    }

    static void check(String bits, String what) {
        for (int i = 0; i < bits.length(); i++) {
            char c = bits.charAt(i);
            if (c != '0' && c != '1')
                throw new IllegalArgumentException(what + " '" + bits + "' has '" + c + "' at " + i + ": only 0 and 1 allowed");
        }
    }

    /** The value of a bit string; "" is 0. */
    static BigInteger parse(String bits) {
        check(bits, "bit string");
        return bits.isEmpty() ? BigInteger.ZERO : new BigInteger(bits, 2);
    }

    /** {@code value} written with exactly {@code width} bits, zeros first (Python's rjust). */
    static String format(BigInteger value, int width) {
        if (value.signum() < 0 || value.bitLength() > width)
            throw new IllegalArgumentException(value + " does not fit in " + width + " bits");
        if (width == 0)
            return "";
        String s = value.toString(2);
        return "0".repeat(width - s.length()) + s;
    }
}
