package re6st.registry.protocol;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SignatureException;
import java.util.Arrays;
import java.util.Base64;

import re6st.net.PackedInteger;
import re6st.pki.CaSigner;
import re6st.pki.Rsa;

/**
 * The network-config version: {@code packInteger(n) || CA_sign(packInteger(n))}, the signature
 * PKCS#1 v1.5 with SHA-512 like the hello response (the original's {@code Cert.sign} is
 * {@code crypto.sign(key, data, 'sha512')}, checked by nodes with {@code Cert.verifyVersion}).
 * Nodes flood it through the mesh: the order-preserving packing lets them compare versions
 * without decoding, the signature lets them trust one they did not get from the registry.
 * Stored as is in {@code config.version}; a registry that never bumped it has
 * {@link #INITIAL}, the unsigned packInteger(0).
 */
public final class NetworkVersion {
    /** The original's default {@code "\0"}: number 0, no signature. */
    public static final NetworkVersion INITIAL = new NetworkVersion(0, new byte[] {0});

    private final long number;
    private final byte[] encoded;

    private NetworkVersion(long number, byte[] encoded) {
        this.number = number;
        this.encoded = encoded;
    }

    public static NetworkVersion signed(long number, CaSigner ca) {
        byte[] packed = PackedInteger.pack(number);
        byte[] sig = ca.sign(packed);
        byte[] out = Arrays.copyOf(packed, packed.length + sig.length);
        System.arraycopy(sig, 0, out, packed.length, sig.length);
        return new NetworkVersion(number, out);
    }

    /** The next version, signed ({@code increaseVersion}). */
    public NetworkVersion next(CaSigner ca) {
        return signed(number + 1, ca);
    }

    /**
     * A version as stored by a registry (ours or the original's); its signature is not checked.
     *
     * @throws IllegalArgumentException if it does not start with a packed integer
     */
    public static NetworkVersion decode(byte[] stored) {
        if (stored.length == 0)
            throw new IllegalArgumentException("empty network version");
        return new NetworkVersion(PackedInteger.unpack(stored, 0).value(), stored.clone());
    }

    /** A version received by a node: its signature must verify with the CA key. */
    public static NetworkVersion verify(byte[] encoded, PublicKey caKey) throws GeneralSecurityException {
        PackedInteger.Unpacked n;
        try {
            n = PackedInteger.unpack(encoded, 0);
        } catch (RuntimeException e) {
            throw new SignatureException("invalid network version: " + e.getMessage());
        }
        byte[] packed = Arrays.copyOf(encoded, n.length());
        byte[] sig = Arrays.copyOfRange(encoded, n.length(), encoded.length);
        if (!Rsa.verify(caKey, packed, sig))
            throw new SignatureException("invalid network version: the CA signature of version " + n.value() + " does not verify");
        return new NetworkVersion(n.value(), encoded.clone());
    }

    /** Decodes the base64 of the network config ('\n's allowed: the original writes MIME base64). */
    public static byte[] base64Decode(String text) {
        return Base64.getMimeDecoder().decode(text);
    }

    public long number() {
        return number;
    }

    public byte[] encoded() {
        return encoded.clone();
    }

    /** The {@code version} value of the network config (plain base64, one line). */
    public String base64() {
        return Base64.getEncoder().encodeToString(encoded);
    }

    public boolean isSigned() {
        return encoded.length > PackedInteger.pack(number).length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NetworkVersion v && Arrays.equals(encoded, v.encoded);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encoded);
    }

    @Override
    public String toString() {
        return "NetworkVersion[" + number + (isSigned() ? ", signed" : ", unsigned") + "]";
    }
}
