package re6st.tunnel.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;

import com.code_intelligence.jazzer.junit.FuzzTest;

import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataChannel.Drop;
import re6st.tunnel.data.DataKey;

/**
 * Jazzer on what an attacker controls first: any datagram reaching a tunnel's socket goes
 * through {@link DataChannel#open}. For every input: it does not throw and is not accepted (no
 * forgery); exactly one drop reason is counted, once, and it is the one returned; the input is
 * consumed and nothing is written to the output; the channel's state is unchanged, which the
 * next genuine packet of the peer proves by opening (a forgery that moved the replay window or
 * the keys would make it fail).
 */
class DataChannelFuzzTest {
    private static final DataChannel CHANNEL, PEER;
    private static final ByteBuffer OUT = ByteBuffer.allocate(70_000);
    private static final byte[] INNER = {0x45, 0, 0, 20, 1, 2, 3, 4};

    static {
        byte[] k1 = new byte[32], k2 = new byte[32];
        new Random(1).nextBytes(k1);
        new Random(2).nextBytes(k2);
        CHANNEL = new DataChannel(new DataKey(k1, new byte[4], 0), new DataKey(k2, new byte[4], 0));
        PEER = new DataChannel(new DataKey(k2, new byte[4], 0), new DataKey(k1, new byte[4], 0));
    }

    @FuzzTest(maxDuration = "5s")
    void open(byte[] datagram) {
        long[] before = drops();
        long rotations = CHANNEL.receiveRotations();
        int epoch = CHANNEL.receiveEpoch();
        OUT.clear();
        ByteBuffer in = ByteBuffer.wrap(datagram);
        int r = CHANNEL.open(in, OUT);
        assertTrue(r < 0, "a datagram nobody sealed was accepted");
        Drop why = DataChannel.reason(r);
        long[] after = drops();
        for (Drop d : Drop.values())
            assertEquals(before[d.ordinal()] + (d == why ? 1 : 0), after[d.ordinal()], "drop counter " + d + " (returned " + why + ")");
        assertEquals(in.limit(), in.position(), "the datagram is consumed");
        assertEquals(0, OUT.position(), "a dropped datagram writes nothing");
        assertEquals(rotations, CHANNEL.receiveRotations(), "no key rotation");
        assertEquals(epoch, CHANNEL.receiveEpoch(), "same receive key");

        ByteBuffer wire = ByteBuffer.allocate(INNER.length + 64);
        PEER.seal(ByteBuffer.wrap(INNER), wire);
        OUT.clear();
        assertEquals(INNER.length, CHANNEL.open(wire.flip(), OUT), "the peer's next genuine packet still opens");
        byte[] got = new byte[INNER.length];
        OUT.flip().get(got);
        assertArrayEquals(INNER, got);
    }

    private static long[] drops() {
        long[] n = new long[Drop.values().length];
        for (Drop d : Drop.values())
            n[d.ordinal()] = CHANNEL.dropped(d);
        return n;
    }
}
