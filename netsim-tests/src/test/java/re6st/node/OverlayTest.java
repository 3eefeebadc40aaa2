package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import re6st.netsim.Cmd;
import re6st.netsim.Namespace;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;
import re6st.node.tunnel.TunnelLinks;
import re6st.peer.PeerAddress;
import re6st.registry.protocol.NetworkConfig;
import re6st.registry.protocol.NetworkVersion;
import re6st.registry.protocol.ReceivedNetworkConfig;
import re6st.tunnel.TunnelInfo;

/**
 * The node's overlay between two hosts of a LAN: one tunnel dialled by address list, Babel on it,
 * and the two node subnets reach each other over overlay addresses (the route Babel installed
 * through the tunnel, with our address as source); hanging up retracts the route at once.
 */
@RequiresRoot
class OverlayTest {
    static Path pki;

    @BeforeAll
    static void makePki() throws Exception {
        pki = Files.createTempDirectory("r6overlay");
        // a network CA: its serial names the network (0x120010db80042: 2001:db8:42::/48)
        Cmd.run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", pki + "/ca.key", "-out", pki + "/ca.crt",
                "-days", "30", "-subj", "/CN=re6st test network", "-set_serial", "0x120010db80042");
        for (String cn : List.of("1/16", "2/16")) {
            String n = pki + "/" + cn.replace('/', '_');
            Cmd.run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", n + ".key", "-out", n + ".csr", "-subj",
                    "/CN=" + cn.replace("/", "\\/"));
            Cmd.run("openssl", "x509", "-req", "-in", n + ".csr", "-CA", pki + "/ca.crt", "-CAkey", pki + "/ca.key",
                    "-CAcreateserial", "-out", n + ".crt", "-days", "30");
        }
    }

    @AfterAll
    static void removePki() throws Exception {
        try (var s = Files.walk(pki)) { s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete()); }
    }

    static NodeIdentity identity(String cn) throws Exception {
        String n = pki + "/" + cn.replace('/', '_');
        return NodeIdentity.load(pki.resolve("ca.crt"), Path.of(n + ".crt"), Path.of(n + ".key"));
    }

    static ReceivedNetworkConfig network() {
        NetworkConfig c = new NetworkConfig(new NetworkConfig.Parameters(10, false, 4, 20, 1, 300, null, 0, null), List.of(),
                "0000000000000001");
        return new ReceivedNetworkConfig(c, NetworkVersion.INITIAL, NetworkConfig.BABEL_DEFAULT, 10, Optional.empty(),
                Optional.empty(), OptionalLong.empty(), new byte[0]);
    }

    static final class Events implements TunnelLinks.Listener {
        final List<String> seen = new CopyOnWriteArrayList<>();

        public void established(TunnelInfo t) {
            seen.add("established " + t.peerCn());
        }

        public void removed(TunnelInfo t) {
            seen.add("removed " + t.peerCn());
        }

        public void failed(String peerCn, java.net.InetSocketAddress remote, java.io.IOException why) {
            seen.add("failed " + peerCn + ": " + why.getMessage());
        }
    }

    static List<Overlay.RoutedPrefix> routes(Overlay o) {
        try {
            return o.routes();
        } catch (Exception e) {
            throw new AssertionError("the routes of " + o.addressing().address(), e);
        }
    }

    /**
     * TUN devices with an IPv4 address too: Babel joins its multicast group through the JDK's
     * NetworkInterface, which, from a thread in another namespace than the process's, lists only
     * interfaces with an IPv4 address (DEVELOPERS.md). A node process in its namespace needs none.
     */
    static TunnelLinks.Devices visibleToTheJdk() {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        return (pattern, mtu, ll) -> {
            re6st.jni.Tun t = re6st.tunnel.TunDevice.open(pattern, mtu, ll);
            try (re6st.jni.Netlink nl = re6st.jni.Netlink.open()) {
                nl.addAddress(nl.index(t.name()), re6st.net.IpPrefix.parse("198.19.0." + (10 + n.incrementAndGet()) + "/32"), true);
            }
            return t;
        };
    }

    @Test
    void twoNodesRouteTheirSubnetsOverOneTunnel() throws Exception {
        try (TestNet net = TestNet.create("overlay")) {
            Namespace sw = net.lan("sw");
            Namespace a = net.namespace("a"), b = net.namespace("b");
            net.attach(a, "eth0", sw);
            net.attach(b, "eth0", sw);
            a.addAddress("eth0", "198.18.80.1/24");
            b.addAddress("eth0", "198.18.80.2/24");
            Events ea = new Events(), eb = new Events();
            Overlay.Plan plan = new Overlay.Plan("lo", List.of(), false, List.of(), Map.of("udp", 1194), 5, null, null);
            Overlay oa = a.call(() -> Overlay.start(identity("1/16"), network(), plan, Optional.empty(), ea, visibleToTheJdk()));
            net.own(oa);
            Overlay ob = b.call(() -> Overlay.start(identity("2/16"), network(), plan, Optional.empty(), eb, visibleToTheJdk()));
            net.own(ob);
            assertEquals("2001:db8:42:1::1", oa.addressing().address().toString());
            assertTrue(a.ip("-6", "route", "show", "type", "unreachable").output().contains("unreachable 2001:db8:42::/48"),
                    "the network's unreachable route");
            assertTrue(oa.dial("2/16", PeerAddress.parse("198.18.80.2,1194,udp")));
            Wait.until("b's subnet routed at a through the tunnel", Duration.ofSeconds(60),
                    () -> routes(oa).stream().anyMatch(r -> r.prefix().toString().equals("2001:db8:42:2::/64") && "2/16".equals(r.viaPeer())));
            Wait.until("a pings b over the overlay, from its own address", Duration.ofSeconds(30),
                    () -> a.exec(Duration.ofSeconds(5), "ping", "-6", "-c", "1", "-W", "1", "2001:db8:42:2::1").ok());
            String route = a.ip("-6", "route", "get", "2001:db8:42:2::1").output();
            assertTrue(route.contains("dev re6st-") && route.contains("src 2001:db8:42:1::1"), route);
            assertEquals(List.of("established 2/16"), ea.seen);
            assertEquals(List.of("established 1/16"), eb.seen);
            oa.hangUp("2/16");
            Wait.until("the route is gone once the tunnel is", Duration.ofSeconds(30),
                    () -> routes(oa).stream().noneMatch(r -> r.prefix().toString().equals("2001:db8:42:2::/64")));
            Wait.until("a heard the tunnel removed", Duration.ofSeconds(30), () -> ea.seen.contains("removed 2/16"));
            
        }
    }
}
