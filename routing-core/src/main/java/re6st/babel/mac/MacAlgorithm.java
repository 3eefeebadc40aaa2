package re6st.babel.mac;

import java.util.Locale;

/**
 * The two MAC algorithms of RFC 8967 section 4.1, with babeld's configuration names and key
 * length limits ({@code key id K type hmac-sha256|blake2s128 value <hex>}).
 */
public enum MacAlgorithm {
    /** HMAC-SHA256, 32-byte digest. Keys of 1..64 bytes, zero-padded to the 64-byte SHA-256 block. */
    HMAC_SHA256("hmac-sha256", 32, 64),
    /** Keyed BLAKE2s (RFC 7693) with a 16-byte output. Keys of 1..32 bytes. */
    BLAKE2S_128("blake2s128", 16, 32);

    private final String configName;
    private final int digestLength;
    private final int maxKeyLength;

    MacAlgorithm(String configName, int digestLength, int maxKeyLength) {
        this.configName = configName;
        this.digestLength = digestLength;
        this.maxKeyLength = maxKeyLength;
    }

    /** The name babeld's configuration uses: {@code hmac-sha256} or {@code blake2s128}. */
    public String configName() {
        return configName;
    }

    /** Length of the MAC TLV's body for this algorithm. */
    public int digestLength() {
        return digestLength;
    }

    /**
     * Longest key babeld accepts: 64 for HMAC-SHA256 (it zero-pads to the block and never hashes a
     * longer key, unlike plain RFC 2104), 32 for BLAKE2s (the algorithm's own limit).
     */
    public int maxKeyLength() {
        return maxKeyLength;
    }

    /** Parses a babeld type name ({@code hmac-sha256}, {@code blake2s128}). */
    public static MacAlgorithm parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (MacAlgorithm a : values())
            if (a.configName.equals(n))
                return a;
        throw new IllegalArgumentException("unknown MAC algorithm '" + name
                + "' (expected hmac-sha256 or blake2s128)");
    }

    @Override
    public String toString() {
        return configName;
    }
}
