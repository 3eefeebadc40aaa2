package re6st.babel.wire;

/**
 * A received Babel packet (or one of its TLVs) cannot be parsed. The message says what is wrong
 * and at which offset from the start of the packet, so a log line is enough to find the bad byte
 * in a capture. Checked on purpose: every caller of the decoder must decide what to drop.
 */
public class MalformedPacketException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int offset;

    public MalformedPacketException(int offset, String what) {
        super(what + " at offset " + offset);
        this.offset = offset;
    }

    /** Offset of the offending field, counted from the first byte of the packet header. */
    public int offset() {
        return offset;
    }
}
