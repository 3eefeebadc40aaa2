package re6st.pki;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAKey;
import javax.crypto.Cipher;

/**
 * The RSA operations of the registry protocol, as the original does them: encryption with
 * PKCS#1 v1.5 padding ({@code openssl rsautl -encrypt}: the hello secret, the Babel MAC keys,
 * the bootstrap peer) and signatures PKCS#1 v1.5 with SHA-512 ({@code crypto.sign(key, data,
 * 'sha512')}: the hello response, the network-config version). JDK providers only; a fresh
 * Cipher/Signature per call, so every method is thread-safe.
 */
public final class Rsa {
    public static final String SIGNATURE = "SHA512withRSA";
    private static final String CIPHER = "RSA/ECB/PKCS1Padding";

    private Rsa() {
    }

    /** PKCS#1 v1.5 encryption (randomised); the result has the key's modulus length. */
    public static byte[] encrypt(PublicKey key, byte[] plain) {
        requireRsa(key);
        if (plain.length > modulusBytes(key) - 11)
            throw new IllegalArgumentException(plain.length + " bytes do not fit in one PKCS#1 v1.5 block of a "
                    + bits(key) + "-bit key (at most " + (modulusBytes(key) - 11) + ")");
        try {
            Cipher c = Cipher.getInstance(CIPHER);
            c.init(Cipher.ENCRYPT_MODE, key);
            return c.doFinal(plain);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA encryption failed: " + e, e); // a JDK without RSA
        }
    }

    /** PKCS#1 v1.5 decryption; a wrong key or a damaged block is a GeneralSecurityException. */
    public static byte[] decrypt(PrivateKey key, byte[] cipherText) throws GeneralSecurityException {
        requireRsa(key);
        Cipher c = Cipher.getInstance(CIPHER);
        c.init(Cipher.DECRYPT_MODE, key);
        return c.doFinal(cipherText);
    }

    /** PKCS#1 v1.5 signature with SHA-512. */
    public static byte[] sign(PrivateKey key, byte[] data) {
        requireRsa(key);
        try {
            Signature s = Signature.getInstance(SIGNATURE);
            s.initSign(key);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA signature failed: " + e, e);
        }
    }

    /** Whether {@code signature} is a PKCS#1 v1.5 SHA-512 signature of {@code data}; never throws for bad input. */
    public static boolean verify(PublicKey key, byte[] data, byte[] signature) {
        requireRsa(key);
        try {
            Signature s = Signature.getInstance(SIGNATURE);
            s.initVerify(key);
            s.update(data);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // e.g. a signature of the wrong length
        }
    }

    public static int bits(java.security.Key key) {
        return ((RSAKey) requireRsa(key)).getModulus().bitLength();
    }

    /** Length in bytes of every ciphertext and signature made with this key. */
    public static int modulusBytes(java.security.Key key) {
        return (bits(key) + 7) / 8;
    }

    private static java.security.Key requireRsa(java.security.Key key) {
        if (!(key instanceof RSAKey))
            throw new IllegalArgumentException("an RSA key is needed, not " + (key == null ? "null" : key.getAlgorithm()));
        return key;
    }
}
