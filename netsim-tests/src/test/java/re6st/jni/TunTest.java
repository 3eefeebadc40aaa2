package re6st.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import re6st.netsim.Namespace;
import re6st.netsim.Ping;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;

/** Real packets through real TUN devices: two namespaces joined by a relay written in Java. */
@RequiresRoot
class TunTest {

    /**
     * Copies packets between two TUNs: batches one way, single packets the other way. A failure in
     * a relay thread is kept and thrown by {@link #close} (not lost with its thread).
     */
    static final class Relay implements AutoCloseable {
        final AtomicLong packets = new AtomicLong();
        private final Tun a, b;
        private final Thread ab, ba;
        private volatile boolean running = true;
        private final java.util.Queue<Throwable> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();

        Relay(Tun a, Tun b) {
            this.a = a;
            this.b = b;
            ab = new Thread(() -> loop(a, b, true), "relay-ab");
            ba = new Thread(() -> loop(b, a, false), "relay-ba");
            ab.start();
            ba.start();
        }

        private void loop(Tun from, Tun to, boolean batched) {
            PacketBatch batch = new PacketBatch(32, 2048);
            try {
                while (running) {
                    if ((from.await(Tun.READABLE, 200_000_000L) & Tun.READABLE) == 0)
                        continue;
                    if (batched) {
                        int n = from.readBatch(batch);
                        to.writeBatch(batch);
                        packets.addAndGet(n);
                    } else {
                        for (int i = 0; i < 64; i++) {
                            int n = from.read(batch.buffer(), 0, 2048);
                            if (n < 0)
                                break;
                            to.write(batch.buffer(), 0, n);
                            packets.incrementAndGet();
                        }
                    }
                }
            } catch (ErrnoException | RuntimeException | Error e) {
                if (running)
                    failures.add(e);
            }
        }

        @Override
        public void close() throws Exception {
            running = false;
            a.wakeup();
            b.wakeup();
            ab.join(10_000);
            ba.join(10_000);
            if (!failures.isEmpty())
                throw new AssertionError("a relay thread failed: " + failures.peek(), failures.peek());
            assertTrue(!ab.isAlive() && !ba.isAlive(), "the relay threads ended");
        }
    }

    @Test
    void pingsCrossTwoTunsInTwoNamespaces() throws Exception {
        try (TestNet net = TestNet.create("tun")) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            Tun ta = a.call(() -> Tun.open("tun0"));
            net.own(ta);
            Tun tb = b.call(() -> Tun.open("tun%d"));
            net.own(tb);
            assertEquals("tun0", tb.name(), "the kernel picks the first free number in b's namespace");
            ta.setNonBlocking(true);
            tb.setNonBlocking(true);
            for (Namespace[] p : new Namespace[][] {{a}, {b}}) {
                Namespace ns = p[0];
                ns.up("tun0");
            }
            a.addAddress("tun0", "198.18.1.1/24");
            b.addAddress("tun0", "198.18.1.2/24");
            a.addAddress("tun0", "fd00:1::1/64");
            b.addAddress("tun0", "fd00:1::2/64");
            try (Relay relay = new Relay(ta, tb)) {
                Ping.Result v4 = Ping.answered(a, "198.18.1.2", 5, Duration.ofMillis(50));
                assertEquals(5, v4.received(), v4.output());
                Ping.Result v6 = Ping.answered(b, "fd00:1::1", 5, Duration.ofMillis(50));
                assertEquals(5, v6.received(), v6.output());
                assertTrue(relay.packets.get() >= 20, "relay saw " + relay.packets.get() + " packets");
            }
        }
    }

    @Test
    void tunDisappearsWhenClosedAndNamesAreChecked() throws Exception {
        try (TestNet net = TestNet.create("tunclose")) {
            Namespace a = net.namespace("a");
            Tun t = a.call(() -> Tun.open("r6tx", Tun.Mode.TUN, Tun.MULTI_QUEUE));
            assertTrue(a.run("ip", "link", "show", "r6tx").ok());
            t.close();
            assertTrue(!a.exec(Duration.ofSeconds(5), "ip", "link", "show", "r6tx").ok(), "device gone after close");
            t.close(); // idempotent
            try {
                Tun.open("a-name-longer-than-15");
                throw new AssertionError("long name accepted");
            } catch (IllegalArgumentException expected) {
                assertTrue(expected.getMessage().contains("15"));
            }
        }
    }

    /** IFF_VNET_HDR: every packet carries a virtio_net_hdr; with offloads the kernel may hand us GSO super-packets. */
    @Test
    void vnetHeaderModeCarriesAHeaderPerPacket() throws Exception {
        try (TestNet net = TestNet.create("vnet")) {
            Namespace a = net.namespace("a");
            a.sysctl("net.ipv6.conf.all.disable_ipv6", "1");
            a.sysctl("net.ipv6.conf.default.disable_ipv6", "1");
            Tun t = a.call(() -> Tun.open("vtun0", Tun.Mode.TUN, Tun.VNET_HDR));
            net.own(t);
            t.setVnetHdrSize(12);
            t.setOffload(Tun.OFFLOAD_CSUM | Tun.OFFLOAD_TSO4 | Tun.OFFLOAD_TSO6);
            t.setNonBlocking(true);
            a.addAddress("vtun0", "198.18.40.1/24");
            a.up("vtun0");
            // An echo request from 198.18.40.2 behind a 12-byte all-zero header (no offload asked).
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(2048);
            byte[] ip = echoRequest(new byte[] {(byte) 198, 18, 40, 2}, new byte[] {(byte) 198, 18, 40, 1});
            for (int i = 0; i < 12; i++)
                b.put(i, (byte) 0);
            b.put(12, ip);
            assertEquals(12 + ip.length, t.write(b, 0, 12 + ip.length));
            assertTrue((t.await(Tun.READABLE, 5_000_000_000L) & Tun.READABLE) != 0, "an echo reply comes back");
            int n = t.read(b, 0, 2048);
            assertEquals(12 + ip.length, n, "reply = header + same-size IPv4 packet");
            assertEquals(0x45, b.get(12) & 0xff, "IPv4 after the 12-byte header");
            assertEquals(0, b.get(12 + 20) & 0xff, "ICMP echo reply");
        }
    }

    /**
     * Received TCP segments of one flow are glued into one GSO super-packet whose checksum the
     * kernel computes afresh (NEEDS_CSUM): a segment corrupted before it was sealed must not come
     * out valid. Three good segments: one write, no checksum error; the middle one corrupted: it
     * goes to the TUN alone and the kernel counts a TCP checksum error (TcpExt/Tcp InCsumErrors).
     */
    @Test
    void aCorruptedTcpSegmentIsNotCoalescedIntoAValidSuperPacket() throws Exception {
        try (TestNet net = TestNet.create("coalesce")) {
            Namespace a = net.namespace("a");
            Tun t = a.call(() -> Tun.open("ctun0", Tun.Mode.TUN, Tun.VNET_HDR));
            net.own(t);
            t.setOffload(Offload.TUN_OFFLOADS);
            t.setNonBlocking(true);
            a.addAddress("ctun0", "198.18.41.1/24");
            a.up("ctun0");
            PacketBatch batch = new PacketBatch(3, 2048);
            long[] result = new long[3];
            long[] csumErrors = new long[3];
            long[] hdrErrors = new long[3];
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 3; i++) {
                    byte[] seg = tcpSegment(new byte[] {(byte) 198, 18, 41, 2}, new byte[] {(byte) 198, 18, 41, 1}, 40000 + round,
                            5000, 1000 + i * 1000, 1000);
                    if (round == 1 && i == 1)
                        seg[40 + 500] ^= 0x01; // one payload bit flipped after the checksum was made
                    if (round == 2 && i == 0)
                        seg[5] ^= 0x01; // the leader's IPv4 ID flipped after its header checksum was made
                    batch.buffer().put(batch.offset(i), seg);
                    batch.setLength(i, seg.length);
                }
                long before = re6st.netsim.ProcStats.snmp(a, "Tcp", "InCsumErrors");
                long hdrBefore = re6st.netsim.ProcStats.snmp(a, "Ip", "InHdrErrors");
                long rstsBefore = re6st.netsim.ProcStats.snmp(a, "Tcp", "OutRsts");
                result[round] = Offload.writeCoalesced(t, batch, 3);
                // every valid segment (or super-packet) to this closed port gets a reset, in order: after the last
                // one's, the kernel has judged the corrupted one, which came before it
                int resets = round == 1 ? 2 : 1;
                re6st.netsim.Wait.until("the kernel answered the valid segments with " + resets
                        + " reset(s) (a corrupted segment merged into a super-packet with them would leave one)", Duration.ofSeconds(10),
                        () -> re6st.netsim.ProcStats.snmp(a, "Tcp", "OutRsts") - rstsBefore >= resets);
                csumErrors[round] = re6st.netsim.ProcStats.snmp(a, "Tcp", "InCsumErrors") - before;
                hdrErrors[round] = re6st.netsim.ProcStats.snmp(a, "Ip", "InHdrErrors") - hdrBefore;
            }
            System.out.printf("good flow: %d write(s), %d checksum errors; corrupted middle segment: %d writes, %d checksum errors;"
                    + " corrupted leader IPv4 header: %d writes, %d IPv4 header errors%n",
                    (int) result[0], csumErrors[0], (int) result[1], csumErrors[1], (int) result[2], hdrErrors[2]);
            assertEquals(1, (int) result[0], "three good segments are written as one super-packet");
            assertEquals(0, csumErrors[0]);
            assertEquals(0, hdrErrors[0]);
            assertEquals(3, (int) result[1], "the corrupted segment breaks the group: three writes");
            assertEquals(0, result[1] >>> 32, "none refused by the TUN itself");
            assertEquals(1, csumErrors[1], "the kernel saw the corrupted segment's bad checksum and dropped it");
            assertEquals(2, (int) result[2], "the leader with a bad IPv4 header checksum is written alone, the other two together");
            assertEquals(0, result[2] >>> 32, "none refused by the TUN itself");
            assertEquals(1, hdrErrors[2], "the kernel saw the leader's bad IPv4 header checksum and dropped it"
                    + " (merged, its header checksum would have been recomputed and the corruption passed as valid)");
        }
    }

    /** An IPv4 TCP segment (ACK, no options) with {@code n} payload bytes and correct checksums. */
    static byte[] tcpSegment(byte[] src, byte[] dst, int sport, int dport, long seq, int n) {
        byte[] p = new byte[40 + n];
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(p);
        b.put(0, (byte) 0x45).putShort(2, (short) p.length).put(6, (byte) 0x40).put(8, (byte) 64).put(9, (byte) 6);
        b.put(12, src).put(16, dst);
        putChecksum(p, 0, 20, 10);
        b.putShort(20, (short) sport).putShort(22, (short) dport).putInt(24, (int) seq).putInt(28, 1);
        b.put(32, (byte) 0x50).put(33, (byte) 0x10).putShort(34, (short) 1024);
        for (int i = 0; i < n; i++)
            p[40 + i] = (byte) (i * 7);
        byte[] pseudo = new byte[12 + 20 + n]; // pseudo-header, then the TCP segment
        System.arraycopy(src, 0, pseudo, 0, 4);
        System.arraycopy(dst, 0, pseudo, 4, 4);
        pseudo[9] = 6;
        pseudo[10] = (byte) ((20 + n) >> 8);
        pseudo[11] = (byte) (20 + n);
        System.arraycopy(p, 20, pseudo, 12, 20 + n);
        putChecksum(pseudo, 0, pseudo.length, 12 + 16);
        System.arraycopy(pseudo, 12 + 16, p, 36, 2);
        return p;
    }

    /** A minimal IPv4 ICMP echo request with correct checksums. */
    static byte[] echoRequest(byte[] src, byte[] dst) {
        byte[] p = new byte[28];
        p[0] = 0x45;
        p[3] = 28;
        p[8] = 64;
        p[9] = 1;
        System.arraycopy(src, 0, p, 12, 4);
        System.arraycopy(dst, 0, p, 16, 4);
        putChecksum(p, 0, 20, 10);
        p[20] = 8; // echo request
        p[24] = 0x12;
        p[26] = 0x01;
        putChecksum(p, 20, 8, 22);
        return p;
    }

    private static void putChecksum(byte[] p, int off, int len, int at) {
        int sum = 0;
        for (int i = off; i < off + len; i += 2)
            sum += ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
        while ((sum >> 16) != 0)
            sum = (sum & 0xffff) + (sum >> 16);
        sum = ~sum & 0xffff;
        p[at] = (byte) (sum >> 8);
        p[at + 1] = (byte) sum;
    }
}
