package re6st.babel.wire;

/**
 * Sub-TLV type numbers (RFC 8966 4.4, RFC 9616, RFC 9079). Bit 0x80 marks a mandatory sub-TLV:
 * a receiver that does not understand one must ignore the whole enclosing TLV.
 */
public final class SubTlvType {
    public static final int PAD1 = 0;
    public static final int PADN = 1;
    /** babeld 1.12 only (channel diversity); we neither send nor interpret it. */
    public static final int DIVERSITY = 2;
    /** RFC 9616: 4 bytes in a Hello, 8 bytes (origin, receive) in an IHU. */
    public static final int TIMESTAMP = 3;
    /** RFC 9079, mandatory: plen then the significant bytes of the source prefix. */
    public static final int SOURCE_PREFIX = 128;
    public static final int MANDATORY = 0x80;

    private SubTlvType() {
    }

    public static boolean isMandatory(int type) {
        return (type & MANDATORY) != 0;
    }
}
