package re6st.bench;

import java.nio.ByteBuffer;

/**
 * IPv4 ICMP echo requests built once (correct header and ICMP checksums), and a cheap check
 * that a packet read back is an echo reply of the same size.
 */
final class IcmpEcho {
    /** Payload size of a default {@code ping}. */
    static final int PAYLOAD = 56;
    static final int IP_HEADER = 20, ICMP_HEADER = 8;
    static final int LENGTH = IP_HEADER + ICMP_HEADER + PAYLOAD;
    static final int TYPE_ECHO_REPLY = 0, TYPE_ECHO_REQUEST = 8, PROTO_ICMP = 1;
    static final int IDENTIFIER = 0x5236;

    private IcmpEcho() {}

    /** Writes an echo request from {@code src} to {@code dst} at buf[off, off+LENGTH). */
    static void writeRequest(ByteBuffer buf, int off, byte[] src, byte[] dst, int sequence) {
        // IPv4 header: version 4, IHL 5, total length, id, DF, TTL 64, ICMP.
        buf.put(off, (byte) 0x45);
        buf.put(off + 1, (byte) 0);
        buf.putShort(off + 2, (short) LENGTH);
        buf.putShort(off + 4, (short) sequence);
        buf.putShort(off + 6, (short) 0x4000);
        buf.put(off + 8, (byte) 64);
        buf.put(off + 9, (byte) PROTO_ICMP);
        buf.putShort(off + 10, (short) 0);
        for (int i = 0; i < 4; i++) {
            buf.put(off + 12 + i, src[i]);
            buf.put(off + 16 + i, dst[i]);
        }
        buf.putShort(off + 10, (short) checksum(buf, off, IP_HEADER));
        // ICMP echo request.
        int icmp = off + IP_HEADER;
        buf.put(icmp, (byte) TYPE_ECHO_REQUEST);
        buf.put(icmp + 1, (byte) 0);
        buf.putShort(icmp + 2, (short) 0);
        buf.putShort(icmp + 4, (short) IDENTIFIER);
        buf.putShort(icmp + 6, (short) sequence);
        for (int i = 0; i < PAYLOAD; i++)
            buf.put(icmp + ICMP_HEADER + i, (byte) (0x10 + i));
        buf.putShort(icmp + 2, (short) checksum(buf, icmp, ICMP_HEADER + PAYLOAD));
    }

    /** True if buf[off, off+length) is an IPv4 ICMP echo reply as large as our requests. */
    static boolean isEchoReply(ByteBuffer buf, int off, int length) {
        return length == LENGTH
                && buf.get(off) == 0x45
                && buf.get(off + 9) == PROTO_ICMP
                && buf.get(off + IP_HEADER) == TYPE_ECHO_REPLY;
    }

    /** The Internet checksum (RFC 1071) of buf[off, off+length). */
    static int checksum(ByteBuffer buf, int off, int length) {
        long sum = 0;
        int i = 0;
        for (; i + 1 < length; i += 2)
            sum += buf.getShort(off + i) & 0xffff;
        if (i < length)
            sum += (buf.get(off + i) & 0xff) << 8;
        while ((sum >>> 16) != 0)
            sum = (sum & 0xffff) + (sum >>> 16);
        return (int) ~sum & 0xffff;
    }
}
