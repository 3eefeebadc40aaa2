package re6st.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import re6st.net.IpPrefix;
import re6st.netsim.Namespace;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;

/**
 * Our rtnetlink code against the kernel, checked both through our own dump and through
 * {@code ip} (an independent implementation). Runs in a private namespace with a veth pair.
 */
@RequiresRoot
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NetlinkTest {
    static final int TABLE = 100, PROTO = 42;
    private TestNet net;
    private Namespace ns;
    private Netlink nl;
    private int veth;

    @BeforeAll
    void build() throws Exception {
        net = TestNet.create("netlink");
        ns = net.namespace("n");
        Namespace peer = net.namespace("peer");
        net.veth(ns, "veth0", peer, "veth1");
        ns.addAddress("veth0", "198.18.3.1/24");
        ns.addAddress("veth0", "fd00:3::1/64");
        nl = ns.call(Netlink::open);
        net.own(nl);
        veth = nl.index("veth0");
    }

    @AfterAll
    void tearDown() {
        if (net != null)
            net.close();
    }

    private String ipRoutes(String family) {
        // Debian names protocol 42 "babel" in /etc/iproute2/rt_protos; compare numerically.
        return ns.ip(family, "route", "show", "table", Integer.toString(TABLE)).output().replace("proto babel", "proto 42");
    }

    private List<Route> ours(int family) throws NetlinkException {
        return nl.routes(family, TABLE, PROTO);
    }

    private static boolean any(List<Route> routes, Predicate<Route> p) {
        return routes.stream().anyMatch(p);
    }

    @Test
    void linksByNameAndIndexMtuAndUpDown() throws Exception {
        assertEquals(1, nl.index("lo"));
        Link l = nl.link(veth);
        assertEquals("veth0", l.name());
        assertTrue(l.up());
        nl.setMtu(veth, 1400);
        assertTrue(ns.ip("link", "show", "veth0").output().contains("mtu 1400"));
        assertEquals(1400, nl.link("veth0").mtu());
        nl.setUp(veth, false);
        assertFalse(nl.link(veth).up());
        assertFalse(ns.ip("link", "show", "veth0").output().contains("<BROADCAST,MULTICAST,UP"));
        nl.setUp(veth, true);
        assertTrue(nl.link(veth).up());
        nl.setMtu(veth, 1500);
        assertTrue(nl.links().stream().anyMatch(x -> x.name().equals("veth0") && x.index() == veth));
    }

    @Test
    void addressesIpv4AndIpv6WithNodad() throws Exception {
        IpPrefix v4 = IpPrefix.parse("198.18.4.1/24"), v6 = IpPrefix.parse("2001:db8:4::1/64");
        nl.addAddress(veth, v4, false);
        nl.addAddress(veth, v6, true);
        String shown = ns.ip("addr", "show", "dev", "veth0").output();
        assertTrue(shown.contains("inet 198.18.4.1/24"), shown);
        assertTrue(shown.contains("inet6 2001:db8:4::1/64") && !shown.contains("2001:db8:4::1/64 scope global tentative"), shown);
        List<IpPrefix> dumped = new ArrayList<>();
        for (NetlinkEvent.AddressChanged a : nl.addresses(Netlink.AF_UNSPEC, veth))
            dumped.add(a.address());
        assertTrue(dumped.contains(v4) && dumped.contains(v6), dumped.toString());
        nl.deleteAddress(veth, v4);
        nl.deleteAddress(veth, v6);
        shown = ns.ip("addr", "show", "dev", "veth0").output();
        assertFalse(shown.contains("198.18.4.1") || shown.contains("2001:db8:4::1"), shown);
    }

    @Test
    void ipv4RoutesAddReplaceDelete() throws Exception {
        Route r = Route.to("198.18.5.0/24").via("198.18.3.2").dev(veth).table(TABLE).protocol(PROTO).metric(5).build();
        nl.addRoute(r);
        assertTrue(ipRoutes("-4").contains("198.18.5.0/24 via 198.18.3.2 dev veth0 proto 42 metric 5"), ipRoutes("-4"));
        assertTrue(ours(Netlink.AF_INET).contains(r), ours(Netlink.AF_INET).toString());

        Route moved = r.toBuilder().via("198.18.3.3").build();
        nl.replaceRoute(moved);
        assertTrue(ipRoutes("-4").contains("198.18.5.0/24 via 198.18.3.3 dev veth0"), ipRoutes("-4"));
        assertFalse(ipRoutes("-4").contains("via 198.18.3.2"), "replace leaves no second route");

        nl.deleteRoute(moved);
        assertFalse(ipRoutes("-4").contains("198.18.5.0/24"), ipRoutes("-4"));
        assertFalse(any(ours(Netlink.AF_INET), x -> x.dst().toString().equals("198.18.5.0/24")));
    }

    @Test
    void ipv6SourceSpecificUnreachableAndLocalRoutes() throws Exception {
        Route plain = Route.to("2001:db8:6::/64").via("fd00:3::2").dev(veth).table(TABLE).protocol(PROTO).metric(256).build();
        Route fromSrc = Route.to("::/0").from("2001:db8:7::/48").via("fd00:3::2").dev(veth).table(TABLE).protocol(PROTO).build();
        Route unreach6 = Route.to("2001:db8:8::/48").type(RouteType.UNREACHABLE).table(TABLE).protocol(PROTO).build();
        Route unreach4 = Route.to("198.18.9.0/24").type(RouteType.UNREACHABLE).table(TABLE).protocol(PROTO).build();
        Route local4 = Route.to("198.18.7.1/32").type(RouteType.LOCAL).dev(veth).table(TABLE).protocol(PROTO).build();
        Route onlink = Route.to("2001:db8:a::/64").via("fe80::1").dev(veth).onlink(true).table(TABLE).protocol(PROTO).build();
        for (Route r : List.of(plain, fromSrc, unreach6, unreach4, local4, onlink))
            nl.addRoute(r);

        String six = ipRoutes("-6"), four = ipRoutes("-4");
        assertTrue(six.contains("2001:db8:6::/64 via fd00:3::2 dev veth0 proto 42 metric 256"), six);
        assertTrue(six.contains("default from 2001:db8:7::/48 via fd00:3::2 dev veth0 proto 42"), six);
        assertTrue(six.contains("unreachable 2001:db8:8::/48"), six);
        assertTrue(six.contains("2001:db8:a::/64 via fe80::1 dev veth0 proto 42") && six.contains("onlink"), six);
        assertTrue(four.contains("unreachable 198.18.9.0/24 proto 42"), four);
        assertTrue(four.contains("local 198.18.7.1 dev veth0 proto 42 scope host"), four);

        List<Route> v6 = ours(Netlink.AF_INET6), v4 = ours(Netlink.AF_INET);
        assertTrue(any(v6, x -> x.src() != null && x.src().toString().equals("2001:db8:7::/48") && x.dst().length() == 0), v6.toString());
        assertTrue(any(v6, x -> x.type() == RouteType.UNREACHABLE && x.dst().toString().equals("2001:db8:8::/48")), v6.toString());
        assertTrue(any(v6, x -> x.onlink() && x.dst().toString().equals("2001:db8:a::/64")), v6.toString());
        assertTrue(v4.contains(unreach4), v4.toString());
        assertTrue(v4.contains(local4), v4.toString());

        // Atomic replace of the source-specific default route towards another gateway.
        nl.replaceRoute(fromSrc.toBuilder().via("fd00:3::3").build());
        six = ipRoutes("-6");
        assertTrue(six.contains("default from 2001:db8:7::/48 via fd00:3::3"), six);
        assertFalse(six.contains("default from 2001:db8:7::/48 via fd00:3::2"), six);

        nl.deleteRoute(plain);
        nl.deleteRoute(fromSrc.toBuilder().via("fd00:3::3").build());
        nl.deleteRoute(unreach6);
        nl.deleteRoute(unreach4);
        nl.deleteRoute(local4);
        nl.deleteRoute(onlink);
        assertTrue(ours(Netlink.AF_INET6).isEmpty(), ours(Netlink.AF_INET6).toString());
        assertTrue(ours(Netlink.AF_INET).isEmpty(), ours(Netlink.AF_INET).toString());
        assertEquals("", ipRoutes("-6").strip());
    }

    @Test
    void rulesAddAndDelete() throws Exception {
        Rule r6 = Rule.lookup(Netlink.AF_INET6, TABLE, 1000).from(IpPrefix.parse("2001:db8:b::/48"));
        Rule r4 = Rule.lookup(Netlink.AF_INET, TABLE, 1001).to(IpPrefix.parse("198.18.11.0/24")).iif("veth0");
        nl.addRule(r6);
        nl.addRule(r4);
        String six = ns.ip("-6", "rule", "show").output(), four = ns.ip("-4", "rule", "show").output();
        assertTrue(six.contains("1000:\tfrom 2001:db8:b::/48 lookup 100"), six);
        assertTrue(four.contains("1001:\tfrom all to 198.18.11.0/24 iif veth0 lookup 100"), four);
        assertTrue(nl.rules(Netlink.AF_INET6).contains(r6), nl.rules(Netlink.AF_INET6).toString());
        assertTrue(nl.rules(Netlink.AF_INET).contains(r4), nl.rules(Netlink.AF_INET).toString());
        NetlinkException dup = assertThrows(NetlinkException.class, () -> nl.addRule(r6));
        assertEquals(ErrnoException.EEXIST, dup.errno());
        nl.deleteRule(r6);
        nl.deleteRule(r4);
        assertFalse(ns.ip("-6", "rule", "show").output().contains("2001:db8:b::/48"));
        assertFalse(nl.rules(Netlink.AF_INET).contains(r4));
    }

    @Test
    void errorsNameTheOperationAndTheErrno() throws Exception {
        Route r = Route.to("2001:db8:c::/64").dev(veth).table(TABLE).protocol(PROTO).build();
        nl.addRoute(r);
        NetlinkException exists = assertThrows(NetlinkException.class, () -> nl.addRoute(r));
        assertEquals(ErrnoException.EEXIST, exists.errno());
        assertTrue(exists.getMessage().startsWith("route add 2001:db8:c::/64"), exists.getMessage());
        assertTrue(exists.getMessage().contains("EEXIST (File exists)"), exists.getMessage());
        nl.deleteRoute(r);
        NetlinkException gone = assertThrows(NetlinkException.class, () -> nl.deleteRoute(r));
        assertEquals(ErrnoException.ESRCH, gone.errno(), gone.getMessage());

        NetlinkException noDev = assertThrows(NetlinkException.class, () -> nl.index("nosuchif0"));
        assertEquals(ErrnoException.ENODEV, noDev.errno(), noDev.getMessage());
        assertTrue(noDev.getMessage().contains("nosuchif0"), noDev.getMessage());
        NetlinkException badDev = assertThrows(NetlinkException.class,
                () -> nl.addRoute(Route.to("2001:db8:d::/64").dev(99999).table(TABLE).protocol(PROTO).build()));
        assertEquals(ErrnoException.ENODEV, badDev.errno(), badDev.getMessage());
        NetlinkException mtu = assertThrows(NetlinkException.class, () -> nl.setMtu(veth, 10));
        assertEquals(ErrnoException.EINVAL, mtu.errno(), mtu.getMessage());
        assertEquals("", ipRoutes("-6").strip(), "failed requests changed nothing");
    }

    @Test
    void eventsArriveForChangesMadeByIp() throws Exception {
        try (NetlinkMonitor mon = ns.call(NetlinkMonitor::open)) {
            ns.ip("-6", "route", "add", "2001:db8:e::/64", "dev", "veth0", "table", "100", "proto", "42");
            ns.ip("addr", "add", "198.18.12.1/24", "dev", "veth0");
            ns.ip("link", "set", "veth0", "mtu", "1300");
            ns.ip("-6", "route", "del", "2001:db8:e::/64", "dev", "veth0", "table", "100");
            ns.ip("addr", "del", "198.18.12.1/24", "dev", "veth0");
            ns.ip("link", "set", "veth0", "mtu", "1500");

            List<NetlinkEvent> events = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!seenAll(events) && System.nanoTime() < deadline)
                mon.poll(200_000_000L, events::add);
            assertTrue(seenAll(events), "events: " + events);
            assertEquals(0, mon.malformed());
        }
    }

    private static boolean seenAll(List<NetlinkEvent> ev) {
        boolean routeAdd = false, routeDel = false, addrAdd = false, addrDel = false, mtu = false;
        for (NetlinkEvent e : ev) {
            if (e instanceof NetlinkEvent.RouteChanged rc && rc.route().dst().toString().equals("2001:db8:e::/64")
                    && rc.route().table() == TABLE) {
                routeAdd |= !rc.removed();
                routeDel |= rc.removed();
            } else if (e instanceof NetlinkEvent.AddressChanged ac && ac.address().toString().equals("198.18.12.1/24")) {
                addrAdd |= !ac.removed();
                addrDel |= ac.removed();
            } else if (e instanceof NetlinkEvent.LinkChanged lc && "veth0".equals(lc.link().name()) && lc.link().mtu() == 1300) {
                mtu = true;
            }
        }
        return routeAdd && routeDel && addrAdd && addrDel && mtu;
    }
}
