package re6st.babel.wire;

import java.util.Objects;

/**
 * A received Babel datagram split into header, body and trailer. A view: it copies nothing, so it
 * is valid only while the caller leaves the datagram buffer alone (the receive loop reuses it).
 *
 * <p>A body length running past the end of the datagram is clamped to the datagram, as babeld
 * 1.12 does (it logs "Received truncated packet" and parses what is there): the TLVs that fit are
 * used, the one cut short stops the walk, and there is no trailer. {@link #isClamped()} tells.
 */
public final class Packet {
    private final byte[] datagram;
    private final int offset;
    private final int length;
    private final PacketHeader header;
    private final int bodyLength;

    private Packet(byte[] datagram, int offset, int length, PacketHeader header, int bodyLength) {
        this.datagram = datagram;
        this.offset = offset;
        this.length = length;
        this.header = header;
        this.bodyLength = bodyLength;
    }

    /** Parses the datagram at {@code datagram[offset .. offset+length)}. */
    public static Packet parse(byte[] datagram, int offset, int length) throws MalformedPacketException {
        Objects.checkFromIndexSize(offset, length, datagram.length);
        PacketHeader header = PacketHeader.read(datagram, offset, length);
        int available = length - PacketHeader.LENGTH;
        return new Packet(datagram, offset, length, header, Math.min(header.bodyLength(), available));
    }

    public static Packet parse(byte[] datagram) throws MalformedPacketException {
        return parse(datagram, 0, datagram.length);
    }

    /** The header as received: its body length may exceed the datagram (see {@link #isClamped()}). */
    public PacketHeader header() {
        return header;
    }

    /** Body length actually used: the header's, clamped to the bytes present. */
    public int bodyLength() {
        return bodyLength;
    }

    /** True when the header claimed more body than the datagram holds. */
    public boolean isClamped() {
        return bodyLength < header.bodyLength();
    }

    /** Bytes after the body: RFC 8967 MAC TLVs when authentication is on, else normally none. */
    public int trailerLength() {
        return length - PacketHeader.LENGTH - bodyLength;
    }

    /** A fresh cursor over the body TLVs. */
    public TlvReader body() {
        int start = offset + PacketHeader.LENGTH;
        return new TlvReader(datagram, start, start + bodyLength, offset);
    }

    /** A fresh cursor over the trailer TLVs (same TLV format as the body). */
    public TlvReader trailer() {
        int start = offset + PacketHeader.LENGTH + bodyLength;
        return new TlvReader(datagram, start, offset + length, offset);
    }
}
