package re6st.babel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import re6st.babel.config.BabelConfig;
import re6st.babel.daemon.BabelDaemon;
import re6st.babel.message.Prefix;
import re6st.netsim.Namespace;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;

/**
 * Two of our Babel daemons, in process, over two veth pairs: when the node reports the
 * interface carrying the route down (a tunnel's liveness lost), the kernel route has moved to
 * the other interface by the time the call completes, not at a hello timeout.
 */
@RequiresRoot
class BabelDaemonInterfaceDownTest {
    static final Duration CONVERGE = Duration.ofSeconds(60);
    static final String B_ADDR = "2001:db8:b::1";
    static final Pattern DEV = Pattern.compile(" dev (\\S+)");

    static BabelConfig config() throws Exception {
        return BabelConfig.parse(List.of("default type wired hello-interval 1", "smoothing-half-life 0",
                "redistribute local ip 2001:db8::/32 le 128", "redistribute local deny"), List.of());
    }

    static BabelDaemon start(Namespace ns, long routerId, String... interfaces) throws Exception {
        BabelDaemon d = new BabelDaemon(BabelDaemon.Options.from(config(), List.of(interfaces), routerId));
        ns.call(() -> {
            d.start(); // its sockets, netlink and threads stay in the namespace
            return null;
        });
        return d;
    }

    /** The interface of the kernel route to {@code addr} in {@code ns}, null if none usable. */
    static String routeDev(Namespace ns, String addr) {
        String out = ns.ip("-6", "route", "show", addr).output();
        for (String line : out.split("\n")) {
            Matcher m = DEV.matcher(line);
            if (line.startsWith(addr) && line.contains(" via fe80:") && m.find())
                return m.group(1);
        }
        return null;
    }

    /** How many of a's routes to {@code p} are usable (finite metric), one per neighbour. */
    static int usableRoutes(BabelDaemon d, Prefix p) {
        try {
            return d.call(core -> (int) core.routes().stream()
                    .filter(r -> r.prefix().equals(p) && r.metric() < 0xFFFF).count());
        } catch (Exception e) {
            throw new AssertionError("the daemon's core did not answer", e);
        }
    }

    /** Two veth pairs a:v0-b:v0 and a:v1-b:v1; b's address on its loopback. */
    static void twoLinks(TestNet net, Namespace a, Namespace b) {
        b.addAddress("lo", B_ADDR + "/128");
        a.forwarding();
        b.forwarding();
        net.veth(a, "v0", b, "v0");
        net.veth(a, "v1", b, "v1");
        // Only so that the JDK's NetworkInterface, which the Babel socket joins the group
        // with, sees these IPv6 interfaces from a thread in another namespace than the
        // process's (BabelSocket.join); Babel announces nothing in IPv4 here.
        for (int i = 0; i < 2; i++) {
            a.addAddress("v" + i, "198.18.7" + i + ".1/24");
            b.addAddress("v" + i, "198.18.7" + i + ".2/24");
        }
    }

    @Test
    void interfaceDownMovesTheKernelRouteToTheOtherInterfaceAtOnce() throws Exception {
        try (TestNet net = TestNet.create("babel-ifdown")) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            twoLinks(net, a, b);
            try (BabelDaemon da = start(a, 0x0200_0000_0000_0001L, "v0", "v1");
                    BabelDaemon db = start(b, 0x0200_0000_0000_0002L, "v0", "v1")) {
                Prefix p = Prefix.parse(B_ADDR + "/128");
                Wait.until("a installs b's address", CONVERGE, () -> routeDev(a, B_ADDR) != null);
                Wait.until("a has learned b's address on both interfaces", CONVERGE, () -> usableRoutes(da, p) == 2);
                String used = routeDev(a, B_ADDR), other = used.equals("v0") ? "v1" : "v0";
                System.out.println("a routes " + B_ADDR + " over " + used + "; taking it down");

                long t0 = System.nanoTime();
                da.interfaceDown(used).get(30, TimeUnit.SECONDS);
                System.out.printf("interfaceDown(%s) completed after %.1f ms%n", used, (System.nanoTime() - t0) / 1e6);

                assertEquals(other, routeDev(a, B_ADDR),
                        "the kernel route moved when the call completed:\n" + a.ip("-6", "route").output());
                assertEquals(1, usableRoutes(da, p), "the route over " + used + " is gone from Babel's table");
                assertEquals(0, (int) da.call(core -> (int) core.neighbours().stream()
                        .filter(n -> n.interfaceName().equals(used)).count()), "no neighbour left on " + used);

                da.interfaceUp(used).get(30, TimeUnit.SECONDS);
                Wait.until("a hears b on " + used + " again", CONVERGE, () -> usableRoutes(da, p) == 2);
                assertNotEquals(null, routeDev(a, B_ADDR));
            }
        }
    }

    /** The tunnel manager adds and removes interfaces on a running daemon, from its own threads. */
    @Test
    void interfacesAreAddedAndRemovedOnARunningDaemon() throws Exception {
        try (TestNet net = TestNet.create("babel-ifadd")) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            twoLinks(net, a, b);
            try (BabelDaemon da = start(a, 0x0200_0000_0000_0001L, "v0");
                    BabelDaemon db = start(b, 0x0200_0000_0000_0002L, "v0", "v1")) {
                Prefix p = Prefix.parse(B_ADDR + "/128");
                Wait.until("a learns b's address over v0", CONVERGE, () -> usableRoutes(da, p) == 1);
                // from this thread, outside a's namespace: the work is done on the daemon's core thread
                da.addInterface("v1", BabelDaemon.Options.interfaceSettings(config(), "v1"), null);
                Wait.until("a learns it over v1 too", CONVERGE, () -> usableRoutes(da, p) == 2);
                assertEquals(List.of("v0", "v1"), da.call(core -> core.interfaceNames()));

                String used = routeDev(a, B_ADDR), other = used.equals("v0") ? "v1" : "v0";
                da.removeInterface(used);
                assertEquals(other, routeDev(a, B_ADDR), "removing the interface moved the route at once");
                assertEquals(List.of(other), da.call(core -> core.interfaceNames()));
                Exception twice = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                        () -> da.addInterface(other, BabelDaemon.Options.interfaceSettings(config(), other), null));
                assertTrue(String.valueOf(twice.getMessage()).contains("already runs on " + other), twice.toString());
            }
        }
    }
}
