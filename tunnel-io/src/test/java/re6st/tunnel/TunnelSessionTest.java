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
}
