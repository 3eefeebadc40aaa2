package re6st.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class PeerAddressTest {
    @Test
    void listsAsTheOriginalWritesThem() {
        List<PeerAddress> l = List.of(new PeerAddress("198.51.100.1", 1194, "udp", "FR"),
                new PeerAddress("2001:db8::1", 1195, "tcp6", "FR"));
        assertEquals("198.51.100.1,1194,udp,FR;2001:db8::1,1195,tcp6,FR", PeerAddress.format(l, 10));
        assertEquals("198.51.100.1,1194,udp;2001:db8::1,1195,tcp6", PeerAddress.format(l, 6), "no country below protocol 7");
        assertEquals(l, PeerAddress.parse(PeerAddress.format(l, 10)));
        assertEquals("", PeerAddress.format(List.of(), 10));
    }

    @Test
    void readsWhatItCanAndSkipsTheRest() {
        List<PeerAddress> l = PeerAddress.parse("192.0.2.1,1194,tcp;192.0.2.2,x,udp;192.0.2.3,1194;192.0.2.4,1194,sctp;"
                + "192.0.2.5,70000,udp;192.0.2.6,1194,UDP4,DE,extra;;bad host,1,udp;192.0.2.7,1194,udp,fr");
        assertEquals(List.of(new PeerAddress("192.0.2.1", 1194, "tcp", null), new PeerAddress("192.0.2.6", 1194, "udp", "DE"),
                new PeerAddress("192.0.2.7", 1194, "udp", null)), l);
        assertEquals(List.of(), PeerAddress.parse(""));
        assertEquals(List.of(), PeerAddress.parse(null));
    }

    @Test
    void refusesToWriteWhatCannotBeRead() {
        assertThrows(IllegalArgumentException.class, () -> new PeerAddress("192.0.2.1", 0, "udp", null));
        assertThrows(IllegalArgumentException.class, () -> new PeerAddress("192.0.2.1;x", 1, "udp", null));
        assertThrows(IllegalArgumentException.class, () -> new PeerAddress("192.0.2.1", 1, "udp4", null));
        assertThrows(IllegalArgumentException.class, () -> new PeerAddress("192.0.2.1", 1, "udp", "fr"));
    }
}
