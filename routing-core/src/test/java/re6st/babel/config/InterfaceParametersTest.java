package re6st.babel.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** babeld's per-type defaults (interface.c interface_updown) and how statements override them. */
class InterfaceParametersTest {
    private static InterfaceParameters of(String... statements) throws ConfigException {
        ConfigParser p = new ConfigParser();
        for (String s : statements)
            p.statement(s);
        return p.build().interfaceParameters("eth0");
    }

    @Test
    void wiredDefaults() throws ConfigException {
        InterfaceParameters i = of("interface eth0 type wired");
        assertEquals("eth0", i.name());
        assertEquals(InterfaceType.WIRED, i.type());
        assertEquals(4000, i.helloInterval());
        assertEquals(16000, i.updateInterval());
        assertEquals(96, i.rxcost());
        assertFalse(i.timestamps());
        assertEquals(0, i.maxRttPenalty());
        assertEquals(42, i.rttDecay());
        assertEquals(10_000, i.rttMin());
        assertEquals(120_000, i.rttMax());
        assertTrue(i.splitHorizon());
        assertFalse(i.linkQuality());
        assertFalse(i.unicast());
        assertFalse(i.rfc6126Compatible());
        assertFalse(i.acceptBadSignatures());
        assertNull(i.v4ViaV6());
        assertNull(i.key());
    }

    @Test
    void tunnelDefaults() throws ConfigException {
        InterfaceParameters i = of("interface eth0 type tunnel");
        assertEquals(InterfaceType.TUNNEL, i.type());
        assertEquals(4000, i.helloInterval());
        assertEquals(96, i.rxcost());
        assertTrue(i.timestamps());
        assertEquals(10_000, i.rttMin());
        assertEquals(120_000, i.rttMax());
        assertEquals(96, i.maxRttPenalty());
        assertEquals(42, i.rttDecay());
        assertFalse(i.splitHorizon()); // babeld: split horizon on wired only
        assertFalse(i.linkQuality());
    }

    @Test
    void wirelessDefaults() throws ConfigException {
        InterfaceParameters i = of("interface eth0 type wireless");
        assertEquals(256, i.rxcost());
        assertTrue(i.linkQuality());
        assertFalse(i.splitHorizon());
        assertFalse(i.timestamps());
        assertEquals(4000, i.helloInterval());
    }

    @Test
    void autoAsksTheKernel() throws ConfigException {
        BabelConfig c = new ConfigParser().statement("interface eth0").build();
        InterfaceParameters notWireless = c.interfaceParameters("eth0", false);
        assertEquals(InterfaceType.AUTO, notWireless.type());
        assertEquals(96, notWireless.rxcost());
        assertFalse(notWireless.splitHorizon()); // only an explicit type wired gets split horizon
        assertFalse(notWireless.linkQuality());
        assertFalse(notWireless.timestamps());
        InterfaceParameters wireless = c.interfaceParameters("eth0", true);
        assertEquals(InterfaceType.WIRELESS, wireless.type());
        assertEquals(256, wireless.rxcost());
        assertTrue(wireless.linkQuality());
        // an explicit type is not second-guessed
        assertEquals(InterfaceType.WIRED,
                new ConfigParser().statement("interface eth0 type wired").build().interfaceParameters("eth0", true).type());
    }

    @Test
    void updateIntervalFollowsTheHelloInterval() throws ConfigException {
        assertEquals(2000, of("interface eth0 hello-interval 0.5").updateInterval());
        assertEquals(4000, of("default hello-interval 1", "interface eth0").updateInterval());
        assertEquals(30_000, of("interface eth0 hello-interval 0.5 update-interval 30").updateInterval());
    }

    @Test
    void typeDefaultsGiveWayToWrittenOptions() throws ConfigException {
        InterfaceParameters i = of("interface eth0 type tunnel enable-timestamps false max-rtt-penalty 5000"
                + " rtt-max 500 rtt-decay 125 rxcost 200");
        assertFalse(i.timestamps());
        assertEquals(5000, i.maxRttPenalty());
        assertEquals(500_000, i.rttMax());
        assertEquals(125, i.rttDecay());
        assertEquals(200, i.rxcost());
        // and a wired interface can measure RTT
        InterfaceParameters w = of("interface eth0 type wired enable-timestamps true max-rtt-penalty 50");
        assertTrue(w.timestamps());
        assertEquals(50, w.maxRttPenalty());
        assertTrue(w.splitHorizon());
    }

    @Test
    void interfaceOptionsOverrideDefaultsInEitherOrder() throws ConfigException {
        // default then interface
        InterfaceParameters a = of("default type wired hello-interval 1 rxcost 150", "interface eth0 rxcost 300");
        assertEquals(InterfaceType.WIRED, a.type());
        assertEquals(1000, a.helloInterval());
        assertEquals(300, a.rxcost());
        // interface then default: babeld merges the defaults when the configuration is complete,
        // so they reach interfaces configured earlier too, and the interface's own options still win
        InterfaceParameters b = of("interface eth0 rxcost 300", "default type wired hello-interval 1 rxcost 150");
        assertEquals(a, b);
        // an interface only named on the command line gets the defaults alone
        BabelConfig c = new ConfigParser().statement("default type tunnel hello-interval 2").build();
        InterfaceParameters veth = c.interfaceParameters("veth9");
        assertEquals(InterfaceType.TUNNEL, veth.type());
        assertEquals(2000, veth.helloInterval());
        assertTrue(veth.timestamps());
    }

    @Test
    void autoInAnInterfaceLetsTheDefaultShowThrough() throws ConfigException {
        InterfaceParameters i = of("default type tunnel enable-timestamps false",
                "interface eth0 type auto enable-timestamps auto");
        assertEquals(InterfaceType.TUNNEL, i.type());
        assertFalse(i.timestamps());
    }

    @Test
    void theTypeOfTheDefaultChoosesTheDefaultsOfItsOptions() throws ConfigException {
        InterfaceParameters i = of("default type tunnel", "interface eth0 rtt-max 500");
        assertEquals(96, i.maxRttPenalty());
        assertTrue(i.timestamps());
        assertEquals(500_000, i.rttMax());
        InterfaceParameters j = of("default type tunnel", "interface eth0 type wired");
        assertEquals(0, j.maxRttPenalty());
        assertFalse(j.timestamps());
        assertTrue(j.splitHorizon());
    }

    @Test
    void rttMaxNotAboveRttMinBecomesRttMinPlusTenMs() throws ConfigException {
        InterfaceParameters i = of("interface eth0 type tunnel rtt-min 50 rtt-max 20");
        assertEquals(50_000, i.rttMin());
        assertEquals(60_000, i.rttMax());
        assertEquals(130_000, of("interface eth0 rtt-min 120").rttMax());
    }

    @Test
    void theOriginalRe6stNetworkSettings() throws ConfigException {
        InterfaceParameters i = of("default type tunnel max-rtt-penalty 5000 rtt-max 500 rtt-decay 125 hello-interval 15",
                "interface eth0");
        assertEquals(5000, i.maxRttPenalty());
        assertEquals(500_000, i.rttMax());
        assertEquals(125, i.rttDecay());
        assertEquals(15_000, i.helloInterval());
        assertEquals(60_000, i.updateInterval());
        assertTrue(i.timestamps());
    }
}
