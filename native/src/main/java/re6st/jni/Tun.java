package re6st.jni;

import java.nio.ByteBuffer;

/**
 * A TUN (IP packets) or TAP (Ethernet frames) device. The device lives as long as this object
 * is open, in the network namespace of the thread that opened it (it may be moved to another
 * namespace afterwards with {@code ip link set NAME netns NS}; the descriptor keeps working).
 *
 * <p>Packet calls take a direct buffer plus offset/length and allocate nothing. In non-blocking
 * mode, {@link #read} and {@link #write} return -1 instead of waiting; {@link #await} waits for
 * readiness and can be interrupted from another thread with {@link #wakeup}.
 */
public final class Tun extends WakeableFd {
    public enum Mode { TUN, TAP }

    // linux/if_tun.h
    static final int IFF_TUN = 0x0001, IFF_TAP = 0x0002, IFF_NO_PI = 0x1000;
    /** Option: each packet is preceded by a struct virtio_net_hdr (for GSO/checksum offloads). */
    public static final int VNET_HDR = 0x4000;
    /** Option: opening the same name again adds a queue (one per thread). */
    public static final int MULTI_QUEUE = 0x0100;
    /** Offload flags for {@link #setOffload} (TUN_F_*). */
    public static final int OFFLOAD_CSUM = 0x01, OFFLOAD_TSO4 = 0x02, OFFLOAD_TSO6 = 0x04,
            OFFLOAD_TSO_ECN = 0x08, OFFLOAD_UFO = 0x10, OFFLOAD_USO4 = 0x20, OFFLOAD_USO6 = 0x40;

    static {
        NativeLibrary.load();
    }

    private final String name;
    private final Mode mode;
    private final int options;

    private Tun(int fd, int wakeFd, String name, Mode mode, int options) {
        super(fd, wakeFd);
        this.name = name;
        this.mode = mode;
        this.options = options;
    }

    /** Opens a TUN device without packet information header. */
    public static Tun open(String name) throws ErrnoException {
        return open(name, Mode.TUN, 0);
    }

    /**
     * @param name device name (at most 15 bytes; may contain {@code %d} for the kernel to pick
     *             a number), or null for the kernel's choice
     * @param options {@link #VNET_HDR} and/or {@link #MULTI_QUEUE}
     */
    public static Tun open(String name, Mode mode, int options) throws ErrnoException {
        if ((options & ~(VNET_HDR | MULTI_QUEUE)) != 0)
            throw new IllegalArgumentException("unknown TUN options 0x" + Integer.toHexString(options));
        int flags = (mode == Mode.TUN ? IFF_TUN : IFF_TAP) | IFF_NO_PI | options;
        int fd = open0(name, flags);
        try {
            int wake = Fd.eventfd0();
            return new Tun(fd, wake, name0(fd), mode, options);
        } catch (ErrnoException | RuntimeException e) {
            Fd.close0(fd);
            throw e;
        }
    }

    /** Whether every packet read or written starts with a {@code struct virtio_net_hdr} ({@link #VNET_HDR}). */
    public boolean hasVnetHdr() {
        return (options & VNET_HDR) != 0;
    }

    public String name() {
        return name;
    }

    public Mode mode() {
        return mode;
    }

    /** The raw descriptor, for callers that poll it themselves. */

    public void setNonBlocking(boolean on) throws ErrnoException {
        Fd.setNonBlocking0(fd, on);
    }

    /** Enables kernel offloads (requires {@link #VNET_HDR}); 0 turns them all off. */
    public void setOffload(int offloads) throws ErrnoException {
        setOffload0(fd, offloads);
    }

    public void setVnetHdrSize(int size) throws ErrnoException {
        setVnetHdrSize0(fd, size);
    }

    /** Reads one packet into buf[offset, offset+maxLength). Returns its length, or -1 if none waits (non-blocking). */
    public int read(ByteBuffer buf, int offset, int maxLength) throws ErrnoException {
        return Fd.read0(fd, buf, offset, maxLength);
    }

    /** Writes one packet. Returns its length, or -1 if the device cannot take it now (non-blocking). */
    public int write(ByteBuffer buf, int offset, int length) throws ErrnoException {
        return Fd.write0(fd, buf, offset, length);
    }

    /**
     * Reads as many packets as are waiting, up to the batch capacity, in one JNI call. The
     * device must be non-blocking. Sets and returns {@code batch.count()} (0 if none waited).
     */
    public int readBatch(PacketBatch batch) throws ErrnoException {
        int n = readBatch0(fd, batch.buffer(), batch.slotSize(), batch.capacity(), batch.lengths());
        batch.setCount(n);
        return n;
    }

    /** Writes packets [from, from+count) of the batch in one JNI call; returns how many went out. */
    public int writeBatch(PacketBatch batch, int from, int count) throws ErrnoException {
        return writeBatch0(fd, batch.buffer(), batch.slotSize(), batch.lengths(), from, count);
    }

    /** Writes all {@code batch.count()} packets; returns how many went out. */
    public int writeBatch(PacketBatch batch) throws ErrnoException {
        return writeBatch(batch, 0, batch.count());
    }

    @Override
    public String toString() {
        return mode + " " + name;
    }

    private static native int open0(String name, int flags) throws ErrnoException;

    private static native String name0(int fd) throws ErrnoException;

    private static native void setOffload0(int fd, int offloads) throws ErrnoException;

    private static native void setVnetHdrSize0(int fd, int size) throws ErrnoException;

    private static native int readBatch0(int fd, ByteBuffer buf, int slot, int max, int[] lengths) throws ErrnoException;

    private static native int writeBatch0(int fd, ByteBuffer buf, int slot, int[] lengths, int from, int count) throws ErrnoException;
}
