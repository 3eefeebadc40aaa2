package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;

import org.junit.jupiter.api.Test;

import re6st.tunnel.Liveness.Action;
import re6st.tunnel.TunnelSession.Kind;
import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataKey;

/** Two tunnel ends joined by an in-memory wire on a virtual clock. */
class TunnelSessionTest {
    static final long MS = 1_000_000L;

    static TunnelSession[] pair() {
        byte[] k1 = new byte[32], k2 = new byte[32];
        new Random(1).nextBytes(k1);
        new Random(2).nextBytes(k2);
        DataKey ab = new DataKey(k1, new byte[] {1, 1, 1, 1}, 0), ba = new DataKey(k2, new byte[] {2, 2, 2, 2}, 0);
        return new TunnelSession[] {new TunnelSession(new DataChannel(ab, ba), Liveness.defaults(0)),
            new TunnelSession(new DataChannel(ba, ab), Liveness.defaults(0))};
    }

    /** Delivers everything {@code from} wants to send (probes/echoes) to {@code to}, unless the wire is cut. */
    static void exchange(TunnelSession from, TunnelSession to, boolean cut, long now) {
        ByteBuffer wire = ByteBuffer.allocate(2048), tun = ByteBuffer.allocate(2048);
        for (int i = 0; i < 4 && from.replyPending(); i++) {
            wire.clear();
            from.takeReply(wire);
            wire.flip();
            if (!cut) {
                tun.clear();
                assertEquals(Kind.CONTROL, to.fromUnderlay(wire, tun, now));
            }
        }
    }

    @Test
    void ipPacketsGoThroughAndControlDoesNotReachTheTun() {
        TunnelSession[] p = pair();
        ByteBuffer inner = ByteBuffer.allocate(100);
        inner.put(0, (byte) 0x60).position(0); // an IPv6 packet
        ByteBuffer wire = ByteBuffer.allocate(2048), tun = ByteBuffer.allocate(2048);
        p[0].fromTun(inner, wire);
        wire.flip();
        assertEquals(Kind.DATA, p[1].fromUnderlay(wire, tun, 10 * MS));
        assertEquals(100, tun.position());
        assertEquals(0x60, tun.get(0));
    }

    @Test
    void probesAreAnsweredAndMeasureRtt() {
        TunnelSession[] p = pair();
        long now = 0;
        for (; now < 300 * MS && p[0].tick(now) != Action.SEND_PROBE; now += MS)
            p[1].tick(now);
        assertTrue(p[0].replyPending());
        exchange(p[0], p[1], false, now + 20 * MS); // probe arrives after 20 ms
        assertTrue(p[1].replyPending(), "the peer answers");
        exchange(p[1], p[0], false, now + 40 * MS); // echo back after 20 ms more
        assertEquals(40 * MS, p[0].liveness().srttNanos());
    }

    /**
     * Data both ways every 10 ms (each send told to the session, as the TUN side does per batch),
     * then the wire cut: the tunnel goes down within the liveness bound (check, RTO, burst, RTO:
     * 300 ms after the last packet), probes on while down and comes up at the first answer after
     * the wire heals (the fast down cadence: 100 ms).
     */
    @Test
    void aCutWireUnderTrafficTakesTheTunnelDownFastAndHealingBringsItBack() {
        TunnelSession[] p = pair();
        boolean cut = false;
        long downAt = -1, upAt = -1;
        ByteBuffer inner = ByteBuffer.allocate(60), wire = ByteBuffer.allocate(2048), tun = ByteBuffer.allocate(2048);
        inner.put(0, (byte) 0x60);
        for (long now = 0; now < 5_000 * MS; now += 10 * MS) {
            if (now == 2_000 * MS)
                cut = true;
            if (now == 3_500 * MS)
                cut = false;
            for (int s = 0; s < 2; s++) {
                if (p[s].liveness().state() != Liveness.State.UP)
                    continue; // the TUN interface is down: no data
                wire.clear();
                inner.clear();
                p[s].fromTun(inner, wire);
                p[s].dataSent(now);
                wire.flip();
                if (!cut) {
                    tun.clear();
                    assertEquals(Kind.DATA, p[1 - s].fromUnderlay(wire, tun, now));
                }
            }
            for (int s = 0; s < 2; s++) {
                p[s].tick(now);
                exchange(p[s], p[1 - s], cut, now);
                exchange(p[1 - s], p[s], cut, now);
                Action t = p[s].takeTransition();
                if (s == 0 && t == Action.WENT_DOWN)
                    downAt = now;
                if (s == 0 && t == Action.WENT_UP)
                    upAt = now;
            }
        }
        System.out.printf("session: down %d ms after the cut, up %d ms after healing%n", downAt / MS - 2000, upAt / MS - 3500);
        assertTrue(downAt - 1_990 * MS >= Liveness.MIN_SILENCE_BEFORE_DOWN_NS && downAt <= 2_300 * MS,
                "down " + (downAt / MS - 2000) + " ms after the cut");
        assertTrue(upAt >= 3_500 * MS && upAt <= 3_500 * MS + Liveness.DOWN_FAST_NS + 10 * MS, "up " + (upAt / MS - 3500) + " ms after healing");
    }

    @Test
    void garbageAndShortControlAreDropped() {
        TunnelSession[] p = pair();
        ByteBuffer tun = ByteBuffer.allocate(2048);
        assertEquals(Kind.DROPPED, p[1].fromUnderlay(ByteBuffer.wrap(new byte[60]), tun, 0));
        ByteBuffer inner = ByteBuffer.wrap(new byte[] {0, 1}); // control, too short
        ByteBuffer wire = ByteBuffer.allocate(100);
        p[0].fromTun(inner, wire);
        wire.flip();
        assertEquals(Kind.DROPPED, p[1].fromUnderlay(wire, tun, 0));
    }

    /**
     * Rekeying without messages: each side moves its send key to the next generation when it
     * decides to; the other follows on the first authentic packet. Packets sealed under the old
     * key and delivered late still open; nothing is lost across many generations, past the
     * 8-bit epoch wrapping; a forged next epoch does not move anything.
     */
    @Test
    void rekeyUnderTrafficLosesNothing() throws Exception {
        java.security.SecureRandom rnd = new java.security.SecureRandom();
        byte[] secret = new byte[re6st.tunnel.handshake.KeySchedule.SECRET_LENGTH];
        rnd.nextBytes(secret);
        var schedules = new re6st.tunnel.handshake.KeySchedule[] {new re6st.tunnel.handshake.KeySchedule(secret, true),
            new re6st.tunnel.handshake.KeySchedule(secret, false)};
        TunnelSession a = new TunnelSession(schedules[0], Liveness.defaults(0), 10 * MS, 0);
        TunnelSession b = new TunnelSession(schedules[1], Liveness.defaults(0), 7 * MS, 0);
        ByteBuffer inner = ByteBuffer.allocate(64), tun = ByteBuffer.allocate(2048);
        java.util.ArrayDeque<ByteBuffer> lateAtoB = new java.util.ArrayDeque<>();
        long delivered = 0;
        for (int i = 0; i < 3000; i++) {
            long now = i * MS;
            a.maybeRekey(now);
            b.maybeRekey(now);
            for (TunnelSession[] dir : new TunnelSession[][] {{a, b}, {b, a}}) {
                inner.clear();
                inner.put((byte) 0x45).putInt(i).position(0).limit(64);
                ByteBuffer wire = ByteBuffer.allocate(2048);
                dir[0].fromTun(inner, wire);
                wire.flip();
                if (dir[0] == a && i % 5 == 0) { // every 5th packet a->b is delivered 3 steps late (reordered across rekeys)
                    lateAtoB.add(wire);
                    continue;
                }
                tun.clear();
                assertEquals(Kind.DATA, dir[1].fromUnderlay(wire, tun, now), "packet " + i);
                delivered++;
            }
            if (lateAtoB.size() > 3) {
                tun.clear();
                assertEquals(Kind.DATA, b.fromUnderlay(lateAtoB.poll(), tun, now), "late packet at " + i);
                delivered++;
            }
            a.tick(now);
            b.tick(now);
        }
        assertTrue(a.rekeys() >= 290 && b.rekeys() >= 420, a.rekeys() + " / " + b.rekeys() + " rekeys");
        assertTrue(b.channel().receiveRotations() == a.rekeys() && a.channel().receiveRotations() == b.rekeys(),
                "each side followed every rekey of the other");
        assertTrue(b.channel().drops().isEmpty() && a.channel().drops().isEmpty(), b.channel().drops() + " " + a.channel().drops());
        // a datagram claiming the next epoch but not sealed with its key changes nothing
        ByteBuffer forged = ByteBuffer.allocate(100);
        forged.put(0, (byte) 1).put(1, (byte) ((b.channel().receiveEpoch() + 1) & 0xff));
        tun.clear();
        assertEquals(Kind.DROPPED, b.fromUnderlay(forged, tun, 0));
        assertEquals(a.rekeys(), b.channel().receiveRotations());
        assertTrue(delivered > 5900);
    }

    // ---- path MTU ------------------------------------------------------------------------

    static TunnelSession[] pairProbing(int mtu) {
        TunnelSession[] p = pair();
        DataChannel c0 = p[0].channel(), c1 = p[1].channel();
        return new TunnelSession[] {new TunnelSession(c0, Liveness.defaults(0), PathMtu.defaults(mtu, 0)),
            new TunnelSession(c1, Liveness.defaults(0), PathMtu.defaults(mtu, 0))};
    }

    /**
     * An in-memory wire on a virtual clock between two sessions: every 10 ms each side ticks and
     * everything it wants to send (probes, echoes, MTU probes and acknowledgements) goes to the
     * other side, except datagrams above {@code maxDatagram} (a path-MTU black hole: silently
     * lost, no ICMP) and those {@link #lose} picks. MTU decisions are collected per side.
     */
    static class Wire {
        final TunnelSession[] p;
        int maxDatagram = Integer.MAX_VALUE;
        long now;
        final java.util.List<java.util.List<long[]>> decisions = java.util.List.of(new java.util.ArrayList<>(), new java.util.ArrayList<>());
        final ByteBuffer out = ByteBuffer.allocate(TunPump.MAX_PACKET + 28), tun = ByteBuffer.allocate(2048);
        final long[] bigSent = new long[2];

        Wire(TunnelSession[] p) {
            this.p = p;
        }

        boolean lose(int from, int len) {
            return false;
        }

        void runUntil(long end) {
            for (; now < end; now += 10 * MS) {
                for (int s = 0; s < 2; s++) {
                    p[s].tick(now);
                    int d = p[s].takeMtuChange();
                    if (d != 0)
                        decisions.get(s).add(new long[] {now, d});
                }
                for (int round = 0; round < 4; round++)
                    for (int s = 0; s < 2; s++)
                        while (p[s].replyPending()) {
                            out.clear();
                            int len = p[s].takeReply(out);
                            if (len > 1000)
                                bigSent[s]++;
                            out.flip();
                            if (len == 0 || len > maxDatagram || lose(s, len))
                                continue;
                            tun.clear();
                            assertEquals(Kind.CONTROL, p[1 - s].fromUnderlay(out, tun, now));
                        }
            }
        }

        java.util.List<Integer> mtus(int s) {
            return decisions.get(s).stream().map(d -> (int) d[1]).toList();
        }
    }

    @Test
    void bothEndsFindTheLargestMtuThroughABlackHoleAndGoBackUpWhenItHeals() {
        TunnelSession[] p = pairProbing(1424);
        assertEquals(1424 + 28, p[0].maxReplyLength());
        Wire w = new Wire(p);
        w.maxDatagram = 1400; // 1500-byte link somewhere with 100 more bytes of encapsulation; ICMP filtered
        w.runUntil(30_000 * MS);
        for (int s = 0; s < 2; s++) {
            assertEquals(1344, p[s].mtu(), "side " + s);
            assertEquals(java.util.List.of(1404, 1384, 1344), w.mtus(s));
            long at = w.decisions.get(s).get(2)[0];
            assertTrue(at <= 9_100 * MS, "side " + s + " converged after " + at / MS + " ms");
            assertEquals(Liveness.State.UP, p[s].liveness().state(), "small packets kept the tunnel up");
            assertEquals(0, p[s].malformedControl());
        }
        w.maxDatagram = Integer.MAX_VALUE; // the black hole disappears
        w.runUntil(30_000 * MS + PathMtu.RAISE_INTERVAL_NS);
        for (int s = 0; s < 2; s++) {
            assertEquals(1424, p[s].mtu(), "side " + s);
            assertEquals(java.util.List.of(1404, 1384, 1344, 1384, 1404, 1424), w.mtus(s));
        }
    }

    @Test
    void aSingleLostProbeDoesNotLowerTheMtu() {
        TunnelSession[] p = pairProbing(1424);
        Wire w = new Wire(p) {
            boolean lost;

            @Override
            boolean lose(int from, int len) {
                if (from == 0 && len > 1000 && !lost) // side 0's first MTU probe
                    return lost = true;
                return false;
            }
        };
        w.runUntil(10_000 * MS);
        assertEquals(1424, p[0].mtu());
        assertTrue(w.decisions.get(0).isEmpty() && w.decisions.get(1).isEmpty());
        assertEquals(1, p[0].pathMtu().probesLost());
        assertEquals(2, w.bigSent[0], "the lost probe was sent again and acknowledged");
        assertTrue(!p[0].pathMtu().probing());
    }

    @Test
    void emsgsizeLowersTheMtuAtOnce() {
        TunnelSession[] p = pairProbing(1424);
        Wire w = new Wire(p);
        w.runUntil(100 * MS);
        p[0].reportTooBig(1424 + 28, 0); // the kernel refused a full-size datagram
        assertEquals(w.now, p[0].nextCheck(w.now), "the report wants a tick now");
        p[0].tick(w.now);
        assertEquals(1404, p[0].takeMtuChange());
        assertTrue(p[0].replyPending(), "and the new size is probed");
        p[0].reportTooBig(1404 + 28, PathMtu.innerMtu(1466, true)); // now with the kernel's path MTU
        p[0].reportTooBig(1424 + 28, 0); // a datagram queued before the first lowering: no effect
        p[0].tick(w.now);
        assertEquals(1390, p[0].takeMtuChange());
        assertEquals(0, p[0].takeMtuChange());
        w.runUntil(2_000 * MS);
        assertEquals(1390, p[0].mtu(), "confirmed");
        assertTrue(w.decisions.get(0).isEmpty());
        p[1].reportTooBig(0, 0); // "too big", nothing more known
        p[1].tick(w.now);
        assertEquals(1404, p[1].takeMtuChange());
        // a session without path-MTU probing ignores it all
        TunnelSession plain = pair()[0];
        plain.reportTooBig(1000, 0);
        plain.requestMtuCheck();
        plain.tick(0);
        assertEquals(0, plain.takeMtuChange());
        assertEquals(0, plain.mtu());
    }

    @Test
    void aProbeNotAsBigAsItSaysIsNotAnswered() {
        TunnelSession[] p = pair(); // a plain session answers probes too
        ByteBuffer tun = ByteBuffer.allocate(2048), wire = ByteBuffer.allocate(2048);
        for (int[] c : new int[][] {{1424, 1000}, {1000, 1424}, {1424, 1424}, {12, 12}, {1424, 11}}) {
            int claimed = c[0], real = c[1];
            ByteBuffer inner = ByteBuffer.allocate(real);
            inner.put((byte) 0).put((byte) TunnelSession.MTU_PROBE);
            if (real >= 12)
                inner.putShort((short) claimed).putLong(7);
            inner.clear();
            wire.clear();
            p[0].fromTun(inner, wire);
            wire.flip();
            tun.clear();
            Kind k = p[1].fromUnderlay(wire, tun, 0);
            if (claimed == real) {
                assertEquals(Kind.CONTROL, k);
                assertTrue(p[1].replyPending());
                wire.clear();
                assertEquals(12 + 28, p[1].takeReply(wire));
                wire.flip();
                tun.clear();
                assertEquals(Kind.CONTROL, p[0].fromUnderlay(wire, tun, 0), "the acknowledgement");
            } else {
                assertEquals(Kind.DROPPED, k, claimed + " claimed, " + real + " real");
                assertTrue(!p[1].replyPending());
            }
        }
        assertEquals(3, p[1].malformedControl());
        // an acknowledgement of a size never probed confirms nothing
        TunnelSession[] q = pairProbing(1424);
        q[0].tick(0); // the probe of 1424 is due...
        ByteBuffer ack = ByteBuffer.allocate(12);
        ack.put((byte) 0).put((byte) TunnelSession.MTU_ACK).putShort((short) 1404).putLong(0).flip();
        wire.clear();
        q[1].fromTun(ack, wire);
        wire.flip();
        tun.clear();
        assertEquals(Kind.CONTROL, q[0].fromUnderlay(wire, tun, 0));
        assertTrue(q[0].pathMtu().probing());
    }

    @Test
    void aReplyBufferTooSmallForProbesNeverLowersTheMtu() {
        TunnelSession[] p = pairProbing(1424);
        ByteBuffer small = ByteBuffer.allocate(256), tun = ByteBuffer.allocate(2048);
        for (long now = 0; now < 20_000 * MS; now += 10 * MS)
            for (int s = 0; s < 2; s++) {
                p[s].tick(now);
                while (p[s].replyPending()) {
                    small.clear();
                    int len = p[s].takeReply(small);
                    small.flip();
                    if (len > 0) {
                        tun.clear();
                        assertEquals(Kind.CONTROL, p[1 - s].fromUnderlay(small, tun, now));
                    }
                }
                assertEquals(0, p[s].takeMtuChange());
            }
        for (int s = 0; s < 2; s++) {
            assertEquals(1424, p[s].mtu());
            assertTrue(p[s].mtuProbesUnsent() >= 15, "unsent: " + p[s].mtuProbesUnsent());
            assertEquals(0, p[s].pathMtu().probesLost());
            assertEquals(Liveness.State.UP, p[s].liveness().state());
        }
    }

    /** Everything {@code from} sends until the wire is idle: how many observed-address messages {@code to} took. */
    private static long deliverAll(TunnelSession from, TunnelSession to, long now) {
        long before = to.observedReceived();
        ByteBuffer wire = ByteBuffer.allocate(2048), tun = ByteBuffer.allocate(2048);
        for (int i = 0; i < 16 && from.replyPending(); i++) {
            wire.clear();
            if (from.takeReply(wire) > 0) {
                tun.clear();
                to.fromUnderlay(wire.flip(), tun, now);
            }
        }
        return to.observedReceived() - before;
    }

    @Test
    void theAcceptingSideTellsTheDiallerWhereItsPacketsComeFromAndRepeatsIt() throws Exception {
        TunnelSession[] p = pair(); // p[0] accepted the tunnel, p[1] dialled it
        java.net.InetSocketAddress nat = new java.net.InetSocketAddress(java.net.InetAddress.getByName("198.18.9.1"), 40001);
        assertEquals(null, p[1].takeObserved());
        p[0].observe(nat, 0);
        assertTrue(p[0].replyPending(), "sent at once");
        assertEquals(1, deliverAll(p[0], p[1], 0));
        assertEquals(nat, p[1].takeObserved());
        assertEquals(null, p[1].takeObserved(), "reported once");
        assertEquals(nat, p[1].observed());
        // repeated twice a second apart, then once a minute: count them on the virtual clock
        long sent = 0;
        for (long now = MS; now <= 130_000 * MS; now += 10 * MS) {
            p[0].tick(now);
            sent += deliverAll(p[0], p[1], now);
            p[1].tick(now);
            deliverAll(p[1], p[0], now);
        }
        assertEquals(2 + 2, sent, "two repeats, then one a minute (at 62 s and 122 s)");
        assertEquals(null, p[1].takeObserved(), "the same address again is no news");
        assertEquals(0, p[1].malformedControl());
        assertTrue(p[0].nextCheck(130_000 * MS) <= 182_000 * MS, "the next refresh is in the timer");

        // the dialler moved: the accepting side sees a new address, the dialler hears of it
        java.net.InetSocketAddress v6 = new java.net.InetSocketAddress(java.net.InetAddress.getByName("2001:db8::7"), 1194);
        p[0].observe(v6, 131_000 * MS);
        assertEquals(1, deliverAll(p[0], p[1], 131_000 * MS));
        assertEquals(v6, p[1].takeObserved());
    }

    @Test
    void aMalformedObservedAddressIsDroppedCountedAndChangesNothing() throws Exception {
        TunnelSession[] p = pair();
        java.net.InetSocketAddress good = new java.net.InetSocketAddress(java.net.InetAddress.getByName("198.18.9.1"), 40001);
        p[0].observe(good, 0);
        deliverAll(p[0], p[1], 0);
        assertEquals(good, p[1].takeObserved());
        byte[][] bad = {
            observedMessage(21, 40001, "198.18.9.2"),     // too long
            observedMessage(19, 40001, "198.18.9.2"),     // too short
            observedMessage(20, 0, "198.18.9.2"),         // port 0
            observedMessage(20, 40001, "0.0.0.0"),        // unspecified
            observedMessage(20, 40001, "224.0.0.1"),      // multicast
            observedMessage(20, 40001, "::1"),            // loopback
        };
        ByteBuffer wire = ByteBuffer.allocate(2048), tun = ByteBuffer.allocate(2048);
        for (int i = 0; i < bad.length; i++) {
            wire.clear();
            p[0].fromTun(ByteBuffer.wrap(bad[i]), wire); // sealed by the peer: authentic, but malformed
            tun.clear();
            assertEquals(Kind.DROPPED, p[1].fromUnderlay(wire.flip(), tun, MS), "message " + i);
            assertEquals(i + 1, p[1].malformedControl());
            assertEquals(0, tun.position(), "nothing for the TUN");
        }
        assertEquals(null, p[1].takeObserved(), "nothing new");
        assertEquals(good, p[1].observed(), "unchanged");
        assertEquals(1, p[1].observedReceived());
    }

    /** An observed-address message of {@code length} bytes (zero padded or cut) for {@code ip}:{@code port}. */
    static byte[] observedMessage(int length, int port, String ip) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(32);
        ObservedAddress.encode(new java.net.InetSocketAddress(java.net.InetAddress.getByName(ip), 1), b);
        b.putShort(2, (short) port);
        return java.util.Arrays.copyOf(b.array(), length);
    }
}
