package re6st.babel.wire;

/**
 * Something the decoder skipped in a packet: a TLV that failed to parse (malformed) or one it
 * understood but deliberately ignored, as babeld does. One per skipped TLV (or sub-TLV); the
 * rest of the packet is still decoded. {@link Reason} is small and fixed so metrics can count by
 * it; {@code offset} (from the packet's first byte) and {@code tlvType} are for logs.
 *
 * @param tlvType type of the TLV concerned, -1 for a packet-level issue
 */
public record DecodeIssue(Reason reason, int offset, int tlvType) {
    public enum Reason {
        // Malformed: the TLV is dropped (and, where babeld does so, per-packet state is reset).
        /** Header body length larger than the datagram: clamped, the rest decoded (babeld). */
        BODY_LENGTH_CLAMPED(true),
        /** A TLV runs past the end of the body or trailer: parsing of that part stops there. */
        TRUNCATED_TLV(true),
        /** The TLV is shorter than its fixed fields. */
        TOO_SHORT(true),
        /** A sub-TLV runs past the end of its TLV. */
        TRUNCATED_SUB_TLV(true),
        /**
         * A prefix or address does not fit its TLV, is too long for its AE, omits too much, or is
         * an IPv4-mapped IPv6 one (AE 2 inside ::ffff:0:0/96, which would pass for IPv4).
         */
        BAD_PREFIX(true),
        /** An Update omits bytes but the packet set no default prefix for its AE. */
        NO_DEFAULT_PREFIX(true),
        /** A Source Prefix sub-TLV that is empty, default, repeated or a bad prefix (see BAD_PREFIX). */
        BAD_SOURCE_PREFIX(true),
        /** An Update with a finite metric before any Router-Id in the packet. */
        NO_ROUTER_ID(true),
        /** An IPv4 Update with a finite metric before any AE 1 Next Hop in the packet. */
        NO_IPV4_NEXT_HOP(true),
        /** AE 0 where an address is required (Next Hop, Seqno Request). */
        WILDCARD_NOT_ALLOWED(true),
        /** PC shorter than its counter or with an index over 32 bytes; nonce over 192 bytes; empty MAC. */
        BAD_LENGTH(true),

        // Ignored: well-formed but not for us.
        UNKNOWN_TLV(false),
        /** AE 5..255: silently ignored by babeld. */
        UNKNOWN_AE(false),
        /** AE 4 (RFC 9229 v4-via-v6): not supported. */
        V4_VIA_V6(false),
        /** An unknown sub-TLV with the mandatory bit: the whole TLV is ignored. */
        UNKNOWN_MANDATORY_SUB_TLV(false),
        /** A Timestamp sub-TLV too short to hold its fields: the TLV is kept without it. */
        SHORT_TIMESTAMP(false),
        /** AE 0 Update with a finite metric. */
        WILDCARD_UPDATE_NOT_RETRACTION(false),
        /** AE 0 Update or Route Request carrying a source prefix. */
        WILDCARD_WITH_SOURCE(false),
        /** MAC TLV in the body (MACs belong in the trailer). */
        MAC_IN_BODY(false),
        /** A TLV other than MAC or padding in the trailer. */
        NOT_MAC_IN_TRAILER(false);

        private final boolean malformed;

        Reason(boolean malformed) {
            this.malformed = malformed;
        }

        public boolean malformed() {
            return malformed;
        }
    }

    public boolean malformed() {
        return reason.malformed();
    }
}
