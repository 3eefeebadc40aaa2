package re6st.babel.message;

import java.net.InetAddress;

import re6st.net.IpPrefix;
import re6st.net.Ipv6Address;

/**
 * A Babel address: 128 bits, IPv4 held IPv4-mapped ({@code ::ffff:a.b.c.d}) as babeld does
 * internally, so one route table and one prefix type serve both families. Immutable, cheap to
 * hash: two longs. Not {@link Ipv6Address} (the project's IPv6 value type, which it converts to
 * and from): this one is of both families and prints an IPv4 address the IPv4 way, as babeld's
 * control socket does; IPv6 text goes through {@link Ipv6Address}, the one formatter.
 */
public record Addr(long hi, long lo) implements Comparable<Addr> {
    public static final Addr ZERO = new Addr(0, 0);
    static final long V4_MAPPED_LO_HIGH = 0x0000_ffffL << 32;

    public static Addr of(byte[] b) {
        if (b.length == 4)
            return new Addr(0, V4_MAPPED_LO_HIGH | (((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL)));
        if (b.length != 16)
            throw new IllegalArgumentException("address of " + b.length + " bytes");
        return of(Ipv6Address.ofBytes(b));
    }

    public static Addr of(Ipv6Address a) {
        return new Addr(a.high(), a.low());
    }

    /** The same 128 bits as an IPv6 address (an IPv4 address as ::ffff:a.b.c.d). */
    public Ipv6Address toIpv6Address() {
        return new Ipv6Address(hi, lo);
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
        return toIpv6Address().toBytes();
    }

    public InetAddress toInetAddress() {
        return IpPrefix.ofBytes(bytes());
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
        return Ipv6Address.compare(hi, lo, o.hi, o.lo);
    }

    @Override
    public String toString() {
        return isV4() ? toInetAddress().getHostAddress() : toIpv6Address().toString();
    }
}
