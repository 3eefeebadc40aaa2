package re6st.registry.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

class BabelHmacKeysTest {
    private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");
    private final SecureRandom random = new SecureRandom();

    /** The original's test_updateHMAC sequence, and the spec's table. */
    @Test
    void rotationSequence() {
        BabelHmacKeys s = BabelHmacKeys.NONE;
        assertFalse(s.sign().isPresent());

        s = s.update(NOW, random);                        // [None, K1, '']
        byte[] k1 = s.slot(1);
        assertNull(s.slot(0));
        assertEquals(16, k1.length);
        assertArrayEquals(new byte[0], s.slot(2));
        assertArrayEquals(k1, s.sign().orElseThrow(), "sign K1");
        assertArrayEquals(new byte[0], s.accept().orElseThrow(), "accept unsigned");
        assertEquals(OptionalLong.empty(), s.validUntil());

        s = s.update(NOW, random);                        // [K1, None, None]
        assertArrayEquals(k1, s.slot(0));
        assertNull(s.slot(1));
        assertNull(s.slot(2));
        assertFalse(s.accept().isPresent());
        assertEquals(OptionalLong.empty(), s.validUntil());

        s = s.update(NOW, random);                        // [K1, K2, None], valid_until = now + 1 h
        byte[] k2 = s.slot(1);
        assertArrayEquals(k1, s.slot(0));
        assertNotEquals(java.util.Arrays.toString(k1), java.util.Arrays.toString(k2));
        assertNull(s.slot(2));
        assertArrayEquals(k1, s.sign().orElseThrow());
        assertArrayEquals(k2, s.accept().orElseThrow());
        assertEquals(OptionalLong.of(NOW.getEpochSecond() + 3600), s.validUntil());

        s = s.update(NOW.plusSeconds(4000), random);      // [None, K2, K1]
        assertNull(s.slot(0));
        assertArrayEquals(k2, s.slot(1));
        assertArrayEquals(k1, s.slot(2));
        assertArrayEquals(k2, s.sign().orElseThrow());
        assertArrayEquals(k1, s.accept().orElseThrow());
        assertEquals(OptionalLong.empty(), s.validUntil());

        s = s.update(NOW, random);                        // [K2, None, None]
        assertEquals(new BabelHmacKeys(k2, null, null, null), s);

        s = s.update(NOW, random);                        // and round again: [K2, K3, None]
        assertArrayEquals(k2, s.slot(0));
        assertEquals(16, s.slot(1).length);
        assertTrue(s.validUntil().isPresent());
    }

    @Test
    void freshIsTheOriginalsFirstStart() {
        BabelHmacKeys s = BabelHmacKeys.fresh(random);
        assertEquals(16, s.slot(0).length);
        assertNull(s.slot(1));
        assertEquals("BabelHmacKeys[key, None, None]", s.toString());
        assertEquals("BabelHmacKeys[None, key, '', valid_until=5]", new BabelHmacKeys(null, new byte[16], new byte[0], 5L).toString());
    }

    @Test
    void pythonTruthValues() {
        // an empty slot 0 is false in Python: [' ', K, x] moves K to slot 0
        BabelHmacKeys s = new BabelHmacKeys(new byte[0], new byte[16], null, null).update(NOW, random);
        assertEquals(new BabelHmacKeys(new byte[16], null, null, null), s);
        assertThrows(IllegalArgumentException.class, () -> new BabelHmacKeys(new byte[5], null, null, null));
    }
}
