package re6st.babel.wire;

import java.util.Objects;

/**
 * Cursor over a sequence of TLVs (RFC 8966 4.3): a packet body, a trailer, or the sub-TLVs of one
 * TLV, which share the format. Pad1 is a single byte (type 0, no length); every other TLV is type,
 * length, then length bytes of value. A cursor rather than a list: parsing allocates nothing, and
 * a TLV that overruns the end throws only when reached, so the caller has already seen the TLVs
 * before it and can act on them as babeld does ("a TLV that overruns the body stops parsing").
 *
 * <pre>
 * TlvReader tlvs = packet.body();
 * while (tlvs.next())
 *     switch (tlvs.type()) { ... tlvs.valueOffset(), tlvs.length() ... }
 * </pre>
 */
public final class TlvReader {
    private final byte[] buf;
    private final int end;
    private final int origin;
    private int next;
    private int offset = -1;
    private int type = -1;
    private int length;

    /**
     * TLVs in {@code buf[start .. end)}; {@code origin} is the index of the packet's first byte,
     * so that error offsets are relative to the packet, as a capture shows them.
     */
    public TlvReader(byte[] buf, int start, int end, int origin) {
        Objects.checkFromToIndex(start, end, buf.length);
        if (origin < 0 || origin > start)
            throw new IllegalArgumentException("origin " + origin + " after start " + start);
        this.buf = buf;
        this.end = end;
        this.origin = origin;
        this.next = start;
    }

    /** Moves to the next TLV; false at the end. Throws when the next TLV does not fit. */
    public boolean next() throws MalformedPacketException {
        if (next >= end) {
            type = -1;
            return false;
        }
        int at = next;
        int t = buf[at] & 0xFF;
        if (t == TlvType.PAD1) {
            set(at, t, 0, at + 1);
            return true;
        }
        if (at + 2 > end)
            throw new MalformedPacketException(at - origin, "TLV type " + t + ": length byte missing (data ends at offset "
                    + (end - origin) + ")");
        int len = buf[at + 1] & 0xFF;
        if (at + 2 + len > end)
            throw new MalformedPacketException(at - origin, "TLV type " + t + " of length " + len + " runs past the end at offset "
                    + (end - origin) + " by " + (at + 2 + len - end) + " bytes");
        set(at, t, len, at + 2 + len);
        return true;
    }

    private void set(int at, int t, int len, int following) {
        offset = at;
        type = t;
        length = len;
        next = following;
    }

    /** Type of the current TLV. */
    public int type() {
        current();
        return type;
    }

    /** Length of the current TLV's value (0 for Pad1), as in its length field. */
    public int length() {
        current();
        return length;
    }

    /** Index in {@link #buffer()} of the current TLV's value (just after the length byte). */
    public int valueOffset() {
        current();
        return type == TlvType.PAD1 ? offset + 1 : offset + 2;
    }

    /** Offset of the current TLV from the start of the packet (for messages). */
    public int offset() {
        current();
        return offset - origin;
    }

    /** A cursor over the sub-TLVs found in the current TLV from {@code valueOffset() + skip}. */
    public TlvReader subTlvs(int skip) {
        current();
        if (skip < 0 || skip > length)
            throw new IllegalArgumentException("skip " + skip + " outside the TLV value of length " + length);
        int start = valueOffset() + skip;
        return new TlvReader(buf, start, valueOffset() + length, origin);
    }

    public byte[] buffer() {
        return buf;
    }

    private void current() {
        if (type < 0)
            throw new IllegalStateException("no current TLV: call next() first");
    }
}
