package re6st.babel.mac;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One RFC 8967 key: a name, an algorithm and a secret value. Immutable; {@link #toString} never
 * shows the value. Computes the MAC of a packet given the 36-byte pseudo-header prefix (see
 * {@link PseudoHeader}) and the packet's header and body, exactly as babeld's {@code compute_mac} ({@link MacEngine} does the
 * computing, reusably).
 */
public final class MacKey {
    private final String id;
    private final MacAlgorithm algorithm;
    private final byte[] value;

    public MacKey(String id, MacAlgorithm algorithm, byte[] value) {
        Objects.requireNonNull(id, "key id");
        Objects.requireNonNull(algorithm, "key algorithm");
        Objects.requireNonNull(value, "key value");
        if (id.isEmpty() || id.chars().anyMatch(c -> c <= ' '))
            throw new IllegalArgumentException("key id '" + id + "': must be non-empty, without spaces");
        if (value.length < 1 || value.length > algorithm.maxKeyLength())
            throw new IllegalArgumentException("key " + id + " (" + algorithm + "): value is " + value.length
                    + " bytes, expected 1 to " + algorithm.maxKeyLength());
        this.id = id;
        this.algorithm = algorithm;
        this.value = value.clone();
    }

    /** From a hex value, as in babeld's {@code key id K type T value HEX}. The error never echoes the value. */
    public static MacKey fromHex(String id, MacAlgorithm algorithm, String hex) {
        Objects.requireNonNull(hex, "key value");
        byte[] v;
        try {
            v = HexFormat.of().parseHex(hex.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("key " + id + " (" + algorithm + "): value is not an even-length hex string ("
                    + hex.trim().length() + " characters)");
        }
        return new MacKey(id, algorithm, v);
    }

    public String id() {
        return id;
    }

    public MacAlgorithm algorithm() {
        return algorithm;
    }

    /** A copy of the secret. */
    public byte[] value() {
        return value.clone();
    }

    public int digestLength() {
        return algorithm.digestLength();
    }

    /**
     * MAC of {@code prefix} (the 36-byte pseudo-header prefix) followed by
     * {@code packet[off .. off+len)} (the 4-byte packet header and the body).
     */
    public byte[] compute(byte[] prefix, byte[] packet, int off, int len) {
        Objects.checkFromIndexSize(off, len, packet.length);
        byte[] out = new byte[digestLength()];
        new MacEngine(this).compute(prefix, packet, off, len, out, 0);
        return out;
    }

    /** Same id, algorithm and value. */
    @Override
    public boolean equals(Object o) {
        return o instanceof MacKey k && id.equals(k.id) && algorithm == k.algorithm
                && MessageDigest.isEqual(value, k.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, algorithm, Arrays.hashCode(value));
    }

    @Override
    public String toString() {
        return "MacKey[" + id + ", " + algorithm + ", " + value.length + " bytes]";
    }
}
