package re6st.jni.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.Arrays;

import com.code_intelligence.jazzer.junit.FuzzTest;

import re6st.jni.Offload;

/**
 * Jazzer on what the kernel (and, through it, any local program) hands to {@link Offload#split}:
 * any bytes as one TUN read (virtio_net_hdr, then an IP packet). offload.c is C, so a bounds slip
 * there is a JVM crash or silent memory corruption, not an exception; this checks that split never
 * throws, writes nowhere but the segments it reports (canary bytes around every region), and that
 * its result is in range: 0 (and then at most the checksum field changed, to what the RFC 1071
 * sum says), n segments of consistent lengths that fit their slots with valid checksums, or one
 * of the four {@link Offload.Malformed} codes.
 *
 * <p>The JNI code is not instrumented, so Jazzer is guided only by this class's branches (result
 * kinds, IPv4/IPv6, segment counts); the seeds in
 * {@code src/test/resources/re6st/jni/fuzz/OffloadSplitFuzzTestInputs/split} (a GSO IPv4 and a GSO
 * IPv6 super-packet, 3 segments each) start it inside the segmentation path.
 */
class OffloadSplitFuzzTest {
    private static final int VNET = Offload.VNET_HDR_LEN;
    private static final int MAX_READ = VNET + 65535;
    private static final int IN_OFF = 16, OUT_OFF = 32, SLOT = 4096, GUARD = 64;
    private static final int LENGTHS = Offload.MAX_SEGMENTS + 2;
    private static final byte CANARY = (byte) 0xA5;
    private static final byte[] CANARIES = new byte[SLOT + GUARD];

    private static final ByteBuffer IN = ByteBuffer.allocateDirect(IN_OFF + MAX_READ + GUARD);
    private static final ByteBuffer OUT = ByteBuffer.allocateDirect(OUT_OFF + Offload.MAX_SEGMENTS * SLOT + GUARD);
    private static final int[] LENS = new int[LENGTHS];

    static {
        Arrays.fill(CANARIES, CANARY);
        fill(IN, 0, IN.capacity());
        fill(OUT, 0, OUT.capacity());
    }

    @FuzzTest(maxDuration = "5s")
    void split(byte[] read) {
        if (read.length > MAX_READ)
            return; // larger than any TUN read
        int len = read.length;
        IN.put(IN_OFF, read);
        fill(IN, IN_OFF + len, GUARD);
        Arrays.fill(LENS, -7);

        int r = Offload.split(IN, IN_OFF, len, OUT, OUT_OFF, SLOT, LENS);

        assertCanaries(IN, 0, IN_OFF, "input before the read");
        assertCanaries(IN, IN_OFF + len, GUARD, "input after the read");
        assertCanaries(OUT, 0, OUT_OFF, "output before the first slot");
        if (r < 0) {
            assertTrue(r >= -Offload.Malformed.values().length, "unknown result code " + r);
            switch (Offload.malformed(r)) { // one branch per reason, for Jazzer's guidance
                case SHORT -> assertNothingWritten(0);
                case GSO_TYPE -> {
                    int gso = read[1] & 0x7f;
                    assertTrue(gso != 0 && gso != 1 && gso != 4, "GSO_TYPE for gso_type " + gso);
                    assertNothingWritten(0);
                }
                case TOO_MANY_SEGMENTS -> assertNothingWritten(0);
                case CHECKSUM_OFFSET -> {
                    assertEquals(0, read[1] & 0x7f, "CHECKSUM_OFFSET only without GSO");
                    assertNothingWritten(0);
                }
            }
        } else if (r == 0) {
            assertNothingWritten(0);
            checkInPlace(read);
        } else {
            assertTrue(r <= Offload.MAX_SEGMENTS, r + " segments");
            checkSegments(read, r);
            assertNothingWritten(r);
            fill(OUT, OUT_OFF, r * SLOT); // back to all canaries for the next input
        }
    }

    /** Result 0: at most the partial checksum changed, to the Java reference's value. */
    private static void checkInPlace(byte[] read) {
        int len = read.length;
        assertTrue(len >= VNET + 20, "a " + len + "-byte read accepted");
        assertEquals(0, read[1] & 0x7f, "a GSO packet left in place");
        byte[] now = new byte[len];
        IN.get(IN_OFF, now);
        byte[] expected = read.clone();
        if ((read[0] & 1) != 0) { // NEEDS_CSUM
            int start = le16(read, 6), at = start + le16(read, 8), iplen = len - VNET;
            assertTrue(start < iplen && at + 2 <= iplen, "checksum at " + at + " accepted in " + iplen + " bytes");
            int c = ~fold(sum(read, VNET + start, iplen - start, 0)) & 0xffff;
            if (c == 0)
                c = 0xffff;
            expected[VNET + at] = (byte) (c >>> 8);
            expected[VNET + at + 1] = (byte) c;
        }
        assertArrayEquals(expected, now, "packet completed in place");
    }

    /** Result n > 0: n segments that together are the super-packet, each a valid packet. */
    private static void checkSegments(byte[] read, int n) {
        int gso = read[1] & 0x7f;
        boolean v6 = gso == 4;
        assertTrue(gso == 1 || v6, "segments for gso_type " + gso);
        byte[] ip = Arrays.copyOfRange(read, VNET, read.length);
        int iphl = le16(read, 6), mss = le16(read, 4);
        assertEquals(v6 ? 6 : 4, (ip[0] & 0xff) >>> 4, "IP version");
        assertTrue(iphl >= (v6 ? 40 : 20) && iphl + 20 <= ip.length, "TCP at " + iphl);
        if (!v6)
            assertEquals((ip[0] & 0x0f) * 4, iphl, "csum_start is where the IPv4 header ends");
        int thl = ((ip[iphl + 12] & 0xff) >>> 4) * 4, hdr = iphl + thl, payload = ip.length - hdr;
        assertTrue(thl >= 20 && hdr <= ip.length, "TCP header of " + thl + " bytes");
        long seq = be32(ip, iphl + 4);
        int flags = ip[iphl + 13] & 0xff;
        assertTrue(mss > 0 && payload > 0 && hdr + mss <= SLOT, "mss " + mss + ", payload " + payload);
        assertEquals((payload + mss - 1) / mss, n, "segment count");
        for (int i = 0; i < n; i++) {
            int chunk = Math.min(mss, payload - i * mss), len = LENS[i];
            assertEquals(hdr + chunk, len, "segment " + i + " length");
            assertTrue(len <= SLOT, "segment " + i + " overflows its slot");
            byte[] s = new byte[len];
            OUT.get(OUT_OFF + i * SLOT, s);
            assertCanaries(OUT, OUT_OFF + i * SLOT + len, SLOT - len, "slot " + i + " after its segment");
            assertTrue(Arrays.equals(ip, hdr + i * mss, hdr + i * mss + chunk, s, hdr, len), "segment " + i + " payload");
            if (v6) {
                assertEquals((len - 40) & 0xffff, be16(s, 4), "IPv6 payload length");
            } else {
                assertEquals(len & 0xffff, be16(s, 2), "IPv4 total length");
                assertEquals((be16(ip, 4) + i) & 0xffff, be16(s, 4), "IPv4 ID");
                assertEquals(0xffff, fold(sum(s, 0, iphl, 0)), "IPv4 header checksum of segment " + i);
            }
            assertEquals((seq + (long) i * mss) & 0xffffffffL, be32(s, iphl + 4), "segment " + i + " sequence number");
            int f = flags & ~(i < n - 1 ? 0x09 : 0) & ~(i > 0 ? 0x80 : 0); // FIN, PSH last; CWR first
            assertEquals(f, s[iphl + 13] & 0xff, "segment " + i + " TCP flags");
            long pseudo = v6 ? sum(s, 8, 32, 0) : sum(s, 12, 8, 0);
            int l4 = len - iphl;
            pseudo += 6 + (l4 >>> 16) + (l4 & 0xffff);
            assertEquals(0xffff, fold(sum(s, iphl, l4, pseudo)), "TCP checksum of segment " + i);
        }
    }

    private static void assertNothingWritten(int segments) {
        for (int i = segments; i < LENGTHS; i++)
            if (LENS[i] != -7)
                fail("lengths[" + i + "] written with " + segments + " segments");
        // the slot after the last segment (or the first slot), where a miscounted copy would land
        assertCanaries(OUT, OUT_OFF + segments * SLOT, Math.min(SLOT, OUT.capacity() - OUT_OFF - segments * SLOT), "output after the segments");
        if (segments < Offload.MAX_SEGMENTS)
            assertCanaries(OUT, OUT.capacity() - GUARD, GUARD, "output's end");
    }

    private static void assertCanaries(ByteBuffer b, int at, int len, String where) {
        byte[] now = new byte[len];
        b.get(at, now);
        int m = Arrays.mismatch(now, 0, len, CANARIES, 0, len);
        if (m >= 0)
            fail(where + ": byte " + (at + m) + " written");
    }

    private static void fill(ByteBuffer b, int at, int len) {
        for (int done = 0; done < len; done += CANARIES.length)
            b.put(at + done, CANARIES, 0, Math.min(CANARIES.length, len - done));
    }

    private static int le16(byte[] b, int o) { return b[o] & 0xff | (b[o + 1] & 0xff) << 8; }
    private static int be16(byte[] b, int o) { return (b[o] & 0xff) << 8 | b[o + 1] & 0xff; }
    private static long be32(byte[] b, int o) { return (long) be16(b, o) << 16 | be16(b, o + 2); }

    /** RFC 1071 sum of b[off, off+len) as big-endian 16-bit words (odd byte padded), added to sum. */
    private static long sum(byte[] b, int off, int len, long sum) {
        for (int i = 0; i < len; i += 2)
            sum += (b[off + i] & 0xff) << 8 | (i + 1 < len ? b[off + i + 1] & 0xff : 0);
        return sum;
    }

    private static int fold(long sum) {
        while (sum >>> 16 != 0)
            sum = (sum & 0xffff) + (sum >>> 16);
        return (int) sum;
    }
}
