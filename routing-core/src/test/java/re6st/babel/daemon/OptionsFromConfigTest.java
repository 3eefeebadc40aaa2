package re6st.babel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import re6st.babel.InterfaceSettings;
import re6st.babel.KernelRoute;
import re6st.babel.config.BabelConfig;
import re6st.babel.mac.MacPolicy;
import re6st.babel.message.Addr;
import re6st.babel.message.Prefix;

/** {@link BabelDaemon.Options#from}: every statement the daemon runs with comes through here. */
class OptionsFromConfigTest {
    static BabelConfig config(String... statements) throws Exception {
        return BabelConfig.parse(List.of(statements), List.of());
    }

    @Test
    void everyStatementTheDaemonUsesReachesItsOptions() throws Exception {
        BabelConfig cfg = config("default type tunnel hello-interval 1", "interface eth1 type wired rxcost 50",
                "key id k type blake2s128 value 00112233", "interface eth0 key k accept-bad-signatures true",
                "smoothing-half-life 2", "export-table 100", "import-table 101", "kernel-priority 5", "protocol-port 6697",
                "state-file /var/lib/x.state", "pid-file /run/x.pid",
                "redistribute ip 2001:db8::/32 le 64 metric 7", "redistribute local deny",
                "install ip 2001:db8:9::/48 table 200");
        BabelDaemon.Options o = BabelDaemon.Options.from(cfg, List.of("eth0", "eth1"), 0x42);

        assertEquals(0x42, o.routerId());
        assertEquals(List.of("eth0", "eth1"), List.copyOf(o.interfaces().keySet()));
        InterfaceSettings eth0 = o.interfaces().get("eth0"), eth1 = o.interfaces().get("eth1");
        assertEquals(InterfaceSettings.Type.TUNNEL, eth0.type(), "the default's type");
        assertTrue(eth0.timestamps(), "tunnels measure RTT");
        assertEquals(1000, eth0.helloInterval(), "seconds in the statement, ms in the options");
        assertEquals(InterfaceSettings.Type.WIRED, eth1.type());
        assertEquals(50, eth1.rxcost());
        assertEquals(2000, o.smoothingHalfLifeMs());
        assertEquals(100, o.exportTable());
        assertEquals(101, o.importTable());
        assertEquals(5, o.kernelMetric());
        assertEquals(6697, o.port());
        assertEquals(Path.of("/var/lib/x.state"), o.stateFile());
        assertEquals(Path.of("/run/x.pid"), o.pidFile());

        MacPolicy mac = o.macPolicies().get("eth0");
        assertEquals("k", mac.sign().get(0).id());
        assertTrue(mac.acceptBadSignatures());
        assertFalse(o.macPolicies().containsKey("eth1"), "no key on eth1");

        assertEquals(7, o.redistribution().metric(Prefix.parse("2001:db8:1::/48"), null, 4, false, "eth0"));
        assertNull(o.redistribution().metric(Prefix.parse("2001:db9::/48"), null, 4, false, "eth0"), "outside the statement");
        assertNull(o.redistribution().metric(Prefix.parse("2001:db8::1/128"), null, 0, true, "eth0"), "local deny");

        KernelRoute r = new KernelRoute(Prefix.parse("2001:db8:9:1::/64"), null, "eth0", Addr.parse("fe80::1"), false, 9);
        assertEquals(200, o.installPolicy().place(r).table());
    }

    @Test
    void theCommandLineOverridesFilesAndPortOnly() throws Exception {
        BabelConfig cfg = config("state-file /a", "pid-file /b", "protocol-port 7000");
        BabelDaemon.Options o = BabelDaemon.Options.from(cfg, List.of("eth0"), 1);
        BabelDaemon.Options all = o.withOverrides(Path.of("/c"), Path.of("/d"), 7001);
        assertEquals(Path.of("/c"), all.stateFile());
        assertEquals(Path.of("/d"), all.pidFile());
        assertEquals(7001, all.port());
        BabelDaemon.Options none = o.withOverrides(null, null, null);
        assertEquals(Path.of("/a"), none.stateFile());
        assertEquals(Path.of("/b"), none.pidFile());
        assertEquals(7000, none.port());
        assertEquals(o.interfaces(), none.interfaces());
    }
}
