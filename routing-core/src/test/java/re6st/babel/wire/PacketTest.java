package re6st.babel.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PacketTest {

    /** A body of Pad1, PadN(3), a Hello-shaped TLV, Pad1; then a 2-byte trailer TLV. */
    private static byte[] sample() {
        byte[] b = new byte[64];
        int body = new PacketHeader(0).write(b, 0);
        int p = Padding.writePad1(b, body);
        p = Padding.writePadN(b, p, 3);
        b[p++] = (byte) TlvType.HELLO;
        b[p++] = 6;
        byte[] hello = {0, 0, 0x12, 0x34, 0x01, (byte) 0x90};
        System.arraycopy(hello, 0, b, p, hello.length);
        p += hello.length;
        p = Padding.writePad1(b, p);
        int bodyLength = p - body;
        new PacketHeader(bodyLength).write(b, 0);
        b[p++] = (byte) TlvType.PADN;
        b[p++] = 0;
        return java.util.Arrays.copyOf(b, p);
    }

    private static List<int[]> tlvs(TlvReader r) throws MalformedPacketException {
        List<int[]> out = new ArrayList<>();
        while (r.next())
            out.add(new int[] {r.type(), r.length(), r.offset()});
        return out;
    }

    @Test
    void headerRoundTrip() throws Exception {
        for (int len : new int[] {0, 1, 255, 256, 1400, 0xFFFF}) {
            byte[] b = new byte[4];
            assertEquals(4, new PacketHeader(len).write(b, 0));
            assertEquals(42, b[0]);
            assertEquals(2, b[1]);
            assertEquals(new PacketHeader(len), PacketHeader.read(b, 0, 4));
        }
        assertThrows(IllegalArgumentException.class, () -> new PacketHeader(0x10000));
        assertThrows(IllegalArgumentException.class, () -> new PacketHeader(-1));
    }

    @Test
    void bodyAndTrailerRoundTrip() throws Exception {
        byte[] b = sample();
        Packet packet = Packet.parse(b);
        assertEquals(15, packet.bodyLength());
        assertEquals(2, packet.trailerLength());
        List<int[]> body = tlvs(packet.body());
        assertEquals(4, body.size());
        assertArrayEquals(new int[] {TlvType.PAD1, 0, 4}, body.get(0));
        assertArrayEquals(new int[] {TlvType.PADN, 3, 5}, body.get(1));
        assertArrayEquals(new int[] {TlvType.HELLO, 6, 10}, body.get(2));
        assertArrayEquals(new int[] {TlvType.PAD1, 0, 18}, body.get(3));
        List<int[]> trailer = tlvs(packet.trailer());
        assertEquals(1, trailer.size());
        assertArrayEquals(new int[] {TlvType.PADN, 0, 19}, trailer.get(0));
    }

    @Test
    void valueOffsetPointsAtTheValue() throws Exception {
        byte[] b = sample();
        TlvReader r = Packet.parse(b).body();
        while (r.next() && r.type() != TlvType.HELLO) {
        }
        assertEquals(0x12, b[r.valueOffset() + 2]);
        assertEquals(0x34, b[r.valueOffset() + 3]);
    }

    @Test
    void packetAtAnOffsetInALargerBuffer() throws Exception {
        byte[] s = sample();
        byte[] b = new byte[s.length + 10];
        System.arraycopy(s, 0, b, 7, s.length);
        Packet packet = Packet.parse(b, 7, s.length);
        assertEquals(4, tlvs(packet.body()).size());
        assertEquals(5, tlvs(packet.body()).get(1)[2], "offsets are relative to the packet start");
    }

    @Test
    void emptyBodyWithoutTrailer() throws Exception {
        Packet packet = Packet.parse(new byte[] {42, 2, 0, 0});
        assertFalse(packet.body().next());
        assertFalse(packet.trailer().next());
        assertEquals(0, packet.trailerLength());
    }

    @Test
    void paddingOfEverySize() throws Exception {
        for (int size = 0; size <= 257; size++) {
            byte[] b = new byte[4 + size];
            int end = Padding.write(b, new PacketHeader(size).write(b, 0), size);
            assertEquals(b.length, end);
            List<int[]> t = tlvs(Packet.parse(b).body());
            assertEquals(size == 0 ? 0 : 1, t.size(), "size " + size);
            if (size > 0)
                assertEquals(size == 1 ? TlvType.PAD1 : TlvType.PADN, t.get(0)[0]);
        }
        assertThrows(IllegalArgumentException.class, () -> Padding.writePadN(new byte[300], 0, 256));
        assertThrows(IndexOutOfBoundsException.class, () -> Padding.writePadN(new byte[4], 0, 3));
    }

    @Test
    void padNIsZeroFilled() {
        byte[] b = new byte[6];
        java.util.Arrays.fill(b, (byte) 0x55);
        Padding.writePadN(b, 0, 4);
        assertArrayEquals(new byte[] {1, 4, 0, 0, 0, 0}, b);
    }

    @Test
    void truncatedHeader() {
        for (int len = 0; len < 4; len++) {
            int n = len;
            MalformedPacketException e = assertThrows(MalformedPacketException.class,
                    () -> Packet.parse(new byte[] {42, 2, 0, 0}, 0, n));
            assertEquals("truncated packet: " + len + " bytes, the header needs 4 at offset 0", e.getMessage());
        }
    }

    @Test
    void badMagic() {
        MalformedPacketException e = assertThrows(MalformedPacketException.class,
                () -> Packet.parse(new byte[] {43, 2, 0, 0}));
        assertEquals("bad magic 43 (expected 42) at offset 0", e.getMessage());
        assertEquals(0, e.offset());
    }

    @Test
    void badVersion() {
        MalformedPacketException e = assertThrows(MalformedPacketException.class,
                () -> Packet.parse(new byte[] {42, 1, 0, 0}));
        assertEquals("unsupported version 1 (expected 2) at offset 1", e.getMessage());
        assertEquals(1, e.offset());
    }

    @Test
    void bodyLengthPastTheDatagramIsClamped() throws Exception {
        // As babeld: the header claims 5 body bytes, 2 are there; they are the body, no trailer.
        Packet packet = Packet.parse(new byte[] {42, 2, 0, 5, 0, 0});
        assertTrue(packet.isClamped());
        assertEquals(5, packet.header().bodyLength());
        assertEquals(2, packet.bodyLength());
        assertEquals(0, packet.trailerLength());
        assertEquals(2, tlvs(packet.body()).size());
        assertFalse(packet.trailer().next());
        assertFalse(Packet.parse(new byte[] {42, 2, 0, 2, 0, 0}).isClamped());
    }

    @Test
    void clampedBodyStopsAtTheTlvCutShort() throws Exception {
        // Pad1, then a Hello (8 bytes) of which the datagram holds only 3.
        TlvReader r = Packet.parse(new byte[] {42, 2, 0, 9, 0, 4, 6, 0}).body();
        assertTrue(r.next());
        assertEquals(TlvType.PAD1, r.type());
        assertThrows(MalformedPacketException.class, r::next);
    }

    @Test
    void tlvOverrunningTheBodyAfterGoodOnes() throws Exception {
        // Pad1, then an Update claiming 20 bytes in a 7-byte body; the trailer must not count.
        byte[] b = {42, 2, 0, 7, 0, 8, 20, 1, 2, 3, 4, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
        TlvReader r = Packet.parse(b).body();
        assertTrue(r.next());
        assertEquals(TlvType.PAD1, r.type());
        MalformedPacketException e = assertThrows(MalformedPacketException.class, r::next);
        assertEquals("TLV type 8 of length 20 runs past the end at offset 11 by 16 bytes at offset 5", e.getMessage());
        assertEquals(5, e.offset());
    }

    @Test
    void tlvWithoutItsLengthByte() throws Exception {
        TlvReader r = Packet.parse(new byte[] {42, 2, 0, 1, 4}).body();
        MalformedPacketException e = assertThrows(MalformedPacketException.class, r::next);
        assertEquals("TLV type 4: length byte missing (data ends at offset 5) at offset 4", e.getMessage());
    }

    @Test
    void subTlvs() throws Exception {
        // Hello: flags, seqno, interval, then a Timestamp sub-TLV (type 3, 4 bytes) and a sub Pad1.
        byte[] b = {42, 2, 0, 15, 4, 13, 0, 0, 0, 1, 0, 100, 3, 4, 1, 2, 3, 4, 0};
        TlvReader r = Packet.parse(b).body();
        assertTrue(r.next());
        List<int[]> sub = tlvs(r.subTlvs(6));
        assertEquals(2, sub.size());
        assertArrayEquals(new int[] {3, 4, 12}, sub.get(0));
        assertArrayEquals(new int[] {0, 0, 18}, sub.get(1));
        assertFalse(r.next());
        assertThrows(IllegalStateException.class, r::type);
    }

    @Test
    void subTlvOverrunningItsTlv() throws Exception {
        // The sub-TLV claims 9 bytes but its TLV ends after 2: malformed even though the body goes on.
        byte[] b = {42, 2, 0, 10, 4, 8, 0, 0, 0, 0, 0, 0, 3, 9, 1, 1};
        TlvReader r = Packet.parse(b).body();
        assertTrue(r.next());
        TlvReader sub = r.subTlvs(6);
        MalformedPacketException e = assertThrows(MalformedPacketException.class, sub::next);
        assertEquals(12, e.offset());
    }
}
