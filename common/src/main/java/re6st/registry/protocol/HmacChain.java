package re6st.registry.protocol;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key chain that authenticates calls after {@code hello}. With the current key K (first the
 * hello secret):
 * <ul>
 * <li>the request carries {@code Re6stHMAC: base64(HMAC-SHA1(K, path_with_query))}: the server
 * computes it over the path and query as received, the client over
 * {@code '/' + name + '?' + query} (without any base path of the registry URL);</li>
 * <li>the response carries {@code Re6stHMAC: base64(HMAC-SHA1(SHA1(K), body))} (an empty body for 204);</li>
 * <li>the next request uses {@code SHA1(SHA1(K))}: each key is used once, so a replayed request
 * finds the server one step further and is refused.</li>
 * </ul>
 * Paths are hashed as the bytes of the request line: each char is one byte (ISO-8859-1, which
 * is how Netty and Python 2 see them; a real query is URL-encoded ASCII). MACs are compared in
 * constant time. The static methods are pure; an instance is a client's position in the chain.
 */
public final class HmacChain {
    public static final String HEADER = "Re6stHMAC";

    /** One call of a client: the header to send, and how to check the answer. */
    public record Step(byte[] key, String requestHeader) {
        public boolean responseValid(byte[] body, String header) {
            return verifyResponse(key, body, header);
        }
    }

    private byte[] key;

    /** A client's chain starting at the hello secret. */
    public HmacChain(byte[] secret) {
        this.key = secret.clone();
    }

    /** Signs the next call and moves the chain forward (the client's order: the key is spent before the answer). */
    public synchronized Step step(String pathWithQuery) {
        Step s = new Step(key, requestHeader(key, pathWithQuery));
        key = nextKey(key);
        return s;
    }

    public static byte[] requestMac(byte[] key, String pathWithQuery) {
        return hmacSha1(key, bytes(pathWithQuery));
    }

    public static String requestHeader(byte[] key, String pathWithQuery) {
        return Base64.getEncoder().encodeToString(requestMac(key, pathWithQuery));
    }

    /** Whether {@code header} is the request MAC of {@code pathWithQuery} under {@code key}; false for a missing or undecodable header. */
    public static boolean verifyRequest(byte[] key, String pathWithQuery, String header) {
        return macEquals(requestMac(key, pathWithQuery), header);
    }

    /** The key of the response MAC: SHA1(K). */
    public static byte[] responseKey(byte[] key) {
        return sha1(key);
    }

    public static String responseHeader(byte[] key, byte[] body) {
        return Base64.getEncoder().encodeToString(hmacSha1(responseKey(key), body));
    }

    public static boolean verifyResponse(byte[] key, byte[] body, String header) {
        return macEquals(hmacSha1(responseKey(key), body), header);
    }

    /** The key of the next call: SHA1(SHA1(K)). */
    public static byte[] nextKey(byte[] key) {
        return sha1(sha1(key));
    }

    static boolean macEquals(byte[] expected, String header) {
        if (header == null)
            return false;
        byte[] got;
        try {
            got = Base64.getDecoder().decode(header.trim());
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(expected, got); // constant time for equal lengths
    }

    static byte[] hmacSha1(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key, "HmacSHA1")); // an empty key is refused: chain keys have 20 bytes
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA1: " + e, e);
        }
    }

    static byte[] sha1(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] bytes(String s) {
        byte[] b = new byte[s.length()];
        for (int i = 0; i < b.length; i++) {
            char c = s.charAt(i);
            if (c > 0xFF)
                throw new IllegalArgumentException("request path has character U+" + Integer.toHexString(c)
                        + " at " + i + ": URL-encode it");
            b[i] = (byte) c;
        }
        return b;
    }
}
