package re6st.babel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Prefix;

/**
 * An interface going down with two neighbours on it: the route leaves it for the other interface
 * in one step. It never moves to the second neighbour of the downed interface (flushed a moment
 * later in the same call), which would be one more kernel replace through a dead interface.
 */
class InterfaceDownSelectionTest {
    static final long MS = 1_000_000L, S = 1000 * MS;
    static final Addr ME0 = Addr.parse("fe80::1:1"), ME1 = Addr.parse("fe80::2:1");
    static final Addr B = Addr.parse("fe80::1:2"), C = Addr.parse("fe80::1:3"), D = Addr.parse("fe80::2:2");
    static final Prefix P = Prefix.parse("2001:db8:7::/48");
    static final long ORIGIN = 0x0200_0000_0000_0007L;

    final ResendTest.Recorder out = new ResendTest.Recorder();
    final BabelRouter router = new BabelRouter(0x0200_0000_0000_0001L, 1, 0, new SplittableRandom(12), out);

    void neighbour(String ifname, Addr me, Addr from, long t) {
        for (int i = 0; i < 2; i++)
            router.receive(ifname, from, false, List.of(new Message.Hello(false, 100 + i, 400, Message.NO_TIMESTAMP),
                    new Message.Ihu(me, 96, 1200, Message.NO_TIMESTAMP, Message.NO_TIMESTAMP)), t + i * S);
    }

    void announce(String ifname, Addr from, int metric, long t) {
        router.receive(ifname, from, false, List.of(new Message.Update(P, null, ORIGIN, null, 10, metric, 400)), t);
    }

    @Test
    void interfaceDownMovesTheRouteStraightToTheOtherInterface() {
        InterfaceSettings s = InterfaceSettings.wired(4000).withUpdateInterval(60_000);
        router.addInterface("eth0", s, ME0, 1 * S);
        router.addInterface("eth1", s, ME1, 1 * S);
        neighbour("eth0", ME0, B, 1 * S);
        neighbour("eth0", ME0, C, 1 * S);
        neighbour("eth1", ME1, D, 1 * S);
        announce("eth0", B, 0, 2 * S);
        announce("eth0", C, 10, 2 * S); // feasible (10 < 96), second best: 106
        announce("eth1", D, 50, 2 * S); // feasible, third: 146
        assertEquals(B, router.installed(P, null).neighbour.address, "learned through B on eth0");
        assertEquals(3, router.routes().stream().filter(r -> r.entry.prefix.equals(P) && r.feasible(2 * S)).count(),
                "three feasible routes to P: through B and C on eth0, D on eth1");
        int before = out.installed.size(), uninstalls = out.uninstalled.size();

        assertTrue(router.interfaceDown("eth0", 2 * S));

        List<KernelRoute> after = out.installed.subList(before, out.installed.size()).stream()
                .filter(r -> r.prefix().equals(P)).toList();
        System.out.println("installed after eth0 went down: " + after);
        assertFalse(after.isEmpty(), "the route was switched");
        assertTrue(after.stream().allMatch(r -> r.ifname().equals("eth1") && r.nextHop().equals(D) && !r.unreachable()),
                "only ever replaced by the route through D on eth1, never through C on the downed eth0: " + after);
        assertEquals(1, after.size(), "one replace: " + after);
        assertEquals(uninstalls, out.uninstalled.size(), "replaced, never removed");
        assertEquals(D, router.installed(P, null).neighbour.address);
    }
}
