package re6st.babel.message;

import re6st.net.IpPrefix;

/**
 * A destination or source prefix. IPv4 prefixes are IPv4-mapped with {@code plen + 96}, as in
 * babeld; {@link #toString} prints them the usual way. Host bits are always clear.
 */
public record Prefix(Addr addr, int plen) implements Comparable<Prefix> {
    /** ::/0, the IPv6 default route (and "no source prefix"). */
    public static final Prefix V6_DEFAULT = new Prefix(Addr.ZERO, 0);
    /** 0.0.0.0/0 (::ffff:0:0/96). */
    public static final Prefix V4_DEFAULT = new Prefix(new Addr(0, Addr.V4_MAPPED_LO_HIGH), 96);

    public Prefix {
        if (plen < 0 || plen > 128)
            throw new IllegalArgumentException("prefix length " + plen);
        if (!addr.mask(plen).equals(addr))
            addr = addr.mask(plen);
    }

    /** From an IPv4 or IPv6 prefix written the usual way ({@code 198.18.0.0/15}, {@code 2001:db8::/32}). */
    public static Prefix parse(String text) {
        return of(IpPrefix.parse(text));
    }

    public static Prefix of(IpPrefix p) {
        Addr a = Addr.of(p.address());
        return new Prefix(a, p.isIpv4() ? p.length() + 96 : p.length());
    }

    public boolean isV4() {
        return plen >= 96 && addr.isV4();
    }

    /** The prefix length as written for its family (IPv4: 0..32). */
    public int familyLength() {
        return isV4() ? plen - 96 : plen;
    }

    public boolean isDefault() {
        return familyLength() == 0;
    }

    public boolean contains(Addr a) {
        return a.mask(plen).equals(addr);
    }

    /** True when {@code other} is this prefix or inside it. */
    public boolean contains(Prefix other) {
        return other.plen >= plen && contains(other.addr);
    }

    public IpPrefix toIpPrefix() {
        return new IpPrefix(addr.toInetAddress(), familyLength());
    }

    @Override
    public int compareTo(Prefix o) {
        int c = addr.compareTo(o.addr);
        return c != 0 ? c : Integer.compare(plen, o.plen);
    }

    @Override
    public String toString() {
        return addr + "/" + familyLength();
    }
}
