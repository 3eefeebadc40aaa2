package re6st.tunnel.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import re6st.tunnel.data.DataChannel.Drop;

class DataChannelTest {
    static DataKey key(int seed, int epoch) {
        byte[] k = new byte[32], s = new byte[4];
        new Random(seed).nextBytes(k);
        new Random(seed + 1000).nextBytes(s);
        return new DataKey(k, s, epoch);
    }

    /** Two ends of one tunnel: a's send key is b's receive key and vice versa. */
    static DataChannel[] pair() {
        DataKey ab = key(1, 0), ba = key(2, 0);
        return new DataChannel[] {new DataChannel(ab, ba), new DataChannel(ba, ab)};
    }

    static byte[] seal(DataChannel c, byte[] inner) {
        ByteBuffer out = ByteBuffer.allocate(inner.length + DataPacket.OVERHEAD);
        int n = c.seal(ByteBuffer.wrap(inner), out);
        assertEquals(inner.length + DataPacket.OVERHEAD, n);
        return out.array();
    }

    static int open(DataChannel c, byte[] packet, ByteBuffer out) {
        out.clear();
        return c.open(ByteBuffer.wrap(packet), out);
    }

    static byte[] inner(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void sealedPacketsOpenOnTheOtherSideInAnyOrderWithinTheWindow() {
        DataChannel[] p = pair();
        List<byte[]> inners = new ArrayList<>(), packets = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            byte[] in = inner(1 + i * 29, i);
            inners.add(in);
            packets.add(seal(p[0], in));
        }
        ByteBuffer out = ByteBuffer.allocate(2048);
        for (int i = 49; i >= 0; i--) { // reversed: reordering within the window is fine
            int n = open(p[1], packets.get(i), out);
            assertEquals(inners.get(i).length, n);
            byte[] got = new byte[n];
            out.flip().get(got);
            assertArrayEquals(inners.get(i), got);
        }
        assertTrue(p[1].drops().isEmpty());
    }

    @Test
    void headerCarriesTypeEpochAndCounter() {
        DataChannel[] p = pair();
        seal(p[0], inner(10, 0));
        byte[] second = seal(p[0], inner(10, 1));
        ByteBuffer b = ByteBuffer.wrap(second);
        assertEquals(DataPacket.TYPE_DATA, b.get(0));
        assertEquals(0, b.get(1));
        assertEquals(1L, b.getLong(4));
    }

    @Test
    void replaysTamperingAndGarbageAreDroppedAndCounted() {
        DataChannel[] p = pair();
        byte[] pkt = seal(p[0], inner(100, 7));
        ByteBuffer out = ByteBuffer.allocate(2048);
        assertEquals(100, open(p[1], pkt, out));
        assertEquals(Drop.REPLAY, DataChannel.reason(open(p[1], pkt, out)));
        for (int bit : new int[] {8 * 1 + 1, 8 * 5, 8 * 20, 8 * (pkt.length - 1)}) { // epoch, counter, body, tag
            byte[] t = seal(p[0], inner(100, bit)).clone();
            t[bit / 8] ^= (byte) (1 << (bit % 8));
            int r = open(p[1], t, out);
            assertTrue(r < 0, "tampered bit " + bit + " accepted");
        }
        assertEquals(Drop.TRUNCATED, DataChannel.reason(open(p[1], new byte[DataPacket.OVERHEAD - 1], out)));
        byte[] notData = pkt.clone();
        notData[0] = 7;
        assertEquals(Drop.NOT_DATA, DataChannel.reason(open(p[1], notData, out)));
        assertEquals(1, p[1].drops().get(Drop.REPLAY));
        assertEquals(1, p[1].drops().get(Drop.TRUNCATED));
    }

    @Test
    void aForgedPacketDoesNotMoveTheReplayWindow() {
        DataChannel[] p = pair();
        byte[] first = seal(p[0], inner(40, 1));
        byte[] forged = first.clone();
        ByteBuffer.wrap(forged).putLong(4, 1_000_000L); // far ahead, tag now wrong
        ByteBuffer out = ByteBuffer.allocate(2048);
        assertEquals(Drop.AUTH_FAILED, DataChannel.reason(open(p[1], forged, out)));
        assertEquals(40, open(p[1], first, out), "the genuine packet 0 is still accepted");
    }

    @Test
    void rekeyKeepsPacketsInFlightUnderTheOldKey() {
        DataChannel[] p = pair();
        byte[] old1 = seal(p[0], inner(30, 1));
        DataKey next = key(3, 1);
        p[0].rekeySend(next);
        p[1].rekeyReceive(next);
        byte[] new1 = seal(p[0], inner(30, 2));
        assertEquals(0L, ByteBuffer.wrap(new1).getLong(4), "counters restart with the new key");
        ByteBuffer out = ByteBuffer.allocate(2048);
        assertEquals(30, open(p[1], new1, out));
        assertEquals(30, open(p[1], old1, out), "the previous key still opens packets in flight");
        p[1].dropPreviousReceiveKey();
        byte[] old2 = old1.clone();
        ByteBuffer.wrap(old2).putLong(4, 5);
        assertEquals(Drop.UNKNOWN_EPOCH, DataChannel.reason(open(p[1], old2, out)));
        assertThrows(IllegalArgumentException.class, () -> p[0].rekeySend(key(4, 1)), "same epoch refused");
    }

    @Test
    void randomInputIsAlwaysADropNeverAnException() {
        DataChannel[] p = pair();
        Random rnd = new Random(99);
        ByteBuffer out = ByteBuffer.allocate(4096);
        byte[] genuine = seal(p[0], inner(64, 3));
        for (int i = 0; i < 20_000; i++) {
            byte[] b;
            if (i % 2 == 0) {
                b = new byte[rnd.nextInt(200)];
                rnd.nextBytes(b);
            } else {
                b = genuine.clone();
                b[rnd.nextInt(b.length)] ^= (byte) (1 + rnd.nextInt(255));
            }
            assertTrue(open(p[1], b, out) < 0, "garbage accepted at iteration " + i);
        }
        assertEquals(64, open(p[1], genuine, out), "and the channel still works");
    }

    @Test
    void keysAreCheckedAndNeverPrinted() {
        assertThrows(IllegalArgumentException.class, () -> new DataKey(new byte[16], new byte[4], 0));
        assertThrows(IllegalArgumentException.class, () -> new DataKey(new byte[32], new byte[3], 0));
        assertThrows(IllegalArgumentException.class, () -> new DataKey(new byte[32], new byte[4], 256));
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) 0x41);
        assertTrue(!new DataKey(k, new byte[4], 0).toString().contains("41"));
    }
}
