package re6st.jni;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import re6st.netsim.Namespace;
import re6st.netsim.RawPackets;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;

/**
 * AF_PACKET capture and injection between two namespaces joined by a veth: a datagram sent by
 * an ordinary socket is seen leaving one side (ETH_P_ALL, outgoing) and arriving on the other
 * (ETH_P_IP / ETH_P_IPV6, for this host); crafted datagrams claiming to come from the peer's
 * socket, and a captured one replayed, reach a socket on the other side with their content and
 * source, whether sent to the peer's MAC or to the Ethernet broadcast address.
 */
@RequiresRoot
class PacketSocketTest {
    static final Duration WAIT = Duration.ofSeconds(5);
    static final int MAX = 2048;

    @Test
    void ipv4CaptureAndInjection() throws Exception {
        captureAndInject("pkt4", StandardProtocolFamily.INET, "198.18.91.1", "198.18.91.2", 24, PacketSocket.ETH_P_IP);
    }

    @Test
    void ipv6CaptureAndInjection() throws Exception {
        captureAndInject("pkt6", StandardProtocolFamily.INET6, "fd00:91::1", "fd00:91::2", 64, PacketSocket.ETH_P_IPV6);
    }

    void captureAndInject(String label, ProtocolFamily family, String addrA, String addrB, int plen, int etherType)
            throws Exception {
        try (TestNet net = TestNet.create(label)) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            net.veth(a, "veth0", b, "veth0");
            a.addAddress("veth0", addrA + "/" + plen); // IPv6: nodad
            b.addAddress("veth0", addrB + "/" + plen);

            PacketSocket capA = a.call(() -> PacketSocket.open("veth0", PacketSocket.ETH_P_ALL));
            net.own(capA);
            PacketSocket capB = b.call(() -> PacketSocket.open("veth0", etherType));
            net.own(capB);
            assertEquals(a.call(() -> PacketSocket.ifindex("veth0")), capA.ifindex());
            byte[] macB = capB.hardwareAddress();
            assertEquals(6, macB.length, "veth has a MAC");
            DatagramChannel chA = a.call(() -> DatagramChannel.open(family).bind(new InetSocketAddress(addrA, 0)));
            net.own(chA);
            DatagramChannel chB = b.call(() -> DatagramChannel.open(family).bind(new InetSocketAddress(addrB, 0)));
            net.own(chB);
            chB.configureBlocking(false);
            InetSocketAddress sa = (InetSocketAddress) chA.getLocalAddress();
            InetSocketAddress sb = (InetSocketAddress) chB.getLocalAddress();
            ByteBuffer bufA = ByteBuffer.allocateDirect(MAX), bufB = ByteBuffer.allocateDirect(MAX);

            // 1. Capture: an ordinary datagram seen leaving a and arriving at b.
            byte[] hello = "hello from a's socket".getBytes(StandardCharsets.US_ASCII);
            chA.send(ByteBuffer.wrap(hello), sb);
            int n = expectUdp(capA, bufA, sa, sb, "a's capture");
            RawPackets.Udp out = RawPackets.parseUdp(bufA, 0, n);
            assertEquals(PacketSocket.PACKET_OUTGOING, capA.lastPacketType(), "ETH_P_ALL sees what a sends");
            assertEquals(etherType, capA.lastEtherType());
            assertEquals(n, capA.lastWireLength());
            assertArrayEquals(hello, out.payload(bufA));
            byte[] captured = new byte[n];
            bufA.get(0, captured);

            int m = expectUdp(capB, bufB, sa, sb, "b's capture");
            assertEquals(PacketSocket.PACKET_HOST, capB.lastPacketType(), "b sees a packet for itself");
            assertEquals(etherType, capB.lastEtherType());
            assertEquals(n, m, "same packet on both sides");
            assertReceives(chB, sa, hello, "the original datagram");

            // veth offloads the UDP checksum: a capture may hold only the pseudo-header sum, which the kernel says
            // (a capture the kernel says is complete is checked on the crafted datagram below, every run).
            if (!capA.lastChecksumNotReady())
                assertTrue(RawPackets.checksumsOk(captured, 0, n), "a complete checksum is right");
            RawPackets.fixChecksums(captured, 0, n);
            assertTrue(RawPackets.checksumsOk(captured, 0, n));

            // 2. Injection: crafted datagrams claiming to come from a's socket (a spoofed source, sent by no socket),
            // to b's MAC and to the broadcast address; b's socket takes both, b's capture says how each came.
            byte[] unicast = "crafted, to b's MAC".getBytes(StandardCharsets.US_ASCII);
            byte[] p1 = RawPackets.udp(sa, sb, unicast);
            assertTrue(RawPackets.checksumsOk(p1, 0, p1.length));
            assertEquals(etherType, RawPackets.etherType(p1));
            bufA.put(0, p1);
            capA.send(bufA, 0, p1.length, etherType, macB);
            assertReceives(chB, sa, unicast, "a crafted datagram sent to b's MAC");
            assertEquals(p1.length, expectUdp(capB, bufB, sa, sb, "b's capture of the crafted datagram"));
            assertEquals(PacketSocket.PACKET_HOST, capB.lastPacketType());
            assertFalse(capB.lastChecksumNotReady(), "injected with a complete checksum, captured as such");
            byte[] crafted = new byte[p1.length];
            bufB.get(0, crafted);
            assertTrue(RawPackets.checksumsOk(crafted, 0, crafted.length), "b captured the crafted datagram with its right checksum");

            byte[] broadcast = "crafted, to ff:ff:ff:ff:ff:ff".getBytes(StandardCharsets.US_ASCII);
            byte[] p2 = RawPackets.udp(sa, sb, broadcast);
            bufA.put(0, p2);
            capA.send(bufA, 0, p2.length, etherType);
            assertReceives(chB, sa, broadcast, "a crafted datagram sent to the broadcast MAC");
            expectUdp(capB, bufB, sa, sb, "b's capture of the broadcast datagram");
            assertEquals(PacketSocket.PACKET_BROADCAST, capB.lastPacketType());

            // 3. Replay of the captured packet (checksum completed): b's socket gets the datagram a second time.
            bufA.put(0, captured);
            capA.send(bufA, 0, n, etherType, macB);
            assertReceives(chB, sa, hello, "the captured datagram replayed");

            // 4. A capture cut short says the packet's full length.
            byte[] big = new byte[1000];
            chA.send(ByteBuffer.wrap(big), sb);
            int header = n - hello.length;
            int cut = expectLength(capB, bufB, header, header + big.length);
            assertEquals(header, cut, "receive stores at most max bytes");
            assertEquals(header + big.length, capB.lastWireLength());

            // A capture times out with -1; close() wakes a receive that waits forever; a closed socket does not send.
            PacketSocket quiet = a.call(() -> PacketSocket.open("veth0", 0x88B5)); // IEEE local experimental: nobody sends it
            net.own(quiet);
            assertEquals(-1, quiet.receive(bufA, 0, MAX, 1_000_000L), "timeout");
            int[] result = {0};
            Thread waiter = new Thread(() -> {
                try {
                    result[0] = quiet.receive(ByteBuffer.allocateDirect(MAX), 0, MAX, -1);
                } catch (ErrnoException e) {
                    result[0] = -2;
                }
            }, "packet-waiter");
            waiter.start();
            Wait.until("the waiter blocks in receive", WAIT, () -> {
                StackTraceElement[] st = waiter.getStackTrace();
                return st.length > 0 && st[0].getMethodName().equals("receive0");
            });
            quiet.close();
            waiter.join(WAIT.toMillis());
            assertTrue(!waiter.isAlive(), "close() wakes a waiting receive");
            assertEquals(-1, result[0]);
            assertEquals(-1, quiet.receive(bufA, 0, MAX, -1), "a closed socket does not block");
            ErrnoException closed = expectErrno(() -> {
                quiet.send(bufA, 0, n, etherType);
                return null;
            });
            assertEquals(ErrnoException.EBADF, closed.errno());
        }
    }

    @Test
    void openNamesTheInterfaceAndBindErrors() throws Exception {
        try (TestNet net = TestNet.create("pktopen")) {
            Namespace a = net.namespace("a");
            ErrnoException e = expectErrno(() -> a.call(() -> PacketSocket.open("nosuch0", PacketSocket.ETH_P_ALL)));
            assertEquals(ErrnoException.ENODEV, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains("nosuch0"), e.getMessage());
            ErrnoException b = expectErrno(() -> a.call(() -> PacketSocket.open(999, PacketSocket.ETH_P_ALL)));
            assertTrue(b.getMessage().contains("ifindex 999"), b.getMessage());
            // A packet socket on an interface with no link-layer address (loopback's is all zeros, TUN has none).
            try (PacketSocket lo = a.call(() -> PacketSocket.open("lo", PacketSocket.ETH_P_ALL))) {
                assertEquals(1, lo.ifindex());
            }
        }
    }

    interface Body {
        Object run() throws Exception;
    }

    static ErrnoException expectErrno(Body body) throws Exception {
        try {
            body.run();
        } catch (ErrnoException e) {
            return e;
        }
        throw new AssertionError("no ErrnoException");
    }

    /**
     * Receives on {@code s} until a UDP datagram from {@code from} to {@code to} comes (skipping
     * ARP, neighbour discovery and the like), within {@link #WAIT}. Returns its length.
     */
    static int expectUdp(PacketSocket s, ByteBuffer buf, InetSocketAddress from, InetSocketAddress to, String what)
            throws ErrnoException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<String> skipped = new ArrayList<>();
        for (long left; (left = deadline - System.nanoTime()) > 0;) {
            int n = s.receive(buf, 0, MAX, left);
            if (n < 0)
                break;
            int type = s.lastEtherType();
            RawPackets.Udp u = type == PacketSocket.ETH_P_IP || type == PacketSocket.ETH_P_IPV6 ? RawPackets.parseUdp(buf, 0, n) : null;
            if (u != null && sameEndpoint(u.source(), from) && sameEndpoint(u.destination(), to))
                return n;
            skipped.add(String.format("0x%04x/%d bytes", type, n));
        }
        throw new AssertionError(what + ": no UDP " + from + " -> " + to + " within " + WAIT.toMillis() + " ms; saw " + skipped);
    }

    /** Receives at most {@code max} bytes per packet until one of full length {@code wire} comes. Returns what receive returned. */
    static int expectLength(PacketSocket s, ByteBuffer buf, int max, int wire) throws ErrnoException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        for (long left; (left = deadline - System.nanoTime()) > 0;) {
            int n = s.receive(buf, 0, max, left);
            if (n < 0)
                break;
            if (s.lastWireLength() == wire)
                return n;
        }
        throw new AssertionError("no packet of " + wire + " bytes within " + WAIT.toMillis() + " ms");
    }

    static void assertReceives(DatagramChannel ch, InetSocketAddress from, byte[] payload, String what) {
        ByteBuffer got = ByteBuffer.allocate(MAX);
        SocketAddress src = Wait.forValue(what + " reaches b's socket", WAIT, () -> {
            try {
                return ch.receive(got.clear());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertNotNull(src);
        assertTrue(sameEndpoint((InetSocketAddress) src, from), what + ": source " + src + ", expected " + from);
        got.flip();
        byte[] bytes = new byte[got.remaining()];
        got.get(bytes);
        assertArrayEquals(payload, bytes, what + ": content");
    }

    static boolean sameEndpoint(InetSocketAddress x, InetSocketAddress y) {
        InetAddress ax = x.getAddress(), ay = y.getAddress();
        return x.getPort() == y.getPort() && java.util.Arrays.equals(ax.getAddress(), ay.getAddress());
    }
}
