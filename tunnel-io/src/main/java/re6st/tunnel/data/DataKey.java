package re6st.tunnel.data;

import java.util.Arrays;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * One direction's data-channel key: AES-256 key, 4-byte nonce salt, and the epoch (rekey
 * generation, mod 256) carried in every packet so the receiver picks the right key during a
 * rollover. Derived from the handshake (never chosen by hand); the key bytes are not printed.
 */
public final class DataKey {
    final SecretKey key;
    final byte[] salt;
    final int epoch;

    /** @param key32 32 bytes of AES-256 key; @param salt4 4 bytes; @param epoch 0..255 */
    public DataKey(byte[] key32, byte[] salt4, int epoch) {
        if (key32.length != 32)
            throw new IllegalArgumentException("AES-256 needs a 32-byte key, got " + key32.length);
        if (salt4.length != 4)
            throw new IllegalArgumentException("nonce salt must be 4 bytes, got " + salt4.length);
        if (epoch < 0 || epoch > 255)
            throw new IllegalArgumentException("epoch " + epoch + " outside 0..255");
        this.key = new SecretKeySpec(key32, "AES");
        this.salt = salt4.clone();
        this.epoch = epoch;
    }

    public int epoch() {
        return epoch;
    }

    @Override
    public String toString() {
        return "DataKey[epoch " + epoch + ", salt " + Arrays.hashCode(salt) + "]"; // never the key
    }
}
