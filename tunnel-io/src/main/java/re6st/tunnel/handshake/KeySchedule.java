package re6st.tunnel.handshake;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

import re6st.tunnel.data.DataKey;

/**
 * Data-channel keys of one session, for every rekey generation.
 *
 * <p>Derivation (documented choice): right after the DTLS 1.2 handshake both ends export
 * {@value #SECRET_LENGTH} bytes with the RFC 5705 exporter, label {@value #EXPORTER_LABEL}, no
 * context (the handshake requires the extended master secret, RFC 7627, so the export is bound to
 * the whole transcript). The key of direction d for generation g is then
 * {@code HKDF-Expand-SHA256(exported, "re6st data " + d + " " || uint64(g), 36)}: the first 32
 * bytes are the AES-256 key, the last 4 the nonce salt; d is "c2s" or "s2c". The {@link DataKey}
 * epoch on the wire is {@code g mod 256}; the generation itself never wraps (64 bits), so a key
 * and its nonces are never reused within a session.
 *
 * <p>Rekeying thus needs no message exchange beyond "switch to generation g". Forward secrecy
 * holds across sessions (ECDHE), not across generations of one session: whoever reads this
 * object's memory gets every generation. For that, a new handshake (new ECDHE) replaces the
 * session periodically. {@link #destroy()} wipes the secret.
 */
public final class KeySchedule {
    public static final String EXPORTER_LABEL = "EXPORTER-re6st-data";
    public static final int SECRET_LENGTH = 32;

    private final byte[] secret;
    private final boolean client;
    private volatile boolean destroyed;

    /**
     * @param exported the RFC 5705 export (normally made by {@link DtlsHandshake}; tests and
     *                 benchmarks give both ends the same random bytes); @param client whether we
     *                 are the DTLS client
     */
    public KeySchedule(byte[] exported, boolean client) {
        if (exported.length != SECRET_LENGTH)
            throw new IllegalArgumentException("exported secret must be " + SECRET_LENGTH + " bytes");
        this.secret = exported.clone();
        this.client = client;
    }

    /** Our sending key for rekey generation {@code generation} (0 = the first). */
    public DataKey sendKey(long generation) {
        return derive(client ? "c2s" : "s2c", generation);
    }

    /** The peer's sending key (our receiving key) for {@code generation}. */
    public DataKey receiveKey(long generation) {
        return derive(client ? "s2c" : "c2s", generation);
    }

    private DataKey derive(String direction, long generation) {
        if (generation < 0)
            throw new IllegalArgumentException("negative generation " + generation);
        if (destroyed)
            throw new IllegalStateException("key schedule destroyed");
        byte[] label = ("re6st data " + direction + " ").getBytes(StandardCharsets.US_ASCII);
        byte[] info = ByteBuffer.allocate(label.length + 8).put(label).putLong(generation).array();
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(HKDFParameters.skipExtractParameters(secret, info));
        byte[] okm = new byte[36];
        hkdf.generateBytes(okm, 0, okm.length);
        try {
            return new DataKey(Arrays.copyOfRange(okm, 0, 32), Arrays.copyOfRange(okm, 32, 36), (int) (generation & 0xff));
        } finally {
            Arrays.fill(okm, (byte) 0);
        }
    }

    /**
     * The session tag of this schedule's data packets (byte 2 of their header): {@code
     * HKDF-Expand-SHA256(exported, "re6st session tag", 1)}, the same at both ends. It tells a
     * renewed session's packets from the previous session's while both are in use; the endpoint
     * refuses a renewal whose tag equals one of the keys it holds (1 chance in 256) and tries again.
     */
    public int sessionTag() {
        if (destroyed)
            throw new IllegalStateException("key schedule destroyed");
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(HKDFParameters.skipExtractParameters(secret, "re6st session tag".getBytes(StandardCharsets.US_ASCII)));
        byte[] t = new byte[1];
        hkdf.generateBytes(t, 0, 1);
        return t[0] & 0xff;
    }

    /** Whether {@link #destroy()} wiped the secret. */
    public boolean isDestroyed() {
        return destroyed;
    }

    /** Wipes the session secret; later derivations throw. */
    public void destroy() {
        destroyed = true;
        Arrays.fill(secret, (byte) 0);
    }

    @Override
    public String toString() {
        return "KeySchedule[" + (client ? "client" : "server") + (destroyed ? ", destroyed" : "") + "]"; // never the secret
    }
}
