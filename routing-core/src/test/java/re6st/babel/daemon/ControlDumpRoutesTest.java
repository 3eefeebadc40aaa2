package re6st.babel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import re6st.babel.BabelRouter;
import re6st.babel.Effects;
import re6st.babel.InterfaceSettings;
import re6st.babel.KernelRoute;
import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Prefix;

/** {@code routes ADDRESS}: what a tool reads to know whether traffic to an address has somewhere else to go. */
class ControlDumpRoutesTest {
    static final long MS = 1_000_000L, S = 1000 * MS;
    static final Addr ME0 = Addr.parse("fe80::1:1"), ME1 = Addr.parse("fe80::2:1");
    static final Addr B = Addr.parse("fe80::1:2"), D = Addr.parse("fe80::2:2");
    static final Prefix P = Prefix.parse("2001:db8:7::/48"), OTHER = Prefix.parse("2001:db8:8::/48");

    final BabelRouter router = new BabelRouter(0x0200_0000_0000_0001L, 1, 0, new SplittableRandom(12), new Effects() {
        public void send(String ifname, Addr dest, Message m) {}

        public void install(KernelRoute r) {}

        public void uninstall(KernelRoute r) {}
    });

    void neighbour(String ifname, Addr me, Addr from, long t) {
        for (int i = 0; i < 2; i++)
            router.receive(ifname, from, false, List.of(new Message.Hello(false, 100 + i, 400, Message.NO_TIMESTAMP),
                    new Message.Ihu(me, 96, 1200, Message.NO_TIMESTAMP, Message.NO_TIMESTAMP)), t + i * S);
    }

    void announce(String ifname, Addr from, Prefix p, long origin, int metric, long t) {
        router.receive(ifname, from, false, List.of(new Message.Update(p, null, origin, null, 10, metric, 400)), t);
    }

    @Test
    void listsEveryRouteHoldingTheAddressWithItsNeighbourAndFeasibilityBestFirst() {
        InterfaceSettings s = InterfaceSettings.wired(4000).withUpdateInterval(60_000);
        router.addInterface("re6st-1", s, ME0, S);
        router.addInterface("re6st-2", s, ME1, S);
        neighbour("re6st-1", ME0, B, S);
        neighbour("re6st-2", ME1, D, S);
        announce("re6st-1", B, P, 7, 0, 2 * S);
        announce("re6st-2", D, P, 7, 50, 2 * S);
        announce("re6st-1", B, OTHER, 8, 0, 2 * S);

        String[] lines = ControlDump.routesTo(router, Addr.parse("2001:db8:7::1"), 2 * S).split("\n");

        assertEquals(2, lines.length, String.join("\n", lines));
        assertTrue(lines[0].startsWith("route prefix 2001:db8:7::/48 from ::/0 installed yes feasible yes "), lines[0]);
        assertTrue(lines[0].endsWith(" via fe80::1:2 if re6st-1"), lines[0]);
        assertTrue(lines[1].contains(" installed no feasible yes "), lines[1]);
        assertTrue(lines[1].endsWith(" via fe80::2:2 if re6st-2"), lines[1]);
        assertEquals("", ControlDump.routesTo(router, Addr.parse("2001:db8:9::1"), 2 * S), "no route: nothing");
    }
}
