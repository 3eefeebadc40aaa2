package re6st.registry.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Whom a request counts against. */
class SourceAddressTest {
    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    final Set<InetAddress> proxies;

    SourceAddressTest() throws Exception {
        proxies = Set.of(ip("127.0.0.1"), ip("::1"), ip("192.0.2.9"));
    }

    @Test
    void ipv6ByItsSlash64AndIpv4ByItsAddress() throws Exception {
        SourceAddress a = SourceAddress.of(ip("2001:db8:1:2:aaaa::1"), List.of(), proxies);
        SourceAddress b = SourceAddress.of(ip("2001:db8:1:2:bbbb:cccc:dddd:1"), List.of(), proxies);
        assertEquals("2001:db8:1:2:0:0:0:0/64", a.key());
        assertEquals(a.key(), b.key(), "one host rotating through its /64 is one source");
        assertEquals("2001:db8:1:3:0:0:0:0/64", SourceAddress.of(ip("2001:db8:1:3::1"), List.of(), proxies).key());
        assertEquals("198.51.100.7", SourceAddress.of(ip("198.51.100.7"), List.of(), proxies).key());
        assertEquals("198.51.100.7", SourceAddress.of(ip("::ffff:198.51.100.7"), List.of(), proxies).key(), "a dual-stack socket's IPv4");
        assertFalse(a.exempt());
    }

    @Test
    void forwardedForCountsOnlyFromATrustedProxyReadFromTheRight() throws Exception {
        assertEquals("198.51.100.7", SourceAddress.of(ip("198.51.100.7"), List.of("203.0.113.5"), proxies).key(),
                "a client cannot name another source");
        assertEquals("203.0.113.5", SourceAddress.of(ip("127.0.0.1"), List.of("10.9.9.9", "203.0.113.5"), proxies).key(),
                "what the proxy appended, not what the client wrote on the left");
        assertEquals("203.0.113.5", SourceAddress.of(ip("127.0.0.1"), List.of("203.0.113.5", "192.0.2.9"), proxies).key(),
                "through two trusted proxies");
        assertEquals("2001:db8:7:0:0:0:0:0/64", SourceAddress.of(ip("::1"), List.of("[2001:db8:7::9]"), proxies).key());
        SourceAddress junk = SourceAddress.of(ip("127.0.0.1"), List.of("203.0.113.5", "not-an-address"), proxies);
        assertEquals("127.0.0.1", junk.key());
        assertFalse(junk.exempt(), "an unreadable forwarded address counts against the proxy, it is not exempt");
    }

    @Test
    void theAdminOriginForItselfIsExempt() throws Exception {
        assertTrue(SourceAddress.of(ip("127.0.0.1"), List.of(), proxies).exempt());
        assertTrue(SourceAddress.of(ip("::ffff:127.0.0.1"), List.of(), proxies).exempt());
        assertTrue(SourceAddress.of(ip("127.0.0.1"), List.of("::1"), proxies).exempt());
        assertFalse(SourceAddress.of(ip("127.0.0.1"), List.of("198.51.100.7"), proxies).exempt());
    }

    @Test
    void onlyLiteralsNeverANameLookup() {
        assertNull(SourceAddress.literal("localhost"));
        assertNull(SourceAddress.literal("1.2.3.999"));
        assertNull(SourceAddress.literal("example.org"));
        assertNull(SourceAddress.literal("1:2:3:4:5:6:7:8:9"));
        assertEquals("192.0.2.1", SourceAddress.literal(" 192.0.2.1 ").getHostAddress());
    }
}
