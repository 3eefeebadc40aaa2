package re6st.babel.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import re6st.babel.message.Addr;
import re6st.babel.message.Prefix;

/**
 * Redistribution as babeld 1.12.1 does it. The scenario of most cases was run against the real
 * babeld in a network namespace (veth "va" with 2001:db8:1::1/64 and 198.18.0.1/24; routes
 * 2001:db8:2::/48 proto boot, 2001:db8:3::/48 proto static, 2001:db8:4::/48 proto 42,
 * 198.18.5.0/24 proto static) and the xroutes read from its control socket.
 */
class RedistributeFilterTest {
    private static final int KERNEL = 2, BOOT = 3, STATIC = 4, BABEL = 42;

    private static RedistributeFilter filter(String... statements) throws ConfigException {
        ConfigParser p = new ConfigParser();
        for (String s : statements)
            p.statement(s);
        return p.build().redistribute();
    }

    private static RedistributeFilter.Decision route(RedistributeFilter f, String dst, int proto, String ifname) {
        return f.decide(Prefix.parse(dst), null, proto, false, ifname);
    }

    private static RedistributeFilter.Decision address(RedistributeFilter f, String addr, String ifname) {
        return f.decide(Prefix.parse(addr), null, 0, true, ifname);
    }

    private static void announced(RedistributeFilter.Decision d, int metric) {
        assertTrue(d.announce(), "announced");
        assertEquals(metric, d.metric());
    }

    private static void notAnnounced(RedistributeFilter.Decision d) {
        assertFalse(d.announce(), "not announced");
        assertEquals(Filter.INFINITY, d.metric());
    }

    @Test
    void withoutStatementsOnlyLocalAddressesAsHostRoutes() throws ConfigException {
        RedistributeFilter f = filter();
        announced(address(f, "2001:db8:1::1/128", "va"), 0);
        announced(address(f, "198.18.0.1/32", "va"), 0);
        RedistributeFilter.Decision d = address(f, "198.18.0.1/32", "va");
        assertEquals(Prefix.V4_DEFAULT, d.source()); // babeld prints "from 0.0.0.0/0"
        assertEquals(Prefix.V6_DEFAULT, address(f, "2001:db8:1::1/128", "va").source());
        notAnnounced(address(f, "fe80::1/128", "va")); // babeld never reads link-local addresses
        notAnnounced(address(f, "::1/128", "lo")); // martian
        notAnnounced(address(f, "127.0.0.1/32", "lo")); // martian
        notAnnounced(route(f, "2001:db8:3::/48", STATIC, "va"));
        notAnnounced(route(f, "2001:db8:1::/64", KERNEL, "va"));
        notAnnounced(route(f, "198.18.5.0/24", STATIC, "va"));
    }

    @Test
    void redistributeLocalDenyAnnouncesNothing() throws ConfigException {
        RedistributeFilter f = filter("redistribute local deny");
        notAnnounced(address(f, "2001:db8:1::1/128", "va"));
        notAnnounced(address(f, "198.18.0.1/32", "va"));
        notAnnounced(route(f, "2001:db8:3::/48", STATIC, "va"));
    }

    @Test
    void aPlainRedistributeTakesKernelRoutesButNotBootOnes() throws ConfigException {
        RedistributeFilter f = filter("redistribute");
        announced(route(f, "2001:db8:3::/48", STATIC, "va"), 0);
        announced(route(f, "2001:db8:1::/64", KERNEL, "va"), 0);
        announced(route(f, "198.18.0.0/24", KERNEL, "va"), 0);
        announced(route(f, "198.18.5.0/24", STATIC, "va"), 0);
        notAnnounced(route(f, "2001:db8:2::/48", BOOT, "va"));
        notAnnounced(route(f, "2001:db8:4::/48", BABEL, "va")); // our own routes
        notAnnounced(route(f, "fe80::/64", KERNEL, "va")); // martian
        notAnnounced(route(f, "ff00::/8", KERNEL, "va"));
        // the implicit "redistribute local allow" still applies
        announced(address(f, "2001:db8:1::1/128", "va"), 0);
    }

    @Test
    void bootRoutesOnlyWhenProtoThreeIsNamed() throws ConfigException {
        RedistributeFilter f = filter("redistribute proto 3");
        announced(route(f, "2001:db8:2::/48", BOOT, "va"), 0);
        notAnnounced(route(f, "2001:db8:3::/48", STATIC, "va"));
        notAnnounced(route(f, "2001:db8:1::/64", KERNEL, "va"));
        announced(address(f, "2001:db8:1::1/128", "va"), 0);
    }

    @Test
    void protoBabelIsNeverRedistributed() throws ConfigException {
        notAnnounced(route(filter("redistribute proto 42"), "2001:db8:4::/48", BABEL, "va"));
    }

    @Test
    void metricAndPrefixSelection() throws ConfigException {
        RedistributeFilter f = filter("redistribute ip 2001:db8::/32 metric 300", "redistribute local deny");
        announced(route(f, "2001:db8:3::/48", STATIC, "va"), 300);
        announced(route(f, "2001:db8::/32", STATIC, "va"), 300);
        notAnnounced(route(f, "2001:db9::/48", STATIC, "va"));
        notAnnounced(route(f, "2001:db8::/31", STATIC, "va")); // shorter than the statement's prefix
        notAnnounced(route(f, "198.18.5.0/24", STATIC, "va"));
        notAnnounced(address(f, "2001:db8:1::1/128", "va"));
    }

    @Test
    void aLengthWithoutAnAddressMeansIpv6() throws ConfigException {
        RedistributeFilter f = filter("redistribute le 64", "redistribute local deny");
        announced(route(f, "2001:db8:3::/48", STATIC, "va"), 0);
        announced(route(f, "2001:db8:1::/64", KERNEL, "va"), 0);
        notAnnounced(route(f, "2001:db8:1::/80", STATIC, "va"));
        notAnnounced(route(f, "198.18.5.0/24", STATIC, "va"));
        notAnnounced(route(f, "0.0.0.0/0", STATIC, "va"));
    }

    @Test
    void ipv4LengthsAreIpv4Lengths() throws ConfigException {
        RedistributeFilter f = filter("redistribute ip 198.18.0.0/15 ge 24 le 28 metric 5");
        announced(route(f, "198.18.5.0/24", STATIC, "va"), 5);
        announced(route(f, "198.19.0.16/28", STATIC, "va"), 5);
        notAnnounced(route(f, "198.18.0.0/16", STATIC, "va"));
        notAnnounced(route(f, "198.18.0.0/29", STATIC, "va"));
        notAnnounced(route(f, "10.0.0.0/24", STATIC, "va"));
        notAnnounced(route(f, "2001:db8::/24", STATIC, "va"));

        RedistributeFilter all4 = filter("redistribute ip 0.0.0.0/0 le 24 metric 256");
        announced(route(all4, "0.0.0.0/0", STATIC, "va"), 256);
        announced(route(all4, "10.0.0.0/8", STATIC, "va"), 256);
        notAnnounced(route(all4, "10.0.0.0/25", STATIC, "va"));
        notAnnounced(route(all4, "::/0", STATIC, "va"));
    }

    @Test
    void firstMatchWinsAndDenyStops() throws ConfigException {
        RedistributeFilter f = filter(
                "redistribute ip 2001:db8:3::/48 deny",
                "redistribute ip 2001:db8::/32 metric 10",
                "redistribute metric 20",
                "redistribute local deny");
        notAnnounced(route(f, "2001:db8:3::/48", STATIC, "va"));
        notAnnounced(route(f, "2001:db8:3:1::/64", STATIC, "va"));
        announced(route(f, "2001:db8:5::/48", STATIC, "va"), 10);
        announced(route(f, "2001:db9::/48", STATIC, "va"), 20);
        announced(route(f, "198.18.5.0/24", STATIC, "va"), 20);
        // metric 65535 is a deny
        notAnnounced(route(filter("redistribute metric 65535"), "2001:db8:3::/48", STATIC, "va"));
    }

    @Test
    void aStatementWithoutSelectorsLeavesLocalAddressesToTheImplicitAllow() throws ConfigException {
        RedistributeFilter f = filter("redistribute deny");
        notAnnounced(route(f, "2001:db8:3::/48", STATIC, "va"));
        announced(address(f, "2001:db8:1::1/128", "va"), 0);
    }

    @Test
    void localSelectors() throws ConfigException {
        RedistributeFilter f = filter(
                "redistribute local if lo deny",
                "redistribute local ip 2001:db8::/32 metric 128",
                "redistribute local deny");
        announced(address(f, "2001:db8:1::1/128", "va"), 128);
        notAnnounced(address(f, "2001:db8:1::2/128", "lo"));
        notAnnounced(address(f, "2001:db9::1/128", "va"));
        notAnnounced(address(f, "198.18.0.1/32", "va"));
        // local statements do not select kernel routes
        notAnnounced(route(f, "2001:db8:3::/48", STATIC, "va"));
    }

    @Test
    void interfaceSelector() throws ConfigException {
        RedistributeFilter f = filter("redistribute if vb", "redistribute local deny");
        announced(route(f, "2001:db8:3::/48", STATIC, "vb"), 0);
        notAnnounced(route(f, "2001:db8:3::/48", STATIC, "va"));
        notAnnounced(route(f, "2001:db8:3::/48", STATIC, null));
    }

    @Test
    void srcPrefixMakesAKernelRouteSourceSpecific() throws ConfigException {
        RedistributeFilter f = filter(
                "redistribute ip 2001:db8:3::/48 src-prefix 2001:db8:9::/48 metric 7", "redistribute local deny");
        RedistributeFilter.Decision d = route(f, "2001:db8:3::/48", STATIC, "va");
        announced(d, 7);
        assertEquals(Prefix.parse("2001:db8:9::/48"), d.source());
        // not for local addresses (babeld applies it to kernel routes only)
        RedistributeFilter g = filter("redistribute local src-prefix 2001:db8:9::/48");
        RedistributeFilter.Decision a = address(g, "2001:db8:1::1/128", "va");
        announced(a, 0);
        assertEquals(Prefix.V6_DEFAULT, a.source());
    }

    @Test
    void theChainIsEvaluatedAgainWithTheNewSource() throws ConfigException {
        // babeld filters once to find src-prefix, then again with the new source for the metric
        RedistributeFilter f = filter(
                "redistribute src-ip 2001:db8:9::/48 metric 9",
                "redistribute ip 2001:db8:3::/48 src-prefix 2001:db8:9::/48 metric 7");
        RedistributeFilter.Decision d = route(f, "2001:db8:3::/48", STATIC, "va");
        announced(d, 9);
        assertEquals(Prefix.parse("2001:db8:9::/48"), d.source());
    }

    @Test
    void sourceSelectors() throws ConfigException {
        RedistributeFilter f = filter("redistribute src-ip 2001:db8:9::/48", "redistribute local deny");
        Prefix dst = Prefix.parse("2001:db8:3::/48");
        announced(f.decide(dst, Prefix.parse("2001:db8:9:1::/64"), STATIC, false, "va"), 0);
        notAnnounced(f.decide(dst, Prefix.parse("2001:db8:8::/48"), STATIC, false, "va"));
        notAnnounced(f.decide(dst, null, STATIC, false, "va"));
        // no source is the family's default prefix: src-ip ::/0 matches plain IPv6 routes
        announced(route(filter("redistribute src-ip ::/0"), "2001:db8:3::/48", STATIC, "va"), 0);
        RedistributeFilter eq = filter("redistribute src-eq 0");
        announced(route(eq, "2001:db8:3::/48", STATIC, "va"), 0);
        notAnnounced(eq.decide(dst, Prefix.parse("2001:db8:9::/48"), STATIC, false, "va"));
    }

    @Test
    void neighAndIdNeverMatchInRedistribute() throws ConfigException {
        notAnnounced(route(filter("redistribute neigh fe80::1"), "2001:db8:3::/48", STATIC, "va"));
        notAnnounced(route(filter("redistribute id 02:00:00:00:00:00:00:01"), "2001:db8:3::/48", STATIC, "va"));
    }

    @Test
    void martians() {
        assertTrue(RedistributeFilter.isMartian(Prefix.parse("ff02::/16")));
        assertTrue(RedistributeFilter.isMartian(Prefix.parse("fe80::/10")));
        assertTrue(RedistributeFilter.isMartian(Prefix.parse("febf::/16")));
        assertTrue(RedistributeFilter.isMartian(Prefix.parse("::/128")));
        assertTrue(RedistributeFilter.isMartian(Prefix.parse("::1/128")));
        assertTrue(RedistributeFilter.isMartian(Prefix.parse("127.0.0.0/8")));
        assertTrue(RedistributeFilter.isMartian(Prefix.parse("0.0.0.0/8")));
        assertTrue(RedistributeFilter.isMartian(Prefix.parse("224.0.0.0/4")));
        assertTrue(RedistributeFilter.isMartian(Prefix.parse("239.1.2.3/32")));
        assertTrue(RedistributeFilter.isMartian(Prefix.parse("255.255.255.255/32")));
        assertFalse(RedistributeFilter.isMartian(Prefix.parse("::/0")));
        assertFalse(RedistributeFilter.isMartian(Prefix.parse("0.0.0.0/0")));
        assertFalse(RedistributeFilter.isMartian(Prefix.parse("fe00::/7")));
        assertFalse(RedistributeFilter.isMartian(Prefix.parse("fec0::/10")));
        assertFalse(RedistributeFilter.isMartian(Prefix.parse("2001:db8::/32")));
        assertFalse(RedistributeFilter.isMartian(Prefix.parse("198.18.0.0/15")));
        assertFalse(RedistributeFilter.isMartian(Prefix.parse("255.255.255.254/32")));
        assertFalse(RedistributeFilter.isMartian(Prefix.parse("::2/128")));
    }

    @Test
    void installDefaultsToAllowAndTakesTablesAndPrefSrc() throws ConfigException {
        ConfigParser p = new ConfigParser();
        p.statement("install ip 2001:db8:5::/48 deny");
        p.statement("install ip 2001:db8::/32 table 100 pref-src 2001:db8::1");
        p.statement("install id 02:00:00:00:00:00:00:09 if re6st-1 table 200");
        p.statement("install proto 4 deny");
        InstallFilter f = p.build().install();
        long id1 = 0x0200_0000_0000_0001L, id9 = 0x0200_0000_0000_0009L;
        assertFalse(f.decide(Prefix.parse("2001:db8:5::/48"), null, id1, "re6st-1").install());
        InstallFilter.Decision d = f.decide(Prefix.parse("2001:db8:6::/48"), null, id1, "re6st-1");
        assertTrue(d.install());
        assertEquals(100, d.table());
        assertEquals(Addr.parse("2001:db8::1"), d.prefSrc());
        assertEquals(200, f.decide(Prefix.parse("2001:db9::/48"), null, id9, "re6st-1").table());
        // proto never matches in install; the implicit allow takes the rest
        InstallFilter.Decision rest = f.decide(Prefix.parse("2001:db9::/48"), null, id9, "re6st-2");
        assertTrue(rest.install());
        assertEquals(0, rest.table());
        assertNull(rest.prefSrc());
        assertTrue(BabelConfig.empty().install().decide(Prefix.parse("10.0.0.0/8"), null, id1, "x").install());
    }
}
