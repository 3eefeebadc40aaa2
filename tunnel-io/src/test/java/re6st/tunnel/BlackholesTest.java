package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Set;

import org.junit.jupiter.api.Test;

import re6st.tunnel.Liveness.Action;
import re6st.tunnel.TunnelSession.Kind;

/** A cut tunnel is a silent path: nothing in, nothing out, and its own liveness finds out. */
class BlackholesTest {
    static final long MS = TunnelSessionTest.MS;

    private static ByteBuffer sealedIpPacket(TunnelSession from) {
        ByteBuffer inner = ByteBuffer.allocate(100), wire = ByteBuffer.allocate(2048);
        inner.put(0, (byte) 0x60).position(0);
        from.fromTun(inner, wire);
        return wire.flip();
    }

    @Test
    void aCutSessionDropsAuthenticPacketsAndCountsThem() {
        TunnelSession[] p = TunnelSessionTest.pair();
        Blackholes b = new Blackholes();
        p[1].cutBy(b.of("7/16"));
        ByteBuffer tun = ByteBuffer.allocate(2048);
        assertEquals(Kind.DATA, p[1].fromUnderlay(sealedIpPacket(p[0]), tun, MS), "not cut yet");
        assertTrue(b.set("7/16", true));
        assertTrue(p[1].isCut());
        tun.clear();
        assertEquals(Kind.DROPPED, p[1].fromUnderlay(sealedIpPacket(p[0]), tun, 2 * MS));
        assertEquals(0, tun.position(), "nothing for the TUN");
        assertEquals(1, b.dropped());
        assertEquals(Set.of("7/16"), b.cut());
        assertTrue(b.set("7/16", false));
        tun.clear();
        assertEquals(Kind.DATA, p[1].fromUnderlay(sealedIpPacket(p[0]), tun, 3 * MS), "restored");
        assertFalse(b.set("7/16", false), "restoring twice changes nothing");
        assertEquals(Set.of(), b.cut());
    }

    @Test
    void theCutIsPerPeerAndSharedBySessionsWithThatPeer() {
        Blackholes b = new Blackholes();
        assertSame(b.of("7/16"), b.of("7/16"));
        TunnelSession[] first = TunnelSessionTest.pair(), again = TunnelSessionTest.pair(), other = TunnelSessionTest.pair();
        first[0].cutBy(b.of("7/16"));
        again[0].cutBy(b.of("7/16"));
        other[0].cutBy(b.of("8/16"));
        b.set("7/16", true);
        assertTrue(first[0].isCut());
        assertTrue(again[0].isCut(), "a session the peer re-handshakes during the cut is cut too");
        assertFalse(other[0].isCut());
        assertFalse(TunnelSessionTest.pair()[0].isCut(), "a session nobody cuts");
    }

    /**
     * Cut: probes are taken (so the liveness waits for their echoes) but never sent, and the
     * peer's probes are not answered: both ends go down, without any link-down signal. Restored:
     * the next probes are answered and both come back up.
     */
    @Test
    void aCutTunnelGoesDownByItsOwnLivenessOnBothEndsAndComesBackWhenRestored() {
        TunnelSession[] p = TunnelSessionTest.pair();
        Blackholes b = new Blackholes();
        p[0].cutBy(b.of("2/16"));
        b.set("2/16", true);
        boolean down0 = false, down1 = false;
        ByteBuffer wire = ByteBuffer.allocate(2048);
        long now = 0;
        for (; now < 60_000 * MS && !(down0 && down1); now += MS) {
            down0 |= p[0].tick(now) == Action.WENT_DOWN;
            down1 |= p[1].tick(now) == Action.WENT_DOWN;
            while (p[0].replyPending()) {
                wire.clear();
                assertEquals(0, p[0].takeReply(wire), "a cut end sends nothing");
            }
            while (p[1].replyPending()) { // the peer's probes reach the cut end, which drops them
                wire.clear();
                int n = p[1].takeReply(wire);
                if (n > 0)
                    assertEquals(Kind.DROPPED, p[0].fromUnderlay(wire.flip(), ByteBuffer.allocate(2048), now));
            }
        }
        assertTrue(down0 && down1, "both ends find the silent path dead");
        assertTrue(b.dropped() > 0);
        b.set("2/16", false);
        boolean up0 = false, up1 = false;
        for (long end = now + 60_000 * MS; now < end && !(up0 && up1); now += MS) {
            p[0].tick(now);
            p[1].tick(now);
            TunnelSessionTest.exchange(p[0], p[1], false, now);
            TunnelSessionTest.exchange(p[1], p[0], false, now);
            up0 |= p[0].takeTransition() == Action.WENT_UP;
            up1 |= p[1].takeTransition() == Action.WENT_UP;
        }
        assertTrue(up0 && up1, "both come back once restored");
    }
}
