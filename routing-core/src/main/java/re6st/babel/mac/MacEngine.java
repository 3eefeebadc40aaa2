package re6st.babel.mac;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Computes one key's RFC 8967 MAC again and again without allocating: the digest objects, the
 * HMAC pads and the inner hash buffer are made once, at construction. {@link MacKey#compute} is
 * the one-shot form. Not thread-safe: one engine per key per thread (a {@link PacketProtector}
 * holds its own).
 */
final class MacEngine {
    private static final int SHA256_BLOCK = 64;
    private static final int SHA256_LENGTH = 32;

    private final MacKey key;
    private final MessageDigest sha;    // HMAC-SHA256 only
    private final byte[] ipad, opad;    // the key zero-padded to the block, xor 0x36 / 0x5c (babeld never hashes it)
    private final byte[] inner;
    private final Blake2s blake;        // BLAKE2s-128 only; doFinal resets it to the keyed state

    MacEngine(MacKey key) {
        this.key = key;
        byte[] value = key.value();
        if (key.algorithm() == MacAlgorithm.HMAC_SHA256) {
            sha = sha256();
            ipad = new byte[SHA256_BLOCK];
            opad = new byte[SHA256_BLOCK];
            for (int i = 0; i < SHA256_BLOCK; i++) {
                byte k = i < value.length ? value[i] : 0;
                ipad[i] = (byte) (k ^ 0x36);
                opad[i] = (byte) (k ^ 0x5c);
            }
            inner = new byte[SHA256_LENGTH];
            blake = null;
        } else {
            sha = null;
            ipad = opad = inner = null;
            blake = new Blake2s(value, key.digestLength());
        }
    }

    MacKey key() {
        return key;
    }

    int digestLength() {
        return key.digestLength();
    }

    /**
     * Writes the MAC of {@code prefix} (the 36-byte pseudo-header prefix) followed by
     * {@code packet[off .. off+len)} (packet header and body) at {@code out[outOff ..
     * outOff+digestLength())}.
     */
    void compute(byte[] prefix, byte[] packet, int off, int len, byte[] out, int outOff) {
        if (sha != null) {
            try {
                sha.update(ipad);
                sha.update(prefix);
                sha.update(packet, off, len);
                sha.digest(inner, 0, SHA256_LENGTH);
                sha.update(opad);
                sha.update(inner);
                sha.digest(out, outOff, SHA256_LENGTH);
            } catch (DigestException e) {
                throw new IllegalArgumentException("no room for a " + SHA256_LENGTH + "-byte MAC at " + outOff, e);
            }
        } else {
            blake.update(prefix, 0, prefix.length);
            blake.update(packet, off, len);
            blake.doFinal(out, outOff);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
