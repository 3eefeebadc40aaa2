package re6st.babel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import re6st.babel.ResendTest.Recorder;
import re6st.babel.ResendTest.Sent;
import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Prefix;

/**
 * The timers of the route table, when the core is ticked only at the time it asks for
 * ({@link BabelRouter#nextTimer}), as the daemon and the simulator tick it: a route its
 * neighbour stops refreshing is asked for at 7/8 of its hold time, retracted at its hold time,
 * flushed later; with smoothing on, a route whose smoothed metric passes the installed one's
 * is taken with time alone. The expiry scan runs only when a route is due (not every second
 * over the whole table): these show nothing due is missed.
 */
class RouteExpiryTest {
    static final long MS = 1_000_000L, S = 1000 * MS;
    static final Addr ME = Addr.parse("fe80::1:1"), A = Addr.parse("fe80::1:2"), B = Addr.parse("fe80::1:3");
    static final Prefix P = Prefix.parse("2001:db8:7::/48");
    static final long ORIGIN = 0x0200_0000_0000_0007L;
    /** 4 s in the Update: a hold time of 6 x 4 = 24 s. */
    static final int UPDATE_CS = 400;

    final Recorder out = new Recorder();

    BabelRouter router(int halfLifeMs) {
        BabelRouter r = new BabelRouter(0x0200_0000_0000_0001L, 1, halfLifeMs, new SplittableRandom(5), out);
        r.addInterface("eth0", InterfaceSettings.wired(1000).withUpdateInterval(600_000), ME, at(1 * S));
        return r;
    }

    long at(long t) {
        out.now = t;
        return t;
    }

    int helloSeqno = 100;

    /** Every second until {@code end}: a Hello and an IHU from each neighbour, and the core's timers when it asks. */
    void live(BabelRouter r, long end, Addr... neighbours) {
        for (long s = out.now / S + 1; s * S <= end; s++) {
            for (int i = 0; i < 10_000 && r.nextTimer() < s * S; i++)
                r.tick(at(Math.max(r.nextTimer(), out.now)));
            helloSeqno++;
            for (Addr n : neighbours)
                r.receive("eth0", n, false, List.of(new Message.Hello(false, helloSeqno, 100, Message.NO_TIMESTAMP),
                        new Message.Ihu(ME, 96, 300, Message.NO_TIMESTAMP, Message.NO_TIMESTAMP)), at(s * S));
            r.tick(at(s * S));
        }
    }

    @Test
    void aRouteNoLongerRefreshedIsAskedForThenRetractedThenFlushed() {
        BabelRouter r = router(0);
        live(r, 3 * S, A);
        long learned = at(3 * S);
        r.receive("eth0", A, false, List.of(new Message.Update(P, null, ORIGIN, null, 10, 0, UPDATE_CS)), learned);
        assertNotNull(r.installed(P, null));
        out.sent.clear();
        live(r, learned + 80 * S, A); // A stays a neighbour but never announces P again

        List<Sent> asks = out.sent.stream().filter(x -> x.m() instanceof Message.RouteRequest q && P.equals(q.prefix())).toList();
        assertTrue(!asks.isEmpty(), "the route was asked for before it expired");
        long askedAfter = asks.get(0).at() - learned;
        assertTrue(askedAfter > 21 * S && askedAfter <= 22 * S, "asked at 7/8 of the 24 s hold time, not " + askedAfter / MS + " ms");
        assertEquals(A, asks.get(0).dest(), "asked of the neighbour it came from");

        KernelRoute unreachable = out.installed.stream().filter(KernelRoute::unreachable).findFirst().orElseThrow();
        assertEquals(P, unreachable.prefix());
        assertTrue(out.sent.stream().anyMatch(x -> x.m() instanceof Message.Update u && P.equals(u.prefix()) && u.isRetraction()
                && x.at() - learned > 24 * S && x.at() - learned <= 25 * S), "retracted within a second after its hold time: " + out.sent);
        assertEquals(1, out.uninstalled.size(), "flushed (kept 30 s after the retraction)");
        assertEquals(0, r.routeCount());
    }

    @Test
    void withSmoothingABetterRouteIsTakenWithTimeAloneOnceItsSmoothedMetricPasses() {
        BabelRouter r = router(4000);
        live(r, 3 * S, A, B);
        int cs = 6000; // a hold time of 360 s: nothing expires here
        r.receive("eth0", A, false, List.of(new Message.Update(P, null, ORIGIN, null, 10, 100, cs)), at(3 * S));
        r.receive("eth0", B, false, List.of(new Message.Update(P, null, ORIGIN, null, 10, 1000, cs)), at(3 * S));
        assertEquals(A, r.installed(P, null).neighbour().address());
        live(r, 10 * S, A, B);
        // B now offers far better: its smoothed metric starts where it was and decays towards it
        r.receive("eth0", B, false, List.of(new Message.Update(P, null, ORIGIN, null, 10, 0, cs)), at(10 * S));
        assertEquals(A, r.installed(P, null).neighbour().address(), "not at once: B's smoothed metric is still above A's");
        live(r, 20 * S, A, B); // no update in between: time alone
        // 96 + 1000 x 2^(-10/4) = 273 > 196: not yet; it passes A's 196 after 13.3 s
        assertEquals(A, r.installed(P, null).neighbour().address(), "10 s later B's smoothed metric is still above A's");
        live(r, 30 * S, A, B);
        assertEquals(B, r.installed(P, null).neighbour().address(), "taken once its smoothed metric passed A's");
    }
}
