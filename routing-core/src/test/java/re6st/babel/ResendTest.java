package re6st.babel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Prefix;

/**
 * Seqno requests are resent as babeld's resend.c does: sent once, then resent twice at
 * intervals of max(min(2 s, hello / 2), 20 ms) doubling each time, and no more; a request an
 * update satisfies is not resent; a forwarded request goes to the successor by unicast. Urgent
 * updates (babeld's send_update_resend: the retraction of a lost route, a change of source) go
 * out in the same call and are resent on the same schedule.
 */
class ResendTest {
    static final long MS = 1_000_000L, S = 1000 * MS;
    static final Addr ME0 = Addr.parse("fe80::1:1"), ME1 = Addr.parse("fe80::2:1"), PEER = Addr.parse("fe80::1:2");
    static final Prefix P = Prefix.parse("2001:db8:7::/48");
    static final long ORIGIN = 0x0200_0000_0000_0007L;

    record Sent(long at, String ifname, Addr dest, Message m) {}

    /** A core with the effects recorded, on a virtual clock. */
    static final class Recorder implements Effects {
        final List<Sent> sent = new ArrayList<>();
        final List<KernelRoute> installed = new ArrayList<>();
        final List<KernelRoute> uninstalled = new ArrayList<>();
        long now;

        @Override
        public void send(String ifname, Addr dest, Message m) {
            sent.add(new Sent(now, ifname, dest, m));
        }

        @Override
        public void install(KernelRoute r) {
            installed.add(r);
        }

        @Override
        public void uninstall(KernelRoute r) {
            uninstalled.add(r);
        }

        List<Sent> seqnoRequests() {
            return sent.stream().filter(s -> s.m instanceof Message.SeqnoRequest).toList();
        }
    }

    final Recorder out = new Recorder();
    final BabelRouter router = new BabelRouter(0x0200_0000_0000_0001L, 1, 0, new SplittableRandom(5), out);

    /** eth0 (hello {@code helloMs}) has a neighbour announcing P with seqno 10; eth1 has nobody. */
    void routeLearnedOnEth0(int helloMs) {
        InterfaceSettings s = InterfaceSettings.wired(helloMs).withUpdateInterval(60_000); // no periodic update in the way
        router.addInterface("eth0", s, ME0, at(1 * S));
        router.addInterface("eth1", s, ME1, at(1 * S));
        for (int i = 0; i < 2; i++)
            router.receive("eth0", PEER, false, List.of(new Message.Hello(false, 100 + i, helloMs / 10, Message.NO_TIMESTAMP),
                    new Message.Ihu(ME0, 96, 3 * helloMs / 10, Message.NO_TIMESTAMP, Message.NO_TIMESTAMP)), at((1 + i) * S));
        router.receive("eth0", PEER, false, List.of(new Message.Update(P, null, ORIGIN, null, 10, 0, 400)), at(2 * S));
        assertEquals(96, router.installed(P, null).metric(), "learned through eth0");
        runUntil(2500 * MS); // the first full updates, due 1 s after the interfaces came up
    }

    long at(long t) {
        out.now = t;
        return t;
    }

    /** Ticks the core at each of its timers until {@code end}; returns when requests went out. */
    void runUntil(long end) {
        for (int i = 0; i < 10_000; i++) {
            long t = router.nextTimer();
            if (t > end)
                break;
            router.tick(at(Math.max(t, out.now)));
        }
        at(end);
    }

    @Test
    void aSeqnoRequestIsSentOnceThenResentTwiceAtDoublingIntervals() {
        routeLearnedOnEth0(1000); // resend base: min(2 s, hello / 2) = 500 ms
        out.sent.clear();
        long t0 = at(3 * S);
        router.interfaceDown("eth0", t0); // no feasible alternative: retraction and request on eth1
        List<Sent> first = out.seqnoRequests();
        assertEquals(1, first.size(), "one request at once: " + out.sent);
        Message.SeqnoRequest r = (Message.SeqnoRequest) first.get(0).m;
        assertEquals(11, r.seqno(), "asks for the next seqno of the lost source");
        assertEquals(ORIGIN, r.routerId());
        assertEquals("eth1", first.get(0).ifname);
        assertEquals(null, first.get(0).dest, "multicast: nobody to ask in particular");
        assertTrue(out.sent.stream().anyMatch(s -> s.m instanceof Message.Update u && u.prefix().equals(P) && u.isRetraction()),
                "the route is retracted in the same call: " + out.sent);

        runUntil(t0 + 60 * S);
        List<Long> times = out.seqnoRequests().stream().map(s -> (s.at - t0) / MS).toList();
        assertEquals(List.of(0L, 500L, 1500L), times, "sent, then resent after 500 ms and 1000 ms more, then never");
    }

    @Test
    void theResendIntervalIsBoundedBetween20MsAnd2Seconds() {
        routeLearnedOnEth0(10_000); // hello 10 s: min(2 s, 5 s) = 2 s
        long t0 = at(3 * S);
        out.sent.clear();
        router.interfaceDown("eth0", t0);
        runUntil(t0 + 60 * S);
        assertEquals(List.of(0L, 2000L, 6000L), out.seqnoRequests().stream().map(s -> (s.at - t0) / MS).toList());
    }

    /** A request we cannot satisfy is forwarded to our successor, by unicast, and resent to it. */
    @Test
    void aForwardedRequestIsResentToTheSuccessorAtMostEvery2Seconds() {
        routeLearnedOnEth0(10_000); // unicast resend base for eth0: min(2 s, 10 s / 2)
        Addr asker = Addr.parse("fe80::2:2");
        long t0 = at(3 * S);
        out.sent.clear();
        router.receive("eth1", asker, false, List.of(new Message.SeqnoRequest(P, null, 11, 5, ORIGIN)), t0);
        runUntil(t0 + 10 * S);
        List<Sent> sent = out.seqnoRequests();
        assertEquals(List.of(0L, 2000L, 6000L), sent.stream().map(s -> (s.at - t0) / MS).toList());
        for (Sent s : sent) {
            assertEquals(PEER, s.dest, "to the successor only");
            assertEquals("eth0", s.ifname);
            assertEquals(4, ((Message.SeqnoRequest) s.m).hopCount(), "one hop less");
        }
    }

    /** The updates about P sent within 2 s of {@code t0}, as ms after t0. */
    List<Long> updatesOfP(long t0) {
        return out.sent.stream().filter(s -> s.m instanceof Message.Update u && P.equals(u.prefix()) && s.at - t0 < 2 * S)
                .map(s -> (s.at - t0) / MS).toList();
    }

    @Test
    void theRetractionOfALostRouteIsResentTwice() {
        routeLearnedOnEth0(1000);
        long t0 = at(3 * S);
        out.sent.clear();
        router.interfaceDown("eth0", t0);
        runUntil(t0 + 60 * S);
        assertEquals(List.of(0L, 500L, 1500L), updatesOfP(t0), "sent at once, resent after 500 ms and 1000 ms more");
        assertTrue(out.sent.stream().filter(s -> s.m instanceof Message.Update u && P.equals(u.prefix()) && s.at - t0 < 2 * S)
                .allMatch(s -> ((Message.Update) s.m).isRetraction() && s.ifname.equals("eth1")), "retractions, on eth1: " + out.sent);
    }

    @Test
    void aChangeOfSourceIsUrgentAndResent() {
        routeLearnedOnEth0(1000);
        Addr peer2 = Addr.parse("fe80::2:2");
        long origin2 = 0x0200_0000_0000_0009L;
        for (int i = 0; i < 2; i++)
            router.receive("eth1", peer2, false, List.of(new Message.Hello(false, 7 + i, 100, Message.NO_TIMESTAMP),
                    new Message.Ihu(ME1, 96, 300, Message.NO_TIMESTAMP, Message.NO_TIMESTAMP)), at(2500 * MS + i * 50 * MS));
        router.receive("eth1", peer2, false, List.of(new Message.Update(P, null, origin2, null, 3, 0, 400)), at(2600 * MS));
        assertEquals(ORIGIN, router.installed(P, null).routerId(), "same metric: the first route stays");
        long t0 = at(3 * S);
        out.sent.clear();
        router.interfaceDown("eth0", t0); // switches to the route through peer2, another source
        assertEquals(origin2, router.installed(P, null).routerId());
        runUntil(t0 + 60 * S);
        assertEquals(List.of(0L, 500L, 1500L), updatesOfP(t0), out.sent.toString());
        assertTrue(out.sent.stream().filter(s -> s.m instanceof Message.Update u && P.equals(u.prefix()) && s.at - t0 < 2 * S)
                .allMatch(s -> ((Message.Update) s.m).routerId() == origin2 && ((Message.Update) s.m).metric() == 96),
                "the new source's route: " + out.sent);
    }

    @Test
    void aRequestAnUpdateSatisfiesIsNotResent() {
        routeLearnedOnEth0(1000);
        long t0 = at(3 * S);
        router.interfaceDown("eth0", t0);
        router.receive("eth1", Addr.parse("fe80::2:2"), false,
                List.of(new Message.Update(P, null, ORIGIN, null, 11, 50, 400)), at(t0 + 100 * MS));
        out.sent.clear();
        runUntil(t0 + 60 * S);
        assertEquals(List.of(), out.seqnoRequests(), "seqno 11 arrived: nothing to resend");
    }
}
