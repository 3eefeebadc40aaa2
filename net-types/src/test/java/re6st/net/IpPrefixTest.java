package re6st.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IpPrefixTest {
    @Test
    void formatsLikeIp() {
        assertEquals("2001:db8::/32", IpPrefix.parse("2001:0db8:0:0:0:0:0:0/32").toString());
        assertEquals("::/0", IpPrefix.parse("::/0").toString());
        assertEquals("fe80::1/128", IpPrefix.parse("fe80::1").toString());
        assertEquals("2001:db8:0:1::1/64", IpPrefix.parse("2001:db8:0:1:0:0:0:1/64").toString());
        assertEquals("2001:db8::1:0:0:1/64", IpPrefix.parse("2001:db8:0:0:1:0:0:1/64").toString(), "first longest zero run");
        assertEquals("198.18.0.1/15", IpPrefix.parse("198.18.0.1/15").toString());
    }

    @Test
    void networkAndContains() {
        IpPrefix p = IpPrefix.parse("2001:db8:42:7::1/48");
        assertEquals("2001:db8:42::/48", p.network().toString());
        assertTrue(p.contains(IpPrefix.literal("2001:db8:42:ffff::9")));
        assertFalse(p.contains(IpPrefix.literal("2001:db8:43::1")));
        assertFalse(p.contains(IpPrefix.literal("198.18.0.1")));
        assertEquals("198.18.0.0/15", IpPrefix.parse("198.19.255.255/15").network().toString());
    }

    @Test
    void refusesBadInputWithoutDns() {
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("example.org/24"));
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("198.18.0.0/33"));
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("::/129"));
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("::/x"));
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("1.2.3/8"));
    }

    @Test
    void ipv4MappedStaysIpv6() {
        IpPrefix p = IpPrefix.parse("::ffff:0:0/96");
        assertTrue(p.isIpv6());
        assertEquals("::ffff:0.0.0.0/96", p.toString());
        assertTrue(p.contains(IpPrefix.literal("::ffff:198.18.0.1")));
        assertFalse(p.contains(IpPrefix.literal("198.18.0.1")), "an IPv4 address is not in an IPv6 prefix");
        assertEquals(p, IpPrefix.parse("::ffff:1.2.3.4/96").network());
        assertTrue(IpPrefix.ofBytes(new byte[16]) instanceof java.net.Inet6Address);
    }
}
