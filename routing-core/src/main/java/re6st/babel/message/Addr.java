package re6st.babel.message;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

import re6st.net.IpPrefix;

/**
 * A 128-bit address. IPv4 addresses are held IPv4-mapped ({@code ::ffff:a.b.c.d}), as babeld
 * does internally, so one route table and one prefix type serve both families. Immutable,
 * cheap to hash: two longs.
 */
public record Addr(long hi, long lo) implements Comparable<Addr> {
    public static final Addr ZERO = new Addr(0, 0);
    static final long V4_MAPPED_LO_HIGH = 0x0000_ffffL << 32;

    public static Addr of(byte[] b) {
        if (b.length == 4)
            return new Addr(0, V4_MAPPED_LO_HIGH | (((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL)));
        if (b.length != 16)
            throw new IllegalArgumentException("address of " + b.length + " bytes");
        long h = 0, l = 0;
        for (int i = 0; i < 8; i++)
            h = (h << 8) | (b[i] & 0xff);
        for (int i = 8; i < 16; i++)
            l = (l << 8) | (b[i] & 0xff);
        return new Addr(h, l);
    }

    public static Addr of(InetAddress a) {
        return of(a.getAddress());
    }

    /** Parses an IPv4 or IPv6 literal (never resolves names). */
    public static Addr parse(String text) {
        return of(IpPrefix.literal(text));
    }

    public boolean isV4() {
        return hi == 0 && (lo >>> 32) == 0xffffL;
    }

    public boolean isLinkLocal() {
        return (hi >>> 54) == (0xfe80L >>> 6);
    }

    /** The 16 bytes (or 4 for IPv4). */
    public byte[] bytes() {
        if (isV4())
            return new byte[] {(byte) (lo >>> 24), (byte) (lo >>> 16), (byte) (lo >>> 8), (byte) lo};
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return b;
    }

    public InetAddress toInetAddress() {
        try {
            return InetAddress.getByAddress(bytes());
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Bit i (0 = most significant) of the 128-bit value. */
    public boolean bit(int i) {
        return i < 64 ? ((hi >>> (63 - i)) & 1) != 0 : ((lo >>> (127 - i)) & 1) != 0;
    }

    /** This address with every bit from {@code plen} on cleared. */
    public Addr mask(int plen) {
        if (plen >= 128)
            return this;
        if (plen <= 0)
            return ZERO;
        if (plen <= 64)
            return new Addr(plen == 64 ? hi : hi & ~(-1L >>> plen), 0);
        return new Addr(hi, lo & ~(-1L >>> (plen - 64)));
    }

    @Override
    public int compareTo(Addr o) {
        int c = Long.compareUnsigned(hi, o.hi);
        return c != 0 ? c : Long.compareUnsigned(lo, o.lo);
    }

    @Override
    public String toString() {
        InetAddress a = toInetAddress();
        return a instanceof Inet4Address ? a.getHostAddress() : IpPrefix.format(a);
    }
}
