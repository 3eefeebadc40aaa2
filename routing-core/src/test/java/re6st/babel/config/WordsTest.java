package re6st.babel.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

import re6st.babel.message.Prefix;

class WordsTest {
    @Test
    void splitsLikeBabeld() throws BadValue {
        assertEquals(List.of("interface", "eth0", "rxcost", "10"), Words.split("  interface\teth0 rxcost 10\r"));
        assertEquals(List.of("interface", "eth0"), Words.split("interface eth0# comment right after a word"));
        assertEquals(List.of("local-path", "/tmp/a b\"c"), Words.split("local-path \"/tmp/a b\\\"c\" # x"));
        assertEquals(List.of(), Words.split("   # only a comment"));
        assertEquals("unterminated quoted string",
                assertThrows(BadValue.class, () -> Words.split("interface \"eth0")).getMessage());
    }

    @Test
    void integersAreStrtolBaseZero() {
        assertEquals(10L, Words.strtol("10"));
        assertEquals(16L, Words.strtol("0x10"));
        assertEquals(8L, Words.strtol("010"));
        assertEquals(0L, Words.strtol("0"));
        assertEquals(-5L, Words.strtol("-5"));
        assertEquals(5L, Words.strtol("+5"));
        assertNull(Words.strtol("08"));
        assertNull(Words.strtol("0x"));
        assertNull(Words.strtol("1.5"));
        assertNull(Words.strtol("x"));
        assertNull(Words.strtol("-"));
        assertNull(Words.strtol("99999999999999999999"));
    }

    @Test
    void thousandsAreBabeldsFixedPoint() {
        assertEquals(500, Words.parseThousands("0.5"));
        assertEquals(1000, Words.parseThousands("1"));
        assertEquals(1000, Words.parseThousands("1."));
        assertEquals(500, Words.parseThousands(".5"));
        assertEquals(655_350, Words.parseThousands("655.35"));
        assertEquals(42_133, Words.parseThousands("42.1337")); // babeld's own example: truncated
        assertEquals(1, Words.parseThousands("0.0015"));
        assertEquals(0, Words.parseThousands("0.0001"));
        assertEquals(-1, Words.parseThousands("-1"));
        assertEquals(-1, Words.parseThousands("1s"));
        assertEquals(-1, Words.parseThousands("x"));
    }

    @Test
    void routerIdsAsParseEui64() {
        assertEquals(0x0200_0000_0000_0001L, Words.parseEui64("02:00:00:00:00:00:00:01"));
        assertEquals(0x0200_0000_0000_0001L, Words.parseEui64("02-00-00-00-00-00-00-01"));
        assertEquals(0x0200_0000_0000_0001L, Words.parseEui64("2:0:0:0:0:0:0:1"));
        assertEquals(0xfedc_ba98_7654_3210L, Words.parseEui64("FE:DC:BA:98:76:54:32:10"));
        // MAC-48: ff:fe inserted in the middle, no bit flipped
        assertEquals(0x0011_22ff_fe33_4455L, Words.parseEui64("00:11:22:33:44:55"));
        assertNull(Words.parseEui64("00-11-22-33-44-55"));
        assertNull(Words.parseEui64("02:00:00:00:00:00:00"));
        assertNull(Words.parseEui64("02:00:00:00:00:00:00:01:02"));
        assertNull(Words.parseEui64("002:00:00:00:00:00:00:01"));
        assertNull(Words.parseEui64("0g:00:00:00:00:00:00:01"));
    }

    @Test
    void netsAsParseNet() {
        assertEquals(Prefix.V6_DEFAULT, Words.parseNet("default"));
        assertEquals(Prefix.parse("2001:db8::/32"), Words.parseNet("2001:db8::/32"));
        assertEquals(Prefix.parse("2001:db8::/32"), Words.parseNet("2001:db8:ff::1/32")); // host bits cleared
        assertEquals(Prefix.parse("2001:db8::1/128"), Words.parseNet("2001:db8::1"));
        assertEquals(Prefix.parse("10.0.0.0/8"), Words.parseNet("10.1.2.3/8"));
        assertEquals(104, Words.parseNet("10.0.0.0/8").plen());
        assertEquals(Prefix.parse("198.18.0.1/32"), Words.parseNet("198.18.0.1"));
        assertEquals(Prefix.V4_DEFAULT, Words.parseNet("0.0.0.0/0"));
        assertNull(Words.parseNet("10.0.0.0/33"));
        assertNull(Words.parseNet("::/129"));
        assertNull(Words.parseNet("::/-1"));
        assertNull(Words.parseNet("10.0.0/8"));
        assertNull(Words.parseNet("example.com/8"));
        assertNull(Words.parseNet("2001:db8::/x"));
    }
}
