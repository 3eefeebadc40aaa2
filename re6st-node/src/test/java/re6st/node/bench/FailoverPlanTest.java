package re6st.node.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** What the bench cuts, decided from the node's answers and the kernel's route, and when it refuses. */
class FailoverPlanTest {
    static final String TARGET = "2001:db8:42:7::1";
    static final JsonNode STATUS = status();

    static JsonNode status() {
        try {
            return new ObjectMapper().readTree("{\"node\":\"1/16\",\"network\":\"2001:db8:42::/48\",\"tunnels\":["
                    + "{\"peer\":\"3/16\",\"interface\":\"re6st-1\"},{\"peer\":\"4/16\",\"interface\":\"re6st-2\"}]}");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static final String ROUTES = """
            route prefix 2001:db8:42:7::/64 from ::/0 installed yes feasible yes id 02aa:bbff:fecc:ddee metric 256 refmetric 0 via fe80::3 if re6st-1
            route prefix 2001:db8:42:7::/64 from ::/0 installed no feasible yes id 02aa:bbff:fecc:ddee metric 512 refmetric 256 via fe80::4 if re6st-2
            """;

    @Test
    void parsesTheKernelsRouteAndTheNodesRoutes() {
        RouteGet h = RouteGet.parse("2001:db8:42:7::1 from :: via fe80::3 dev re6st-1 proto babel src 2001:db8:42:1::1 metric 0 pref medium\n    cache\n");
        assertEquals(new RouteGet("re6st-1", "fe80::3", false), h);
        assertTrue(RouteGet.parse("local 2001:db8:42:1::1 dev lo table local proto kernel src 2001:db8:42:1::1 metric 0 pref medium").local());
        assertEquals("RTNETLINK answers: Network is unreachable",
                assertThrows(IllegalArgumentException.class, () -> RouteGet.parse("RTNETLINK answers: Network is unreachable")).getMessage());
        List<BabelRoute> r = BabelRoute.parseAll(ROUTES);
        assertEquals(new BabelRoute("2001:db8:42:7::/64", true, true, 256, "fe80::3", "re6st-1"), r.get(0));
        assertFalse(r.get(1).installed());
        assertFalse(new BabelRoute("p", false, true, BabelRoute.INFINITY, "v", "i").usable(), "retracted");
        assertFalse(new BabelRoute("p", false, false, 100, "v", "i").usable(), "unfeasible");
        assertThrows(IllegalArgumentException.class, () -> BabelRoute.parseAll("add neighbour 1 address fe80::1"));
    }

    @Test
    void cutsTheTunnelCarryingTheProbesWhenAnotherRouteExists() {
        FailoverPlan p = FailoverPlan.decide(TARGET, STATUS, new RouteGet("re6st-1", "fe80::3", false), BabelRoute.parseAll(ROUTES));
        assertEquals("re6st-1", p.ifname());
        assertEquals("3/16", p.peer());
        assertEquals(1, p.alternatives().size());
        assertEquals("re6st-2", p.alternatives().get(0).ifname());
        assertEquals("re6st-2 to 4/16", FailoverPlan.describe(STATUS, "re6st-2"));
        assertEquals("eth0", FailoverPlan.describe(STATUS, "eth0"));
    }

    @Test
    void refusesWhenThereIsNothingToFailOverTo() {
        String onlyOne = ROUTES.lines().findFirst().get() + "\n"
                + "route prefix 2001:db8:42:7::/64 from ::/0 installed no feasible no id 02aa:bbff:fecc:ddee metric 300 refmetric 44 via fe80::4 if re6st-2\n"
                + "route prefix 2001:db8:42:7::/64 from ::/0 installed no feasible yes id 02aa:bbff:fecc:ddee metric 65535 refmetric 65535 via fe80::5 if re6st-2\n";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FailoverPlan.decide(TARGET, STATUS, new RouteGet("re6st-1", "fe80::3", false), BabelRoute.parseAll(onlyOne)));
        assertEquals("no alternative path to 2001:db8:42:7::1: only via tunnel re6st-1 to 3/16; nothing to fail over to", e.getMessage());
    }

    @Test
    void refusesTargetsOutsideTheNetworkThisNodeAndNonTunnelRoutes() {
        List<BabelRoute> r = BabelRoute.parseAll(ROUTES);
        assertEquals("2001:db9::1 is not in this node's network 2001:db8:42::/48: give an overlay address of another node",
                assertThrows(IllegalArgumentException.class, () -> FailoverPlan.decide("2001:db9::1", STATUS, new RouteGet("eth0", null, false), r))
                        .getMessage());
        assertEquals("2001:db8:42:1::1 is this node's own address: give another node's", assertThrows(IllegalArgumentException.class,
                () -> FailoverPlan.decide("2001:db8:42:1::1", STATUS, new RouteGet("lo", null, true), r)).getMessage());
        assertEquals("the kernel sends traffic to 2001:db8:42:7::1 out of eth0, not a tunnel of this node (its tunnels: re6st-1 to 3/16, "
                + "re6st-2 to 4/16): nothing re6st can cut", assertThrows(IllegalArgumentException.class,
                        () -> FailoverPlan.decide(TARGET, STATUS, new RouteGet("eth0", null, false), r)).getMessage());
    }

    @Test
    void theReportSaysWhatHappened() {
        FailoverReport r = new FailoverReport(TARGET, "re6st-1 to 3/16", 10, 0.412, -0.004, 0.408, "re6st-2 to 4/16", 0.35, 10.0, 12.5, 1500, 1450, 9.3);
        String t = r.text();
        assertTrue(t.contains("interruption  0.412 s (longest gap between replies: -0.004 s to +0.408 s after the cut)"), t);
        assertTrue(t.contains("new path      re6st-2 to 4/16 (first used +0.350 s after the cut)"), t);
        assertTrue(t.contains("back on re6st-1 to 3/16 2.500 s after the restore"), t);
        assertTrue(t.contains("1500 sent, 1450 answered (50 lost), one every 9.3 ms"), t);
        assertTrue(r.json().contains("\"interruption_s\":0.412"), r.json());
        assertTrue(new FailoverReport(TARGET, "c", 10, 1, 0, 1, null, -1, 10, -1, 1, 1, 10).text().contains("not back on c within the wait"));
    }
}
