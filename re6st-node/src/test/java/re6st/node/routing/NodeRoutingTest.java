package re6st.node.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

import re6st.babel.InterfaceSettings;
import re6st.babel.mac.MacPolicy;
import re6st.net.Network;
import re6st.net.NodePrefix;
import re6st.node.Ipv4Overlay;
import re6st.node.NodeAddressing;
import re6st.registry.protocol.NetworkConfig;
import re6st.registry.protocol.NetworkVersion;
import re6st.registry.protocol.ReceivedNetworkConfig;

class NodeRoutingTest {
    static final NodeAddressing NODE = NodeAddressing.of(Network.fromCaSerial(new BigInteger("120010db80042", 16)),
            NodePrefix.parseCn("7/16"), "lo");
    static final byte[] K1 = new byte[16], K2 = new byte[16];
    static {
        K1[0] = 1;
        K2[0] = 2;
    }

    static ReceivedNetworkConfig network(int hello, Optional<byte[]> sign, Optional<byte[]> accept) {
        NetworkConfig c = new NetworkConfig(new NetworkConfig.Parameters(10, false, hello, 20, 1, 300, null, 0, null),
                List.of(), "0000000000000001");
        return new ReceivedNetworkConfig(c, NetworkVersion.INITIAL, NetworkConfig.BABEL_DEFAULT, 10, sign, accept,
                OptionalLong.empty(), new byte[0]);
    }

    @Test
    void tunnelsRunTheRttMetricWithTheNetworksDefaultsAndHello() throws Exception {
        NodeRouting r = NodeRouting.of(NODE, Optional.empty(), network(15, Optional.empty(), Optional.empty()), false, List.of());
        InterfaceSettings t = r.tunnelSettings();
        assertEquals(InterfaceSettings.Type.TUNNEL, t.type());
        assertTrue(t.timestamps());
        assertEquals(15_000, t.helloInterval());
        assertEquals(5000, t.maxRttPenalty());
        assertEquals(500_000, t.rttMax());
        assertEquals(125, t.rttDecay());
        InterfaceSettings lan = r.lanSettings("eth0");
        assertEquals(15_000, lan.helloInterval());
        assertEquals(5000, lan.maxRttPenalty(), "babel_default applies to every interface, as 'default' in babeld");
        assertNull(r.mac());
    }

    @Test
    void onlyOurSubnetIsRedistributedAndRoutesCarryOurAddressAsSource() throws Exception {
        NodeRouting r = NodeRouting.of(NODE, Ipv4Overlay.of("10.42.0.0/16", 8, 7),
                network(15, Optional.empty(), Optional.empty()), false, List.of());
        List<String> s = r.statements();
        assertTrue(s.contains("redistribute ip 2001:db8:42:7::/64 eq 64"), s.toString());
        assertTrue(s.contains("redistribute ip 10.42.7.0/24 eq 24"), s.toString());
        assertTrue(s.indexOf("redistribute deny") > s.indexOf("redistribute ip 2001:db8:42:7::/64 eq 64"), "deny comes last");
        assertTrue(s.contains("install pref-src 2001:db8:42:7::1"), s.toString());
        assertTrue(s.contains("install ip ::/0 eq 0 src-ip ::/0 src-eq 0 src-prefix 2001:db8:42::/48"), s.toString());
        assertFalse(s.stream().anyMatch(x -> x.startsWith("redistribute ip ::/0")), "not a gateway");
        NodeRouting gw = NodeRouting.of(NODE, Optional.empty(), network(15, Optional.empty(), Optional.empty()), true, List.of());
        assertTrue(gw.statements().contains("redistribute ip ::/0 eq 0 src-prefix 2001:db8:42::/48"), gw.statements().toString());
    }

    @Test
    void extraStatementsComeLastAndOverride() throws Exception {
        NodeRouting r = NodeRouting.of(NODE, Optional.empty(), network(15, Optional.empty(), Optional.empty()), false,
                List.of("default hello-interval 2"));
        assertEquals(2_000, r.tunnelSettings().helloInterval());
    }

    @Test
    void macKeysFollowTheRotationStates() throws Exception {
        MacPolicy signOnly = NodeRouting.macPolicy(network(15, Optional.of(K1), Optional.empty()));
        assertArrayEquals(K1, signOnly.sign().get(0).value());
        assertTrue(signOnly.accept().isEmpty() && !signOnly.acceptBadSignatures());
        MacPolicy window = NodeRouting.macPolicy(network(15, Optional.of(K1), Optional.of(K2)));
        assertArrayEquals(K2, window.accept().get(0).value());
        MacPolicy deploying = NodeRouting.macPolicy(network(15, Optional.of(K1), Optional.of(new byte[0])));
        assertTrue(deploying.acceptBadSignatures());
        assertNull(NodeRouting.macPolicy(network(15, Optional.of(new byte[0]), Optional.empty())), "an empty sign key: no MAC");
        NodeRouting r = NodeRouting.of(NODE, Optional.empty(), network(15, Optional.of(K1), Optional.empty()), false, List.of());
        assertEquals(r.mac(), r.options(List.of("eth0"), 1).macPolicies().get("eth0"));
        assertFalse(String.join("\n", r.statements()).contains("value"), "key values never in the statements (they get logged)");
    }
}
