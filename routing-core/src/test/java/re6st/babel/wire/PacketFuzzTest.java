package re6st.babel.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Property: for any bytes, parsing either succeeds with every TLV inside its range, or throws
 * MalformedPacketException; never another exception, never a loop. Fixed seeds, bounded work.
 * Inputs are raw noise, noise behind a valid header, and well-formed packets with one byte
 * possibly flipped (so that the TLV walk is reached and often completes).
 */
class PacketFuzzTest {
    private static final int ROUNDS = 3000;

    @ParameterizedTest
    @ValueSource(longs = {1, 42, 6696, 0x5eed, -7})
    void randomBytesParseOrThrowMalformed(long seed) {
        Random random = new Random(seed);
        int parsed = 0;
        for (int i = 0; i < ROUNDS; i++) {
            byte[] b = switch (i % 3) {
                case 0 -> noise(random);
                case 1 -> noiseBehindHeader(random);
                default -> wellFormed(random);
            };
            if (check(b, seed, i))
                parsed++;
        }
        // Not vacuous: both outcomes occur, often.
        assertTrue(parsed > ROUNDS / 10 && parsed < ROUNDS * 9 / 10, "parsed " + parsed + " of " + ROUNDS);
    }

    private static byte[] noise(Random random) {
        byte[] b = new byte[random.nextInt(80)];
        random.nextBytes(b);
        return b;
    }

    private static byte[] noiseBehindHeader(Random random) {
        byte[] b = new byte[4 + random.nextInt(80)];
        random.nextBytes(b);
        new PacketHeader(random.nextInt(b.length + 4)).write(b, 0); // may claim too much
        return b;
    }

    private static byte[] wellFormed(Random random) {
        byte[] b = new byte[4 + 2 * 300];
        int p = 4;
        for (int n = random.nextInt(6); n > 0; n--)
            p = tlv(random, b, p);
        int bodyLength = p - 4;
        for (int n = random.nextInt(2); n > 0; n--)
            p = tlv(random, b, p);
        new PacketHeader(bodyLength).write(b, 0);
        b = Arrays.copyOf(b, p);
        if (random.nextBoolean())
            b[random.nextInt(b.length)] ^= (byte) (1 + random.nextInt(255));
        return b;
    }

    private static int tlv(Random random, byte[] b, int p) {
        if (random.nextInt(4) == 0)
            return Padding.writePad1(b, p);
        int len = random.nextInt(40);
        b[p] = (byte) (1 + random.nextInt(255));
        b[p + 1] = (byte) len;
        for (int i = 0; i < len; i++)
            b[p + 2 + i] = (byte) random.nextInt(256);
        return p + 2 + len;
    }

    /** True if the header, body TLVs and trailer TLVs all parsed. */
    private static boolean check(byte[] b, long seed, int round) {
        try {
            Packet packet = Packet.parse(b);
            assertEquals(b.length, 4 + packet.bodyLength() + packet.trailerLength());
            walk(packet.body(), 4, 4 + packet.bodyLength(), true);
            walk(packet.trailer(), 4 + packet.bodyLength(), b.length, true);
            return true;
        } catch (MalformedPacketException e) {
            assertTrue(e.offset() >= 0 && e.offset() <= b.length, e.getMessage());
            return false;
        } catch (RuntimeException e) {
            return fail("seed " + seed + " round " + round + ": " + e, e);
        }
    }

    private static void walk(TlvReader r, int start, int end, boolean descend) throws MalformedPacketException {
        int expected = start;
        for (int n = 0; r.next(); n++) {
            assertTrue(n <= end - start, "more TLVs than bytes");
            assertEquals(expected, r.offset(), "TLVs are contiguous");
            assertTrue(r.valueOffset() + r.length() <= end, "TLV inside its range");
            expected = r.valueOffset() + r.length();
            if (descend && r.type() != TlvType.PAD1) {
                // Random values are rarely valid sub-TLVs: only the exception type matters here.
                try {
                    walk(r.subTlvs(0), r.valueOffset(), r.valueOffset() + r.length(), false);
                } catch (MalformedPacketException ignored) {
                    assertTrue(ignored.offset() >= r.offset() && ignored.offset() < end);
                }
            }
        }
        assertEquals(end, expected, "TLVs cover the range");
    }
}
