package re6st.babel.mac;

import java.util.random.RandomGenerator;

import re6st.babel.message.Message;

/**
 * The sender side of RFC 8967 replay protection, one per interface and shared by its unicast and
 * multicast packets: a 32-bit packet counter (PC) from 0 and a random 8-byte index. Like babeld
 * ({@code send_pc}) and BIRD, a fresh index is drawn whenever the counter is 0, so at start and
 * after the counter wraps: receivers then see an unknown index and re-challenge us, which is why
 * they never need modular PC arithmetic. Not thread-safe.
 */
public final class PacketCounter {
    public static final int INDEX_LENGTH = 8;

    private final RandomGenerator random;
    private long pc;
    private byte[] index;

    public PacketCounter(RandomGenerator random) {
        this(random, 0);
    }

    /** For tests: start at {@code pc} (an unsigned 32-bit value). */
    PacketCounter(RandomGenerator random, long pc) {
        this.random = random;
        this.pc = pc & 0xFFFF_FFFFL;
        this.index = freshIndex();
    }

    /** The PC TLV for the next packet; each call is one packet. */
    public Message.Pc next() {
        long value = advance();
        return new Message.Pc(value, index);
    }

    /**
     * The counter for the next packet, without a message object (the sending path writes it
     * straight into the packet with {@link #index()}); each call is one packet.
     */
    long advance() {
        if (pc == 0)
            index = freshIndex();
        long value = pc;
        pc = (pc + 1) & 0xFFFF_FFFFL;
        return value;
    }

    /** The current index, not a copy: read it, never change it. Valid until the counter wraps. */
    byte[] index() {
        return index;
    }

    private byte[] freshIndex() {
        byte[] b = new byte[INDEX_LENGTH];
        random.nextBytes(b);
        return b;
    }
}
