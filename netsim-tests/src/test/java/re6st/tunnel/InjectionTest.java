package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import re6st.jni.PacketSocket;
import re6st.netsim.Namespace;
import re6st.netsim.Ping;
import re6st.netsim.RawPackets;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;
import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataChannel.Drop;
import re6st.tunnel.data.DataPacket;

/**
 * Acceptance 3: datagrams injected on the underlay from a raw (AF_PACKET) socket, with the
 * peer's own source address, are dropped and counted by reason, change nothing (the peer's
 * address, the liveness state) and the tunnel keeps carrying traffic: a captured authentic
 * datagram replayed, truncated, bit-flipped in the header and in the ciphertext, and random
 * datagrams.
 */
@RequiresRoot
class InjectionTest {
    static final InetSocketAddress A = new InetSocketAddress("198.18.73.1", 1194), B = new InetSocketAddress("198.18.73.2", 1194);

    @Test
    void injectedDatagramsAreDroppedCountedAndHarmless() throws Exception {
        try (TestNet net = TestNet.create("inject")) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            net.veth(a, "veth0", b, "veth0");
            a.addAddress("veth0", "198.18.73.1/24");
            b.addAddress("veth0", "198.18.73.2/24");
            UdpTunnel ta = a.call(() -> new UdpTunnel(TunDevice.open("r6t0"), UdpTunnel.bind(A), B,
                    new TunnelSession(new DataChannel(UdpTunnelTest.key(5), UdpTunnelTest.key(6)), Liveness.defaults(System.nanoTime())),
                    UdpTunnel.Listener.NONE));
            net.own(ta);
            UdpTunnel tb = b.call(() -> new UdpTunnel(TunDevice.open("r6t0"), UdpTunnel.bind(B), A,
                    new TunnelSession(new DataChannel(UdpTunnelTest.key(6), UdpTunnelTest.key(5)), Liveness.defaults(System.nanoTime())),
                    UdpTunnel.Listener.NONE));
            net.own(tb);
            for (Namespace n : new Namespace[] {a, b})
                n.up("r6t0");
            a.addAddress("r6t0", "fd00:73::1/64");
            b.addAddress("r6t0", "fd00:73::2/64");
            Wait.until("tunnel passes pings", Duration.ofSeconds(10), () -> a.pings("fd00:73::2"));

            // capture one authentic datagram a -> b as it leaves a (an echo request through the tunnel)
            PacketSocket raw = a.call(() -> PacketSocket.open("veth0", PacketSocket.ETH_P_ALL));
            try (raw) {
                byte[] captured = capture(raw, a);
                DataChannel rx = tb.session().channel();
                Map<Drop, Long> before = rx.drops();
                long transitions = tb.session().liveness().transitions();
                EnumMap<Drop, Long> expected = new EnumMap<>(Drop.class);

                for (int i = 0; i < 5; i++) // replayed as is
                    inject(raw, captured);
                expected.merge(Drop.REPLAY, 5L, Long::sum);
                inject(raw, Arrays.copyOf(captured, 10)); // shorter than a header and tag
                expected.merge(Drop.TRUNCATED, 1L, Long::sum);
                inject(raw, Arrays.copyOf(captured, captured.length - 1)); // the tag cut by one byte
                inject(raw, Arrays.copyOf(captured, DataPacket.OVERHEAD + 1));
                expected.merge(Drop.AUTH_FAILED, 2L, Long::sum);
                for (int at : new int[] {4, 11, DataPacket.HEADER, captured.length / 2, captured.length - 1}) {
                    byte[] flipped = captured.clone(); // counter bytes, ciphertext, tag
                    flipped[at] ^= 0x10;
                    inject(raw, flipped);
                }
                expected.merge(Drop.AUTH_FAILED, 5L, Long::sum);
                byte[] epoch = captured.clone();
                epoch[1] ^= 0x40; // an epoch nobody uses
                inject(raw, epoch);
                expected.merge(Drop.UNKNOWN_EPOCH, 1L, Long::sum);
                Random r = new Random(73);
                int randoms = 200;
                for (int i = 0; i < randoms; i++) {
                    byte[] junk = new byte[1 + r.nextInt(1400)];
                    r.nextBytes(junk);
                    if (i % 2 == 0)
                        junk[0] = (byte) DataPacket.TYPE_DATA; // half look like data packets of the current epoch
                    if (i % 2 == 0 && junk.length > 1)
                        junk[1] = 0;
                    inject(raw, junk);
                }
                long injected = 5 + 1 + 2 + 5 + 1 + randoms;
                // each one dropped and counted exactly once: none was taken as authentic
                Wait.until("every injected datagram counted", Duration.ofSeconds(10),
                        () -> total(rx.drops()) - total(before) == injected);
                Map<Drop, Long> after = rx.drops();
                for (Map.Entry<Drop, Long> e : expected.entrySet())
                    assertTrue(after.getOrDefault(e.getKey(), 0L) - before.getOrDefault(e.getKey(), 0L) >= e.getValue(),
                            e.getKey() + ": " + before + " -> " + after);
                System.out.println("injected " + injected + " datagrams, drops " + before + " -> " + after);
                assertEquals(A, tb.peer(), "the peer's address did not move");
                assertEquals(transitions, tb.session().liveness().transitions(), "liveness did not change");
            }
            Ping.Result ok = Ping.answered(a, "fd00:73::2", 5, Duration.ofMillis(50));
            assertEquals(5, ok.received(), "the tunnel still works: " + ok.output());
        }
    }

    private static long total(Map<Drop, Long> m) {
        return m.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The UDP payload of the next datagram a sends to b's tunnel port. */
    private static byte[] capture(PacketSocket raw, Namespace a) throws Exception {
        ByteBuffer buf = ByteBuffer.allocateDirect(70_000);
        Thread pinger = new Thread(() -> Ping.run(a, "fd00:73::2", 3, Duration.ofMillis(100)));
        pinger.start();
        try {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < deadline) {
                int n = raw.receive(buf, 0, buf.capacity(), 200_000_000L);
                if (n <= 0 || raw.lastPacketType() != PacketSocket.PACKET_OUTGOING)
                    continue;
                byte[] pkt = new byte[n];
                buf.get(0, pkt);
                RawPackets.Udp u = RawPackets.parseUdp(pkt);
                if (u != null && u.destination().equals(B) && u.payloadLength() > DataPacket.OVERHEAD && pkt[u.payloadOffset()] == 1)
                    return u.payload(pkt);
            }
        } finally {
            pinger.join(10_000);
        }
        throw new AssertionError("no tunnel datagram captured");
    }

    private static void inject(PacketSocket raw, byte[] payload) throws Exception {
        byte[] pkt = RawPackets.udp(A, B, payload);
        ByteBuffer b = ByteBuffer.allocateDirect(pkt.length).put(pkt);
        raw.send(b, 0, pkt.length, PacketSocket.ETH_P_IP);
    }
}
