package re6st.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import org.junit.jupiter.api.Test;

class PackedIntegerTest {

    /** Vectors computed with the original's algorithm (registry.encodeVersion / utils.packInteger). */
    @Test
    void knownEncodings() {
        Object[][] cases = {
                {0L, "00"}, {31L, "1f"}, {32L, "2000"}, {33L, "2001"}, {8223L, "3fff"}, {8224L, "400000"},
                {2105375L, "5fffff"}, {2105376L, "60000000"}, {1_000_000_000_000L, "a0c8b484efe0"},
                {PackedInteger.MAX, "ffffffffffffffff"},
        };
        for (Object[] c : cases) {
            long v = (Long) c[0];
            byte[] packed = PackedInteger.pack(v);
            assertEquals(c[1], HexFormat.of().formatHex(packed), "pack " + v);
            assertEquals(new PackedInteger.Unpacked(v, packed.length), PackedInteger.unpack(packed, 0));
        }
        assertEquals(0x202020202020201fL, PackedInteger.MAX);
    }

    @Test
    void orderPreservingAndRoundTrip() {
        Random random = new Random(10);
        for (int i = 0; i < 5000; i++) {
            long a = random.nextLong() >>> (3 + random.nextInt(61)); // up to 2^61 - 1 < MAX
            long b = random.nextLong() >>> (3 + random.nextInt(61)); // up to 2^61 - 1 < MAX
            byte[] pa = PackedInteger.pack(a), pb = PackedInteger.pack(b);
            assertEquals(a, PackedInteger.unpack(pa, 0).value());
            assertEquals(Long.signum(Long.compare(a, b)), Integer.signum(Arrays.compareUnsigned(pa, pb)), a + " vs " + b);
        }
    }

    @Test
    void unpackLeavesTheSignature() {
        byte[] version = {0x20, 0x05, 1, 2, 3}; // packInteger(37) || signature
        assertEquals(new PackedInteger.Unpacked(37, 2), PackedInteger.unpack(version, 0));
        assertArrayEquals(new byte[] {0x20, 0x05}, PackedInteger.pack(37));
    }

    @Test
    void rejects() {
        assertThrows(IllegalArgumentException.class, () -> PackedInteger.pack(-1));
        assertThrows(IllegalArgumentException.class, () -> PackedInteger.pack(PackedInteger.MAX + 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PackedInteger.unpack(new byte[] {0x40, 0}, 0));
        assertEquals("packed integer at offset 0 needs 3 bytes, only 2 available", e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> PackedInteger.unpack(new byte[0], 0));
        assertTrue(PackedInteger.pack(0).length == 1);
    }
}
