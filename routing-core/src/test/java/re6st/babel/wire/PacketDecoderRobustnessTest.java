package re6st.babel.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static re6st.babel.wire.RandomMessages.SELF;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import re6st.babel.message.Message;

/**
 * Property (the bounded, seeded cousin of {@link PacketDecoderFuzzTest}): for any bytes, decode
 * returns, or throws {@link MalformedPacketException} when and only when the 4-byte header is
 * unusable; every reported offset is inside the packet. Inputs: valid packets from the encoder
 * with bytes flipped, set to boundary values, inserted, deleted or cut off; noise behind a valid
 * header; TLV-shaped noise. Mutating real packets reaches the deep paths (compression state,
 * sub-TLVs) that noise rarely does.
 */
class PacketDecoderRobustnessTest {
    private static final int ROUNDS = 20_000;

    @ParameterizedTest
    @ValueSource(longs = {1, 42, 6696, 0x5eed, -7})
    void anyBytesDecodeOrFailOnlyOnTheHeader(long seed) throws Exception {
        RandomMessages gen = new RandomMessages(seed);
        Random random = gen.random();
        int decodedMessages = 0, issues = 0;
        for (int i = 0; i < ROUNDS; i++) {
            byte[] b = switch (i % 4) {
                case 0, 1 -> mutate(random, valid(gen));
                case 2 -> tlvNoise(random);
                default -> noise(random);
            };
            DecodedPacket d = check(b, seed, i);
            if (d != null) {
                decodedMessages += d.body().size();
                issues += d.issues().size();
            }
        }
        // Not vacuous: plenty decoded, plenty rejected.
        assertTrue(decodedMessages > ROUNDS, decodedMessages + " messages");
        assertTrue(issues > ROUNDS / 4, issues + " issues");
    }

    private static byte[] valid(RandomMessages gen) {
        PacketEncoder e = new PacketEncoder(600, 34, SELF);
        for (Message m : gen.list(1 + gen.random().nextInt(12)))
            if (!e.add(m))
                break;
        e.finish();
        if (gen.random().nextBoolean())
            e.appendTrailer(new Message.Mac(new byte[32]));
        return e.toByteArray();
    }

    private static byte[] mutate(Random random, byte[] b) {
        for (int n = 1 + random.nextInt(3); n > 0; n--) {
            int at = 2 + random.nextInt(b.length - 2); // mostly keep a valid magic and version
            switch (random.nextInt(6)) {
                case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> b[at] = (byte) new int[] {0, 1, 0x7F, 0x80, 0xFF, 0x20, 0x40, 0x10}[random.nextInt(8)];
                case 2 -> b = Arrays.copyOf(b, at);
                case 3 -> {
                    byte[] c = new byte[b.length + 1];
                    System.arraycopy(b, 0, c, 0, at);
                    c[at] = (byte) random.nextInt(256);
                    System.arraycopy(b, at, c, at + 1, b.length - at);
                    b = c;
                }
                case 4 -> {
                    byte[] c = new byte[b.length - 1];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + 1, c, at, b.length - at - 1);
                    b = c;
                }
                default -> b[at] = (byte) random.nextInt(256);
            }
            if (b.length < 3)
                break;
        }
        return b;
    }

    private static byte[] tlvNoise(Random random) {
        byte[] b = new byte[4 + random.nextInt(300)];
        int p = 4;
        while (p < b.length) {
            int type = random.nextInt(4) == 0 ? random.nextInt(256) : random.nextInt(20);
            int len = Math.min(random.nextInt(40), b.length - p - 2);
            if (len < 0)
                break;
            b[p] = (byte) type;
            b[p + 1] = (byte) len;
            for (int i = 0; i < len; i++)
                b[p + 2 + i] = (byte) (random.nextInt(3) == 0 ? random.nextInt(256) : random.nextInt(4));
            p += 2 + len;
        }
        new PacketHeader(random.nextInt(b.length)).write(b, 0);
        return b;
    }

    private static byte[] noise(Random random) {
        byte[] b = new byte[random.nextInt(120)];
        random.nextBytes(b);
        if (b.length >= 2 && random.nextInt(4) != 0) {
            b[0] = 42;
            b[1] = 2;
        }
        return b;
    }

    private static DecodedPacket check(byte[] b, long seed, int round) {
        boolean goodHeader = b.length >= 4 && b[0] == 42 && b[1] == 2;
        try {
            DecodedPacket d = PacketDecoder.decode(b, SELF);
            assertTrue(goodHeader, "decoded a packet with a bad header");
            assertTrue(d.macCoveredLength() >= 4 && d.macCoveredLength() <= b.length);
            for (DecodeIssue i : d.issues())
                assertTrue(i.offset() >= 0 && i.offset() < b.length, i + " in " + b.length + " bytes");
            for (Message m : d.body())
                if (m instanceof Message.Update u && u.prefix() != null)
                    assertEquals(u.prefix().isV4(), u.nextHop() == null || u.nextHop().isV4(), u.toString());
            assertEquals(List.copyOf(d.body()), d.body());
            return d;
        } catch (MalformedPacketException e) {
            assertTrue(!goodHeader, "seed " + seed + " round " + round + ": " + e.getMessage());
            return null;
        } catch (RuntimeException e) {
            return fail("seed " + seed + " round " + round + ": " + e + " on " + WireTestSupport.hex(b), e);
        }
    }
}
