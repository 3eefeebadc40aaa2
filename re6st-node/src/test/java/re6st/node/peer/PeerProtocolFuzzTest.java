package re6st.node.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.concurrent.atomic.AtomicLong;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer on the peer protocol's receiving side: any datagram from any source, to a node that has
 * no session yet, is dropped with exactly one reason counted, answers nothing but (at most) a
 * hello0 of its own, installs no session and never throws.
 */
class PeerProtocolFuzzTest {
    static PeerProtocol b;
    static final AtomicLong MICROS = new AtomicLong(1);

    @FuzzTest(maxDuration = "5s")
    void anyDatagram(FuzzedDataProvider in) throws Exception {
        if (b == null) {
            PeerProtocolTest.pki();
            b = new PeerProtocol(PeerProtocolTest.ca12, 10, PeerProtocolTest.secrets(MICROS), () -> new byte[] {1});
        }
        String sender = in.consumeString(40).replaceAll("[^01]", "");
        byte[] datagram = in.consumeRemainingAsBytes();
        long before = b.drops().values().stream().mapToLong(Long::longValue).sum();
        var out = b.receive(sender, datagram, PeerProtocolTest.T0, (p, code, body) -> {
            throw new AssertionError("a forged datagram reached the application");
        });
        long after = b.drops().values().stream().mapToLong(Long::longValue).sum();
        assertEquals(before + 1, after, "exactly one reason counted");
        assertEquals(0, out.size(), "nothing sent for a refused datagram");
        assertFalse(b.connected(sender.length() >= 16 ? sender.substring(0, 16) : sender, PeerProtocolTest.T0));
    }
}
