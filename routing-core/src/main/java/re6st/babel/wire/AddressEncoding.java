package re6st.babel.wire;

/**
 * The AE field of IHU, Next Hop, Update and request TLVs (RFC 8966 4.1.5, RFC 9229). AE 1 and 2
 * prefixes may omit leading bytes shared with the packet's default prefix; addresses never do.
 */
public final class AddressEncoding {
    /** No address: "any" in IHUs and requests, "all routes" in a retraction. */
    public static final int WILDCARD = 0;
    public static final int IPV4 = 1;
    public static final int IPV6 = 2;
    /** fe80::/64 plus the 8 bytes on the wire. */
    public static final int IPV6_LINK_LOCAL = 3;
    /** RFC 9229 v4-via-v6: decoded as "ignored", never sent. */
    public static final int V4_VIA_V6 = 4;

    /** The first 8 bytes of every AE 3 address, fe80::/64. */
    static final long LINK_LOCAL_HI = 0xfe80_0000_0000_0000L;

    private AddressEncoding() {
    }

    /** AEs babeld parses; the others make the TLV silently ignored. */
    public static boolean isKnown(int ae) {
        return ae >= WILDCARD && ae <= V4_VIA_V6;
    }
}
