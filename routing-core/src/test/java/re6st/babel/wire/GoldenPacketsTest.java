package re6st.babel.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static re6st.babel.wire.WireTestSupport.SOURCE;
import static re6st.babel.wire.WireTestSupport.decode;
import static re6st.babel.wire.WireTestSupport.hex;
import static re6st.babel.wire.WireTestSupport.packet;

import java.util.List;

import org.junit.jupiter.api.Test;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Message.ChallengeRequest;
import re6st.babel.message.Message.Hello;
import re6st.babel.message.Message.Ihu;
import re6st.babel.message.Message.Mac;
import re6st.babel.message.Message.Pc;
import re6st.babel.message.Message.SeqnoRequest;
import re6st.babel.message.Message.Update;
import re6st.babel.message.Prefix;

/**
 * Packets written byte by byte from the layouts of RFC 8966 4.6, RFC 9616 3, RFC 9079 and
 * RFC 8967 (and babeld's choices in spec/babel-interop.md); each is decoded to the expected
 * messages, and the encoder, given those messages, must produce exactly these bytes.
 */
class GoldenPacketsTest {
    private static final long ID1 = 0x0200_0000_0000_0001L;
    private static final long ID2 = 0x0200_0000_0000_0002L;

    private static void golden(byte[] packet, Message... messages) {
        assertEquals(List.of(messages), decode(packet).body(), "decoding " + hex(packet));
        assertEquals(List.of(), decode(packet).issues());
        PacketEncoder e = new PacketEncoder(1400, 0, SOURCE);
        for (Message m : messages)
            assertTrue(e.add(m));
        e.finish();
        assertEquals(hex(packet), hex(e.toByteArray()), "encoding " + List.of(messages));
    }

    @Test
    void unicastHelloWithTimestamp() {
        golden(packet("""
                04 0c  8000 0007 0190 | 03 04 12345678
                """), new Hello(true, 7, 400, 0x12345678L));
        golden(packet("04 06  0000 ffff 0064"), new Hello(false, 0xFFFF, 100, Message.NO_TIMESTAMP));
    }

    @Test
    void ihuAboutALinkLocalAddressWithTimestamps() {
        // AE 3: only the low 8 bytes of fe80::211:22ff:fe33:4455; sub-TLV 3 = origin, receive.
        golden(packet("""
                05 18  03 00 0060 04b0  021122fffe334455 | 03 08 00000001 fffffffe
                """), new Ihu(Addr.parse("fe80::211:22ff:fe33:4455"), 96, 1200, 1, 0xFFFF_FFFEL));
    }

    @Test
    void ihuGlobalAndWildcard() {
        golden(packet("""
                05 16  02 00 0100 0000  20010db8000000000000000000000042
                05 06  00 00 ffff 012c
                """), new Ihu(Addr.parse("2001:db8::42"), 256, 0, -1, -1), new Ihu(null, 0xFFFF, 300, -1, -1));
    }

    @Test
    void routerIdThenCompressedIpv6Updates() {
        // 1: no default yet -> flag 0x80, whole /48. 2: /64 shares 7 bytes with it; plen >= 48 ->
        // flag 0x80 again. 3: /32 shares all its 4 bytes: omitted 4, no prefix byte, no flag.
        golden(packet("""
                06 0a  0000 0200000000000001
                08 10  02 80 30 00  0640 0005 0060  20010db80001
                08 0b  02 80 40 07  0640 0005 0060  02
                08 0a  02 00 20 04  0640 0005 0060
                """),
                new Update(Prefix.parse("2001:db8:1::/48"), null, ID1, SOURCE, 5, 96, 1600),
                new Update(Prefix.parse("2001:db8:1:2::/64"), null, ID1, SOURCE, 5, 96, 1600),
                new Update(Prefix.parse("2001:db8::/32"), null, ID1, SOURCE, 5, 96, 1600));
    }

    @Test
    void routerIdFromTheUpdatePrefix() {
        // Flag 0x40: a /128 whose low 64 bits are the router-id; no Router-Id TLV needed.
        golden(packet("""
                08 1a  02 c0 80 00  0640 0009 0000  20010db8000000010200000000000007
                """), new Update(Prefix.parse("2001:db8:0:1:200::7/128"), null, 0x0200_0000_0000_0007L, SOURCE, 9, 0, 1600));
    }

    @Test
    void ipv4UpdateAfterANextHop() {
        // babeld order: Next Hop (AE 1, 198.18.0.1), Router-Id, Update AE 1 (198.18.5.0/24, whole).
        golden(packet("""
                07 06  01 00 c6120001
                06 0a  0000 0200000000000002
                08 0d  01 00 18 00  0640 0005 0060  c61205
                """), new Update(Prefix.parse("198.18.5.0/24"), null, ID2, Addr.parse("198.18.0.1"), 5, 96, 1600));
    }

    @Test
    void ipv6NextHopOtherThanTheSource() {
        golden(packet("""
                07 0a  03 00 0000000000000002
                06 0a  0000 0200000000000001
                08 0e  02 80 20 00  0640 0005 0060  20010db8
                """), new Update(Prefix.parse("2001:db8::/32"), null, ID1, Addr.parse("fe80::2"), 5, 96, 1600));
    }

    @Test
    void wildcardRetraction() {
        golden(packet("08 0a  00 00 00 00  ffff 0005 ffff"), new Update(null, null, 0, null, 5, 0xFFFF, 0xFFFF));
    }

    @Test
    void updateWithSourcePrefix() {
        golden(packet("""
                06 0a  0000 0200000000000001
                08 19  02 80 30 00  0640 0005 0060  20010db80001 | 80 07 30 20010db800ff
                """), new Update(Prefix.parse("2001:db8:1::/48"), Prefix.parse("2001:db8:ff::/48"), ID1, SOURCE, 5, 96, 1600));
    }

    @Test
    void seqnoRequestWithSourcePrefix() {
        golden(packet("""
                0a 1d  02 30 0006 7f 00 0200000000000001  20010db80001 | 80 07 30 20010db800ff
                """), new SeqnoRequest(Prefix.parse("2001:db8:1::/48"), Prefix.parse("2001:db8:ff::/48"), 6, 127, ID1));
    }

    @Test
    void routeRequests() {
        golden(packet("""
                09 02  00 00
                09 05  01 14 c61230
                """), new Message.RouteRequest(null, null), new Message.RouteRequest(Prefix.parse("198.18.48.0/20"), null));
    }

    @Test
    void pcChallengeAndMacTrailer() {
        byte[] p = packet("""
                11 0c  0000002a 0102030405060708
                12 08  a1a2a3a4a5a6a7a8
                """, "10 10 000102030405060708090a0b0c0d0e0f");
        DecodedPacket d = decode(p);
        Pc pc = new Pc(42, hex("0102030405060708"));
        ChallengeRequest cr = new ChallengeRequest(hex("a1a2a3a4a5a6a7a8"));
        Mac mac = new Mac(hex("000102030405060708090a0b0c0d0e0f"));
        assertEquals(List.of(pc, cr), d.body());
        assertEquals(List.of(mac), d.trailer());
        assertEquals(0, d.macCoveredOffset());
        assertEquals(4 + 24, d.macCoveredLength());

        PacketEncoder e = new PacketEncoder(1400, 18, SOURCE);
        assertTrue(e.add(pc));
        assertTrue(e.add(cr));
        assertEquals(28, e.finish());
        assertTrue(e.appendTrailer(mac));
        assertEquals(hex(p), hex(e.toByteArray()));
    }

    @Test
    void ackRequestAndAck() {
        golden(packet("""
                02 06  0000 beef 00c8
                03 02  beef
                """), new Message.AckRequest(0xBEEF, 200), new Message.Ack(0xBEEF));
    }
}
