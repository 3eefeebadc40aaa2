package re6st.babel.wire;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Prefix;

/**
 * Random messages in the form the decoder returns them (so that encode + decode gives them back):
 * explicit next hops, null for "no source prefix", both IHU timestamps or none. Prefixes come
 * from small pools so that consecutive Updates share leading bytes and router-ids repeat, which
 * exercises compression, flag 0x40 and Router-Id/Next Hop elision.
 */
final class RandomMessages {
    static final Addr SELF = WireTestSupport.SOURCE;
    private static final long[] IDS = {0x0200_0000_0000_0001L, 0x0200_0000_0000_0002L, 0xdead_beef_0000_0003L, -1L};
    private static final Addr[] V4_NEXT_HOPS = {Addr.parse("198.18.0.1"), Addr.parse("198.18.0.2"), Addr.parse("198.19.255.254")};
    private static final Addr[] V6_NEXT_HOPS = {SELF, SELF, Addr.parse("fe80::2"), Addr.parse("fe80::a8bb:ccff:fedd:eeff"),
            Addr.parse("2001:db8::1")};

    private final Random random;

    RandomMessages(long seed) {
        this.random = new Random(seed);
    }

    Random random() {
        return random;
    }

    List<Message> list(int n) {
        List<Message> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++)
            out.add(next());
        return out;
    }

    Message next() {
        int k = random.nextInt(100);
        if (k < 55)
            return update();
        if (k < 63)
            return hello();
        if (k < 71)
            return ihu();
        if (k < 77)
            return routeRequest();
        if (k < 83)
            return seqnoRequest();
        if (k < 87)
            return new Message.AckRequest(u16(), u16());
        if (k < 90)
            return new Message.Ack(u16());
        if (k < 94)
            return new Message.Pc(random.nextLong() & 0xFFFF_FFFFL, bytes(random.nextInt(PacketEncoder.MAX_PC_INDEX + 1)));
        if (k < 97)
            return new Message.ChallengeRequest(bytes(random.nextInt(9) == 0 ? random.nextInt(193) : 8));
        return new Message.ChallengeReply(bytes(random.nextInt(9) == 0 ? random.nextInt(193) : 8));
    }

    Message.Update update() {
        if (random.nextInt(40) == 0)
            return new Message.Update(null, null, 0, null, u16(), Message.INFINITY, u16());
        long id = IDS[random.nextInt(IDS.length)];
        int metric = random.nextInt(8) == 0 ? Message.INFINITY : random.nextInt(0x10000);
        boolean v4 = random.nextInt(3) == 0;
        Prefix p = v4 ? v4Prefix() : v6Prefix();
        if (!v4 && random.nextInt(8) == 0) // a host route carrying the router-id: flag 0x40
            p = new Prefix(new Addr(p.addr().hi(), id), 128);
        Prefix src = random.nextInt(4) == 0 ? (v4 ? v4Source() : v6Source()) : null;
        Addr nh = v4 ? V4_NEXT_HOPS[random.nextInt(V4_NEXT_HOPS.length)] : V6_NEXT_HOPS[random.nextInt(V6_NEXT_HOPS.length)];
        return new Message.Update(p, src, id, nh, u16(), metric, u16());
    }

    /** 2001:db8:N::/plen with N from a small pool and random lower bits: long shared prefixes. */
    Prefix v6Prefix() {
        int plen = random.nextInt(10) == 0 ? random.nextInt(129) : 32 + random.nextInt(97);
        long hi = 0x2001_0db8_0000_0000L | ((long) random.nextInt(4) << 16) | (random.nextInt(4) == 0 ? random.nextInt() & 0xFFFFL : 0);
        return new Prefix(new Addr(hi, random.nextLong()), plen);
    }

    private Prefix v6Source() {
        return new Prefix(new Addr(0x2001_0db8_ff00_0000L | (random.nextLong() & 0xFF_FFFFL), random.nextLong()),
                1 + random.nextInt(128));
    }

    /** 198.18.0.0/15 and around, /0 to /32 (IPv4-mapped, plen + 96). */
    Prefix v4Prefix() {
        int plen = random.nextInt(33);
        return new Prefix(Addr.of(new byte[] {(byte) 198, (byte) (18 + random.nextInt(2)), (byte) random.nextInt(256),
                (byte) random.nextInt(256)}), plen + 96);
    }

    private Prefix v4Source() {
        return new Prefix(Addr.of(new byte[] {10, (byte) random.nextInt(256), (byte) random.nextInt(256), 0}),
                96 + 1 + random.nextInt(32));
    }

    private Message.Hello hello() {
        return new Message.Hello(random.nextBoolean(), u16(), u16(), random.nextBoolean() ? u32() : Message.NO_TIMESTAMP);
    }

    private Message.Ihu ihu() {
        Addr a = switch (random.nextInt(4)) {
            case 0 -> null;
            case 1 -> V4_NEXT_HOPS[random.nextInt(V4_NEXT_HOPS.length)];
            case 2 -> new Addr(AddressEncoding.LINK_LOCAL_HI, random.nextLong());
            default -> new Addr(0x2001_0db8_0000_0000L | random.nextInt(), random.nextLong());
        };
        boolean ts = random.nextBoolean();
        return new Message.Ihu(a, u16(), u16(), ts ? u32() : Message.NO_TIMESTAMP, ts ? u32() : Message.NO_TIMESTAMP);
    }

    private Message.RouteRequest routeRequest() {
        if (random.nextInt(4) == 0)
            return new Message.RouteRequest(null, null);
        boolean v4 = random.nextBoolean();
        return new Message.RouteRequest(v4 ? v4Prefix() : v6Prefix(),
                random.nextInt(3) == 0 ? (v4 ? v4Source() : v6Source()) : null);
    }

    private Message.SeqnoRequest seqnoRequest() {
        boolean v4 = random.nextBoolean();
        return new Message.SeqnoRequest(v4 ? v4Prefix() : v6Prefix(), random.nextInt(3) == 0 ? (v4 ? v4Source() : v6Source()) : null,
                u16(), random.nextInt(256), random.nextLong());
    }

    private int u16() {
        return random.nextInt(0x10000);
    }

    private long u32() {
        return random.nextLong() & 0xFFFF_FFFFL;
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
