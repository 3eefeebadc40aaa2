package re6st.peer;

import java.nio.ByteBuffer;
import java.util.Arrays;

import re6st.net.PackedInteger;
import re6st.peer.MalformedPeerPacketException.Reason;

/**
 * A datagram of the peer protocol on UDP 326 between overlay addresses, byte for byte as the
 * original's (spec/peer-protocol.md sections 3 and 4; Nexedi re6stnet re6st/x509.py): a 4-byte
 * big-endian seqno, then by seqno
 * <ul>
 * <li>0: {@link Hello0}, the sender's DER certificate;</li>
 * <li>1: {@link Hello0Fingerprint}, the sender's packed protocol, SHA-1 of the receiver's
 * certificate as the sender knows it, the sender's DER certificate;</li>
 * <li>2: {@link Hello}, [packed protocol,] the new session secret RSA-encrypted to the receiver,
 * the sender's signature of that (two halves of the modulus length);</li>
 * <li>3 and more: {@link Data}, a payload (empty, or a code byte and a body) and HMAC-SHA1 of
 * seqno and payload under the session secret.</li>
 * </ul>
 * Pure codec: no cryptography but the layout (the caller verifies certificates, signatures and
 * HMACs, see {@link DataMessages}); parsing never throws anything but a counted
 * {@link MalformedPeerPacketException}, and never changes its input.
 */
public sealed interface PeerPacket permits PeerPacket.Hello0, PeerPacket.Hello0Fingerprint, PeerPacket.Hello, PeerPacket.Data {
    int SEQNO_HELLO0 = 0, SEQNO_HELLO0_FINGERPRINT = 1, SEQNO_HELLO = 2, FIRST_DATA_SEQNO = 3;
    int FINGERPRINT_LENGTH = 20, HMAC_LENGTH = 20;
    /** A datagram is read into a buffer of this size at most (tunnel.py). */
    int MAX_DATAGRAM = 65536;

    /** The seqno of this datagram. */
    long seqno();

    /** The datagram's bytes. */
    byte[] encode();

    /** seqno 0: the sender's certificate, without knowledge of ours. */
    record Hello0(byte[] certificate) implements PeerPacket {
        public Hello0 {
            certificate = certificate.clone();
        }

        @Override
        public long seqno() {
            return SEQNO_HELLO0;
        }

        @Override
        public byte[] certificate() {
            return certificate.clone();
        }

        @Override
        public byte[] encode() {
            return concat(seqnoBytes(SEQNO_HELLO0), certificate);
        }
    }

    /**
     * seqno 1: the sender's protocol, the fingerprint of the receiver's certificate as the sender
     * knows it, and the sender's certificate. A protocol-0 peer sends no protocol field: a receiver
     * whose certificate check fails on the first reading tries {@link #asLegacy()}.
     *
     * @param protocol the sender's protocol (0 for the legacy form)
     */
    record Hello0Fingerprint(long protocol, byte[] fingerprint, byte[] certificate, byte[] body) implements PeerPacket {
        public Hello0Fingerprint {
            fingerprint = fingerprint.clone();
            certificate = certificate.clone();
            body = body.clone();
            if (fingerprint.length != FINGERPRINT_LENGTH)
                throw new IllegalArgumentException("a fingerprint has " + FINGERPRINT_LENGTH + " bytes, not " + fingerprint.length);
        }

        /** What we send: always with our protocol. */
        public static Hello0Fingerprint of(long protocol, byte[] fingerprint, byte[] certificate) {
            byte[] body = concat(PackedInteger.pack(protocol), fingerprint, certificate);
            return new Hello0Fingerprint(protocol, fingerprint, certificate, body);
        }

        /** The same bytes read as a protocol-0 peer wrote them: no protocol field. */
        public Hello0Fingerprint asLegacy() throws MalformedPeerPacketException {
            if (body.length < FINGERPRINT_LENGTH + 1)
                throw new MalformedPeerPacketException(Reason.TRUNCATED, "seqno 1 (legacy): " + body.length + " bytes");
            return new Hello0Fingerprint(0, Arrays.copyOf(body, FINGERPRINT_LENGTH),
                    Arrays.copyOfRange(body, FINGERPRINT_LENGTH, body.length), body);
        }

        @Override
        public long seqno() {
            return SEQNO_HELLO0_FINGERPRINT;
        }

        @Override
        public byte[] fingerprint() {
            return fingerprint.clone();
        }

        @Override
        public byte[] certificate() {
            return certificate.clone();
        }

        @Override
        public byte[] body() {
            return body.clone();
        }

        @Override
        public byte[] encode() {
            return concat(seqnoBytes(SEQNO_HELLO0_FINGERPRINT), body);
        }
    }

    /**
     * seqno 2: a new session secret, RSA-encrypted to the receiver, signed by the sender; the
     * protocol field is there iff the receiver told a non-zero protocol in its seqno 1, which the
     * receiver knows, so it parses with {@link #parseHello}.
     *
     * @param protocol the sender's protocol, or -1 when the field is absent
     */
    record Hello(long protocol, byte[] encrypted, byte[] signature) implements PeerPacket {
        public Hello {
            encrypted = encrypted.clone();
            signature = signature.clone();
            if (encrypted.length != signature.length || encrypted.length == 0)
                throw new IllegalArgumentException("the encrypted secret and its signature have the key's length: "
                        + encrypted.length + " and " + signature.length);
        }

        @Override
        public long seqno() {
            return SEQNO_HELLO;
        }

        @Override
        public byte[] encrypted() {
            return encrypted.clone();
        }

        @Override
        public byte[] signature() {
            return signature.clone();
        }

        @Override
        public byte[] encode() {
            return concat(seqnoBytes(SEQNO_HELLO), protocol < 0 ? new byte[0] : PackedInteger.pack(protocol), encrypted, signature);
        }
    }

    /**
     * seqno 3 and more: {@code payload} (empty: an ack or a null send; else a code byte and a
     * body) and {@code hmac}, HMAC-SHA1 over seqno and payload under the session secret.
     */
    record Data(long seqno, byte[] payload, byte[] hmac) implements PeerPacket {
        public Data {
            if (seqno < FIRST_DATA_SEQNO || seqno > 0xffff_ffffL)
                throw new IllegalArgumentException("a data message's seqno is 3..2^32-1, not " + seqno);
            payload = payload.clone();
            hmac = hmac.clone();
            if (hmac.length != HMAC_LENGTH)
                throw new IllegalArgumentException("an HMAC-SHA1 has " + HMAC_LENGTH + " bytes, not " + hmac.length);
        }

        @Override
        public byte[] payload() {
            return payload.clone();
        }

        @Override
        public byte[] hmac() {
            return hmac.clone();
        }

        /** The code byte (0..255, relay bit included), or -1 for an empty payload. */
        public int code() {
            return payload.length == 0 ? -1 : payload[0] & 0xff;
        }

        /** What follows the code byte. */
        public byte[] body() {
            return payload.length <= 1 ? new byte[0] : Arrays.copyOfRange(payload, 1, payload.length);
        }

        /** The bytes the HMAC covers: seqno and payload. */
        public byte[] signedPart() {
            return concat(seqnoBytes(seqno), payload);
        }

        @Override
        public byte[] encode() {
            return concat(seqnoBytes(seqno), payload, hmac);
        }
    }

    /**
     * Reads one datagram. A seqno 2 is read with its protocol field (current peers); a receiver
     * that told protocol 0 re-reads it with {@link #parseHello}({@code ..., false}).
     */
    static PeerPacket parse(byte[] b, int off, int len) throws MalformedPeerPacketException {
        if (off < 0 || len < 0 || len > b.length - off)
            throw new IllegalArgumentException("range " + off + "+" + len + " outside " + b.length + " bytes");
        if (len < 4)
            throw new MalformedPeerPacketException(Reason.TRUNCATED, "datagram of " + len + " bytes: no seqno");
        long seqno = ByteBuffer.wrap(b, off, 4).getInt() & 0xffff_ffffL;
        byte[] rest = Arrays.copyOfRange(b, off + 4, off + len);
        if (seqno == SEQNO_HELLO0) {
            if (rest.length == 0)
                throw new MalformedPeerPacketException(Reason.NO_CERTIFICATE, "seqno 0 without a certificate");
            return new Hello0(rest);
        }
        if (seqno == SEQNO_HELLO0_FINGERPRINT) {
            PackedInteger.Unpacked p = protocol(rest, "seqno 1");
            if (rest.length < p.length() + FINGERPRINT_LENGTH + 1)
                throw new MalformedPeerPacketException(rest.length < p.length() + FINGERPRINT_LENGTH ? Reason.TRUNCATED
                        : Reason.NO_CERTIFICATE, "seqno 1 of " + len + " bytes: no room for the fingerprint and a certificate");
            int f = p.length();
            return new Hello0Fingerprint(p.value(), Arrays.copyOfRange(rest, f, f + FINGERPRINT_LENGTH),
                    Arrays.copyOfRange(rest, f + FINGERPRINT_LENGTH, rest.length), rest);
        }
        if (seqno == SEQNO_HELLO)
            return parseHello(rest, true);
        if (rest.length < HMAC_LENGTH)
            throw new MalformedPeerPacketException(Reason.TRUNCATED, "data message of " + len + " bytes: no room for its HMAC");
        return new Data(seqno, Arrays.copyOf(rest, rest.length - HMAC_LENGTH), Arrays.copyOfRange(rest, rest.length - HMAC_LENGTH,
                rest.length));
    }

    /** The body of a seqno 2 (after the seqno), with or without the protocol field. */
    static Hello parseHello(byte[] rest, boolean withProtocol) throws MalformedPeerPacketException {
        long protocol = -1;
        int from = 0;
        if (withProtocol) {
            PackedInteger.Unpacked p = protocol(rest, "seqno 2");
            protocol = p.value();
            from = p.length();
        }
        int n = rest.length - from;
        if (n == 0 || n % 2 != 0)
            throw new MalformedPeerPacketException(Reason.ODD_HELLO, "seqno 2 with " + n
                    + " bytes after the protocol: not an encrypted secret and a signature of one length");
        return new Hello(protocol, Arrays.copyOfRange(rest, from, from + n / 2), Arrays.copyOfRange(rest, from + n / 2, rest.length));
    }

    private static PackedInteger.Unpacked protocol(byte[] rest, String what) throws MalformedPeerPacketException {
        if (rest.length == 0)
            throw new MalformedPeerPacketException(Reason.TRUNCATED, what + " without a protocol");
        try {
            return PackedInteger.unpack(rest, 0);
        } catch (IllegalArgumentException e) {
            throw new MalformedPeerPacketException(Reason.BAD_PROTOCOL, what + ": " + e.getMessage());
        }
    }

    private static byte[] seqnoBytes(long seqno) {
        return ByteBuffer.allocate(4).putInt((int) seqno).array();
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts)
            n += p.length;
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
