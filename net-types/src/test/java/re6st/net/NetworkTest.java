package re6st.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;

import org.junit.jupiter.api.Test;

class NetworkTest {
    private static final BigInteger SPEC_SERIAL = new BigInteger("120010db80042", 16);

    @Test
    void networkFromCaSerialSpecVector() {
        Network n = Network.fromCaSerial(SPEC_SERIAL);
        assertEquals("2001:db8:42::/48", n.toString());
        assertEquals("001000000000000100001101101110000000000001000010", n.bits());
        assertEquals(80, n.maxNodePrefixLength());
        assertEquals(SPEC_SERIAL, Network.parse("2001:db8:42::/48").caSerial());
    }

    @Test
    void leadingZeroBitsSurvive() {
        // fd00::/8 starts with 1: serial 0x1fd. A network starting with a 0 bit keeps it too.
        assertEquals("fd00::/8", Network.fromCaSerial(BigInteger.valueOf(0x1fd)).toString());
        assertEquals("::/1", Network.fromCaSerial(BigInteger.valueOf(2)).toString());
        assertEquals("::/0", Network.fromCaSerial(BigInteger.ONE).toString());
        assertEquals(BigInteger.valueOf(2), Network.parse("::/1").caSerial());
    }

    @Test
    void badSerials() {
        assertThrows(IllegalArgumentException.class, () -> Network.fromCaSerial(BigInteger.ZERO));
        assertThrows(IllegalArgumentException.class, () -> Network.fromCaSerial(BigInteger.valueOf(-5)));
        assertThrows(IllegalArgumentException.class, () -> Network.fromCaSerial(BigInteger.ONE.shiftLeft(129)));
        assertEquals("::/128", Network.fromCaSerial(BigInteger.ONE.shiftLeft(128)).toString());
    }

    @Test
    void subnetAndNodeAddressSpecVector() {
        NodeSubnet s = Network.fromCaSerial(SPEC_SERIAL).subnet(NodePrefix.parseCn("7/16"));
        assertEquals("2001:db8:42:7::/64", s.toString());
        assertEquals("2001:db8:42:7::1", s.nodeAddress().toString());
    }

    @Test
    void subnetsOfOtherLengths() {
        Network n = Network.parse("2001:db8:42::/48");
        assertEquals("2001:db8:42:8000::/49", n.subnet(new NodePrefix("1")).toString());
        assertEquals("2001:db8:42:8000::1", n.subnet(new NodePrefix("1")).nodeAddress().toString());
        assertEquals("2001:db8:42:0:8000::/65", n.subnet(new NodePrefix("0".repeat(16) + "1")).toString());
        NodeSubnet full = n.subnet(new NodePrefix("0".repeat(79) + "1"));
        assertEquals("2001:db8:42::1/128", full.toString());
        assertEquals("2001:db8:42::1", full.nodeAddress().toString());
        NodeSubnet even = n.subnet(new NodePrefix("0".repeat(78) + "10"));
        assertEquals("2001:db8:42::2", even.nodeAddress().toString(), "a /128 is its own address");
    }

    @Test
    void nodePrefixTooLongForTheNetwork() {
        Network n = Network.parse("2001:db8:42::/48");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> n.subnet(new NodePrefix("0".repeat(81))));
        assertEquals("node prefix 0/81 is longer than the 80 bits left by network 2001:db8:42::/48", e.getMessage());
    }
}
