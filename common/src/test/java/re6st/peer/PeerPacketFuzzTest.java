package re6st.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer on a datagram arriving on UDP 326: it is a malformed one (with a reason) or a packet
 * that encodes back to exactly the same bytes; the input is never changed; nothing else escapes.
 */
class PeerPacketFuzzTest {
    @FuzzTest(maxDuration = "5s")
    void peerDatagram(byte[] input) {
        byte[] copy = input.clone();
        try {
            PeerPacket p = PeerPacket.parse(input, 0, input.length);
            assertArrayEquals(input, p.encode());
            if (p instanceof PeerPacket.Hello0Fingerprint h)
                try {
                    assertArrayEquals(input, h.asLegacy().encode());
                } catch (MalformedPeerPacketException e) {
                    assertNotNull(e.reason());
                }
        } catch (MalformedPeerPacketException e) {
            assertNotNull(e.reason());
        }
        assertArrayEquals(copy, input, "parsing changes nothing");
    }
}
