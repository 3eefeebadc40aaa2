package re6st.net;

import java.math.BigInteger;

/** An IPv6 prefix such as {@code 2001:db8:42::/48}, always with its host bits zero. */
public record Ipv6Prefix(Ipv6Address address, int length) {
    public Ipv6Prefix {
        if (length < 0 || length > 128)
            throw new IllegalArgumentException("prefix length " + length + " outside 0..128");
        if (!hostPart(address.toBigInteger(), length).equals(BigInteger.ZERO))
            throw new IllegalArgumentException(address + "/" + length + " has host bits set (the prefix is "
                    + containing(address, length) + ")");
    }

    /** The prefix of the given length that contains {@code address}, e.g. {@code ::1/64 -> ::/64}. */
    public static Ipv6Prefix containing(Ipv6Address address, int length) {
        if (length < 0 || length > 128)
            throw new IllegalArgumentException("prefix length " + length + " outside 0..128");
        BigInteger v = address.toBigInteger();
        return new Ipv6Prefix(Ipv6Address.of(v.subtract(hostPart(v, length))), length);
    }

    /** Parses {@code ADDR/LEN}; host bits must be zero. */
    public static Ipv6Prefix parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0 || !text.substring(slash + 1).matches("[0-9]{1,3}"))
            throw new IllegalArgumentException("not an IPv6 prefix: '" + text + "' (expected ADDR/LEN)");
        return new Ipv6Prefix(Ipv6Address.parse(text.substring(0, slash)), Integer.parseInt(text.substring(slash + 1)));
    }

    /** The prefix whose first bits are {@code bits} (the original's ipFromBin(bits) + "/" + len). */
    public static Ipv6Prefix ofBits(String bits) {
        Bits.check(bits, "prefix");
        if (bits.length() > 128)
            throw new IllegalArgumentException("prefix of " + bits.length() + " bits exceeds 128 bits");
        return new Ipv6Prefix(Ipv6Address.ofBits(bits + "0".repeat(128 - bits.length())), bits.length());
    }

    /** The first {@code length} bits as a '0'/'1' string. */
    public String bits() {
        return address.bits().substring(0, length);
    }

    /** The address at {@code offset} inside this prefix: prefix + offset. */
    public Ipv6Address host(BigInteger offset) {
        if (offset.signum() < 0 || offset.bitLength() > 128 - length)
            throw new IllegalArgumentException("offset " + offset + " does not fit in the " + (128 - length)
                    + " host bits of " + this);
        return Ipv6Address.of(address.toBigInteger().or(offset));
    }

    public Ipv6Address host(long offset) {
        return host(BigInteger.valueOf(offset));
    }

    /** The longer prefix made of this one followed by {@code value} written on {@code extraBits} bits. */
    public Ipv6Prefix subprefix(int extraBits, long value) {
        if (extraBits < 0 || length + extraBits > 128)
            throw new IllegalArgumentException(this + " has no room for " + extraBits + " more bits");
        return ofBits(bits() + Bits.format(BigInteger.valueOf(value), extraBits));
    }

    public boolean contains(Ipv6Address a) {
        return containing(a, length).equals(this);
    }

    @Override
    public String toString() {
        return address + "/" + length;
    }

    private static BigInteger hostPart(BigInteger v, int length) {
        return v.and(BigInteger.ONE.shiftLeft(128 - length).subtract(BigInteger.ONE));
    }
}
