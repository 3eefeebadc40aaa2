package re6st.net;

import java.math.BigInteger;

/**
 * An IPv6 address as a 128-bit value. Text in and out is exact and offline: {@link #parse} never
 * resolves names (unlike InetAddress), and {@link #toString} prints what the original tools print
 * through glibc's inet_ntop (RFC 5952: lower case, longest run of two or more zero groups as
 * "::", the first one on a tie; ::a.b.c.d and ::ffff:a.b.c.d for the IPv4 forms), so values such
 * as re6stnet_ip match the original byte for byte.
 */
public record Ipv6Address(long high, long low) implements Comparable<Ipv6Address> {
    /** From an unsigned value below 2^128. */
    public static Ipv6Address of(BigInteger value) {
        if (value.signum() < 0 || value.bitLength() > 128)
            throw new IllegalArgumentException("not a 128-bit value: " + value);
        return new Ipv6Address(value.shiftRight(64).longValue(), value.longValue());
    }

    public static Ipv6Address ofBytes(byte[] b) {
        if (b.length != 16)
            throw new IllegalArgumentException("an IPv6 address has 16 bytes, not " + b.length);
        long h = 0, l = 0;
        for (int i = 0; i < 8; i++) {
            h = h << 8 | (b[i] & 0xFF);
            l = l << 8 | (b[i + 8] & 0xFF);
        }
        return new Ipv6Address(h, l);
    }

    /** From the binary string of exactly 128 '0'/'1' characters (the original's binFromIp form). */
    public static Ipv6Address ofBits(String bits) {
        if (bits.length() != 128)
            throw new IllegalArgumentException("an IPv6 address has 128 bits, not " + bits.length());
        return of(Bits.parse(bits));
    }

    /** Parses an IPv6 literal such as {@code 2001:db8:42:7::1}; no brackets, prefix or zone. */
    public static Ipv6Address parse(String text) {
        int[] g = new int[8];
        String head = text, tail = null;
        int dc = text.indexOf("::");
        if (dc >= 0) {
            head = text.substring(0, dc);
            tail = text.substring(dc + 2);
            if (tail.contains("::"))
                throw bad(text, "more than one '::'");
        }
        int[] h = groups(text, head, tail == null);
        int[] t = tail == null ? new int[0] : groups(text, tail, true);
        if (tail == null ? h.length != 8 : h.length + t.length > 7)
            throw bad(text, tail == null ? "needs 8 groups" : "too many groups for '::'");
        System.arraycopy(h, 0, g, 0, h.length);
        System.arraycopy(t, 0, g, 8 - t.length, t.length);
        long hi = 0, lo = 0;
        for (int i = 0; i < 4; i++) {
            hi = hi << 16 | g[i];
            lo = lo << 16 | g[i + 4];
        }
        return new Ipv6Address(hi, lo);
    }

    /** The 16-bit groups of one side of "::"; a trailing dotted quad (last side only) makes two. */
    private static int[] groups(String text, String part, boolean last) {
        if (part.isEmpty())
            return new int[0];
        String[] s = part.split(":", -1);
        boolean quad = last && s[s.length - 1].contains(".");
        int[] g = new int[s.length + (quad ? 1 : 0)];
        for (int i = 0; i < s.length; i++) {
            if (quad && i == s.length - 1) {
                long v4 = Ipv4Text.parse(s[i]);
                g[i] = (int) (v4 >>> 16);
                g[i + 1] = (int) (v4 & 0xFFFF);
            } else if (!s[i].matches("[0-9a-fA-F]{1,4}")) {
                throw bad(text, "bad group '" + s[i] + "'");
            } else {
                g[i] = Integer.parseInt(s[i], 16);
            }
        }
        return g;
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("not an IPv6 address: '" + text + "' (" + why + ")");
    }

    public BigInteger toBigInteger() {
        return new BigInteger(1, toBytes());
    }

    public byte[] toBytes() {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (high >>> (56 - 8 * i));
            b[i + 8] = (byte) (low >>> (56 - 8 * i));
        }
        return b;
    }

    /** The 128-character binary string (the original's binFromIp). */
    public String bits() {
        return Bits.format(toBigInteger(), 128);
    }

    @Override
    public int compareTo(Ipv6Address o) {
        return compare(high, low, o.high, o.low);
    }

    /** Two 128-bit values given as (high, low) longs, compared unsigned: the order of addresses. */
    public static int compare(long high1, long low1, long high2, long low2) {
        int c = Long.compareUnsigned(high1, high2);
        return c != 0 ? c : Long.compareUnsigned(low1, low2);
    }

    @Override
    public String toString() {
        int[] g = new int[8];
        for (int i = 0; i < 4; i++) {
            g[i] = (int) (high >>> (48 - 16 * i)) & 0xFFFF;
            g[i + 4] = (int) (low >>> (48 - 16 * i)) & 0xFFFF;
        }
        int bestStart = -1, bestLen = 1; // glibc compresses only runs of 2+ zero groups
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0)
                j++;
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = Math.max(j, i + 1);
        }
        boolean v4 = bestStart == 0 && (bestLen == 6 || bestLen == 5 && g[5] == 0xFFFF);
        StringBuilder s = new StringBuilder(45);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append(i == 0 ? "::" : ":");
                i += bestLen - 1;
                continue;
            }
            if (v4 && i == 6) {
                s.append(Ipv4Text.format(low & 0xFFFFFFFFL));
                break;
            }
            s.append(Integer.toHexString(g[i]));
            if (i < 7)
                s.append(':');
        }
        return s.toString();
    }
}
