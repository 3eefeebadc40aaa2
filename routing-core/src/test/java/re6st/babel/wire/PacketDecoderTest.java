package re6st.babel.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static re6st.babel.wire.DecodeIssue.Reason.*;
import static re6st.babel.wire.WireTestSupport.SOURCE;
import static re6st.babel.wire.WireTestSupport.decode;
import static re6st.babel.wire.WireTestSupport.hex;
import static re6st.babel.wire.WireTestSupport.packet;

import java.util.List;

import org.junit.jupiter.api.Test;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Message.Hello;
import re6st.babel.message.Message.Update;
import re6st.babel.message.Prefix;

/** Per-packet state, babeld's corner cases, and malformed or ignored TLVs (counted, skipped). */
class PacketDecoderTest {
    private static final String ROUTER_ID = "06 0a 0000 0200000000000001";
    private static final long ID = 0x0200_0000_0000_0001L;
    private static final String HELLO = "04 06 0000 0001 0190";
    private static final Hello HELLO_MSG = new Hello(false, 1, 400, Message.NO_TIMESTAMP);

    private static List<DecodeIssue.Reason> reasons(DecodedPacket d) {
        return d.issues().stream().map(DecodeIssue::reason).toList();
    }

    private static Update update(String prefix, long id, Addr nh, int metric) {
        return new Update(Prefix.parse(prefix), null, id, nh, 5, metric, 1600);
    }

    @Test
    void headerErrorsThrow() {
        assertThrows(MalformedPacketException.class, () -> PacketDecoder.decode(hex("2a02 00"), SOURCE));
        assertThrows(MalformedPacketException.class, () -> PacketDecoder.decode(hex("2b02 0000"), SOURCE));
        assertThrows(MalformedPacketException.class, () -> PacketDecoder.decode(hex("2a01 0000"), SOURCE));
        assertThrows(IndexOutOfBoundsException.class, () -> PacketDecoder.decode(new byte[8], 4, 8, SOURCE));
    }

    @Test
    void emptyPacket() {
        DecodedPacket d = decode(packet(""));
        assertEquals(List.of(), d.body());
        assertEquals(4, d.macCoveredLength());
        assertEquals(0, d.malformedCount() + d.ignoredCount());
    }

    @Test
    void packetAtAnOffset() throws Exception {
        byte[] p = packet(HELLO, "10 02 abcd");
        byte[] b = new byte[p.length + 9];
        System.arraycopy(p, 0, b, 5, p.length);
        DecodedPacket d = PacketDecoder.decode(b, 5, p.length, SOURCE);
        assertEquals(List.of(HELLO_MSG), d.body());
        assertEquals(5, d.macCoveredOffset());
        assertEquals(12, d.macCoveredLength());
        assertEquals(List.of(new Message.Mac(hex("abcd"))), d.trailer());
    }

    @Test
    void unknownTlvIsIgnoredAndCounted() {
        DecodedPacket d = decode(packet("2a 03 010203 |" + HELLO + "| 00 | 01 02 0000"));
        assertEquals(List.of(HELLO_MSG), d.body());
        assertEquals(List.of(UNKNOWN_TLV), reasons(d));
        assertEquals(4, d.issues().get(0).offset());
        assertEquals(42, d.issues().get(0).tlvType());
        assertEquals(0, d.malformedCount());
        assertEquals(1, d.ignoredCount());
    }

    @Test
    void tlvOverrunningTheBodyStopsParsingButKeepsWhatCameBefore() {
        // The Update claims 20 bytes in a body that has 6 left; the trailer does not count.
        DecodedPacket d = decode(packet(HELLO + "| 08 14 02000000", "10 02 abcd"));
        assertEquals(List.of(HELLO_MSG), d.body());
        assertEquals(List.of(TRUNCATED_TLV), reasons(d));
        assertEquals(12, d.issues().get(0).offset());
        assertEquals(List.of(new Message.Mac(hex("abcd"))), d.trailer());
    }

    @Test
    void bodyLengthLargerThanTheDatagramIsClamped() {
        byte[] p = packet(HELLO + "|" + HELLO);
        p[3] = (byte) 200;
        DecodedPacket d = decode(p);
        assertEquals(List.of(HELLO_MSG, HELLO_MSG), d.body());
        assertEquals(List.of(BODY_LENGTH_CLAMPED), reasons(d));
        assertEquals(p.length, d.macCoveredLength());
        assertEquals(List.of(), d.trailer());
    }

    @Test
    void shortTlvsAreMalformed() {
        DecodedPacket d = decode(packet("""
                04 05 0000000100 | 05 05 0000000000 | 02 05 0000000000 | 03 01 00 | 09 01 00
                0a 0d 02000000000000000000000000 | 11 03 000000 | 07 01 01 | 08 09 020000000000000000
                """ + HELLO));
        assertEquals(List.of(HELLO_MSG), d.body());
        assertEquals(List.of(TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, BAD_LENGTH, TOO_SHORT,
                TOO_SHORT), reasons(d));
        assertEquals(9, d.malformedCount());
    }

    @Test
    void finiteUpdateWithoutRouterIdIsDroppedButARetractionIsKept() {
        DecodedPacket d = decode(packet("""
                08 0e 02 00 20 00 0640 0005 0060 20010db8
                08 0e 02 00 20 00 0640 0005 ffff 20010db8
                """));
        assertEquals(List.of(update("2001:db8::/32", 0, SOURCE, 0xFFFF)), d.body());
        assertEquals(List.of(NO_ROUTER_ID), reasons(d));
    }

    @Test
    void ipv4UpdateNeedsAnIpv4NextHop() {
        DecodedPacket d = decode(packet(ROUTER_ID + """
                08 0d 01 00 18 00 0640 0005 0060 c61205
                08 0d 01 00 18 00 0640 0005 ffff c61205
                07 06 01 00 c6120001
                08 0d 01 00 18 00 0640 0005 0060 c61205
                """));
        assertEquals(List.of(update("198.18.5.0/24", ID, null, 0xFFFF),
                update("198.18.5.0/24", ID, Addr.parse("198.18.0.1"), 96)), d.body());
        assertEquals(List.of(NO_IPV4_NEXT_HOP), reasons(d));
    }

    @Test
    void ipv6NextHopDefaultsToTheSourceAndAe3NextHopReplacesIt() {
        DecodedPacket d = decode(packet(ROUTER_ID + """
                08 0e 02 00 20 00 0640 0005 0060 20010db8
                07 0a 03 00 0000000000000009
                08 0e 02 00 20 00 0640 0005 0060 20010db8
                07 06 01 00 c6120001
                08 0e 02 00 20 00 0640 0005 0060 20010db8
                """));
        Addr nh = Addr.parse("fe80::9");
        assertEquals(List.of(update("2001:db8::/32", ID, SOURCE, 96), update("2001:db8::/32", ID, nh, 96),
                update("2001:db8::/32", ID, nh, 96)), d.body());
    }

    @Test
    void malformedNextHopForgetsBothNextHops() {
        DecodedPacket d = decode(packet(ROUTER_ID + """
                07 0a 03 00 0000000000000009
                07 06 01 00 c6120001
                07 05 02 00 000000
                08 0e 02 00 20 00 0640 0005 0060 20010db8
                08 0d 01 00 18 00 0640 0005 0060 c61205
                07 02 00 00
                """));
        assertEquals(List.of(update("2001:db8::/32", ID, SOURCE, 96)), d.body());
        assertEquals(List.of(BAD_PREFIX, NO_IPV4_NEXT_HOP, WILDCARD_NOT_ALLOWED), reasons(d));
    }

    @Test
    void shortRouterIdForgetsTheRouterId() {
        DecodedPacket d = decode(packet(ROUTER_ID + """
                06 04 0000 0200
                08 0e 02 00 20 00 0640 0005 0060 20010db8
                """));
        assertEquals(List.of(), d.body());
        assertEquals(List.of(TOO_SHORT, NO_ROUTER_ID), reasons(d));
    }

    @Test
    void omittedBytesNeedADefaultPrefixOfTheSameAe() {
        DecodedPacket d = decode(packet(ROUTER_ID + """
                08 0b 02 00 20 03 0640 0005 0060 b8
                08 0e 02 80 20 00 0640 0005 0060 20010db8
                08 0c 02 00 30 04 0640 0005 0060 0001
                07 06 01 00 c6120001
                08 0b 01 00 18 02 0640 0005 0060 05
                08 0d 01 80 18 00 0640 0005 0060 c61205
                08 0b 01 00 18 02 0640 0005 0060 07
                08 0a 01 00 10 02 0640 0005 0060
                """));
        assertEquals(List.of(update("2001:db8::/32", ID, SOURCE, 96), update("2001:db8:1::/48", ID, SOURCE, 96),
                update("198.18.5.0/24", ID, Addr.parse("198.18.0.1"), 96),
                update("198.18.7.0/24", ID, Addr.parse("198.18.0.1"), 96),
                update("198.18.0.0/16", ID, Addr.parse("198.18.0.1"), 96)), d.body());
        assertEquals(List.of(NO_DEFAULT_PREFIX, NO_DEFAULT_PREFIX), reasons(d));
    }

    @Test
    void omittingMoreThanThePrefixHasIsMalformed() {
        // babeld: pb - omitted < 0 is an error (2 bytes of a /8 omitted).
        DecodedPacket d = decode(packet(ROUTER_ID + """
                08 0e 02 80 20 00 0640 0005 0060 20010db8
                08 0a 02 00 08 02 0640 0005 0060
                """));
        assertEquals(List.of(BAD_PREFIX), reasons(d));
    }

    @Test
    void malformedUpdateWithDefaultFlagForgetsTheDefaults() {
        DecodedPacket d = decode(packet(ROUTER_ID + """
                08 0e 02 80 20 00 0640 0005 0060 20010db8
                08 0c 02 80 30 00 0640 0005 0060 2001
                08 0c 02 00 30 04 0640 0005 0060 0001
                """));
        assertEquals(List.of(update("2001:db8::/32", ID, SOURCE, 96)), d.body());
        assertEquals(List.of(BAD_PREFIX, NO_DEFAULT_PREFIX), reasons(d));
    }

    @Test
    void ipv4MappedPrefixInAe2IsMalformed() {
        // ::ffff:198.18.0.9/128 as AE 2 would be an IPv4 route with an IPv6 next hop (found by Jazzer).
        DecodedPacket d = decode(packet(ROUTER_ID + """
                08 1a 02 00 80 00 0640 0005 0060 00000000000000000000ffffc6120009
                07 12 02 00 00000000000000000000ffffc6120001
                08 15 02 00 58 00 0640 0005 0060 00000000000000000000ff
                """));
        // Below /96 it is an ordinary IPv6 prefix (::ff00:0:0/88).
        assertEquals(List.of(new Update(new Prefix(new Addr(0, 0x0000_ff00_0000_0000L), 88), null, ID, SOURCE, 5, 96, 1600)),
                d.body());
        assertEquals(List.of(BAD_PREFIX, BAD_PREFIX), reasons(d));
    }

    @Test
    void hostBitsAreCleared() {
        DecodedPacket d = decode(packet(ROUTER_ID + "08 0e 02 00 1c 00 0640 0005 0060 20010dbf"));
        assertEquals(List.of(update("2001:db0::/28", ID, SOURCE, 96)), d.body());
    }

    @Test
    void routerIdFromAnIpv4Prefix() {
        DecodedPacket d = decode(packet("07 06 01 00 c6120001 | 08 0e 01 40 20 00 0640 0005 0060 c6120102"));
        assertEquals(List.of(update("198.18.1.2/32", 0xc6120102L, Addr.parse("198.18.0.1"), 96)), d.body());
    }

    @Test
    void unknownAeAndV4ViaV6AreIgnored() {
        DecodedPacket d = decode(packet(ROUTER_ID + """
                08 0e 09 00 20 00 0640 0005 0060 20010db8
                08 0e 04 00 20 00 0640 0005 0060 c6120000
                05 0a 04 00 0060 0190 c6120001
                07 06 07 00 c6120001
                09 02 05 00
                0a 0e 06 00 0000 00 00 0200000000000001
                """));
        assertEquals(List.of(), d.body());
        assertEquals(List.of(UNKNOWN_AE, V4_VIA_V6, V4_VIA_V6, UNKNOWN_AE, UNKNOWN_AE, UNKNOWN_AE), reasons(d));
        assertEquals(0, d.malformedCount());
    }

    @Test
    void wildcardUpdateMustBeARetractionWithoutSource() {
        DecodedPacket d = decode(packet("""
                08 0a 00 00 00 00 ffff 0005 0060
                08 0e 00 00 00 00 ffff 0005 ffff 80 02 20 00
                08 0a 00 00 00 00 0190 0007 ffff
                """));
        assertEquals(List.of(new Update(null, null, 0, null, 7, 0xFFFF, 400)), d.body());
        assertEquals(List.of(WILDCARD_UPDATE_NOT_RETRACTION, WILDCARD_WITH_SOURCE), reasons(d));
    }

    @Test
    void subTlvs() {
        DecodedPacket d = decode(packet("""
                04 13 0000 0001 0190 | 00 | 01 02 0000 | 03 04 00000009 | 02 00
                04 0c 0000 0001 0190 | 03 02 0000 | 01 00
                04 0a 0000 0001 0190 | 85 02 0000
                04 0a 0000 0001 0190 | 01 05 0000
                04 07 0000 0001 0190 | 01
                """ + ROUTER_ID + """
                08 11 02 00 20 00 0640 0005 0060 20010db8 | 80 01 00
                08 16 02 00 20 00 0640 0005 0060 20010db8 | 80 02 08 20 | 80 02 08 20
                08 12 02 00 20 00 0640 0005 0060 20010db8 | 80 02 21 20
                08 12 02 00 20 00 0640 0005 0060 20010db8 | 80 02 30 20
                """));
        assertEquals(List.of(new Hello(false, 1, 400, 9), HELLO_MSG), d.body());
        assertEquals(List.of(SHORT_TIMESTAMP, UNKNOWN_MANDATORY_SUB_TLV, TRUNCATED_SUB_TLV, TRUNCATED_SUB_TLV,
                BAD_SOURCE_PREFIX, BAD_SOURCE_PREFIX, BAD_SOURCE_PREFIX, BAD_SOURCE_PREFIX), reasons(d));
    }

    @Test
    void sourcePrefixInASeqnoRequestMayBeDefault() {
        DecodedPacket d = decode(packet("""
                0a 14 01 18 0006 7f 00 0200000000000001 c61205 | 80 01 00
                0a 16 01 18 0006 7f 00 0200000000000001 c61205 | 80 03 10 c612
                """));
        assertEquals(List.of(new Message.SeqnoRequest(Prefix.parse("198.18.5.0/24"), null, 6, 127, ID),
                new Message.SeqnoRequest(Prefix.parse("198.18.5.0/24"), Prefix.parse("198.18.0.0/16"), 6, 127, ID)),
                d.body());
    }

    @Test
    void wildcardSeqnoRequestAndSourceSpecificWildcardRouteRequest() {
        DecodedPacket d = decode(packet("""
                0a 0e 00 00 0006 7f 00 0200000000000001
                09 06 00 00 80 02 08 20
                """));
        assertEquals(List.of(), d.body());
        assertEquals(List.of(WILDCARD_NOT_ALLOWED, WILDCARD_WITH_SOURCE), reasons(d));
    }

    @Test
    void ihuWithShortTimestampKeepsTheIhu() {
        DecodedPacket d = decode(packet("05 0c 00 00 0060 0190 | 03 04 00000001"));
        assertEquals(List.of(new Message.Ihu(null, 96, 400, -1, -1)), d.body());
        assertEquals(List.of(SHORT_TIMESTAMP), reasons(d));
        assertEquals(0, d.malformedCount());
    }

    @Test
    void ipv4Ihu() {
        DecodedPacket d = decode(packet("05 0a 01 00 0060 0190 c6120001"));
        assertEquals(List.of(new Message.Ihu(Addr.parse("198.18.0.1"), 96, 400, -1, -1)), d.body());
    }

    @Test
    void macAndPcPlacement() {
        DecodedPacket d = decode(packet("10 02 abcd | 11 04 00000001 | 11 25 " + "00".repeat(37) + "| 13 00",
                "00 | 01 00 | 04 06 0000 0001 0190 | 10 00 | 10 01 ff"));
        assertEquals(List.of(new Message.Pc(1, new byte[0]), new Message.ChallengeReply(new byte[0])), d.body());
        assertEquals(List.of(new Message.Mac(hex("ff"))), d.trailer());
        assertEquals(List.of(MAC_IN_BODY, BAD_LENGTH, NOT_MAC_IN_TRAILER, BAD_LENGTH), reasons(d));
    }

    @Test
    void overlongChallenge() {
        DecodedPacket d = decode(packet("12 c1 " + "00".repeat(193) + "| 12 c0 " + "00".repeat(192)));
        assertEquals(List.of(new Message.ChallengeRequest(new byte[192])), d.body());
        assertEquals(List.of(BAD_LENGTH), reasons(d));
    }

    @Test
    void nextHopIsNullForAWildcard() {
        Update u = (Update) decode(packet("08 0a 00 00 00 00 ffff 0005 ffff")).body().get(0);
        assertNull(u.nextHop());
        assertNull(u.prefix());
    }
}
