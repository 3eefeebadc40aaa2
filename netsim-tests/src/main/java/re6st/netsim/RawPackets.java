package re6st.netsim;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * Builds and parses raw IPv4/IPv6 UDP datagrams, for tests that inject or inspect packets on
 * the wire ({@link re6st.jni.PacketSocket}): crafted datagrams with any source, captured
 * tunnel packets to replay, cut or corrupt (then {@link #fixChecksums} before sending again).
 * Packets are IP packets without any link-layer header; checksums are always computed.
 */
public final class RawPackets {
    public static final int IPV4_HEADER = 20, IPV6_HEADER = 40, UDP_HEADER = 8;
    static final int PROTO_UDP = 17;
    private static final int DEFAULT_HOP_LIMIT = 64;

    private RawPackets() {}

    /** A UDP datagram found in a packet; offsets are absolute in the buffer that was parsed. */
    public record Udp(InetSocketAddress source, InetSocketAddress destination, int ipHeaderLength, int payloadOffset,
            int payloadLength, int checksum) {
        public boolean isIpv6() {
            return source.getAddress() instanceof Inet6Address;
        }

        /** A copy of the payload from the buffer that was parsed. */
        public byte[] payload(ByteBuffer parsed) {
            byte[] b = new byte[payloadLength];
            parsed.get(payloadOffset, b);
            return b;
        }

        public byte[] payload(byte[] parsed) {
            return java.util.Arrays.copyOfRange(parsed, payloadOffset, payloadOffset + payloadLength);
        }
    }

    /**
     * A forged DTLS 1.2 record, the {@code i}-th of a series cycling through the types a junk
     * flood uses: a handshake record (a Certificate message), change cipher spec and alert, all of
     * epoch 0, and application data of epoch 1; a random body of 40 to 239 bytes, lengths consistent.
     */
    public static byte[] forgedDtlsRecord(java.util.Random random, int i) {
        int type = new int[] {22, 20, 21, 23}[i % 4];
        byte[] r = new byte[13 + 40 + random.nextInt(200)];
        random.nextBytes(r);
        r[0] = (byte) type;
        r[1] = (byte) 0xFE;
        r[2] = (byte) 0xFD;
        r[3] = 0;
        r[4] = (byte) (type == 23 ? 1 : 0);
        r[11] = (byte) ((r.length - 13) >> 8);
        r[12] = (byte) (r.length - 13);
        if (type == 22)
            r[13] = 11;
        return r;
    }

    /**
     * An IPv4 or IPv6 (as the addresses are; both the same family) UDP datagram from
     * {@code source} to {@code destination} carrying {@code payload}, with hop limit 64 and
     * correct IPv4 header and UDP checksums.
     */
    public static byte[] udp(InetSocketAddress source, InetSocketAddress destination, byte[] payload) {
        return udp(source, destination, payload, 0, payload.length);
    }

    public static byte[] udp(InetSocketAddress source, InetSocketAddress destination, byte[] payload, int off, int len) {
        InetAddress s = source.getAddress(), d = destination.getAddress();
        if (s == null || d == null)
            throw new IllegalArgumentException("unresolved address: " + source + " -> " + destination);
        boolean v6 = s instanceof Inet6Address;
        if (v6 != (d instanceof Inet6Address))
            throw new IllegalArgumentException("mixed address families: " + source + " -> " + destination);
        int ip = v6 ? IPV6_HEADER : IPV4_HEADER;
        int udpLength = UDP_HEADER + len;
        if (ip + udpLength > 0xffff)
            throw new IllegalArgumentException("payload of " + len + " bytes does not fit in one datagram");
        byte[] p = new byte[ip + udpLength];
        if (v6) {
            p[0] = 0x60;
            put16(p, 4, udpLength);
            p[6] = PROTO_UDP;
            p[7] = DEFAULT_HOP_LIMIT;
            System.arraycopy(s.getAddress(), 0, p, 8, 16);
            System.arraycopy(d.getAddress(), 0, p, 24, 16);
        } else {
            p[0] = 0x45;
            put16(p, 2, p.length);
            p[6] = 0x40; // DF
            p[8] = DEFAULT_HOP_LIMIT;
            p[9] = PROTO_UDP;
            System.arraycopy(s.getAddress(), 0, p, 12, 4);
            System.arraycopy(d.getAddress(), 0, p, 16, 4);
        }
        put16(p, ip, source.getPort());
        put16(p, ip + 2, destination.getPort());
        put16(p, ip + 4, udpLength);
        System.arraycopy(payload, off, p, ip + UDP_HEADER, len);
        fixChecksums(p, 0, p.length);
        return p;
    }

    /**
     * Parses an IPv4 or IPv6 packet at buf[off, off+len) (absolute positions; the buffer's
     * position is ignored). Returns the UDP datagram it carries, or null when it is not a
     * complete unfragmented UDP datagram (another protocol, a fragment, an IPv6 extension header
     * before UDP). Throws IllegalArgumentException when the packet is cut or its lengths
     * disagree.
     */
    public static Udp parseUdp(ByteBuffer buf, int off, int len) {
        if (len < 1)
            throw new IllegalArgumentException("empty packet");
        int version = (buf.get(off) & 0xff) >> 4;
        int ipHeader, udp;
        InetAddress s, d;
        if (version == 4) {
            need(len, IPV4_HEADER, "IPv4 header");
            ipHeader = (buf.get(off) & 0x0f) * 4;
            need(len, ipHeader, "IPv4 header with options");
            int total = get16(buf, off + 2);
            if (total < ipHeader || total > len)
                throw new IllegalArgumentException("IPv4 total length " + total + " but " + len + " bytes captured");
            if ((buf.get(off + 9) & 0xff) != PROTO_UDP || (get16(buf, off + 6) & 0x3fff) != 0) // not UDP, or MF / offset
                return null;
            s = address(buf, off + 12, 4);
            d = address(buf, off + 16, 4);
            udp = total - ipHeader;
        } else if (version == 6) {
            need(len, IPV6_HEADER, "IPv6 header");
            ipHeader = IPV6_HEADER;
            int payload = get16(buf, off + 4);
            if (IPV6_HEADER + payload > len)
                throw new IllegalArgumentException("IPv6 payload length " + payload + " but " + len + " bytes captured");
            if ((buf.get(off + 6) & 0xff) != PROTO_UDP)
                return null;
            s = address(buf, off + 8, 16);
            d = address(buf, off + 24, 16);
            udp = payload;
        } else {
            throw new IllegalArgumentException("IP version " + version);
        }
        if (udp < UDP_HEADER)
            throw new IllegalArgumentException("UDP datagram of " + udp + " bytes");
        int u = off + ipHeader;
        int udpLength = get16(buf, u + 4);
        if (udpLength < UDP_HEADER || udpLength > udp)
            throw new IllegalArgumentException("UDP length " + udpLength + " in an IP payload of " + udp + " bytes");
        return new Udp(new InetSocketAddress(s, get16(buf, u)), new InetSocketAddress(d, get16(buf, u + 2)), ipHeader,
                u + UDP_HEADER, udpLength - UDP_HEADER, get16(buf, u + 6));
    }

    public static Udp parseUdp(byte[] packet, int off, int len) {
        return parseUdp(ByteBuffer.wrap(packet), off, len);
    }

    public static Udp parseUdp(byte[] packet) {
        return parseUdp(packet, 0, packet.length);
    }

    /** The EtherType to send an IP packet with: by the version nibble of its first byte. */
    public static int etherType(byte[] packet) {
        return switch ((packet[0] & 0xff) >> 4) {
            case 4 -> 0x0800;
            case 6 -> 0x86DD;
            default -> throw new IllegalArgumentException("not an IP packet (version " + ((packet[0] & 0xff) >> 4) + ")");
        };
    }

    /**
     * Recomputes the IPv4 header checksum and the UDP checksum of the UDP datagram at
     * packet[off, off+len) (after it was edited, or captured with the checksum left to the
     * device). The lengths in the headers are taken as they are.
     */
    public static void fixChecksums(byte[] packet, int off, int len) {
        ByteBuffer b = ByteBuffer.wrap(packet);
        Udp u = parseUdp(b, off, len);
        if (u == null)
            throw new IllegalArgumentException("not a UDP datagram");
        int ip = u.ipHeaderLength();
        if (!u.isIpv6()) {
            put16(packet, off + 10, 0);
            put16(packet, off + 10, ~sum(packet, off, ip, 0) & 0xffff);
        }
        int uo = off + ip;
        put16(packet, uo + 6, 0);
        int c = ~sum(packet, uo, UDP_HEADER + u.payloadLength(), pseudoHeader(packet, off, u)) & 0xffff;
        put16(packet, uo + 6, c == 0 ? 0xffff : c); // 0 means "no checksum" (forbidden in IPv6)
    }

    /** True when the IPv4 header checksum (if IPv4) and the UDP checksum are right. */
    public static boolean checksumsOk(byte[] packet, int off, int len) {
        Udp u = parseUdp(ByteBuffer.wrap(packet), off, len);
        if (u == null)
            throw new IllegalArgumentException("not a UDP datagram");
        int ip = u.ipHeaderLength();
        if (!u.isIpv6() && fold(sum(packet, off, ip, 0)) != 0xffff)
            return false;
        if (u.checksum() == 0)
            return !u.isIpv6();
        return fold(sum(packet, off + ip, UDP_HEADER + u.payloadLength(), pseudoHeader(packet, off, u))) == 0xffff;
    }

    private static int pseudoHeader(byte[] p, int off, Udp u) {
        int udpLength = UDP_HEADER + u.payloadLength();
        if (u.isIpv6())
            return sum(p, off + 8, 32, 0) + udpLength + PROTO_UDP;
        return sum(p, off + 12, 8, 0) + udpLength + PROTO_UDP;
    }

    /** One's-complement sum of 16-bit words (an odd last byte padded with zero), folded to 16 bits. */
    static int sum(byte[] p, int off, int len, int initial) {
        long s = initial & 0xffffffffL;
        int i = off;
        for (; i + 1 < off + len; i += 2)
            s += ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
        if (i < off + len)
            s += (p[i] & 0xff) << 8;
        return fold(s);
    }

    private static int fold(long s) {
        while ((s >> 16) != 0)
            s = (s & 0xffff) + (s >> 16);
        return (int) s;
    }

    private static void need(int len, int n, String what) {
        if (len < n)
            throw new IllegalArgumentException(what + " needs " + n + " bytes, packet has " + len);
    }

    private static InetAddress address(ByteBuffer b, int at, int n) {
        byte[] a = new byte[n];
        b.get(at, a);
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // only for a wrong length
        }
    }

    private static int get16(ByteBuffer b, int at) {
        return ((b.get(at) & 0xff) << 8) | (b.get(at + 1) & 0xff);
    }

    private static void put16(byte[] p, int at, int v) {
        p[at] = (byte) (v >> 8);
        p[at + 1] = (byte) v;
    }
}
