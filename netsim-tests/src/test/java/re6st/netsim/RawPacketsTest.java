package re6st.netsim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;

import org.junit.jupiter.api.Test;

/** Building and parsing raw UDP datagrams (no root: the kernel's view is in PacketSocketTest). */
class RawPacketsTest {

    @Test
    void ipv4HeaderChecksumMatchesTheTextbookExample() {
        // 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7: the header checksum example of RFC 1071 folklore.
        byte[] p = RawPackets.udp(new InetSocketAddress("192.168.0.1", 1), new InetSocketAddress("192.168.0.199", 2),
                new byte[0x73 - 28]);
        assertEquals(0x73, p.length);
        assertEquals(0xb8, p[10] & 0xff);
        assertEquals(0x61, p[11] & 0xff);
        assertTrue(RawPackets.checksumsOk(p, 0, p.length));
    }

    @Test
    void roundTripBothFamiliesAndDetectBitFlips() {
        for (String[] ab : new String[][] {{"198.18.0.1", "198.18.0.2"}, {"fd00::1", "fd00::2"}}) {
            InetSocketAddress s = new InetSocketAddress(ab[0], 4000), d = new InetSocketAddress(ab[1], 5000);
            byte[] payload = {1, 2, 3, 4, 5}; // odd length: the checksum pads
            byte[] p = RawPackets.udp(s, d, payload);
            RawPackets.Udp u = RawPackets.parseUdp(p);
            assertEquals(s, u.source());
            assertEquals(d, u.destination());
            assertArrayEquals(payload, u.payload(p));
            assertEquals(p.length - 5, u.payloadOffset());
            assertEquals(ab[0].contains(":") ? 0x86DD : 0x0800, RawPackets.etherType(p));
            assertTrue(RawPackets.checksumsOk(p, 0, p.length));
            p[p.length - 1] ^= 0x10;
            assertFalse(RawPackets.checksumsOk(p, 0, p.length), "a flipped payload bit breaks the UDP checksum");
            RawPackets.fixChecksums(p, 0, p.length);
            assertTrue(RawPackets.checksumsOk(p, 0, p.length));
            assertThrows(IllegalArgumentException.class, () -> RawPackets.parseUdp(p, 0, p.length - 1), "cut packet");
        }
    }

    @Test
    void otherProtocolsAreNotUdp() {
        byte[] p = RawPackets.udp(new InetSocketAddress("198.18.0.1", 1), new InetSocketAddress("198.18.0.2", 2), new byte[4]);
        p[9] = 1; // ICMP
        assertNull(RawPackets.parseUdp(p));
        assertThrows(IllegalArgumentException.class, () -> RawPackets.udp(new InetSocketAddress("198.18.0.1", 1),
                new InetSocketAddress("fd00::2", 2), new byte[0]));
    }
}
