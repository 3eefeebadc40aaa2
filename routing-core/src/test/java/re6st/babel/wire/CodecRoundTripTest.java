package re6st.babel.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static re6st.babel.wire.RandomMessages.SELF;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Prefix;

/**
 * Property: any sequence of messages, encoded into as many packets as it takes (each packet
 * self-contained: the decoder's per-packet state starts afresh), decodes to the same sequence,
 * with no issue. Fixed seeds; packet sizes from babeld's minimum to jumbo; with and without
 * trailer space. Also checks that the encoder did use compression, flag 0x40 and elision.
 */
class CodecRoundTripTest {
    private static final int[] SIZES = {PacketEncoder.maxSizeForMtu(0), PacketEncoder.maxSizeForMtu(1280), 1400, 8940};

    /** Encoded packets, and statistics of what the encoder chose. */
    private static final class Run {
        final List<byte[]> packets = new ArrayList<>();
        final List<Message> decoded = new ArrayList<>();
        int omitted, routerIdFromPrefix, updates, routerIdTlvs, nextHopTlvs;
    }

    private static Run roundTrip(List<Message> messages, int size, int trailer) throws MalformedPacketException {
        Run run = new Run();
        PacketEncoder e = new PacketEncoder(size, trailer, SELF);
        for (Message m : messages) {
            if (!e.add(m)) {
                assertTrue(e.bodyLength() > 0, "full only when something is in it");
                flush(e, run, trailer);
                assertTrue(e.add(m), "fits in an empty packet");
            }
        }
        if (!e.isEmpty())
            flush(e, run, trailer);
        return run;
    }

    private static void flush(PacketEncoder e, Run run, int trailer) throws MalformedPacketException {
        int signed = e.finish();
        if (trailer > 0)
            assertTrue(e.appendTrailer(new Message.Mac(new byte[trailer - 2])));
        byte[] p = e.toByteArray();
        assertTrue(p.length <= e.array().length);
        run.packets.add(p);
        DecodedPacket d = PacketDecoder.decode(p, SELF);
        assertEquals(List.of(), d.issues());
        assertEquals(signed, d.macCoveredLength());
        assertEquals(trailer > 0 ? 1 : 0, d.trailer().size());
        run.decoded.addAll(d.body());
        TlvReader r = Packet.parse(p).body();
        while (r.next()) {
            int v = r.valueOffset();
            if (r.type() == TlvType.UPDATE) {
                run.updates++;
                if (p[v + 3] != 0)
                    run.omitted++;
                if ((p[v + 1] & 0x40) != 0)
                    run.routerIdFromPrefix++;
            } else if (r.type() == TlvType.ROUTER_ID) {
                run.routerIdTlvs++;
            } else if (r.type() == TlvType.NEXT_HOP) {
                run.nextHopTlvs++;
            }
        }
        e.reset();
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 6696, 0x5eed, -7, 1_000_003})
    void randomMessagesSurviveEncodeAndDecode(long seed) throws Exception {
        RandomMessages gen = new RandomMessages(seed);
        for (int round = 0; round < 8; round++) {
            List<Message> messages = gen.list(50 + gen.random().nextInt(400));
            int size = SIZES[round % SIZES.length];
            int trailer = round % 2 == 0 ? 0 : 2 + 32;
            Run run = roundTrip(messages, size, trailer);
            assertEquals(messages, run.decoded, "seed " + seed + " round " + round);
        }
    }

    @Test
    void encoderUsesCompressionAndElision() throws Exception {
        RandomMessages gen = new RandomMessages(99);
        List<Message> messages = new ArrayList<>();
        for (int i = 0; i < 3000; i++)
            messages.add(gen.update());
        Run run = roundTrip(messages, 1400, 0);
        assertEquals(messages, run.decoded);
        assertTrue(run.omitted > run.updates / 10, "omitted bytes in " + run.omitted + " of " + run.updates);
        assertTrue(run.routerIdFromPrefix > 0);
        assertTrue(run.routerIdTlvs < run.updates, run.routerIdTlvs + " Router-Ids for " + run.updates + " updates");
        assertTrue(run.nextHopTlvs < run.updates);
    }

    @Test
    void sortedDumpCompressesWell() throws Exception {
        // What a full dump looks like: one router-id, many /64s under one /48, then IPv4 /32s.
        List<Message> messages = new ArrayList<>();
        long id = 0x0200_0000_0000_0001L;
        for (int i = 0; i < 1000; i++)
            messages.add(new Message.Update(new Prefix(new Addr(0x2001_0db8_0001_0000L | i, 0), 64), null, id, SELF, 7,
                    256 + i, 1600));
        for (int i = 0; i < 300; i++)
            messages.add(new Message.Update(Prefix.parse("198.18." + (i / 256) + "." + (i % 256) + "/32"), null, id,
                    Addr.parse("198.18.0.1"), 7, 96, 1600));
        Run run = roundTrip(messages, 1400, 0);
        assertEquals(messages, run.decoded);
        int bytes = run.packets.stream().mapToInt(p -> p.length).sum();
        // Uncompressed: 12 + 8 bytes per /64, 12 + 4 per /32. Compressed /64s carry 1 or 2 bytes.
        assertTrue(bytes < 1000 * 16 + 300 * 16, bytes + " bytes");
        assertEquals(1000 + 300, run.updates);
        assertEquals(run.packets.size(), run.routerIdTlvs, "one Router-Id per packet");
    }

    @Test
    void everyIpv6PrefixLengthAndEveryIpv4One() throws Exception {
        List<Message> messages = new ArrayList<>();
        Addr a = Addr.parse("2001:db8:89ab:cdef:123:4567:89ab:cdef");
        for (int plen = 0; plen <= 128; plen++) {
            messages.add(new Message.Update(new Prefix(a, plen), null, 1, SELF, 1, 2, 3));
            messages.add(new Message.Update(new Prefix(a, plen), plen == 0 ? null : new Prefix(a, 128 - plen + 1), 1, SELF, 1, 2, 3));
            messages.add(new Message.RouteRequest(new Prefix(a, plen), null));
            messages.add(new Message.SeqnoRequest(new Prefix(a, plen), null, 1, 2, 3));
        }
        Addr b = Addr.parse("198.19.254.253");
        for (int plen = 96; plen <= 128; plen++) {
            messages.add(new Message.Update(new Prefix(b, plen), plen == 96 ? null : new Prefix(b, plen), 1,
                    Addr.parse("198.18.0.1"), 1, 2, 3));
            messages.add(new Message.RouteRequest(new Prefix(b, plen), null));
        }
        assertEquals(messages, roundTrip(messages, 576, 0).decoded);
    }
}
