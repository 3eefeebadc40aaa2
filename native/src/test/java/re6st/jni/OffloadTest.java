package re6st.jni;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import re6st.jni.Offload.Malformed;

/**
 * {@link Offload#split} against a Java reference: TCP super-packets built here (IPv4 and IPv6,
 * 32-byte TCP header with a timestamp option) are cut into segments, and every segment is checked
 * on its own (lengths, IDs, sequence numbers, flags, payload slice, IPv4 header and TCP checksums
 * with the RFC 1071 sum below). Partial checksums (NEEDS_CSUM) are completed; malformed
 * descriptions get their code and leave the output untouched. No TUN, no root.
 */
class OffloadTest {
    // struct virtio_net_hdr
    static final int NEEDS_CSUM = 1;
    static final int GSO_NONE = 0, GSO_TCPV4 = 1, GSO_UDP = 3, GSO_TCPV6 = 4, GSO_UDP_L4 = 5, GSO_ECN = 0x80;
    static final int FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10, URG = 0x20, ECE = 0x40, CWR = 0x80;
    static final int TCP = 6, UDP = 17;
    static final int TCP_HDR = 32; // 20 + NOP NOP TIMESTAMP(10)

    /** Where the TUN read goes in the input buffer, and where segments go in the output buffer. */
    static final int IN_OFF = 24, OUT_OFF = 40, SLOT = 1600;
    static final byte CANARY = (byte) 0xA5;

    // ---------------------------------------------------------------- reference checksum

    /** RFC 1071 one's-complement sum of b[off, off+len) as 16-bit big-endian words, added to sum. */
    static long sum(byte[] b, int off, int len, long sum) {
        for (int i = 0; i < len; i += 2) {
            int hi = b[off + i] & 0xff, lo = i + 1 < len ? b[off + i + 1] & 0xff : 0;
            sum += hi << 8 | lo;
        }
        return sum;
    }

    static int fold(long sum) {
        while (sum >>> 16 != 0)
            sum = (sum & 0xffff) + (sum >>> 16);
        return (int) sum;
    }

    /** Pseudo-header sum (RFC 793 / RFC 8200 8.1) for an L4 packet of l4len bytes and protocol proto. */
    static long pseudo(byte[] ip, int ipOff, boolean v6, int proto, int l4len) {
        long s = v6 ? sum(ip, ipOff + 8, 32, 0) : sum(ip, ipOff + 12, 8, 0);
        return s + proto + (l4len >>> 16) + (l4len & 0xffff);
    }

    /** A checksummed region (its checksum field included) sums to 0xffff (RFC 1071 verification). */
    static boolean l4ChecksumValid(byte[] ip, int ipOff, boolean v6, int proto, int l4Start, int l4len) {
        return fold(sum(ip, ipOff + l4Start, l4len, pseudo(ip, ipOff, v6, proto, l4len))) == 0xffff;
    }

    static boolean ipv4HeaderChecksumValid(byte[] ip, int ipOff) {
        return fold(sum(ip, ipOff, (ip[ipOff] & 0x0f) * 4, 0)) == 0xffff;
    }

    // ---------------------------------------------------------------- packet building

    static int get16(byte[] b, int o) { return (b[o] & 0xff) << 8 | b[o + 1] & 0xff; }
    static long get32(byte[] b, int o) { return (long) get16(b, o) << 16 | get16(b, o + 2); }
    static void put16(byte[] b, int o, int v) { b[o] = (byte) (v >>> 8); b[o + 1] = (byte) v; }
    static void put32(byte[] b, int o, long v) { put16(b, o, (int) (v >>> 16)); put16(b, o + 2, (int) v); }
    static void putLe16(byte[] b, int o, int v) { b[o] = (byte) v; b[o + 1] = (byte) (v >>> 8); }

    /** A packet under construction: IP header (with extension/option bytes), L4 header, payload. */
    static final class Pkt {
        final boolean v6;
        final int iphl, l4hl;
        final byte[] ip;

        Pkt(boolean v6, int iphl, int l4hl, int payloadLen) {
            this.v6 = v6;
            this.iphl = iphl;
            this.l4hl = l4hl;
            this.ip = new byte[iphl + l4hl + payloadLen];
        }

        int hdr() { return iphl + l4hl; }
        int payloadLen() { return ip.length - hdr(); }
    }

    static byte[] payload(int len, long seed) {
        byte[] p = new byte[len];
        new Random(seed).nextBytes(p);
        return p;
    }

    /**
     * IPv4 (20-byte header, or more with options) or IPv6 (40 bytes, or more with a hop-by-hop
     * extension header) carrying TCP with NOP NOP TIMESTAMP options (32-byte header).
     * The TCP checksum field holds the folded pseudo-header sum, as the kernel leaves it with
     * CHECKSUM_PARTIAL.
     */
    static Pkt tcp(boolean v6, int ipExtra, int payloadLen, long seq, int flags, long seed) {
        Pkt p = new Pkt(v6, (v6 ? 40 : 20) + ipExtra, TCP_HDR, payloadLen);
        byte[] b = p.ip;
        ipHeader(p, TCP, seed);
        int t = p.iphl;
        put16(b, t, 40000);
        put16(b, t + 2, 5201);
        put32(b, t + 4, seq);
        put32(b, t + 8, 0x01020304L);                  // ack
        b[t + 12] = (byte) (TCP_HDR / 4 << 4);
        b[t + 13] = (byte) flags;
        put16(b, t + 14, 502);                         // window
        put16(b, t + 18, 0);                           // urgent pointer
        b[t + 20] = 1;                                 // NOP
        b[t + 21] = 1;                                 // NOP
        b[t + 22] = 8;                                 // TIMESTAMP
        b[t + 23] = 10;
        put32(b, t + 24, 0x11223344L);                 // TSval
        put32(b, t + 28, 0x55667788L);                 // TSecr
        System.arraycopy(payload(payloadLen, seed), 0, b, p.hdr(), payloadLen);
        put16(b, t + 16, fold(pseudo(b, 0, v6, TCP, b.length - p.iphl)));
        return p;
    }

    static Pkt udp(boolean v6, int payloadLen, long seed) {
        Pkt p = new Pkt(v6, v6 ? 40 : 20, 8, payloadLen);
        byte[] b = p.ip;
        ipHeader(p, UDP, seed);
        int u = p.iphl;
        put16(b, u, 33333);
        put16(b, u + 2, 4789);
        put16(b, u + 4, b.length - u);
        System.arraycopy(payload(payloadLen, seed), 0, b, p.hdr(), payloadLen);
        put16(b, u + 6, fold(pseudo(b, 0, v6, UDP, b.length - u)));
        return p;
    }

    private static void ipHeader(Pkt p, int proto, long seed) {
        byte[] b = p.ip;
        if (p.v6) {
            b[0] = 0x60;
            b[1] = 0x0a;                               // traffic class / flow label bits
            b[3] = 0x42;
            put16(b, 4, b.length - 40);
            b[6] = (byte) (p.iphl > 40 ? 0 : proto);   // hop-by-hop first when there is one
            b[7] = 64;
            b[8] = 0x20; b[9] = 0x01; b[10] = 0x0d; b[11] = (byte) 0xb8; b[23] = 1;   // 2001:db8::1
            b[24] = 0x20; b[25] = 0x01; b[26] = 0x0d; b[27] = (byte) 0xb8; b[39] = 2; // 2001:db8::2
            if (p.iphl > 40) {                         // hop-by-hop: next header, length, PadN
                b[40] = (byte) proto;
                b[41] = (byte) ((p.iphl - 40) / 8 - 1);
                b[42] = 1;
                b[43] = (byte) (p.iphl - 40 - 4);
            }
        } else {
            b[0] = (byte) (0x40 | p.iphl / 4);
            b[1] = 0x02;                               // ECT(0)
            put16(b, 2, b.length);
            put16(b, 4, 0xfffe);                       // IP ID (wraps while segmenting)
            put16(b, 6, 0x4000);                       // DF
            b[8] = 64;
            b[9] = (byte) proto;
            b[12] = (byte) 198; b[13] = 18; b[15] = 1; // 198.18.0.1
            b[16] = (byte) 198; b[17] = 18; b[19] = 2; // 198.18.0.2
            for (int i = 20; i < p.iphl; i++)
                b[i] = 1;                              // NOP options
            put16(b, 10, 0);
            put16(b, 10, ~fold(sum(b, 0, p.iphl, 0)) & 0xffff);
        }
    }

    /** struct virtio_net_hdr (little-endian fields) followed by the packet. */
    static byte[] vnet(int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset, byte[] ip) {
        byte[] r = new byte[Offload.VNET_HDR_LEN + ip.length];
        r[0] = (byte) flags;
        r[1] = (byte) gsoType;
        putLe16(r, 2, hdrLen);
        putLe16(r, 4, gsoSize);
        putLe16(r, 6, csumStart);
        putLe16(r, 8, csumOffset);
        System.arraycopy(ip, 0, r, Offload.VNET_HDR_LEN, ip.length);
        return r;
    }

    static byte[] gso(Pkt p, int gsoSize) {
        return vnet(NEEDS_CSUM, p.v6 ? GSO_TCPV6 : GSO_TCPV4, p.hdr(), gsoSize, p.iphl, 16, p.ip);
    }

    // ---------------------------------------------------------------- running split

    /** One call of split with canary-filled buffers around the regions it may touch. */
    static final class Run {
        final ByteBuffer in, out;
        final int[] lengths;
        final int result, slot, inLen;

        Run(byte[] read, int slot, int lengthsSize, int outCapacity) {
            this.slot = slot;
            this.inLen = read.length;
            in = ByteBuffer.allocateDirect(IN_OFF + read.length + 32);
            for (int i = 0; i < in.capacity(); i++)
                in.put(i, CANARY);
            in.put(IN_OFF, read);
            out = ByteBuffer.allocateDirect(outCapacity);
            for (int i = 0; i < outCapacity; i++)
                out.put(i, CANARY);
            lengths = new int[lengthsSize];
            Arrays.fill(lengths, -7);
            result = Offload.split(in, IN_OFF, read.length, out, OUT_OFF, slot, lengths);
        }

        Run(byte[] read) {
            this(read, SLOT, Offload.MAX_SEGMENTS, OUT_OFF + Offload.MAX_SEGMENTS * SLOT + 64);
        }

        byte[] segment(int i) {
            byte[] s = new byte[lengths[i]];
            out.get(OUT_OFF + i * slot, s);
            return s;
        }

        /** The IP packet as it stands in the input buffer (after an in-place completion). */
        byte[] inPlace() {
            byte[] s = new byte[inLen - Offload.VNET_HDR_LEN];
            in.get(IN_OFF + Offload.VNET_HDR_LEN, s);
            return s;
        }

        void assertInputGuardsIntact() {
            for (int i = 0; i < IN_OFF; i++)
                assertEquals(CANARY, in.get(i), "input byte " + i + " before the read was written");
            for (int i = IN_OFF + inLen; i < in.capacity(); i++)
                assertEquals(CANARY, in.get(i), "input byte " + i + " after the read was written");
        }

        /** Nothing written to out except segment i at [OUT_OFF + i*slot, + lengths[i]) for i < n. */
        void assertOutputOnlySegments(int n) {
            for (int i = 0; i < out.capacity(); i++) {
                int rel = i - OUT_OFF;
                boolean inSegment = n > 0 && rel >= 0 && rel / slot < n && rel % slot < lengths[rel / slot];
                if (!inSegment)
                    assertEquals(CANARY, out.get(i), "output byte " + i + " outside the segments was written");
            }
            for (int i = n; i < lengths.length; i++)
                assertEquals(-7, lengths[i], "lengths[" + i + "] beyond the segments was written");
        }
    }

    // ---------------------------------------------------------------- segmentation

    @ParameterizedTest(name = "{0} payload {2} mss {3} -> {4} segments")
    @CsvSource({
        // ip, ipExtra, payload, mss, segments, seq
        "v4, 0, 2500, 1000, 3, 1000",
        "v6, 0, 2500, 1000, 3, 1000",
        "v4, 0, 3000, 1000, 3, 77",        // exact multiple: no short last segment
        "v6, 0, 3000, 1000, 3, 77",
        "v4, 0, 700, 1000, 1, 5",          // one segment: everything kept
        "v6, 0, 1000, 1000, 1, 5",         // one full segment
        "v4, 0, 2500, 1000, 3, 4294966796", // sequence numbers wrap (2^32 - 500)
        "v4, 8, 2101, 700, 4, 9",          // IPv4 options (28-byte header), odd payload
        "v6, 8, 2101, 700, 4, 9",          // IPv6 hop-by-hop header before TCP
        "v4, 0, 65483, 1448, 46, 123456",  // a 64 KiB super-packet
        "v6, 0, 65463, 1428, 46, 123456",
        "v4, 0, 1, 1, 1, 0",
        "v6, 0, 128, 1, 128, 0",           // as many segments as split allows
    })
    void segmentsAreValidPacketsOnTheirOwn(String ip, int ipExtra, int payloadLen, int mss, int segments, long seq) {
        boolean v6 = ip.equals("v6");
        Pkt p = tcp(v6, ipExtra, payloadLen, seq, ACK | PSH | FIN | CWR | ECE, payloadLen);
        byte[] original = p.ip.clone();
        Run run = new Run(gso(p, mss));

        assertEquals(segments, run.result);
        run.assertInputGuardsIntact();
        run.assertOutputOnlySegments(segments);
        assertSegments(p, original, mss, run);
    }

    @Test
    void ecnBitInGsoTypeSegmentsTheSame() {
        for (boolean v6 : new boolean[] {false, true}) {
            Pkt p = tcp(v6, 0, 2500, 42, ACK | CWR | PSH, 3);
            byte[] read = gso(p, 1000);
            read[1] |= (byte) GSO_ECN;
            Run run = new Run(read);
            assertEquals(3, run.result);
            assertSegments(p, p.ip.clone(), 1000, run);
        }
    }

    @Test
    void outputCanStartAnywhereInTheBuffer() {
        Pkt p = tcp(false, 0, 2500, 1, ACK, 4);
        ByteBuffer in = ByteBuffer.allocateDirect(3000), out = ByteBuffer.allocateDirect(3 * 1100 + 7);
        byte[] read = gso(p, 1000);
        in.put(5, read);
        int[] lengths = new int[3];
        assertEquals(3, Offload.split(in, 5, read.length, out, 7, 1100, lengths));
        assertArrayEquals(new int[] {1052, 1052, 552}, lengths);
    }

    /** Every segment checked on its own against the original super-packet. */
    static void assertSegments(Pkt p, byte[] original, int mss, Run run) {
        int n = run.result, hdr = p.hdr(), t = p.iphl;
        int flags = original[t + 13] & 0xff;
        long seq0 = get32(original, t + 4);
        int id0 = get16(original, 4);
        for (int i = 0; i < n; i++) {
            String what = (p.v6 ? "IPv6" : "IPv4") + " segment " + i + "/" + n;
            int chunk = Math.min(mss, p.payloadLen() - i * mss);
            assertEquals(hdr + chunk, run.lengths[i], what + " length");
            byte[] s = run.segment(i);
            if (p.v6) {
                assertEquals(s.length - 40, get16(s, 4), what + " IPv6 payload length");
                assertArrayEquals(Arrays.copyOfRange(original, 0, 4), Arrays.copyOfRange(s, 0, 4), what + " version/class/flow");
                assertArrayEquals(Arrays.copyOfRange(original, 6, t), Arrays.copyOfRange(s, 6, t), what + " next header, hop limit, addresses, extensions");
            } else {
                assertEquals(s.length, get16(s, 2), what + " IPv4 total length");
                assertEquals((id0 + i) & 0xffff, get16(s, 4), what + " IPv4 ID");
                assertTrue(ipv4HeaderChecksumValid(s, 0), what + " IPv4 header checksum");
                assertEquals(original[0], s[0], what + " version/IHL");
                assertEquals(original[1], s[1], what + " TOS");
                assertArrayEquals(Arrays.copyOfRange(original, 6, 10), Arrays.copyOfRange(s, 6, 10), what + " DF, TTL, protocol");
                assertArrayEquals(Arrays.copyOfRange(original, 12, t), Arrays.copyOfRange(s, 12, t), what + " addresses, options");
            }
            assertEquals(get32(original, t), get32(s, t), what + " ports");
            assertEquals((seq0 + (long) i * mss) & 0xffffffffL, get32(s, t + 4), what + " sequence number");
            assertArrayEquals(Arrays.copyOfRange(original, t + 8, t + 13), Arrays.copyOfRange(s, t + 8, t + 13), what + " ack, data offset");
            assertArrayEquals(Arrays.copyOfRange(original, t + 14, t + 16), Arrays.copyOfRange(s, t + 14, t + 16), what + " window");
            assertArrayEquals(Arrays.copyOfRange(original, t + 18, hdr), Arrays.copyOfRange(s, t + 18, hdr), what + " urgent pointer, options");
            int expected = flags;
            if (i < n - 1)
                expected &= ~(FIN | PSH);
            if (i > 0)
                expected &= ~CWR;
            assertEquals(expected, s[t + 13] & 0xff, what + " TCP flags");
            assertArrayEquals(Arrays.copyOfRange(original, hdr + i * mss, hdr + i * mss + chunk),
                    Arrays.copyOfRange(s, hdr, s.length), what + " payload");
            assertTrue(l4ChecksumValid(s, 0, p.v6, TCP, t, s.length - t), what + " TCP checksum");
        }
    }

    // ---------------------------------------------------------------- partial checksums

    @ParameterizedTest(name = "{0} {1} payload {2}")
    @CsvSource({
        "v4, tcp, 1000", "v6, tcp, 1000", "v4, tcp, 101", "v6, tcp, 0",
        "v4, udp, 1000", "v6, udp, 1000", "v4, udp, 333", "v6, udp, 0",
    })
    void partialChecksumIsCompletedInPlace(String ip, String proto, int payloadLen) {
        boolean v6 = ip.equals("v6"), isTcp = proto.equals("tcp");
        Pkt p = isTcp ? tcp(v6, 0, payloadLen, 99, ACK | PSH, 11) : udp(v6, payloadLen, 11);
        int field = p.iphl + (isTcp ? 16 : 6);
        assertNotYetValid(l4ChecksumValid(p.ip, 0, v6, isTcp ? TCP : UDP, p.iphl, p.ip.length - p.iphl), "pseudo-header sum only");
        Run run = new Run(vnet(NEEDS_CSUM, GSO_NONE, 0, 0, p.iphl, isTcp ? 16 : 6, p.ip));

        assertEquals(0, run.result);
        byte[] done = run.inPlace();
        assertTrue(l4ChecksumValid(done, 0, v6, isTcp ? TCP : UDP, p.iphl, done.length - p.iphl), "checksum completed");
        for (int i = 0; i < done.length; i++)
            if (i != field && i != field + 1)
                assertEquals(p.ip[i], done[i], "byte " + i + " besides the checksum changed");
        run.assertInputGuardsIntact();
        run.assertOutputOnlySegments(0);
    }

    /** A UDP checksum that comes out 0 is sent as 0xffff: 0 means "no checksum" (RFC 768, RFC 8200 8.1). */
    @Test
    void udpChecksumZeroIsSentAsAllOnes() {
        for (boolean v6 : new boolean[] {false, true}) {
            Pkt p = udp(v6, 64, 12);
            int last = p.ip.length - 2;
            put16(p.ip, last, 0);
            int without = fold(sum(p.ip, p.iphl, p.ip.length - p.iphl, 0));
            put16(p.ip, last, 0xffff - without); // makes the whole sum 0xffff: checksum 0
            Run run = new Run(vnet(NEEDS_CSUM, GSO_NONE, 0, 0, p.iphl, 6, p.ip));
            assertEquals(0, run.result);
            byte[] done = run.inPlace();
            assertEquals(0xffff, get16(done, p.iphl + 6), (v6 ? "IPv6" : "IPv4") + " UDP checksum");
            assertTrue(l4ChecksumValid(done, 0, v6, UDP, p.iphl, done.length - p.iphl));
        }
    }

    @Test
    void packetWithoutOffloadIsLeftAlone() {
        Pkt p = tcp(false, 0, 500, 1, ACK, 13);
        Run run = new Run(vnet(0, GSO_NONE, 0, 0, 0, 0, p.ip));
        assertEquals(0, run.result);
        assertArrayEquals(p.ip, run.inPlace());
        run.assertOutputOnlySegments(0);
    }

    private static void assertNotYetValid(boolean valid, String why) {
        assertTrue(!valid, "test packet already has a valid checksum: " + why);
    }

    // ---------------------------------------------------------------- malformed descriptions

    /** Refused with the given code: nothing written to the output or lengths, input guards intact. */
    static void assertMalformed(Malformed expected, Run run) {
        assertTrue(run.result < 0, "expected " + expected + ", got " + run.result);
        assertEquals(expected, Offload.malformed(run.result));
        run.assertInputGuardsIntact();
        run.assertOutputOnlySegments(0);
    }

    @Test
    void resultCodesMapToReasons() {
        assertEquals(Malformed.SHORT, Offload.malformed(-1));
        assertEquals(Malformed.GSO_TYPE, Offload.malformed(-2));
        assertEquals(Malformed.TOO_MANY_SEGMENTS, Offload.malformed(-3));
        assertEquals(Malformed.CHECKSUM_OFFSET, Offload.malformed(-4));
        assertThrows(IllegalArgumentException.class, () -> Offload.malformed(0));
        assertThrows(IllegalArgumentException.class, () -> Offload.malformed(3));
    }

    @Test
    void tooShortToHoldHeaders() {
        byte[] good = gso(tcp(false, 0, 2500, 1, ACK, 20), 1000);
        for (int len : new int[] {0, 1, 9, 10, 29})
            assertMalformed(Malformed.SHORT, new Run(Arrays.copyOf(good, len)));
        // TCP header cut: csum_start + 20 beyond the packet
        assertMalformed(Malformed.SHORT, new Run(Arrays.copyOf(good, Offload.VNET_HDR_LEN + 20 + 19)));
        // options cut: data offset says 32 bytes, 31 there
        assertMalformed(Malformed.SHORT, new Run(Arrays.copyOf(good, Offload.VNET_HDR_LEN + 20 + 31)));
        // headers but no payload
        assertMalformed(Malformed.SHORT, new Run(Arrays.copyOf(good, Offload.VNET_HDR_LEN + 52)));
    }

    @Test
    void inconsistentGsoHeadersAreShort() {
        Pkt v4 = tcp(false, 0, 2500, 1, ACK, 21), v6 = tcp(true, 0, 2500, 1, ACK, 22);
        // TCPV4 on an IPv6 packet, TCPV6 on an IPv4 one
        assertMalformed(Malformed.SHORT, new Run(vnet(NEEDS_CSUM, GSO_TCPV4, 72, 1000, 40, 16, v6.ip)));
        assertMalformed(Malformed.SHORT, new Run(vnet(NEEDS_CSUM, GSO_TCPV6, 52, 1000, 20, 16, v4.ip)));
        // csum_start inside the IP header, or not where the IPv4 header ends
        assertMalformed(Malformed.SHORT, new Run(vnet(NEEDS_CSUM, GSO_TCPV4, 52, 1000, 12, 16, v4.ip)));
        assertMalformed(Malformed.SHORT, new Run(vnet(NEEDS_CSUM, GSO_TCPV4, 52, 1000, 24, 16, v4.ip)));
        assertMalformed(Malformed.SHORT, new Run(vnet(NEEDS_CSUM, GSO_TCPV6, 72, 1000, 39, 16, v6.ip)));
        // csum_start far beyond the packet
        assertMalformed(Malformed.SHORT, new Run(vnet(NEEDS_CSUM, GSO_TCPV6, 72, 1000, 0xffff, 16, v6.ip)));
        // TCP data offset below 5
        byte[] bad = v4.ip.clone();
        bad[20 + 12] = 0x40;
        assertMalformed(Malformed.SHORT, new Run(vnet(NEEDS_CSUM, GSO_TCPV4, 52, 1000, 20, 16, bad)));
    }

    @Test
    void gsoSizeZeroIsRefused() {
        for (boolean v6 : new boolean[] {false, true})
            assertMalformed(Malformed.SHORT, new Run(gso(tcp(v6, 0, 2500, 1, ACK, 23), 0)));
    }

    @Test
    void gsoTypesNotEnabledAreRefused() {
        Pkt u = udp(false, 2500, 24);
        for (int type : new int[] {GSO_UDP, GSO_UDP_L4, 2, 6, 0x7f, GSO_UDP | GSO_ECN})
            assertMalformed(Malformed.GSO_TYPE, new Run(vnet(NEEDS_CSUM, type, 28, 1000, 20, 6, u.ip)));
    }

    @Test
    void checksumLocationOutsideThePacket() {
        Pkt p = tcp(false, 0, 100, 1, ACK, 25);
        int iplen = p.ip.length;
        assertMalformed(Malformed.CHECKSUM_OFFSET, new Run(vnet(NEEDS_CSUM, GSO_NONE, 0, 0, iplen, 0, p.ip)));
        assertMalformed(Malformed.CHECKSUM_OFFSET, new Run(vnet(NEEDS_CSUM, GSO_NONE, 0, 0, 0xffff, 0xffff, p.ip)));
        assertMalformed(Malformed.CHECKSUM_OFFSET, new Run(vnet(NEEDS_CSUM, GSO_NONE, 0, 0, 20, iplen - 20 - 1, p.ip)));
        // the field's last byte is the packet's last byte: accepted
        Run edge = new Run(vnet(NEEDS_CSUM, GSO_NONE, 0, 0, 20, iplen - 20 - 2, p.ip));
        assertEquals(0, edge.result);
    }

    @Test
    void moreSegmentsThanTheOutputHolds() {
        Pkt p = tcp(false, 0, 2500, 1, ACK, 26);
        // lengths holds 2 of 3
        assertMalformed(Malformed.TOO_MANY_SEGMENTS, new Run(gso(p, 1000), SLOT, 2, OUT_OFF + 3 * SLOT + 64));
        // 129 segments: beyond MAX_SEGMENTS whatever lengths holds
        Pkt big = tcp(true, 0, 129 * 100, 1, ACK, 27);
        assertMalformed(Malformed.TOO_MANY_SEGMENTS, new Run(gso(big, 100), 200, 200, OUT_OFF + 200 * 200 + 64));
        // slot smaller than headers + MSS
        assertMalformed(Malformed.TOO_MANY_SEGMENTS, new Run(gso(p, 1000), 1051, 3, OUT_OFF + 3 * 1051 + 64));
        assertEquals(3, new Run(gso(p, 1000), 1052, 3, OUT_OFF + 3 * 1052 + 64).result);
    }

    @Test
    void slotSizesThatCannotExistAreRefused() {
        // 4 segments: 4 * 0x40000000 is 0 in 32 bits, which must not pass for an empty output region
        Pkt p = tcp(false, 0, 3500, 1, ACK, 28);
        for (int slot : new int[] {-1, -1052, Integer.MIN_VALUE, 0x40000000, 0x20000000, Integer.MAX_VALUE})
            assertMalformed(Malformed.TOO_MANY_SEGMENTS, new Run(gso(p, 1000), slot, 4, OUT_OFF + 4 * SLOT + 64));
    }

    @Test
    void badBuffersThrow() {
        Pkt p = tcp(false, 0, 2500, 1, ACK, 29);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Run(gso(p, 1000), SLOT, 3, OUT_OFF + 3 * SLOT - 1));
        assertTrue(e.getMessage().contains("outside the buffer"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Offload.split(ByteBuffer.allocate(100), 0, 100,
                ByteBuffer.allocateDirect(100), 0, 10, new int[1]));
        assertThrows(IllegalArgumentException.class, () -> Offload.split(ByteBuffer.allocateDirect(100), 50, 51,
                ByteBuffer.allocateDirect(100), 0, 10, new int[1]));
    }
}
