package re6st.babel.mac;

import re6st.babel.message.Addr;

/**
 * What an RFC 8967 MAC covers (section 4.1): a pseudo-header
 * {@code src addr (16) | src port (2) | dst addr (16) | dst port (2)} followed by the packet
 * header (4 bytes) and body, not the trailer. Addresses are always 16 bytes (IPv4 as
 * IPv4-mapped IPv6, as babeld holds them); ports in network byte order.
 *
 * <p>Ports: babeld 1.12.1 ({@code compute_hmac} in hmac.c, {@code compute_mac} in mac.c) puts
 * its configured {@code protocol-port} (6696) in both port fields, not the ports the datagram
 * really used; BIRD puts the socket's real ports. They agree because both send from and to the
 * protocol port; so must we (bind the Babel socket to 6696).
 */
public final class PseudoHeader {
    /** The Babel port (RFC 8966), babeld's default {@code protocol-port}. */
    public static final int BABEL_PORT = 6696;
    /** Length of the address/port prefix. */
    public static final int PREFIX_LENGTH = 36;

    private PseudoHeader() {
    }

    /** The 36-byte prefix: src addr | src port | dst addr | dst port. */
    public static byte[] prefix(Addr src, int srcPort, Addr dst, int dstPort) {
        byte[] p = new byte[PREFIX_LENGTH];
        write(p, src, srcPort, dst, dstPort);
        return p;
    }

    /** The same prefix written into {@code p[0 .. 36)} (a reused buffer: nothing allocated per packet). */
    public static void write(byte[] p, Addr src, int srcPort, Addr dst, int dstPort) {
        putAddr(p, 0, src);
        putPort(p, 16, srcPort);
        putAddr(p, 18, dst);
        putPort(p, 34, dstPort);
    }

    /** The whole authenticated byte string: prefix, then {@code packet[off .. off+len)} (header + body). */
    public static byte[] bytes(Addr src, int srcPort, Addr dst, int dstPort, byte[] packet, int off, int len) {
        byte[] p = new byte[PREFIX_LENGTH + len];
        System.arraycopy(prefix(src, srcPort, dst, dstPort), 0, p, 0, PREFIX_LENGTH);
        System.arraycopy(packet, off, p, PREFIX_LENGTH, len);
        return p;
    }

    /* Addr.bytes() gives 4 bytes for IPv4; the pseudo-header always has the 16-byte form. */
    private static void putAddr(byte[] p, int at, Addr a) {
        for (int i = 0; i < 8; i++) {
            p[at + i] = (byte) (a.hi() >>> (56 - 8 * i));
            p[at + 8 + i] = (byte) (a.lo() >>> (56 - 8 * i));
        }
    }

    private static void putPort(byte[] p, int at, int port) {
        if (port < 0 || port > 0xFFFF)
            throw new IllegalArgumentException("port " + port + " outside 0..65535");
        p[at] = (byte) (port >>> 8);
        p[at + 1] = (byte) port;
    }
}
