package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class Ipv4OverlayTest {

    @Test
    void formula() {
        // 10.42.0.0/16 with sublen 13: /29 per node, serial 1 -> 10.42.0.8/29, address .9
        Ipv4Overlay o = Ipv4Overlay.of("10.42.0.0/16", 13, 1).orElseThrow();
        assertEquals("10.42.0.9", o.addressText());
        assertEquals("10.42.0.8/29", o.blockText());
        assertEquals("255.255.255.248", o.netmaskText());
        assertEquals("10.42.0.1", Ipv4Overlay.of("10.42.0.0/16", 13, 0).orElseThrow().addressText());
        assertEquals("10.42.255.249", Ipv4Overlay.of("10.42.0.0/16", 13, 8191).orElseThrow().addressText());
    }

    @Test
    void noPlusOneForSlash31AndSlash32() {
        Ipv4Overlay p31 = Ipv4Overlay.of("10.0.0.0/16", 15, 3).orElseThrow();
        assertEquals("10.0.0.6", p31.addressText());
        assertEquals(31, p31.prefixLength());
        Ipv4Overlay p32 = Ipv4Overlay.of("10.0.0.0/16", 16, 3).orElseThrow();
        assertEquals("10.0.0.3", p32.addressText());
        assertEquals("255.255.255.255", p32.netmaskText());
    }

    @Test
    void serialsGiveDistinctBlocks() {
        Set<Long> seen = new HashSet<>();
        for (long serial = 0; serial < 256; serial++) {
            Ipv4Overlay o = Ipv4Overlay.of("198.18.0.0/15", 8, serial).orElseThrow();
            assertEquals(23, o.prefixLength());
            assertTrue(seen.add(o.block()), "block of serial " + serial);
        }
    }

    @Test
    void wrongNetworkParametersDisableIpv4() {
        assertEquals(Optional.empty(), Ipv4Overlay.of("10.42.0.0/16", 8, 256), "serial does not fit");
        assertEquals(Optional.empty(), Ipv4Overlay.of("10.0.0.0/8", 17, 0), "sublen over 16");
        assertEquals(Optional.empty(), Ipv4Overlay.of("10.42.0.0/24", 16, 0), "/40 does not exist");
        assertEquals(Optional.empty(), Ipv4Overlay.of("10.42.0.0/16", 8, -1));
    }

    @Test
    void malformedNetworkText() {
        for (String s : new String[] {"10.42.0.0", "10.42.0.0/33", "10.42.0/16", "10.42.0.0/x", "::/16"})
            assertThrows(IllegalArgumentException.class, () -> Ipv4Overlay.of(s, 8, 1), s);
    }
}
