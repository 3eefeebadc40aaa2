package re6st.babel.wire;

/**
 * The 4-byte Babel packet header (RFC 8966 4.2): magic 42, version 2, 16-bit body length.
 * Bytes after the body are the packet trailer (RFC 8967 MAC TLVs), not part of the body.
 */
public record PacketHeader(int bodyLength) {
    public static final int MAGIC = 42;
    public static final int VERSION = 2;
    public static final int LENGTH = 4;
    public static final int MAX_BODY_LENGTH = 0xFFFF;

    public PacketHeader {
        if (bodyLength < 0 || bodyLength > MAX_BODY_LENGTH)
            throw new IllegalArgumentException("body length " + bodyLength + " outside 0.." + MAX_BODY_LENGTH);
    }

    /**
     * Reads the header of the packet starting at {@code buf[offset]}, {@code length} bytes long.
     * Checks only the header itself; {@link Packet#parse} clamps a body length that does not fit.
     */
    public static PacketHeader read(byte[] buf, int offset, int length) throws MalformedPacketException {
        java.util.Objects.checkFromIndexSize(offset, length, buf.length);
        if (length < LENGTH)
            throw new MalformedPacketException(0, "truncated packet: " + length + " bytes, the header needs " + LENGTH);
        int magic = buf[offset] & 0xFF;
        if (magic != MAGIC)
            throw new MalformedPacketException(0, "bad magic " + magic + " (expected " + MAGIC + ")");
        int version = buf[offset + 1] & 0xFF;
        if (version != VERSION)
            throw new MalformedPacketException(1, "unsupported version " + version + " (expected " + VERSION + ")");
        return new PacketHeader(((buf[offset + 2] & 0xFF) << 8) | (buf[offset + 3] & 0xFF));
    }

    /** Writes the header at {@code buf[offset]}; returns the offset just after it (the body). */
    public int write(byte[] buf, int offset) {
        return write(buf, offset, bodyLength);
    }

    /** The same without a header object (the encoder, once per packet sent). */
    static int write(byte[] buf, int offset, int bodyLength) {
        if (bodyLength < 0 || bodyLength > MAX_BODY_LENGTH)
            throw new IllegalArgumentException("body length " + bodyLength + " outside 0.." + MAX_BODY_LENGTH);
        java.util.Objects.checkFromIndexSize(offset, LENGTH, buf.length);
        buf[offset] = (byte) MAGIC;
        buf[offset + 1] = (byte) VERSION;
        buf[offset + 2] = (byte) (bodyLength >>> 8);
        buf[offset + 3] = (byte) bodyLength;
        return offset + LENGTH;
    }
}
