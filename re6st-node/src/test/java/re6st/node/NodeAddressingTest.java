package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import re6st.net.Network;
import re6st.net.NodePrefix;

class NodeAddressingTest {
    private static final Network NETWORK = Network.fromCaSerial(new BigInteger("120010db80042", 16));

    @Test
    void specExample() {
        NodeAddressing a = NodeAddressing.of(NETWORK, NodePrefix.parseCn("7/16"), NodeAddressing.DEFAULT_MAIN_INTERFACE);
        assertEquals("2001:db8:42:7::1", a.address().toString());
        assertEquals("2001:db8:42:7::1/64", a.interfaceAddress());
        assertEquals("2001:db8:42:7::/64", a.subnetPrefix().toString());
        assertEquals("2001:db8:42::/48", a.network().toString());
        assertEquals(Map.of(
                "re6stnet_ip", "2001:db8:42:7::1",
                "re6stnet_iface", "lo",
                "re6stnet_subnet", "2001:db8:42:7::/64",
                "re6stnet_network", "2001:db8:42::/48"), a.hookEnvironment());
        assertEquals(List.of("re6stnet_ip", "re6stnet_iface", "re6stnet_subnet", "re6stnet_network"),
                List.copyOf(a.hookEnvironment().keySet()));
    }

    @Test
    void otherInterfaceAndPrefixLength() {
        NodeAddressing a = NodeAddressing.of(Network.parse("fd00:1::/32"), NodePrefix.parseCn("1/8"), "re6st0");
        assertEquals("fd00:1:100::1", a.address().toString());
        assertEquals("fd00:1:100::/40", a.hookEnvironment().get("re6stnet_subnet"));
        assertEquals("re6st0", a.hookEnvironment().get("re6stnet_iface"));
    }

    @Test
    void environmentIsReadOnly() {
        Map<String, String> env = NodeAddressing.of(NETWORK, NodePrefix.parseCn("7/16"), "lo").hookEnvironment();
        assertThrows(UnsupportedOperationException.class, () -> env.put("x", "y"));
    }

    @Test
    void badInterfaceNames() {
        for (String name : new String[] {"", "a/b", "has space", "sixteen-chars-xx", "eth0:1"})
            assertThrows(IllegalArgumentException.class, () -> NodeAddressing.of(NETWORK, NodePrefix.parseCn("7/16"), name), name);
    }
}
