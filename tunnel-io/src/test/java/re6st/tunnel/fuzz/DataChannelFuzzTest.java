package re6st.tunnel.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;

import com.code_intelligence.jazzer.junit.FuzzTest;

import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataKey;

/**
 * Jazzer on what an attacker controls first: any datagram reaching a tunnel's socket goes
 * through {@link DataChannel#open}. It must never throw and never accept a forgery.
 */
class DataChannelFuzzTest {
    private static final DataChannel CHANNEL;
    private static final ByteBuffer OUT = ByteBuffer.allocate(70_000);

    static {
        byte[] k1 = new byte[32], k2 = new byte[32];
        new Random(1).nextBytes(k1);
        new Random(2).nextBytes(k2);
        CHANNEL = new DataChannel(new DataKey(k1, new byte[4], 0), new DataKey(k2, new byte[4], 0));
    }

    @FuzzTest(maxDuration = "15s")
    void open(byte[] datagram) {
        OUT.clear();
        int r = CHANNEL.open(ByteBuffer.wrap(datagram), OUT);
        assertTrue(r < 0, "a datagram nobody sealed was accepted");
    }
}
