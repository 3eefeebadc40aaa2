package re6st.peer;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The authenticated data messages of a peer session (spec/peer-protocol.md section 4): HMAC-SHA1
 * under the 20-byte session secret, used as is in both directions, over seqno and payload.
 */
public final class DataMessages {
    /** The session secret's length: 8-byte microsecond time, then 12 random bytes (as the registry's hello secret). */
    public static final int SECRET_LENGTH = 20;

    private DataMessages() {
    }

    /** The message {@code seqno} carrying {@code payload} (empty, or a code byte and a body). */
    public static PeerPacket.Data seal(byte[] secret, long seqno, byte[] payload) {
        byte[] unsigned = new PeerPacket.Data(seqno, payload, new byte[PeerPacket.HMAC_LENGTH]).signedPart();
        return new PeerPacket.Data(seqno, payload, hmac(secret, unsigned));
    }

    /** A code byte and its body. */
    public static byte[] payload(int code, byte[] body) {
        if (code < 0 || code > 255)
            throw new IllegalArgumentException("code " + code + " outside 0..255");
        byte[] p = new byte[1 + body.length];
        p[0] = (byte) code;
        System.arraycopy(body, 0, p, 1, body.length);
        return p;
    }

    /** Whether {@code m}'s HMAC was made with {@code secret} (constant time). */
    public static boolean authentic(byte[] secret, PeerPacket.Data m) {
        return MessageDigest.isEqual(hmac(secret, m.signedPart()), m.hmac());
    }

    static byte[] hmac(byte[] secret, byte[] data) {
        if (secret.length != SECRET_LENGTH)
            throw new IllegalArgumentException("a session secret has " + SECRET_LENGTH + " bytes, not " + secret.length);
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret, "HmacSHA1"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no HmacSHA1", e);
        }
    }
}
