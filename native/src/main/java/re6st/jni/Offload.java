package re6st.jni;

import java.nio.ByteBuffer;

/**
 * User-space TSO and GRO for a TUN device opened with {@link Tun#VNET_HDR} (see offload.c):
 * the kernel hands over TCP super-packets of up to 64 KiB with checksums left undone
 * ({@link #TUN_OFFLOADS}), {@link #split} cuts them into packets that fit the tunnel, and
 * {@link #writeCoalesced} glues received segments of one TCP flow back into super-packets for
 * the receiving kernel. One system call per ~45 packets each way instead of one per packet.
 */
public final class Offload {
    static {
        NativeLibrary.load();
    }

    /** Size of the {@code struct virtio_net_hdr} before every packet. */
    public static final int VNET_HDR_LEN = 10;
    /** Offloads to enable on the TUN: checksum and TCP segmentation for IPv4 and IPv6. */
    public static final int TUN_OFFLOADS = Tun.OFFLOAD_CSUM | Tun.OFFLOAD_TSO4 | Tun.OFFLOAD_TSO6;
    /** Largest number of segments one super-packet may need (64 KiB at the smallest MSS we allow). */
    public static final int MAX_SEGMENTS = 128;

    /** Why {@link #split} refused a packet (its negative results). */
    public enum Malformed { SHORT, GSO_TYPE, TOO_MANY_SEGMENTS, CHECKSUM_OFFSET }

    private Offload() {}

    /**
     * Prepares one packet read from the TUN ({@code in[off, off+len)}: virtio_net_hdr, then the IP
     * packet). Returns 0 when the packet is ready in place at {@code off + VNET_HDR_LEN} (a partial
     * checksum was completed); {@code n > 0} when it was cut into n packets, packet i at
     * {@code outOff + i * slot} of {@code out}, length {@code lengths[i]}; negative when the
     * description is malformed ({@link #malformed}).
     */
    public static int split(ByteBuffer in, int off, int len, ByteBuffer out, int outOff, int slot, int[] lengths) {
        return split0(in, off, len, out, outOff, slot, Math.min(lengths.length, MAX_SEGMENTS), lengths);
    }

    public static Malformed malformed(int splitResult) {
        if (splitResult >= 0)
            throw new IllegalArgumentException("not an error: " + splitResult);
        return Malformed.values()[-splitResult - 1];
    }

    /**
     * Writes {@code count} IP packets of {@code batch} (slot i, length {@code batch.length(i)}) to
     * the TUN, consecutive in-order segments of a TCP flow coalesced into one GSO packet. Returns
     * the writes made (low 32 bits) and the packets the kernel refused (high 32 bits: EINVAL, or
     * EIO while the interface is down).
     */
    public static long writeCoalesced(Tun tun, PacketBatch batch, int count) throws ErrnoException {
        return writeCoalesced0(tun.fd(), batch.buffer(), batch.slotSize(), batch.lengths(), count);
    }

    private static native int split0(ByteBuffer in, int off, int len, ByteBuffer out, int outOff, int slot, int maxSegs,
            int[] lengths);

    private static native long writeCoalesced0(int fd, ByteBuffer buf, int slot, int[] lengths, int count) throws ErrnoException;
}
