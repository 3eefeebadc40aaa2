package re6st.babel.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static re6st.babel.wire.WireTestSupport.SOURCE;
import static re6st.babel.wire.WireTestSupport.decode;
import static re6st.babel.wire.WireTestSupport.hex;
import static re6st.babel.wire.WireTestSupport.packet;

import java.nio.ByteBuffer;
import java.util.List;

import org.junit.jupiter.api.Test;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Message.Hello;
import re6st.babel.message.Message.Update;
import re6st.babel.message.Prefix;

class PacketEncoderTest {
    private static final long ID = 0x0200_0000_0000_0001L;

    private static Update v6(String prefix) {
        return new Update(Prefix.parse(prefix), null, ID, SOURCE, 5, 96, 1600);
    }

    @Test
    void packetSizeFromMtu() {
        assertEquals(1440, PacketEncoder.maxSizeForMtu(1500));
        assertEquals(452, PacketEncoder.maxSizeForMtu(300), "MTU below 512 counts as 512");
    }

    @Test
    void fullPacketRefusesWithoutWritingAndTheNextPacketStartsAfresh() {
        PacketEncoder e = new PacketEncoder(4 + 12 + 16 + 13, 0, SOURCE);
        assertTrue(e.add(v6("2001:db8::/32")));        // Router-Id (12) + Update with 4 prefix bytes (16)
        assertTrue(e.add(v6("2001:db8:2::/48")));      // 5 bytes omitted: Update with 1 prefix byte (13)
        assertEquals(0, e.remaining());
        assertFalse(e.add(v6("2001:db8:3::/48")));
        assertFalse(e.add(new Message.Ack(1)));
        assertEquals(41, e.bodyLength());
        assertEquals(45, e.finish());
        assertEquals(List.of(v6("2001:db8::/32"), v6("2001:db8:2::/48")), decode(e.toByteArray()).body());
        e.reset();
        assertTrue(e.isEmpty());
        assertTrue(e.add(v6("2001:db8:3::/48")));
        e.finish();
        // Router-Id again and no compression: nothing carries over to a new packet.
        assertEquals(hex(packet("06 0a 0000 0200000000000001 | 08 10 02 80 30 00 0640 0005 0060 20010db80003")),
                hex(e.toByteArray()));
    }

    @Test
    void messageLargerThanAnEmptyPacketIsAnError() {
        PacketEncoder e = new PacketEncoder(4 + 20, 0, SOURCE);
        assertThrows(IllegalArgumentException.class, () -> e.add(new Message.ChallengeRequest(new byte[30])));
        assertTrue(e.isEmpty());
        assertTrue(e.add(new Message.ChallengeRequest(new byte[8])));
    }

    @Test
    void invalidMessagesLeaveThePacketUnchanged() {
        PacketEncoder e = new PacketEncoder(1400, 0, SOURCE);
        assertTrue(e.add(v6("2001:db8::/32")));
        int before = e.bodyLength();
        Addr v4nh = Addr.parse("198.18.0.1");
        List<Message> bad = List.of(
                new Update(Prefix.parse("198.18.0.0/16"), null, 9, null, 1, 96, 1),         // no IPv4 next hop
                new Update(Prefix.parse("198.18.0.0/16"), null, 9, SOURCE, 1, 96, 1),       // v4-via-v6
                new Update(Prefix.parse("2001:db8::/32"), null, 9, v4nh, 1, 96, 1),         // v6 via v4
                new Update(Prefix.parse("2001:db8::/32"), Prefix.parse("10.0.0.0/8"), 9, SOURCE, 1, 96, 1),
                new Update(null, null, 0, null, 1, 96, 1),                                 // wildcard, finite
                new Update(Prefix.parse("2001:db8::/32"), null, 9, SOURCE, 0x10000, 96, 1),
                new Message.RouteRequest(null, Prefix.parse("2001:db8::/32")),
                new Message.SeqnoRequest(Prefix.parse("2001:db8::/32"), null, 1, 256, 1),
                new Message.Ihu(SOURCE, 1, 1, 5, Message.NO_TIMESTAMP),
                new Hello(false, 1, 1, 1L << 32),
                new Message.Pc(1, new byte[33]),
                new Message.ChallengeReply(new byte[193]),
                new Message.Mac(new byte[16]));
        for (Message m : bad) {
            assertThrows(IllegalArgumentException.class, () -> e.add(m), m.toString());
            assertEquals(before, e.bodyLength(), m.toString());
        }
        assertTrue(e.add(v6("2001:db8:1::/48")));
        e.finish();
        assertEquals(List.of(v6("2001:db8::/32"), v6("2001:db8:1::/48")), decode(e.toByteArray()).body());
    }

    @Test
    void ipv4RetractionWithoutNextHop() {
        PacketEncoder e = new PacketEncoder(1400, 0, SOURCE);
        Update u = new Update(Prefix.parse("198.18.0.0/16"), null, ID, null, 1, Message.INFINITY, 1);
        assertTrue(e.add(u));
        e.finish();
        assertEquals(List.of(u), decode(e.toByteArray()).body());
    }

    @Test
    void defaultSourcePrefixIsNoSourcePrefix() {
        PacketEncoder e = new PacketEncoder(1400, 0, SOURCE);
        assertTrue(e.add(new Message.RouteRequest(Prefix.parse("2001:db8::/32"), Prefix.V6_DEFAULT)));
        assertTrue(e.add(new Message.SeqnoRequest(Prefix.parse("198.18.0.0/15"), Prefix.V4_DEFAULT, 1, 2, 3)));
        e.finish();
        assertEquals(List.of(new Message.RouteRequest(Prefix.parse("2001:db8::/32"), null),
                new Message.SeqnoRequest(Prefix.parse("198.18.0.0/15"), null, 1, 2, 3)), decode(e.toByteArray()).body());
    }

    @Test
    void helloTimestampIsStampedJustBeforeSending() {
        PacketEncoder e = new PacketEncoder(1400, 0, SOURCE);
        assertThrows(IllegalStateException.class, () -> e.stampHello(1));
        assertFalse(e.hasHello());
        assertTrue(e.add(new Hello(false, 3, 400, 0)));
        assertTrue(e.add(new Message.Ihu(Addr.parse("fe80::2"), 96, 1200, 10, 20)));
        assertTrue(e.hasHello());
        e.stampHello(0xCAFE_F00DL);
        e.finish();
        assertEquals(List.of(new Hello(false, 3, 400, 0xCAFE_F00DL), new Message.Ihu(Addr.parse("fe80::2"), 96, 1200, 10, 20)),
                decode(e.toByteArray()).body());
    }

    @Test
    void trailerAfterTheBody() {
        PacketEncoder e = new PacketEncoder(4 + 8 + 34, 34, SOURCE);
        assertThrows(IllegalStateException.class, () -> e.appendTrailer(new Message.Mac(new byte[32])));
        assertTrue(e.add(new Hello(false, 1, 400, Message.NO_TIMESTAMP)));
        assertFalse(e.add(new Message.Ack(1)), "the trailer space is reserved");
        assertEquals(12, e.finish());
        assertThrows(IllegalStateException.class, () -> e.add(new Message.Ack(1)));
        assertTrue(e.appendTrailer(new Message.Mac(new byte[32])));
        assertFalse(e.appendTrailer(new Message.Mac(new byte[16])), "no room for a second MAC");
        assertEquals(46, e.length());
        ByteBuffer b = e.buffer();
        assertEquals(0, b.position());
        assertEquals(46, b.remaining());
        assertArrayEquals(e.toByteArray(), java.util.Arrays.copyOf(b.array(), b.limit()));
        DecodedPacket d = decode(e.toByteArray());
        assertEquals(12, d.macCoveredLength());
        assertEquals(List.of(new Message.Mac(new byte[32])), d.trailer());
        assertEquals(List.of(), d.issues());
    }

    @Test
    void badSizes() {
        assertThrows(IllegalArgumentException.class, () -> new PacketEncoder(5, 0, SOURCE));
        assertThrows(IllegalArgumentException.class, () -> new PacketEncoder(100, 95, SOURCE));
        assertThrows(IllegalArgumentException.class, () -> new PacketEncoder(0x10004 + 1, 0, SOURCE));
        assertThrows(NullPointerException.class, () -> new PacketEncoder(1400, 0, null));
    }
}
