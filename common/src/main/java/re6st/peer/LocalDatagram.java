package re6st.peer;

import java.nio.charset.StandardCharsets;

/**
 * The plaintext framing between the registry and its co-located node on {@code [::1]:326}
 * (spec/peer-protocol.md 6.1): {@code <prefix as ASCII '0'/'1'> 00 <code byte> [body]}. A
 * request names the target node prefix and has no body; an answer names the responder and
 * carries the body. One codec for both sides (registry and node).
 *
 * @param prefix the node prefix, 1 to 128 characters '0'/'1'
 * @param code   the code byte, 0..255 (the node clears the relay bit in answers)
 * @param body   raw body bytes (ASCII or a version blob); empty for a request
 */
public record LocalDatagram(String prefix, int code, byte[] body) {
    /** Longest node prefix (a /128 in a /0 network, in theory). */
    public static final int MAX_PREFIX = 128;

    public LocalDatagram {
        if (!validPrefix(prefix))
            throw new IllegalArgumentException("not a node prefix: '" + prefix + "' (1 to 128 characters 0/1)");
        if (code < 0 || code > 255)
            throw new IllegalArgumentException("code " + code + " outside 0..255");
        body = body.clone();
    }

    public static LocalDatagram request(String prefix, int code) {
        return new LocalDatagram(prefix, code, new byte[0]);
    }

    /** The body as text (UTF-8; answers other than versions are ASCII). */
    public String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    public byte[] encode() {
        byte[] out = new byte[prefix.length() + 2 + body.length];
        for (int i = 0; i < prefix.length(); i++)
            out[i] = (byte) prefix.charAt(i);
        out[prefix.length() + 1] = (byte) code;
        System.arraycopy(body, 0, out, prefix.length() + 2, body.length);
        return out;
    }

    /**
     * Decodes one datagram; null when it is not this framing (no NUL after 1..128 '0'/'1'
     * characters, or no code byte). Never throws on any input.
     */
    public static LocalDatagram decode(byte[] b, int off, int len) {
        if (off < 0 || len < 0 || len > b.length - off)
            return null;
        int nul = -1;
        for (int i = 0; i < Math.min(len, MAX_PREFIX + 1); i++) {
            byte c = b[off + i];
            if (c == 0) {
                nul = i;
                break;
            }
            if (c != '0' && c != '1')
                return null;
        }
        if (nul < 1 || nul + 1 >= len)
            return null;
        byte[] body = java.util.Arrays.copyOfRange(b, off + nul + 2, off + len);
        return new LocalDatagram(new String(b, off, nul, StandardCharsets.US_ASCII), b[off + nul + 1] & 0xff, body);
    }

    static boolean validPrefix(String p) {
        if (p == null || p.isEmpty() || p.length() > MAX_PREFIX)
            return false;
        for (int i = 0; i < p.length(); i++)
            if (p.charAt(i) != '0' && p.charAt(i) != '1')
                return false;
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LocalDatagram d && d.prefix.equals(prefix) && d.code == code && java.util.Arrays.equals(d.body, body);
    }

    @Override
    public int hashCode() {
        return prefix.hashCode() * 31 * 31 + code * 31 + java.util.Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "LocalDatagram[" + prefix + ", code " + code + ", " + body.length + " bytes]";
    }
}
