package re6st.netsim;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

class PairCutsTest {
    /** An Ethernet frame with an IPv4 header (IHL 5) and 4 bytes of ports, at offset 3 of a bigger buffer. */
    private static ByteBuffer frame(int etherType, String src, String dst, int proto, int sport, int dport) {
        ByteBuffer b = ByteBuffer.allocate(3 + 14 + 20 + 8);
        b.putShort(3 + 12, (short) etherType);
        b.put(3 + 14, (byte) 0x45);
        b.put(3 + 14 + 9, (byte) proto);
        b.putInt(3 + 14 + 12, PairCuts.ipv4(src));
        b.putInt(3 + 14 + 16, PairCuts.ipv4(dst));
        b.putShort(3 + 34, (short) sport);
        b.putShort(3 + 36, (short) dport);
        return b;
    }

    private static boolean drops(PairCuts c, ByteBuffer f) {
        return c.drop(f, 3, f.capacity() - 3);
    }

    @Test
    void dropsBothWaysBetweenTheCutPairOnlyUntilRestored() {
        PairCuts c = new PairCuts();
        assertFalse(drops(c, frame(0x0800, "198.18.101.2", "198.18.100.2", 17, 5000, 1194)));
        c.set("198.18.100.2", "198.18.101.2", PairCuts.DROP);
        assertTrue(drops(c, frame(0x0800, "198.18.101.2", "198.18.100.2", 17, 5000, 1194)));
        assertTrue(drops(c, frame(0x0800, "198.18.100.2", "198.18.101.2", 6, 80, 40000)));
        assertFalse(drops(c, frame(0x0800, "198.18.101.2", "198.18.102.2", 17, 5000, 1194)), "another pair");
        assertFalse(drops(c, frame(0x0806, "198.18.101.2", "198.18.100.2", 0, 0, 0)), "ARP is not IPv4");
        c.set("198.18.101.2", "198.18.100.2", null);
        assertFalse(drops(c, frame(0x0800, "198.18.101.2", "198.18.100.2", 17, 5000, 1194)));
        assertTrue(c.isEmpty());
    }

    @Test
    void aBlockKeepsTcpToTheAllowedPorts() {
        PairCuts c = new PairCuts();
        c.set("198.18.100.2", "198.18.102.2", new int[] {80});
        assertFalse(drops(c, frame(0x0800, "198.18.102.2", "198.18.100.2", 6, 40000, 80)));
        assertFalse(drops(c, frame(0x0800, "198.18.100.2", "198.18.102.2", 6, 80, 40000)));
        assertTrue(drops(c, frame(0x0800, "198.18.102.2", "198.18.100.2", 6, 40000, 1194)));
        assertTrue(drops(c, frame(0x0800, "198.18.102.2", "198.18.100.2", 17, 40000, 80)), "UDP to port 80 is not HTTP");
    }

    @Test
    void shortFramesAndBadAddressesAreHandled() {
        PairCuts c = new PairCuts();
        c.set("198.18.100.2", "198.18.102.2", PairCuts.DROP);
        assertFalse(c.drop(ByteBuffer.allocate(20), 0, 20));
        assertThrows(IllegalArgumentException.class, () -> c.set("198.18.100", "198.18.102.2", PairCuts.DROP));
        assertThrows(IllegalArgumentException.class, () -> c.set("198.18.100.256", "198.18.102.2", PairCuts.DROP));
    }
}
