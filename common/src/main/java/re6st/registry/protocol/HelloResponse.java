package re6st.registry.protocol;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.SignatureException;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;

import re6st.pki.CaSigner;
import re6st.pki.Rsa;

/**
 * The {@code hello} exchange that starts an authenticated session. The registry makes a secret
 * K of {@link #SECRET_LENGTH} bytes (an 8-byte big-endian microsecond timestamp, then 12 random
 * bytes: the original's newHmacSecret) and answers
 * {@code RSA_PKCS1v15_encrypt(node key, K) || RSA_PKCS1v15_SHA512_sign(CA key, encrypted)};
 * both halves have the key length, which is why node keys have the CA key's size. The node
 * checks the signature with the CA certificate and decrypts K ({@link #open}), then uses K in
 * the {@link HmacChain}.
 */
public final class HelloResponse {
    public static final int SECRET_LENGTH = 20;

    private HelloResponse() {
    }

    /** A new K: microseconds since the epoch (big-endian), then 12 random bytes. */
    public static byte[] newSecret(Clock clock, SecureRandom random) {
        Instant now = clock.instant();
        long micros = Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000L), now.getNano() / 1_000);
        byte[] k = new byte[SECRET_LENGTH];
        ByteBuffer.wrap(k).putLong(micros);
        byte[] r = new byte[SECRET_LENGTH - 8];
        random.nextBytes(r);
        System.arraycopy(r, 0, k, 8, r.length);
        return k;
    }

    /**
     * The registry's answer: K encrypted to the node's key, then the CA's signature of that.
     *
     * @throws IllegalArgumentException if the node key's size is not the CA key's (the original
     *                                  fails the same way; the CA refuses such requests)
     */
    public static byte[] build(byte[] secret, PublicKey nodeKey, CaSigner ca) {
        if (Rsa.modulusBytes(nodeKey) != Rsa.modulusBytes(ca.publicKey()))
            throw new IllegalArgumentException("node key of " + Rsa.bits(nodeKey) + " bits, CA key of " + Rsa.bits(ca.publicKey())
                    + " bits: the hello response needs keys of one size");
        byte[] encrypted = Rsa.encrypt(nodeKey, secret);
        byte[] signature = ca.sign(encrypted);
        byte[] out = Arrays.copyOf(encrypted, encrypted.length + signature.length);
        System.arraycopy(signature, 0, out, encrypted.length, signature.length);
        return out;
    }

    /**
     * The node's side: checks the CA signature over the first half, decrypts K from it.
     *
     * @throws GeneralSecurityException (a SignatureException for a bad layout or signature) if
     *                                  the response is not from the CA or not for this key
     */
    public static byte[] open(byte[] response, PublicKey caKey, PrivateKey nodeKey) throws GeneralSecurityException {
        int n = Rsa.modulusBytes(caKey);
        if (response.length != 2 * n)
            throw new SignatureException("hello response of " + response.length + " bytes: expected 2 x " + n
                    + " (encrypted secret and CA signature)");
        byte[] encrypted = Arrays.copyOf(response, n);
        if (!Rsa.verify(caKey, encrypted, Arrays.copyOfRange(response, n, 2 * n)))
            throw new SignatureException("hello response: the CA signature does not verify");
        byte[] secret = Rsa.decrypt(nodeKey, encrypted);
        if (secret.length != SECRET_LENGTH)
            throw new SignatureException("hello response: secret of " + secret.length + " bytes, expected " + SECRET_LENGTH);
        return secret;
    }
}
