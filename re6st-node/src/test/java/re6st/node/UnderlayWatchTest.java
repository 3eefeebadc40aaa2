package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import re6st.jni.NetlinkEvent;
import re6st.jni.Route;
import re6st.net.IpPrefix;

/** What the roaming watch calls a change of the underlay (the netlink side runs in netsim-tests' RoamingTest). */
class UnderlayWatchTest {
    @Test
    void anAddressGoneOrNewOrAnotherDefaultRouteIsAChange() {
        UnderlayWatch.Snapshot home = new UnderlayWatch.Snapshot(Set.of("198.18.81.2", "2001:db8::2"), Set.of("0.0.0.0/0 via 198.18.81.1 dev 2"));
        assertNull(home.changesFrom(new UnderlayWatch.Snapshot(Set.of("2001:db8::2", "198.18.81.2"), home.defaultRoutes())), "same state");
        UnderlayWatch.Snapshot away = new UnderlayWatch.Snapshot(Set.of("198.18.82.7", "2001:db8::2"), Set.of("0.0.0.0/0 via 198.18.82.1 dev 2"));
        assertEquals("address 198.18.81.2 gone, new address 198.18.82.7, default route 0.0.0.0/0 via 198.18.81.1 dev 2 gone, "
                + "new default route 0.0.0.0/0 via 198.18.82.1 dev 2", away.changesFrom(home));
    }

    @Test
    void babelsRoutesAndOtherThanDefaultRoutesAreNotTheUnderlays() {
        assertTrue(UnderlayWatch.relevant(new NetlinkEvent.AddressChanged(2, IpPrefix.parse("198.18.81.2/24"), true)));
        assertTrue(UnderlayWatch.relevant(new NetlinkEvent.Overflow()));
        assertTrue(UnderlayWatch.relevant(new NetlinkEvent.RouteChanged(Route.to("0.0.0.0/0").via("198.18.81.1").build(), false)));
        assertFalse(UnderlayWatch.relevant(new NetlinkEvent.RouteChanged(Route.to("198.18.81.0/24").build(), false)));
        assertFalse(UnderlayWatch.relevant(new NetlinkEvent.RouteChanged(
                Route.to("::/0").protocol(UnderlayWatch.PROTO_BABEL).build(), false)), "Babel's default route (--gateway)");
    }

    @Test
    void learnedAddressesComeFirstWithoutDuplicates() {
        assertEquals(List.of("198.18.81.50", "198.19.1.2"), NodeDaemon.merged(List.of("198.18.81.50"), List.of("198.19.1.2", "198.18.81.50")));
    }
}
