package re6st.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.Random;

import org.junit.jupiter.api.Test;

class Ipv6Test {

    /** Expected strings are what Python's socket.inet_ntop (glibc) prints for the same bytes. */
    @Test
    void formatLikeInetNtop() {
        String[][] cases = {
                {"20010db8000000010000000000000001", "2001:db8:0:1::1"},
                {"20010000000000010000000000000000", "2001:0:0:1::"},
                {"00000000000000000000000000000000", "::"},
                {"00000000000000000000000000000001", "::1"},
                {"00000000000000000000ffff01020304", "::ffff:1.2.3.4"},
                {"00000000000000000000000001020304", "::1.2.3.4"},
                {"20010db8000100000000000100000001", "2001:db8:1::1:0:1"},
                {"20010db8000000000001000000000000", "2001:db8:0:0:1::"},
                {"00000000000000000000000000010002", "::0.1.0.2"},
                {"0000000000000000000000000000ffff", "::ffff"},
                {"00000000000000000000fffe01020304", "::fffe:102:304"},
                {"fd000000000000000000000000000000", "fd00::"},
                {"20010db800420007000000000000abcd", "2001:db8:42:7::abcd"},
                {"0001000200030004000500060007000f", "1:2:3:4:5:6:7:f"},
                {"20010db8000000010001000100010001", "2001:db8:0:1:1:1:1:1"},
        };
        for (String[] c : cases) {
            Ipv6Address a = Ipv6Address.of(new BigInteger(c[0], 16));
            assertEquals(c[1], a.toString(), c[0]);
            assertEquals(a, Ipv6Address.parse(c[1]), c[1]);
        }
    }

    @Test
    void parseAgreesWithTheJdkOnRandomAddresses() throws Exception {
        Random random = new Random(6);
        for (int i = 0; i < 2000; i++) {
            byte[] b = new byte[16];
            random.nextBytes(b);
            for (int k = 0; k < 16; k++)
                if (random.nextInt(3) == 0)
                    b[k] = 0; // zero runs
            Ipv6Address a = Ipv6Address.ofBytes(b);
            assertEquals(a, Ipv6Address.parse(a.toString()));
            assertEquals(a, Ipv6Address.parse(InetAddress.getByAddress(b).getHostAddress().replaceAll("%.*", "")));
            assertEquals(a, Ipv6Address.ofBits(a.bits()));
        }
    }

    @Test
    void parseRejects() {
        for (String s : new String[] {"", ":", ":::", "1::2::3", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9",
                "12345::", "g::", "fe80::1%eth0", "[::1]", "1.2.3.4", "::1.2.3", "::256.0.0.1", "1::2:3:4:5:6:7:8",
                "example.com"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ipv6Address.parse(s), s);
            assertTrue(e.getMessage().contains("not an I"), e.getMessage());
        }
    }

    @Test
    void prefixes() {
        Ipv6Prefix p = Ipv6Prefix.parse("2001:db8:42::/48");
        assertEquals("2001:db8:42::1", p.host(1).toString());
        assertEquals("2001:db8:42:4001::/64", p.subprefix(16, (1 << 14) + 1).toString());
        assertTrue(p.contains(Ipv6Address.parse("2001:db8:42:ffff::1")));
        assertFalse(p.contains(Ipv6Address.parse("2001:db8:43::")));
        assertEquals(p, Ipv6Prefix.containing(Ipv6Address.parse("2001:db8:42:7::1"), 48));
        assertEquals(p, Ipv6Prefix.ofBits(p.bits()));
        assertEquals("::/0", Ipv6Prefix.ofBits("").toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ipv6Prefix.parse("2001:db8:42::1/48"));
        assertEquals("2001:db8:42::1/48 has host bits set (the prefix is 2001:db8:42::/48)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Ipv6Prefix.parse("2001:db8::/129"));
        assertThrows(IllegalArgumentException.class, () -> Ipv6Prefix.parse("2001:db8::"));
        assertThrows(IllegalArgumentException.class, () -> Ipv6Prefix.parse("::/120").host(256));
        assertEquals("::ff", Ipv6Prefix.parse("::/120").host(255).toString());
        assertThrows(IllegalArgumentException.class, () -> p.subprefix(16, 1 << 16));
        assertThrows(IllegalArgumentException.class, () -> Ipv6Prefix.parse("::/120").subprefix(9, 0));
    }

    @Test
    void ipv4Text() {
        assertEquals(0x0A2A0001L, Ipv4Text.parse("10.42.0.1"));
        assertEquals("255.255.255.255", Ipv4Text.format(0xFFFFFFFFL));
        for (String s : new String[] {"10.42.0", "10.42.0.256", "10.42.0.1.2", "a.b.c.d", "10..0.1", "1.2.3.4 "})
            assertThrows(IllegalArgumentException.class, () -> Ipv4Text.parse(s), s);
    }
}
