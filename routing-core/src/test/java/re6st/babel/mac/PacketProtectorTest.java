package re6st.babel.mac;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Prefix;
import re6st.babel.wire.DecodedPacket;
import re6st.babel.wire.PacketDecoder;

/** Packing, PC and MAC of one interface, bytes in and bytes out. */
class PacketProtectorTest {
    static final Addr ME = Addr.parse("fe80::1"), PEER = Addr.parse("fe80::2"), GROUP = Addr.parse("ff02::1:6");
    static final MacKey KEY = MacKey.fromHex("k", MacAlgorithm.HMAC_SHA256, "00112233445566778899aabbccddeeff");

    static PacketProtector protector(Addr self, MacPolicy policy) {
        return new PacketProtector(self, 512, policy, GROUP, PseudoHeader.BABEL_PORT, new SplittableRandom(3), () -> 5_000_000L);
    }

    record Sent(byte[] bytes, Addr dst) {}

    static List<Sent> pack(PacketProtector p, List<Message> messages, Addr dst) {
        List<Sent> out = new ArrayList<>();
        p.pack(messages, dst, (ByteBuffer b, Addr d) -> {
            byte[] x = new byte[b.remaining()];
            b.get(x);
            out.add(new Sent(x, d));
        });
        return out;
    }

    static List<Message> updates(int n) {
        List<Message> l = new ArrayList<>();
        for (int i = 0; i < n; i++)
            l.add(new Message.Update(Prefix.parse("2001:db8:" + Integer.toHexString(i) + "::/48"), null, 0x42L + i, null, 1, 96, 400));
        return l;
    }

    @Test
    void messagesThatDoNotFitGoInMorePacketsEachWithItsOwnPcAndAVerifyingMac() throws Exception {
        PacketProtector me = protector(ME, MacPolicy.of(KEY)), peer = protector(PEER, MacPolicy.of(KEY));
        List<Sent> sent = pack(me, updates(40), PEER);
        assertTrue(sent.size() >= 2, "40 updates with router-ids need several 512-byte packets: " + sent.size());
        long lastPc = -1;
        int updates = 0;
        for (Sent s : sent) {
            assertTrue(s.bytes().length <= 512, "within the size: " + s.bytes().length);
            DecodedPacket d = PacketDecoder.decode(s.bytes(), ME);
            Message.Pc pc = (Message.Pc) d.body().get(0);
            assertTrue(pc.pc() > lastPc, "PC increases: " + pc.pc() + " after " + lastPc);
            lastPc = pc.pc();
            updates += (int) d.body().stream().filter(m -> m instanceof Message.Update).count();
            PacketProtector.Opened o = peer.open(s.bytes(), 0, s.bytes().length, ME, 1_000_000_000L);
            assertTrue(o.macReason() != Verdict.Reason.BAD_MAC && o.macReason() != Verdict.Reason.NO_MAC, "MAC verifies: " + o);
            assertTrue(o.unicast(), "sent to PEER: the MAC tells it was unicast");
        }
        assertEquals(40, updates, "every update sent once");
        assertEquals(sent.size(), me.packetsSent());
    }

    @Test
    void aMessageThatCannotBeEncodedIsLeftOutCountedAndTheOthersGo() throws Exception {
        PacketProtector me = protector(ME, null);
        List<Message> msgs = List.of(new Message.Hello(false, 1, 100, Message.NO_TIMESTAMP),
                new Message.Hello(false, 2, 0x10000, Message.NO_TIMESTAMP), // interval out of range
                new Message.Ihu(PEER, 96, 300, Message.NO_TIMESTAMP, Message.NO_TIMESTAMP));
        List<Sent> sent = pack(me, msgs, null);
        assertEquals(1, sent.size());
        List<Message> body = PacketDecoder.decode(sent.get(0).bytes(), ME).body();
        assertEquals(2, body.size(), "the Hello and the IHU: " + body);
        assertEquals(1, me.unencodable());
    }

    @Test
    void aPacketSignedForTheGroupIsMulticastAndAForgedOneIsRejected() {
        PacketProtector me = protector(ME, MacPolicy.of(KEY)), peer = protector(PEER, MacPolicy.of(KEY));
        byte[] b = pack(me, List.of(new Message.Hello(false, 1, 100, Message.NO_TIMESTAMP)), null).get(0).bytes();
        PacketProtector.Opened o = peer.open(b, 0, b.length, ME, 1L);
        assertFalse(o.unicast(), "sent to the group");
        assertEquals(Verdict.Reason.UNKNOWN_INDEX, o.macReason(), "first packet: the index is challenged");
        assertTrue(o.reply().get(0) instanceof Message.ChallengeRequest, "with a challenge request: " + o.reply());
        b[6] ^= 1; // in the body: the MAC no longer verifies
        o = peer.open(b, 0, b.length, ME, 2L);
        assertEquals(PacketProtector.Outcome.REJECTED, o.outcome());
        assertEquals(Verdict.Reason.BAD_MAC, o.macReason());
        assertEquals(1, peer.macCounts().get(Verdict.Reason.BAD_MAC));
    }

    /** The sending path (pack, PC, MAC into the trailer) allocates nothing per packet, with either algorithm. */
    @Test
    void signingAllocatesNothingPerPacket() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (MacKey key : List.of(KEY, MacKey.fromHex("b", MacAlgorithm.BLAKE2S_128, "0011223344556677"))) {
            PacketProtector me = protector(ME, MacPolicy.of(key));
            List<Message> hello = List.of(new Message.Hello(false, 1, 100, 0L));
            long[] bytes = {0};
            PacketProtector.Sink sink = (b, d) -> bytes[0] += b.remaining();
            for (int i = 0; i < 20_000; i++) // warm up
                me.pack(hello, null, sink);
            long before = mx.getThreadAllocatedBytes(Thread.currentThread().getId());
            for (int i = 0; i < 10_000; i++)
                me.pack(hello, null, sink);
            long allocated = mx.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
            System.out.println(key.algorithm() + ": " + allocated + " bytes allocated for 10000 signed packets");
            assertTrue(allocated < 10_000, key.algorithm() + ": " + allocated + " bytes for 10000 packets");
        }
    }
}
