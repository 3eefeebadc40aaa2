package re6st.babel.wire;

import java.util.Objects;

/**
 * A received Babel datagram split into header, body and trailer. A view: it copies nothing, so it
 * is valid only while the caller leaves the datagram buffer alone (the receive loop reuses it).
 *
 * <p>A body length running past the end of the datagram is rejected. babeld 1.12 instead clamps
 * it (and logs "truncated packet"); a well-formed sender never produces one, and RFC 8966 leaves
 * such a packet undefined, so we drop it rather than guess where the body ends.
 */
public final class Packet {
    private final byte[] datagram;
    private final int offset;
    private final int length;
    private final PacketHeader header;

    private Packet(byte[] datagram, int offset, int length, PacketHeader header) {
        this.datagram = datagram;
        this.offset = offset;
        this.length = length;
        this.header = header;
    }

    /** Parses the datagram at {@code datagram[offset .. offset+length)}. */
    public static Packet parse(byte[] datagram, int offset, int length) throws MalformedPacketException {
        Objects.checkFromIndexSize(offset, length, datagram.length);
        PacketHeader header = PacketHeader.read(datagram, offset, length);
        int available = length - PacketHeader.LENGTH;
        if (header.bodyLength() > available)
            throw new MalformedPacketException(2, "body length " + header.bodyLength()
                    + " runs past the end of the datagram (" + available + " bytes after the header)");
        return new Packet(datagram, offset, length, header);
    }

    public static Packet parse(byte[] datagram) throws MalformedPacketException {
        return parse(datagram, 0, datagram.length);
    }

    public PacketHeader header() {
        return header;
    }

    public int bodyLength() {
        return header.bodyLength();
    }

    /** Bytes after the body: RFC 8967 MAC TLVs when authentication is on, else normally none. */
    public int trailerLength() {
        return length - PacketHeader.LENGTH - header.bodyLength();
    }

    /** A fresh cursor over the body TLVs. */
    public TlvReader body() {
        int start = offset + PacketHeader.LENGTH;
        return new TlvReader(datagram, start, start + header.bodyLength(), offset);
    }

    /** A fresh cursor over the trailer TLVs (same TLV format as the body). */
    public TlvReader trailer() {
        int start = offset + PacketHeader.LENGTH + header.bodyLength();
        return new TlvReader(datagram, start, offset + length, offset);
    }
}
