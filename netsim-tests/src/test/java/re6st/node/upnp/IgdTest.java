package re6st.node.upnp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import re6st.netsim.MiniUpnpd;
import re6st.netsim.Namespace;
import re6st.netsim.NatRouter;
import re6st.netsim.RequiresRoot;
import re6st.netsim.StunResponder;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;

/**
 * Our UPnP client against Debian's miniupnpd on a NAT router (issue 14): discovery, the external
 * address, a mapping that shows in miniupnpd's nft rules and carries a datagram from the WAN to the
 * inside host, its deletion; and {@link PortForwarder}'s whole cycle against the same IGD.
 */
@RequiresRoot
class IgdTest {
    /** isp (WAN side, STUN) -- home (NAT + miniupnpd) -- lan (the client). */
    record Home(TestNet net, Namespace isp, NatRouter router, Namespace lan, MiniUpnpd igd) {
    }

    static Home home(TestNet net) throws Exception {
        String miniupnpd = MiniUpnpd.binary();
        if (miniupnpd == null)
            System.err.println("SKIPPED IgdTest: needs miniupnpd (apt-get install miniupnpd miniupnpd-nftables)");
        Assumptions.assumeTrue(miniupnpd != null, "needs miniupnpd (apt-get install miniupnpd miniupnpd-nftables)");
        Namespace isp = net.namespace("isp");
        NatRouter router = net.natRouter("home", "wan0");
        net.veth(isp, "w0", router.namespace(), "wan0");
        isp.addAddress("w0", "198.18.81.1/24");
        router.namespace().addAddress("wan0", "198.18.81.50/24");
        Namespace lan = router.inside("lan");
        StunResponder.start(isp, "198.18.81.1");
        return new Home(net, isp, router, lan, MiniUpnpd.start(router, "wan0", "lan0", "198.19.1.0/24", "198.18.81.1"));
    }

    @Test
    void ourClientFindsMiniupnpdMapsAPortThatCarriesTrafficAndDeletesIt() throws Exception {
        try (TestNet net = TestNet.create("igd")) {
            Home h = home(net);
            List<UpnpException> refused = new CopyOnWriteArrayList<>();
            long t0 = System.nanoTime();
            Igd igd = h.lan().call(() -> Igd.discover(Duration.ofSeconds(5), refused::add));
            long found = System.nanoTime();
            assertEquals(List.of(), refused);
            assertEquals("198.19.1.1", igd.address());
            assertEquals("198.19.1.2", igd.localAddress(), "our address as the IGD sees it");
            assertEquals("http://198.19.1.1:" + h.igd().httpPort() + "/ctl/IPConn", igd.control().toString());
            assertEquals("198.18.81.50", h.lan().call(igd::externalIp), "the address miniupnpd learnt by STUN");

            try (DatagramSocket inside = h.lan().call(() -> new DatagramSocket(new InetSocketAddress("198.19.1.2", 1194)))) {
                long t1 = System.nanoTime();
                h.lan().call(() -> {
                    igd.addPortMapping(40000, "UDP", 1194, "re6st test", 3600);
                    return null;
                });
                long mapped = System.nanoTime();
                System.out.printf("UPnP against miniupnpd: discovery %.1f ms, AddPortMapping %.1f ms%n", (found - t0) / 1e6, (mapped - t1) / 1e6);
                assertTrue(h.igd().redirects(40000, "198.19.1.2", 1194), h.igd().redirects());
                // a datagram from the WAN to the router's port 40000 reaches the inside host's port 1194
                inside.setSoTimeout(1_000);
                DatagramSocket outside = h.isp().call(DatagramSocket::new);
                byte[] hello = "through the mapping".getBytes(StandardCharsets.US_ASCII);
                DatagramPacket got = new DatagramPacket(new byte[64], 64);
                Wait.until("a datagram through the mapping", Duration.ofSeconds(30), () -> {
                    try {
                        outside.send(new DatagramPacket(hello, hello.length, new InetSocketAddress("198.18.81.50", 40000)));
                        inside.receive(got);
                        return true;
                    } catch (java.net.SocketTimeoutException e) {
                        return false;
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                outside.close();
                assertEquals("through the mapping", new String(got.getData(), 0, got.getLength(), StandardCharsets.US_ASCII));
                assertEquals("198.18.81.1", got.getAddress().getHostAddress(), "the sender's address, not rewritten");
            }

            // the same port for another protocol is another mapping; deleting one leaves the other
            h.lan().call(() -> {
                igd.addPortMapping(40000, "TCP", 1194, "re6st test", 3600);
                igd.deletePortMapping(40000, "UDP");
                return null;
            });
            assertTrue(h.igd().redirects().lines().anyMatch(l -> l.contains("dport 40000") && l.contains("0x6 ")), h.igd().redirects());
            assertFalse(h.igd().redirects().lines().anyMatch(l -> l.contains("dport 40000") && l.contains("0x11 ")), h.igd().redirects());
            // miniupnpd 2.3.1 answers a DeletePortMapping of no mapping with success (no 714): harmless, nothing else goes
            h.lan().call(() -> {
                igd.deletePortMapping(40000, "UDP");
                return null;
            });
            assertTrue(h.igd().redirects().lines().anyMatch(l -> l.contains("dport 40000") && l.contains("0x6 ")), h.igd().redirects());
        }
    }

    @Test
    void thePortForwarderMapsEachServerAndDeletesItsMappingsAtClose() throws Exception {
        try (TestNet net = TestNet.create("igdfwd")) {
            Home h = home(net);
            PortForwarder f = new PortForwarder(List.of(new PortForwarder.Server("udp", 1194), new PortForwarder.Server("tcp", 1195)),
                    () -> Igd.discover(Duration.ofSeconds(5), e -> {
                        throw new AssertionError(e);
                    }), new SplittableRandom(), true);
            long t0 = System.nanoTime();
            long next = h.lan().call(() -> f.step(0));
            System.out.printf("PortForwarder against miniupnpd: discovery + 2 mappings in %.1f ms%n", (System.nanoTime() - t0) / 1e6);
            assertEquals(PortForwarder.REFRESH_MS, next, "mapped: next is the refresh; failures " + f.failures());
            PortForwarder.Advertised a = f.current(0);
            assertNotNull(a);
            assertEquals("198.18.81.50", a.externalIp());
            assertTrue(h.igd().redirects(a.ports().get("udp"), "198.19.1.2", 1194), h.igd().redirects());
            assertTrue(h.igd().redirects(a.ports().get("tcp"), "198.19.1.2", 1195), h.igd().redirects());
            // the refresh renews the same ports
            assertEquals(2 * PortForwarder.REFRESH_MS, (long) h.lan().call(() -> f.step(PortForwarder.REFRESH_MS)));
            assertEquals(a, f.current(PortForwarder.REFRESH_MS));
            assertEquals(2, h.igd().redirects().lines().filter(l -> l.contains("dnat")).count(), h.igd().redirects());
            h.lan().call(() -> {
                f.close();
                return null;
            });
            assertFalse(h.igd().redirects().contains("dnat"), h.igd().redirects());
            assertEquals(Map.of(), f.failures());
        }
    }
}
