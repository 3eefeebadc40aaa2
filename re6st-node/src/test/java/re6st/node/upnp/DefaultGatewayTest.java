package re6st.node.upnp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;

import org.junit.jupiter.api.Test;

/** Only our router may be our IGD: the default gateways, as the kernel lists them in /proc/net/route. */
class DefaultGatewayTest {
    static final String TABLE = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
            + "eth0\t00000000\t010113C6\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" // default via 198.19.1.1
            + "eth0\t000113C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" // 198.19.1.0/24, on-link
            + "eth1\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n" // a default route without gateway (a tunnel)
            + "wan0\t00000000\t0A00000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"; // another default, via 10.0.0.10

    @Test
    void theGatewaysOfTheDefaultRoutesOnly() {
        assertEquals(Set.of("198.19.1.1", "10.0.0.10"), Igd.defaultGateways(TABLE));
    }

    @Test
    void noDefaultRouteNoGatewayAndGarbageIsSkipped() {
        assertEquals(Set.of(), Igd.defaultGateways("Iface\tDestination\tGateway\n"));
        assertEquals(Set.of(), Igd.defaultGateways("eth0\t00000000\tZZZZZZZZ\t0003\t0\t0\t0\t00000000\n\n  \nx"));
    }
}
