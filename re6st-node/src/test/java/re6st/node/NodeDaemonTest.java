package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

import re6st.cli.CommandFailure;
import re6st.peer.PeerAddress;
import re6st.registry.protocol.NetworkConfig;
import re6st.registry.protocol.NetworkVersion;
import re6st.registry.protocol.ReceivedNetworkConfig;

/** The node daemon's decisions that need no root: what it advertises, which network configs it runs with, what its cache keeps. */
class NodeDaemonTest {
    static Map<String, InetSocketAddress> transports() {
        Map<String, InetSocketAddress> t = new LinkedHashMap<>();
        t.put("udp", new InetSocketAddress(41234)); // a UDP transport always has a socket, listening or not
        t.put("tcp", null); // a TCP transport without a server has none
        return t;
    }

    @Test
    void aNodeThatAcceptsNoTunnelAdvertisesNoAddress() {
        assertEquals(List.of(), NodeDaemon.advertised(List.of("198.51.100.7"), transports(), 0, null),
                "max_clients 0 (or --client): its ephemeral UDP port is no server");
    }

    @Test
    void aNodeThatAcceptsTunnelsAdvertisesEachServerInPreferenceOrderWithEachIp() {
        Map<String, InetSocketAddress> t = new LinkedHashMap<>();
        t.put("udp", new InetSocketAddress(1194));
        t.put("tcp", new InetSocketAddress(1195));
        assertEquals(List.of(new PeerAddress("198.51.100.7", 1194, "udp", "FR"), new PeerAddress("203.0.113.9", 1194, "udp", "FR"),
                new PeerAddress("198.51.100.7", 1195, "tcp", "FR"), new PeerAddress("203.0.113.9", 1195, "tcp", "FR")),
                NodeDaemon.advertised(List.of("198.51.100.7", "203.0.113.9"), t, 20, "FR"));
    }

    @Test
    void aServerWithAUpnpMappingIsAdvertisedAtTheIgdsAddressAndPortOnly() {
        Map<String, InetSocketAddress> t = new LinkedHashMap<>();
        t.put("udp", new InetSocketAddress(1194));
        t.put("udp6", new InetSocketAddress(1196));
        t.put("tcp", new InetSocketAddress(1195));
        var upnp = new re6st.node.upnp.PortForwarder.Advertised("198.18.81.50", Map.of("udp", 40001)); // tcp not mapped (yet)
        assertEquals(List.of(new PeerAddress("198.18.81.50", 40001, "udp", null), new PeerAddress("2001:db8:9::7", 1196, "udp6", null),
                new PeerAddress("198.19.1.2", 1195, "tcp", null)),
                NodeDaemon.advertised(List.of("2001:db8:9::7", "198.19.1.2"), t, 20, null, upnp));
        assertEquals(List.of(), NodeDaemon.advertised(List.of("198.19.1.2"), t, 0, null, upnp), "no server: nothing, mapped or not");
    }

    @Test
    void ipv6AddressesGoWithUdp6AndIpv4OnesWithUdpAndTcp() {
        Map<String, InetSocketAddress> t = new LinkedHashMap<>();
        t.put("udp", new InetSocketAddress(1194));
        t.put("udp6", new InetSocketAddress(1196));
        t.put("tcp", new InetSocketAddress(1195));
        assertEquals(List.of(new PeerAddress("198.51.100.7", 1194, "udp", null), new PeerAddress("2001:db8:9::7", 1196, "udp6", null),
                new PeerAddress("198.51.100.7", 1195, "tcp", null)),
                NodeDaemon.advertised(List.of("2001:db8:9::7", "198.51.100.7"), t, 20, null));
    }

    @Test
    void theOverlayAndLinkLocalAddressesAreNoUnderlay() throws Exception {
        re6st.net.Ipv6Prefix network = re6st.net.Ipv6Prefix.parse("2001:db8:42::/48");
        assertTrue(NodeDaemon.underlay6(java.net.InetAddress.getByName("2001:db8:9::7"), network));
        assertTrue(NodeDaemon.underlay6(java.net.InetAddress.getByName("fd00:198:18::2"), network));
        assertFalse(NodeDaemon.underlay6(java.net.InetAddress.getByName("2001:db8:42:7::1"), network), "our own overlay address");
        assertFalse(NodeDaemon.underlay6(java.net.InetAddress.getByName("fe80::1"), network));
        assertFalse(NodeDaemon.underlay6(java.net.InetAddress.getByName("::1"), network));
    }

    static ReceivedNetworkConfig network(int clientCount, int minProtocol, List<Long> crl) {
        NetworkConfig c = new NetworkConfig(new NetworkConfig.Parameters(clientCount, false, 15, 20, minProtocol, 300, null, 0, null),
                crl, "0000000000000001");
        return new ReceivedNetworkConfig(c, NetworkVersion.INITIAL, NetworkConfig.BABEL_DEFAULT, NetworkConfig.PROTOCOL,
                Optional.empty(), Optional.empty(), OptionalLong.empty(), new byte[0]);
    }

    @Test
    void aConfigThatNeedsANewerProtocolOrRevokesUsIsRefusedWithTheStartMessage() {
        NodeDaemon.checkUsable(network(10, NetworkConfig.PROTOCOL, List.of()), "7/16", BigInteger.valueOf(5));
        CommandFailure f = assertThrows(CommandFailure.class,
                () -> NodeDaemon.checkUsable(network(10, NetworkConfig.PROTOCOL + 1, List.of()), "7/16", BigInteger.valueOf(5)));
        assertTrue(f.getMessage().contains("requires protocol " + (NetworkConfig.PROTOCOL + 1) + " or later"), f.getMessage());
        f = assertThrows(CommandFailure.class, () -> NodeDaemon.checkUsable(network(10, 1, List.of(5L)), "7/16", BigInteger.valueOf(5)));
        assertTrue(f.getMessage().contains("revoked"), f.getMessage());
    }

    @Test
    void theCacheKeepsTheNetworksClientCountUnlessTheOptionSaysOtherwise() {
        assertEquals(4, NodeDaemon.cacheKeeps(OptionalInt.empty(), network(4, 1, List.of())), "the network's client_count, not 10");
        assertEquals(7, NodeDaemon.cacheKeeps(OptionalInt.of(7), network(4, 1, List.of())));
    }

    @Test
    void dashLLogsIntoAFileInItsDirectoryMadeIfNeededAndReopenable(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("log/re6stnet.log");
        re6st.cli.ReopenableFileHandler h = NodeDaemon.logTo(file);
        try {
            System.getLogger("re6st.node").log(System.Logger.Level.WARNING, "to the file");
            assertTrue(java.nio.file.Files.readString(file).contains("to the file"), java.nio.file.Files.readString(file));
            java.nio.file.Files.move(file, dir.resolve("log/re6stnet.log.1"));
            h.reopen(); // as SIGUSR1 after logrotate
            System.getLogger("re6st.node").log(System.Logger.Level.WARNING, "to the new file");
            assertTrue(java.nio.file.Files.readString(file).contains("to the new file"));
        } finally {
            java.util.logging.Logger.getLogger("").removeHandler(h);
            h.close();
        }
    }
}
