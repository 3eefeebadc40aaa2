package re6st.jni;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A reusable batch of packets for {@link Tun#readBatch} and {@link Tun#writeBatch}: one direct
 * buffer cut into fixed-size slots (packet i starts at {@code offset(i)}) and their lengths.
 * Allocate once per reader/writer thread; nothing is allocated per packet.
 */
public final class PacketBatch {
    private final ByteBuffer buffer;
    private final int slotSize;
    private final int[] lengths;
    private int count;

    /** @param slotSize the largest packet a slot holds (MTU, plus the vnet header if used) */
    public PacketBatch(int capacity, int slotSize) {
        if (capacity <= 0 || slotSize <= 0 || (long) capacity * slotSize > Integer.MAX_VALUE)
            throw new IllegalArgumentException("bad batch size " + capacity + " x " + slotSize);
        this.buffer = ByteBuffer.allocateDirect(capacity * slotSize).order(ByteOrder.BIG_ENDIAN);
        this.slotSize = slotSize;
        this.lengths = new int[capacity];
    }

    public ByteBuffer buffer() {
        return buffer;
    }

    public int capacity() {
        return lengths.length;
    }

    public int slotSize() {
        return slotSize;
    }

    /** Number of packets held (set by a read, or by the caller before a write). */
    public int count() {
        return count;
    }

    public void setCount(int count) {
        if (count < 0 || count > lengths.length)
            throw new IllegalArgumentException("count " + count + " outside 0.." + lengths.length);
        this.count = count;
    }

    public int offset(int i) {
        return i * slotSize;
    }

    public int length(int i) {
        return lengths[i];
    }

    public void setLength(int i, int length) {
        if (length < 0 || length > slotSize)
            throw new IllegalArgumentException("length " + length + " outside 0.." + slotSize);
        lengths[i] = length;
    }

    int[] lengths() {
        return lengths;
    }
}
