package re6st.tunnel;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * The "observed address" control message: the side that accepted a tunnel tells the side that
 * dialled it the source address and port its packets arrive from (what OpenVPN's server pushes
 * to its client in the original re6st, for the ip-changed hook). Behind a NAT that is the NAT's
 * external address: the dialler learns it from what its peers see ({@code --ip any}). It travels
 * inside the data channel like every control message ({@link TunnelSession}), so only the peer
 * can send it.
 * <pre>
 *   observed (20 bytes):  0x00 | 6 | 2-byte port | 16-byte address (IPv4 as ::ffff:a.b.c.d)
 * </pre>
 * Anything else (another length, port 0, an unspecified, multicast or loopback address) is
 * malformed: dropped and counted by the session, which then changes nothing.
 */
public final class ObservedAddress {
    static final int KIND = 6, LENGTH = 20;

    private ObservedAddress() {}

    /** Writes the message for {@code a} into {@code out} at its position (20 bytes). */
    static void encode(InetSocketAddress a, ByteBuffer out) {
        byte[] ip = a.getAddress().getAddress();
        out.put((byte) TunnelSession.CONTROL).put((byte) KIND).putShort((short) a.getPort());
        if (ip.length == 4)
            out.putLong(0).putInt(0xffff).put(ip);
        else
            out.put(ip);
    }

    /** The address in the {@code length} bytes at {@code offset} of {@code b} (a whole control message), or null if malformed. */
    public static InetSocketAddress decode(ByteBuffer b, int offset, int length) {
        if (length != LENGTH || b.get(offset) != TunnelSession.CONTROL || b.get(offset + 1) != KIND)
            return null;
        int port = b.getShort(offset + 2) & 0xffff;
        byte[] ip = new byte[16];
        b.get(offset + 4, ip);
        InetAddress a;
        try {
            a = InetAddress.getByAddress(ip); // ::ffff:a.b.c.d comes back as an Inet4Address
        } catch (UnknownHostException e) {
            return null; // 16 bytes: cannot happen
        }
        if (port == 0 || a.isAnyLocalAddress() || a.isMulticastAddress() || a.isLoopbackAddress())
            return null;
        return new InetSocketAddress(a, port);
    }
}
