package re6st.jni;

import java.nio.ByteBuffer;

/**
 * An AF_PACKET socket of type SOCK_DGRAM bound to one interface: it captures and injects
 * layer-3 packets (IPv4, IPv6, ...) without the link-layer header, which the kernel strips on
 * receive and builds on send. Meant for tests that replay, truncate or corrupt packets on the
 * wire. Opening needs CAP_NET_RAW; the socket belongs to the network namespace of the thread
 * that opens it.
 *
 * <p>What the kernel delivers, by protocol:
 * <ul>
 * <li>{@link #ETH_P_ALL}: every packet the interface receives <em>and</em> sends (those with
 * {@link #lastPacketType()} {@link #PACKET_OUTGOING}), including ARP and neighbour discovery.
 * <li>{@link #ETH_P_IP}, {@link #ETH_P_IPV6}: only packets the interface receives, of that
 * EtherType (the kernel hands outgoing packets to ETH_P_ALL sockets only).
 * </ul>
 * Packets this socket sends are not captured by itself.
 *
 * <p>Checksums: packets captured on a device with checksum offload (veth has it) may carry an
 * unfinished transport checksum (only the pseudo-header sum); {@link #lastStatus()} then has
 * {@link #TP_STATUS_CSUMNOTREADY}. Such a packet must have its checksum recomputed before it is
 * injected again, or the receiver drops it.
 *
 * <p>Calls take a direct buffer plus offset/length and allocate nothing. {@link #receive} stores
 * what it learns about the packet in fields read by the {@code last...()} getters, so one thread
 * receives at a time. {@link #close} wakes a thread blocked in {@link #receive}.
 */
public final class PacketSocket extends WakeableFd {
    /** Protocols (EtherTypes, linux/if_ether.h). */
    public static final int ETH_P_ALL = 0x0003, ETH_P_IP = 0x0800, ETH_P_ARP = 0x0806, ETH_P_IPV6 = 0x86DD;
    /** Packet types (linux/if_packet.h): who the packet was for, or that we sent it. */
    public static final int PACKET_HOST = 0, PACKET_BROADCAST = 1, PACKET_MULTICAST = 2, PACKET_OTHERHOST = 3,
            PACKET_OUTGOING = 4;
    /** Bits of {@link #lastStatus()} (tpacket_auxdata.tp_status). */
    public static final int TP_STATUS_CSUMNOTREADY = 0x8, TP_STATUS_CSUM_VALID = 0x80;
    /** The Ethernet broadcast address, which veth and Ethernet deliver to every station. */
    public static final byte[] BROADCAST = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};

    // Layout of meta, as in packet.c.
    private static final int META_ETHER_TYPE = 0, META_PACKET_TYPE = 1, META_WIRE_LENGTH = 2, META_STATUS = 3;

    static {
        NativeLibrary.load();
    }

    private final int ifindex;
    private final int protocol;
    private final int[] meta = new int[4];

    private PacketSocket(int fd, int wakeFd, int ifindex, int protocol) {
        super(fd, wakeFd);
        this.ifindex = ifindex;
        this.protocol = protocol;
    }

    /**
     * Opens a socket bound to interface {@code ifindex} for {@code protocol} ({@link #ETH_P_ALL},
     * {@link #ETH_P_IP}, {@link #ETH_P_IPV6} or any EtherType).
     */
    public static PacketSocket open(int ifindex, int protocol) throws ErrnoException {
        if (ifindex <= 0)
            throw new IllegalArgumentException("interface index " + ifindex);
        if (protocol < 0 || protocol > 0xffff)
            throw new IllegalArgumentException("protocol 0x" + Integer.toHexString(protocol) + " is not an EtherType");
        int fd = open0(ifindex, protocol);
        try {
            return new PacketSocket(fd, Fd.eventfd0(), ifindex, protocol);
        } catch (ErrnoException | RuntimeException e) {
            Fd.close0(fd);
            throw e;
        }
    }

    /** Opens a socket bound to the interface named {@code ifname} in the calling thread's namespace. */
    public static PacketSocket open(String ifname, int protocol) throws ErrnoException {
        return open(ifindex(ifname), protocol);
    }

    /** The index of interface {@code ifname} in the calling thread's namespace (ENODEV if none). */
    public static int ifindex(String ifname) throws ErrnoException {
        return ifindex0(ifname);
    }

    public int ifindex() {
        return ifindex;
    }

    public int protocol() {
        return protocol;
    }

    /** The raw descriptor, for callers that poll it themselves. */

    /** The bound interface's link-layer address (its MAC on Ethernet and veth; empty on TUN). */
    public byte[] hardwareAddress() throws ErrnoException {
        byte[] a = new byte[8];
        int n = address0(fd, a);
        return java.util.Arrays.copyOf(a, n);
    }

    /**
     * Waits up to {@code timeoutNanos} (negative: forever) for a packet and copies it into
     * buf[off, off+max). Returns the number of bytes stored (at most {@code max}: a longer
     * packet is cut, {@link #lastWireLength()} then tells its full length), or -1 on timeout
     * or when the socket is closed meanwhile. A packet received updates the {@code last...()}
     * getters.
     */
    public int receive(ByteBuffer buf, int off, int max, long timeoutNanos) throws ErrnoException {
        if (closed)
            return -1;
        try {
            return receive0(fd, wakeFd, buf, off, max, timeoutNanos, meta);
        } catch (ErrnoException e) {
            if (closed) // closed by another thread while we waited
                return -1;
            throw e;
        }
    }

    /** EtherType of the last packet received ({@link #ETH_P_IP}, {@link #ETH_P_IPV6}, ...). */
    public int lastEtherType() {
        return meta[META_ETHER_TYPE];
    }

    /** {@link #PACKET_HOST}, {@link #PACKET_OUTGOING}, ... of the last packet received. */
    public int lastPacketType() {
        return meta[META_PACKET_TYPE];
    }

    /** Full length of the last packet received (more than {@code receive} returned if it was cut). */
    public int lastWireLength() {
        return meta[META_WIRE_LENGTH];
    }

    /** The kernel's tp_status bits of the last packet ({@link #TP_STATUS_CSUMNOTREADY}, ...); -1 if unknown. */
    public int lastStatus() {
        return meta[META_STATUS];
    }

    /** True when the last packet's transport checksum was left for the device to fill in. */
    public boolean lastChecksumNotReady() {
        return meta[META_STATUS] != -1 && (meta[META_STATUS] & TP_STATUS_CSUMNOTREADY) != 0;
    }

    /**
     * Sends buf[off, off+len) out of the interface as one packet of {@code etherType} (e.g.
     * {@link #ETH_P_IP} for an IPv4 packet) to the Ethernet broadcast address: veth and
     * Ethernet deliver it to the peer, whose IP layer accepts it as for itself when the IP
     * destination is one of its addresses (unless {@code drop_unicast_in_l2_multicast} is set).
     */
    public void send(ByteBuffer buf, int off, int len, int etherType) throws ErrnoException {
        send(buf, off, len, etherType, BROADCAST);
    }

    /** Like {@link #send(ByteBuffer, int, int, int)} to the 6-byte link-layer address {@code destination}. */
    public void send(ByteBuffer buf, int off, int len, int etherType, byte[] destination) throws ErrnoException {
        if (destination.length != 6)
            throw new IllegalArgumentException("link-layer address of " + destination.length + " bytes, expected 6");
        if (etherType <= 0 || etherType > 0xffff)
            throw new IllegalArgumentException("EtherType 0x" + Integer.toHexString(etherType));
        if (closed)
            throw new ErrnoException("sendto(AF_PACKET, ifindex " + ifindex + ")", ErrnoException.EBADF, "socket closed");
        send0(fd, ifindex, buf, off, len, etherType, destination);
    }

    @Override
    public String toString() {
        return "packet socket ifindex " + ifindex + " protocol 0x" + Integer.toHexString(protocol);
    }

    private static native int ifindex0(String ifname) throws ErrnoException;

    private static native int open0(int ifindex, int protocol) throws ErrnoException;

    private static native int address0(int fd, byte[] out) throws ErrnoException;

    private static native int receive0(int fd, int wakeFd, ByteBuffer buf, int off, int max, long timeoutNanos, int[] meta)
            throws ErrnoException;

    private static native void send0(int fd, int ifindex, ByteBuffer buf, int off, int len, int etherType, byte[] dst)
            throws ErrnoException;
}
