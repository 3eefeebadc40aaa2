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

    @Test
    void aCutWireTakesTheTunnelDownWithinOneSecondAndHealingBringsItBack() {
        TunnelSession[] p = pair();
        boolean cut = false;
        long downAt = -1, upAt = -1;
        for (long now = 0; now < 5_000 * MS; now += 10 * MS) {
            if (now == 2_000 * MS)
                cut = true;
            if (now == 3_500 * MS)
                cut = false;
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
        assertTrue(downAt > 2_000 * MS && downAt <= 3_000 * MS, "down " + (downAt / MS - 2000) + " ms after the cut");
        assertTrue(upAt >= 3_500 * MS && upAt <= 3_800 * MS, "up " + (upAt / MS - 3500) + " ms after healing");
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
}
