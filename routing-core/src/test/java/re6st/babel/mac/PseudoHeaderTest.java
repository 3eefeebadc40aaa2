package re6st.babel.mac;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

import re6st.babel.message.Addr;

class PseudoHeaderTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void layoutIsSrcPortDstPortHeaderBody() {
        byte[] packet = HEX.parseHex("2a020008" + "1106" + "00000007" + "aabb" + "10020102"); // header, PC TLV, then a "trailer"
        byte[] all = PseudoHeader.bytes(Addr.parse("fe80::1"), 6696, Addr.parse("ff02::1:6"), 6696, packet, 0, 12);
        assertEquals(
                "fe800000000000000000000000000001" + "1a28"
                        + "ff020000000000000000000000010006" + "1a28"
                        + "2a020008" + "110600000007aabb",
                HEX.formatHex(all));
        assertArrayEquals(java.util.Arrays.copyOf(all, 36),
                PseudoHeader.prefix(Addr.parse("fe80::1"), 6696, Addr.parse("ff02::1:6"), 6696));
    }

    @Test
    void ipv4IsMappedTo16Bytes() {
        byte[] p = PseudoHeader.prefix(Addr.parse("198.18.0.1"), 1, Addr.parse("224.0.0.111"), 0xFFFF);
        assertEquals("00000000000000000000ffffc6120001" + "0001" + "00000000000000000000ffffe000006f" + "ffff",
                HEX.formatHex(p));
        assertThrows(IllegalArgumentException.class, () -> PseudoHeader.prefix(Addr.ZERO, 65536, Addr.ZERO, 0));
    }

    /** The MAC the Authenticator puts in the trailer is HMAC(key, pseudo-header | header | body). */
    @Test
    void signedTrailerIsTheMacOfThePseudoHeader() throws Exception {
        byte[] key = HEX.parseHex("0123456789abcdef");
        Authenticator a = new Authenticator(MacPolicy.of(new MacKey("k", MacAlgorithm.HMAC_SHA256, key)),
                new java.util.Random(0), PseudoHeader.BABEL_PORT);
        byte[] packet = HEX.parseHex("ffff" + "2a020008" + "110600000007aabb");
        Addr src = Addr.parse("fe80::1"), dst = Addr.parse("fe80::2");
        byte[] trailer = a.sign(packet, 2, 12, src, dst);
        Mac jdk = Mac.getInstance("HmacSHA256");
        jdk.init(new SecretKeySpec(key, "HmacSHA256"));
        byte[] expected = jdk.doFinal(PseudoHeader.bytes(src, 6696, dst, 6696, packet, 2, 12));
        assertEquals("1020" + HEX.formatHex(expected), HEX.formatHex(trailer));
    }
}
