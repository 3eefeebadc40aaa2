package re6st.registry.protocol;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The Babel MAC keys of the network (RFC 8967; the original's babeld uses key type
 * {@code blake2s128}) and their rotation by {@code updateHMAC}. Three slots, stored as
 * {@code babel_hmac0..2} in the config table: each holds nothing (null), the empty key (accept
 * packets without a valid MAC) or a 16-byte key. The first non-null slot is the key nodes sign
 * with, the second the one they also accept. {@link #update} is the original's state machine
 * (with Python truth values: null and empty are false), which runs on a network as
 * <pre>
 *   [None, K1, '']  sign K1, accept unsigned   (enabling MACs on a network without)
 *   [K1, None, None] sign K1
 *   [K1, K2, None]  sign K1, accept K2, valid_until = now + 1 h (the change window)
 *   [None, K2, K1]  sign K2, accept K1
 *   [K2, None, None] sign K2
 * </pre>
 * and from there on between the last three states. {@code valid_until} (seconds since the
 * epoch) exists only in the change window; every other step clears it. Immutable.
 */
public final class BabelHmacKeys {
    public static final List<String> SLOT_NAMES = List.of("babel_hmac0", "babel_hmac1", "babel_hmac2");
    public static final String VALID_UNTIL = "valid_until";
    public static final int KEY_LENGTH = 16;
    /** How long nodes have to learn K2 before it signs. */
    public static final Duration CHANGE_WINDOW = Duration.ofHours(1);

    /** No key at all: what a registry database without babel_hmac rows holds. */
    public static final BabelHmacKeys NONE = new BabelHmacKeys(null, null, null, null);

    private final byte[][] slots;
    private final Long validUntil;

    /** The three slots (null = absent, empty = accept unsigned) and valid_until in epoch seconds (or null). */
    public BabelHmacKeys(byte[] hmac0, byte[] hmac1, byte[] hmac2, Long validUntil) {
        this.slots = new byte[][] {copy(hmac0), copy(hmac1), copy(hmac2)};
        for (byte[] k : slots)
            if (k != null && k.length != 0 && k.length != KEY_LENGTH)
                throw new IllegalArgumentException("a Babel MAC key has " + KEY_LENGTH + " bytes (or 0: none), not " + k.length);
        this.validUntil = validUntil;
    }

    /** {@code [K, None, None]}: what the original writes on its very first start (no prefix yet). */
    public static BabelHmacKeys fresh(SecureRandom random) {
        return new BabelHmacKeys(newKey(random), null, null, null);
    }

    /** Slot {@code i} (0..2): null, empty or a key. */
    public byte[] slot(int i) {
        return copy(slots[i]);
    }

    /** The key nodes sign with: the first non-null slot (empty: do not sign). */
    public Optional<byte[]> sign() {
        return nonNull(0);
    }

    /** The key nodes also accept: the second non-null slot (empty: accept unsigned packets). */
    public Optional<byte[]> accept() {
        return nonNull(1);
    }

    public OptionalLong validUntil() {
        return validUntil == null ? OptionalLong.empty() : OptionalLong.of(validUntil);
    }

    /** One {@code updateHMAC} step (see the class comment); every step also bumps the network version. */
    public BabelHmacKeys update(Instant now, SecureRandom random) {
        byte[] h0 = slots[0], h1 = slots[1];
        if (truthy(h0)) {
            if (truthy(h1))
                return new BabelHmacKeys(null, h1, h0, null);          // [K1, K2, _] -> [None, K2, K1]
            return new BabelHmacKeys(h0, newKey(random), slots[2],    // [K1, None, x] -> [K1, K2, x]
                    now.plus(CHANGE_WINDOW).getEpochSecond());
        }
        if (truthy(h1))
            return new BabelHmacKeys(h1, null, null, null);           // [_, K2, _] -> [K2, None, None]
        return new BabelHmacKeys(slots[0], newKey(random), new byte[0], null); // initialisation: [x, K1, '']
    }

    private Optional<byte[]> nonNull(int rank) {
        int seen = 0;
        for (byte[] k : slots)
            if (k != null && seen++ == rank)
                return Optional.of(k.clone());
        return Optional.empty();
    }

    private static boolean truthy(byte[] k) {
        return k != null && k.length > 0;
    }

    private static byte[] newKey(SecureRandom random) {
        byte[] k = new byte[KEY_LENGTH];
        random.nextBytes(k);
        return k;
    }

    private static byte[] copy(byte[] b) {
        return b == null ? null : b.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BabelHmacKeys k && Arrays.deepEquals(slots, k.slots) && java.util.Objects.equals(validUntil, k.validUntil);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(slots) * 31 + java.util.Objects.hashCode(validUntil);
    }

    @Override
    public String toString() { // shapes only, never key bytes
        StringBuilder s = new StringBuilder("BabelHmacKeys[");
        for (int i = 0; i < 3; i++)
            s.append(i > 0 ? ", " : "").append(slots[i] == null ? "None" : slots[i].length == 0 ? "''" : "key");
        return s.append(validUntil == null ? "" : ", valid_until=" + validUntil).append(']').toString();
    }
}
