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
 * babeld 1.12.1's send_triggered_update ends with {@code if(oldmetric < INFINITY && newmetric >=
 * oldmetric + 288) send_multicast_request(NULL, ...)}: when the installed route gets 288 or more
 * worse (and the change is announced: 384 or more, or urgent), a plain route request (not a seqno request) goes out on every interface, so a neighbour
 * with a better route answers, and the source is not asked for a new seqno.
 */
class TriggeredRequestTest {
    static final long MS = 1_000_000L, S = 1000 * MS;
    static final Addr ME = Addr.parse("fe80::1:1"), A = Addr.parse("fe80::1:2");
    static final Prefix P = Prefix.parse("2001:db8:7::/48");
    static final long ORIGIN = 0x0200_0000_0000_0007L;

    final Recorder out = new Recorder();

    long at(long t) {
        out.now = t;
        return t;
    }

    void hello(BabelRouter r, int seqno, long t) {
        r.receive("eth0", A, false, List.of(new Message.Hello(false, seqno, 100, Message.NO_TIMESTAMP),
                new Message.Ihu(ME, 96, 300, Message.NO_TIMESTAMP, Message.NO_TIMESTAMP)), at(t));
        r.tick(at(t));
    }

    @Test
    void aMetricRiseOf288OrMoreSendsARouteRequestOnEveryInterfaceNotASeqnoRequest() {
        BabelRouter r = new BabelRouter(0x0200_0000_0000_0001L, 1, 0, new SplittableRandom(5), out);
        r.addInterface("eth0", InterfaceSettings.wired(1000).withUpdateInterval(600_000), ME, at(1 * S));
        r.addInterface("eth1", InterfaceSettings.wired(1000).withUpdateInterval(600_000), Addr.parse("fe80::2:1"), at(1 * S));
        for (int s = 1; s <= 3; s++)
            hello(r, 100 + s, s * S);
        r.receive("eth0", A, false, List.of(new Message.Update(P, null, ORIGIN, null, 10, 0, 400)), at(3 * S + 1));
        Route installed = r.installed(P, null);
        assertNotNull(installed);
        int before = installed.metric();
        out.sent.clear();

        // same source, same seqno, 400 worse: no other route, a rise >= 288 that is announced (a
        // rise below 384 is not: babeld returns before its request, "Don't fret about trivialities")
        r.receive("eth0", A, false, List.of(new Message.Update(P, null, ORIGIN, null, 10, 400, 400)), at(3 * S + 2));
        assertEquals(before + 400, r.installed(P, null).metric());

        List<Sent> requests = out.sent.stream().filter(x -> x.m() instanceof Message.RouteRequest q && P.equals(q.prefix())).toList();
        assertEquals(2, requests.size(), "a route request on each interface: " + out.sent);
        assertTrue(requests.stream().allMatch(x -> x.dest() == null), "multicast");
        assertEquals(List.of("eth0", "eth1"), requests.stream().map(Sent::ifname).sorted().toList());
        assertTrue(out.sent.stream().noneMatch(x -> x.m() instanceof Message.SeqnoRequest), "no seqno request: " + out.sent);
    }
}
