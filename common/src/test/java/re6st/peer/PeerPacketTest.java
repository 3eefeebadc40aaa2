package re6st.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

import re6st.peer.MalformedPeerPacketException.Reason;

/** The peer datagrams byte for byte as spec/peer-protocol.md section 8 gives them (2048-bit keys, protocol 10). */
class PeerPacketTest {
    static final HexFormat HEX = HexFormat.of();
    static final byte[] SECRET = new byte[20];
    static {
        for (int i = 0; i < 20; i++)
            SECRET[i] = (byte) (i + 1);
    }

    static PeerPacket parse(byte[] b) throws MalformedPeerPacketException {
        return PeerPacket.parse(b, 0, b.length);
    }

    @Test
    void dataMessagesAsTheOriginalSignsThem() throws Exception {
        // HMAC-SHA1 expected values from Python's hmac module (as the original computes them)
        PeerPacket.Data ask = DataMessages.seal(SECRET, 3, DataMessages.payload(PeerCode.ADDRESS, new byte[0]));
        assertEquals("00000003" + "01" + "95c55890e45c284312fa54deeb1eb8e45b756e71", HEX.formatHex(ask.encode()));
        assertEquals(25, ask.encode().length, "the address request of section 8");
        PeerPacket.Data ack = DataMessages.seal(SECRET, 4, new byte[0]);
        assertEquals("00000004" + "fb7af6dee5221d2e21a1982d63a31fe4b4f9ccaa", HEX.formatHex(ack.encode()));
        assertEquals(24, ack.encode().length, "an empty ack");

        PeerPacket.Data back = assertInstanceOf(PeerPacket.Data.class, parse(ask.encode()));
        assertEquals(3, back.seqno());
        assertEquals(PeerCode.ADDRESS, back.code());
        assertEquals(0, back.body().length);
        assertTrue(DataMessages.authentic(SECRET, back));
        byte[] other = SECRET.clone();
        other[19] ^= 1;
        assertFalse(DataMessages.authentic(other, back), "another session's key");
        byte[] flipped = ask.encode();
        flipped[4] ^= (byte) 0x80; // the relay bit, not signed that way
        assertFalse(DataMessages.authentic(SECRET, (PeerPacket.Data) parse(flipped)));
        assertEquals(-1, ((PeerPacket.Data) parse(ack.encode())).code(), "empty payload: no code");
    }

    @Test
    void relayedAnswerCarriesCodeAndBody() throws Exception {
        PeerPacket.Data m = DataMessages.seal(SECRET, 9, DataMessages.payload(PeerCode.RELAY | PeerCode.ADDRESS,
                "192.0.2.1,1194,tcp".getBytes()));
        PeerPacket.Data back = (PeerPacket.Data) parse(m.encode());
        assertEquals(0x81, back.code());
        assertEquals("192.0.2.1,1194,tcp", new String(back.body()));
        assertTrue(DataMessages.authentic(SECRET, back));
    }

    @Test
    void handshakeLayouts() throws Exception {
        byte[] der = new byte[1000];
        Arrays.fill(der, (byte) 0x30);
        byte[] fp = new byte[20];
        Arrays.fill(fp, (byte) 0xfe);

        PeerPacket.Hello0 h0 = new PeerPacket.Hello0(der);
        assertEquals("00000000", HEX.formatHex(h0.encode(), 0, 4));
        assertEquals(1004, h0.encode().length);
        assertArrayEquals(der, assertInstanceOf(PeerPacket.Hello0.class, parse(h0.encode())).certificate());

        PeerPacket.Hello0Fingerprint h1 = PeerPacket.Hello0Fingerprint.of(10, fp, der);
        assertEquals("00000001" + "0a" + "fe".repeat(20), HEX.formatHex(h1.encode(), 0, 25));
        PeerPacket.Hello0Fingerprint b1 = assertInstanceOf(PeerPacket.Hello0Fingerprint.class, parse(h1.encode()));
        assertEquals(10, b1.protocol());
        assertArrayEquals(fp, b1.fingerprint());
        assertArrayEquals(der, b1.certificate());

        byte[] e = new byte[256], s = new byte[256];
        Arrays.fill(e, (byte) 1);
        Arrays.fill(s, (byte) 2);
        PeerPacket.Hello h2 = new PeerPacket.Hello(10, e, s);
        assertEquals(517, h2.encode().length, "seqno 2 of section 8: 4 + 1 + 256 + 256");
        PeerPacket.Hello b2 = assertInstanceOf(PeerPacket.Hello.class, parse(h2.encode()));
        assertEquals(10, b2.protocol());
        assertArrayEquals(e, b2.encrypted());
        assertArrayEquals(s, b2.signature());
        byte[] noProtocol = new PeerPacket.Hello(-1, e, s).encode();
        assertEquals(516, noProtocol.length);
        PeerPacket.Hello legacy = PeerPacket.parseHello(Arrays.copyOfRange(noProtocol, 4, noProtocol.length), false);
        assertArrayEquals(e, legacy.encrypted());
    }

    @Test
    void legacySeqno1HasNoProtocolField() throws Exception {
        byte[] fp = new byte[20];
        Arrays.fill(fp, (byte) 0x05); // a first byte that also reads as a one-byte protocol (5)
        byte[] der = {0x30, 0x03, 0x02, 0x01, 0x01};
        byte[] wire = new byte[4 + 20 + der.length];
        wire[3] = 1;
        System.arraycopy(fp, 0, wire, 4, 20);
        System.arraycopy(der, 0, wire, 24, der.length);
        PeerPacket.Hello0Fingerprint first = (PeerPacket.Hello0Fingerprint) parse(wire);
        assertEquals(5, first.protocol(), "read first as a current peer's (the certificate will then fail)");
        PeerPacket.Hello0Fingerprint legacy = first.asLegacy();
        assertEquals(0, legacy.protocol());
        assertArrayEquals(fp, legacy.fingerprint());
        assertArrayEquals(der, legacy.certificate());
        assertArrayEquals(wire, legacy.encode(), "the same bytes");
    }

    @Test
    void malformedDatagramsSayWhy() {
        assertReason(Reason.TRUNCATED, new byte[3]);
        assertReason(Reason.NO_CERTIFICATE, HEX.parseHex("00000000"));
        assertReason(Reason.TRUNCATED, HEX.parseHex("00000001"));
        assertReason(Reason.TRUNCATED, HEX.parseHex("000000010a" + "00".repeat(10)));
        assertReason(Reason.NO_CERTIFICATE, HEX.parseHex("000000010a" + "00".repeat(20)));
        assertReason(Reason.BAD_PROTOCOL, HEX.parseHex("00000001" + "e0" + "00".repeat(3)), "a packed integer of 8 bytes in 4");
        assertReason(Reason.ODD_HELLO, HEX.parseHex("000000020a" + "00".repeat(511)));
        assertReason(Reason.ODD_HELLO, HEX.parseHex("000000020a"));
        assertReason(Reason.TRUNCATED, HEX.parseHex("00000003" + "00".repeat(19)));
        assertThrows(IllegalArgumentException.class, () -> PeerPacket.parse(new byte[8], 4, 5));
    }

    static void assertReason(Reason r, byte[] b, String... why) {
        MalformedPeerPacketException e = assertThrows(MalformedPeerPacketException.class, () -> parse(b), String.join("", why));
        assertEquals(r, e.reason(), e.getMessage());
    }
}
