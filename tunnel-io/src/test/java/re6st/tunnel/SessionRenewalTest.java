package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Random;

import org.junit.jupiter.api.Test;

import re6st.tunnel.TunnelSession.Kind;
import re6st.tunnel.data.DataChannel.Drop;
import re6st.tunnel.data.DataPacket;
import re6st.tunnel.handshake.KeySchedule;

/**
 * Renewing a session (a new handshake's keys) under traffic, on a virtual clock: no packet is
 * lost whichever end takes the new keys first, neither end seals with keys the other does not
 * hold, the old keys open packets for the overlap only and are then wiped.
 */
class SessionRenewalTest {
    static final long MS = 1_000_000L;

    static KeySchedule[] schedules(long seed) {
        byte[] secret = new byte[KeySchedule.SECRET_LENGTH];
        new Random(seed).nextBytes(secret);
        return new KeySchedule[] {new KeySchedule(secret, true), new KeySchedule(secret, false)};
    }

    /** Fresh schedules (a new handshake) whose tag differs from {@code tag}. */
    static KeySchedule[] otherThan(int tag, long seed) {
        for (long s = seed; ; s++) {
            KeySchedule[] k = schedules(s);
            if (k[0].sessionTag() != tag)
                return k;
        }
    }

    /** A one-way wire with a delay: datagrams sealed now arrive {@code delay} later. */
    static final class Wire {
        final ArrayDeque<long[]> times = new ArrayDeque<>();
        final ArrayDeque<byte[]> datagrams = new ArrayDeque<>();
        final long delay;

        Wire(long delay) {
            this.delay = delay;
        }

        void send(ByteBuffer b, long now) {
            byte[] d = new byte[b.remaining()];
            b.get(d);
            times.add(new long[] {now + delay});
            datagrams.add(d);
        }
    }

    final ByteBuffer out = ByteBuffer.allocate(2048), tun = ByteBuffer.allocate(2048), inner = ByteBuffer.allocate(100);
    long sentData, openedData;

    void sendData(TunnelSession s, Wire w, long now) {
        inner.clear();
        inner.put(0, (byte) 0x60);
        out.clear();
        s.fromTun(inner, out);
        out.flip();
        w.send(out, now);
        sentData++;
    }

    void sendReplies(TunnelSession s, Wire w, long now) {
        while (s.replyPending()) {
            out.clear();
            if (s.takeReply(out) > 0) {
                out.flip();
                w.send(out, now);
            }
        }
    }

    void deliver(Wire w, TunnelSession to, long now) {
        while (!w.times.isEmpty() && w.times.peek()[0] <= now) {
            w.times.poll();
            tun.clear();
            Kind k = to.fromUnderlay(ByteBuffer.wrap(w.datagrams.poll()), tun, now);
            if (k == Kind.DATA)
                openedData++;
        }
    }

    @Test
    void aRenewalUnderTrafficLosesNothingWhicheverEndTakesTheKeysFirst() {
        for (boolean clientFirst : new boolean[] {true, false}) {
            KeySchedule[] first = schedules(1);
            TunnelSession c = new TunnelSession(first[0], Liveness.defaults(0), 120_000 * MS, 0);
            TunnelSession s = new TunnelSession(first[1], Liveness.defaults(0), 120_000 * MS, 0);
            assertEquals(c.sessionTag(), s.sessionTag(), "both ends derive the same tag");
            Wire cs = new Wire(20 * MS), sc = new Wire(20 * MS);
            KeySchedule[] second = otherThan(c.sessionTag(), 100);
            int oldTag = c.sessionTag();
            sentData = openedData = 0;
            long renewC = clientFirst ? 1_000 * MS : 1_300 * MS, renewS = clientFirst ? 1_300 * MS : 1_000 * MS;
            for (long now = 0; now <= 5_000 * MS; now += MS) {
                if (now == renewC)
                    assertEquals(TunnelSession.Renewal.PENDING, c.renew(second[0], now));
                if (now == renewS)
                    assertEquals(TunnelSession.Renewal.PENDING, s.renew(second[1], now));
                sendData(c, cs, now); // both ways, every millisecond
                sendData(s, sc, now);
                c.tick(now);
                s.tick(now);
                sendReplies(c, cs, now);
                sendReplies(s, sc, now);
                deliver(cs, s, now);
                deliver(sc, c, now);
                if (now == 1_250 * MS) { // only one end holds the new keys: both still seal with the old ones
                    assertEquals(1, c.keySerial());
                    assertEquals(1, s.keySerial());
                    assertEquals(oldTag, c.sessionTag());
                    assertEquals(oldTag, s.sessionTag());
                }
            }
            deliver(cs, s, Long.MAX_VALUE);
            deliver(sc, c, Long.MAX_VALUE);
            assertEquals(sentData, openedData, "every data packet opened (client first: " + clientFirst + ")");
            assertEquals(2, c.keySerial(), "the client changed over");
            assertEquals(2, s.keySerial(), "the server changed over");
            assertEquals(second[0].sessionTag(), c.sessionTag(), "packets carry the new session's tag");
            assertFalse(c.renewalPending() || s.renewalPending());
            assertTrue(first[0].isDestroyed() && first[1].isDestroyed(), "the old keys are wiped after the overlap");
            assertEquals(1, c.retiredKeypairs());
            // only KEYS messages of the end that took the keys first, sent before the other held them (300 ms, one per 100 ms)
            long early = c.channel().dropped(Drop.UNKNOWN_SESSION) + s.channel().dropped(Drop.UNKNOWN_SESSION);
            assertTrue(early <= 4, early + " dropped");
            assertEquals(early, c.channel().drops().values().stream().mapToLong(Long::longValue).sum()
                    + s.channel().drops().values().stream().mapToLong(Long::longValue).sum(), "no other drop");
        }
    }

    @Test
    void theOldKeysOpenPacketsDuringTheOverlapOnlyAndThenNothingOfThemIsAccepted() {
        KeySchedule[] first = schedules(1);
        TunnelSession c = new TunnelSession(first[0], Liveness.defaults(0), 120_000 * MS, 0);
        TunnelSession s = new TunnelSession(first[1], Liveness.defaults(0), 120_000 * MS, 0);
        Wire sc = new Wire(0), cs = new Wire(0);
        // a datagram the server sealed with the old keys, held back (reordered, or replayed by an attacker)
        sendData(s, sc, 0);
        byte[] late = sc.datagrams.poll();
        sc.times.poll();
        sendData(s, sc, 0);
        byte[] later = sc.datagrams.poll();
        sc.times.poll();
        KeySchedule[] second = otherThan(c.sessionTag(), 7);
        c.renew(second[0], 10 * MS);
        s.renew(second[1], 10 * MS);
        s.tick(10 * MS);
        sendReplies(s, sc, 10 * MS); // the server's KEYS message: the client changes over
        deliver(sc, c, 10 * MS);
        assertEquals(2, c.keySerial());
        tun.clear();
        assertEquals(Kind.DATA, c.fromUnderlay(ByteBuffer.wrap(late), tun, 500 * MS), "within the overlap: opened");
        c.tick(10 * MS + TunnelSession.OVERLAP_NS);
        assertTrue(first[0].isDestroyed(), "wiped once the overlap is over");
        tun.clear();
        assertEquals(Kind.DROPPED, c.fromUnderlay(ByteBuffer.wrap(later), tun, 10 * MS + TunnelSession.OVERLAP_NS));
        assertEquals(1, c.channel().dropped(Drop.UNKNOWN_SESSION), "an old session's packet: unknown session, no cryptography");
        sendData(c, cs, 3_000 * MS);
        assertEquals(second[0].sessionTag(), cs.datagrams.peek()[DataPacket.SESSION] & 0xff, "the tag on the wire");
    }

    @Test
    void aRenewalWhoseTagIsInUseIsRefusedAndChangesNothing() {
        KeySchedule[] first = schedules(1), same = schedules(1);
        TunnelSession c = new TunnelSession(first[0], Liveness.defaults(0), 120_000 * MS, 0);
        assertEquals(TunnelSession.Renewal.TAG_IN_USE, c.renew(same[0], 0));
        assertFalse(c.renewalPending());
        assertTrue(same[0].isDestroyed() && !first[0].isDestroyed());
        assertEquals(1, c.keySerial());
    }

    @Test
    void anAbandonedRenewalIsWipedAndTheSessionGoesOn() {
        KeySchedule[] first = schedules(1);
        TunnelSession c = new TunnelSession(first[0], Liveness.defaults(0), 120_000 * MS, 0);
        KeySchedule[] second = otherThan(c.sessionTag(), 9);
        c.renew(second[0], 0);
        assertTrue(c.renewalPending());
        c.abandonRenewal();
        assertFalse(c.renewalPending());
        assertTrue(second[0].isDestroyed());
        assertEquals(1, c.keySerial());
        assertThrows(IllegalStateException.class, () -> new TunnelSession(new re6st.tunnel.data.DataChannel(
                second[1].sendKey(0), second[1].receiveKey(0)), Liveness.defaults(0)).renew(first[1], 0),
                "fixed keys cannot be renewed");
    }
}
