package re6st.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class LocalDatagramTest {
    @Test
    void requestAndAnswerBytesAsTheOriginal() {
        // registry -> node: "<prefix>\0<code>"; node -> registry: "<prefix>\0<code><body>"
        assertArrayEquals("0000000000000111\0\u0001".getBytes(StandardCharsets.US_ASCII),
                LocalDatagram.request("0000000000000111", PeerCode.ADDRESS).encode());
        byte[] answer = "0111\0\u0004re6stnet 0.1, Linux".getBytes(StandardCharsets.US_ASCII);
        LocalDatagram d = LocalDatagram.decode(answer, 0, answer.length);
        assertEquals("0111", d.prefix());
        assertEquals(PeerCode.VERSION, d.code());
        assertEquals("re6stnet 0.1, Linux", d.text());
        assertArrayEquals(answer, d.encode());
    }

    @Test
    void decodesAtAnOffsetAndKeepsTheRelayBit() {
        byte[] b = "xx1\0\u0085".getBytes(StandardCharsets.ISO_8859_1);
        LocalDatagram d = LocalDatagram.decode(b, 2, 3);
        assertEquals("1", d.prefix());
        assertEquals(0x85, d.code());
        assertEquals(PeerCode.TOPOLOGY, PeerCode.code(d.code()));
        assertEquals(true, PeerCode.relayed(d.code()));
        assertEquals(0, d.body().length);
    }

    @Test
    void malformedIsNullNeverAnException() {
        for (String s : List.of("", "\0\u0001", "01", "01\0", "012\0\u0001", "ab\0\u0001", "0".repeat(129) + "\0\u0001"))
            assertNull(LocalDatagram.decode(s.getBytes(StandardCharsets.ISO_8859_1), 0, s.length()), "'" + s + "'");
        assertNull(LocalDatagram.decode(new byte[4], 2, 5), "length past the array");
        assertNull(LocalDatagram.decode(new byte[] {'1', 0, 1}, Integer.MAX_VALUE, 2), "offset + length overflowing int");
        assertEquals("0".repeat(128), LocalDatagram.decode(("0".repeat(128) + "\0\u0001").getBytes(StandardCharsets.US_ASCII), 0, 130).prefix());
    }

    @Test
    void refusesToBuildWhatItCouldNotDecode() {
        assertThrows(IllegalArgumentException.class, () -> LocalDatagram.request("", 1));
        assertThrows(IllegalArgumentException.class, () -> LocalDatagram.request("012", 1));
        assertThrows(IllegalArgumentException.class, () -> LocalDatagram.request("01", 256));
    }

    @Test
    void topologyRoundTrip() {
        Topology t = Topology.parse("2 7/16 12/16 3/16");
        assertEquals(List.of("7/16", "12/16"), t.outgoing());
        assertEquals(List.of("3/16"), t.incoming());
        assertEquals("2 7/16 12/16 3/16", t.format());
        assertEquals("0", new Topology(List.of(), List.of()).format());
        assertNull(Topology.parse("3 7/16"), "more outgoing than CNs");
        assertNull(Topology.parse("1 7/x"), "not a CN");
        assertNull(Topology.parse("-1"), "negative count");
    }
}
