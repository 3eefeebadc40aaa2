package re6st.node.upnp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The forwarder's schedule on virtual time, against an in-memory IGD table (the real one: netsim-tests' IgdTest). */
class PortForwarderTest {
    /** An IGD's mapping table: "port/PROTO" -> internal port; ports in {@code taken} belong to someone else (718). */
    static final class Table implements PortForwarder.Gateway {
        final Map<String, Integer> rows = new HashMap<>();
        final List<String> calls = new ArrayList<>();
        final java.util.Set<String> taken = new java.util.HashSet<>();
        boolean permanentOnly;
        String ip = "198.18.81.50";
        UpnpException failNext;

        private void maybeFail() throws UpnpException {
            UpnpException e = failNext;
            failNext = null;
            if (e != null)
                throw e;
        }

        public String externalIp() throws UpnpException {
            calls.add("ip");
            maybeFail();
            return ip;
        }

        public void addPortMapping(int ext, String proto, int internal, String description, int lease) throws UpnpException {
            calls.add("add " + ext + "/" + proto + " -> " + internal + " " + lease + " s");
            maybeFail();
            if (permanentOnly && lease != 0)
                throw new UpnpFault(725, "OnlyPermanentLeasesSupported", "AddPortMapping");
            if (taken.contains(ext + "/" + proto))
                throw new UpnpFault(718, "ConflictInMappingEntry", "AddPortMapping");
            rows.put(ext + "/" + proto, internal);
        }

        public void deletePortMapping(int ext, String proto) throws UpnpException {
            calls.add("delete " + ext + "/" + proto);
            maybeFail();
            rows.remove(ext + "/" + proto);
        }
    }

    final Table igd = new Table();
    int searches;
    boolean igdAnswers = true;

    PortForwarder forwarder(long seed) {
        return new PortForwarder(List.of(new PortForwarder.Server("udp", 1194), new PortForwarder.Server("tcp", 1194)), () -> {
            searches++;
            if (!igdAnswers)
                throw new UpnpException(UpnpException.NO_IGD, "no UPnP IGD answered within 2000 ms");
            return igd;
        }, new SplittableRandom(seed), true);
    }

    @Test
    void mapsEachServerAtARandomPortRefreshesEvery500sAndDeletesAtClose() {
        PortForwarder f = forwarder(1);
        assertEquals(PortForwarder.REFRESH_MS, f.step(0));
        PortForwarder.Advertised a = f.current(0);
        assertEquals("198.18.81.50", a.externalIp());
        assertEquals(2, igd.rows.size());
        for (String proto : List.of("udp", "tcp")) {
            int port = a.ports().get(proto);
            assertTrue(port >= 32768 && port <= 49151, "in 32768-49151: " + port);
            assertEquals(1194, igd.rows.get(port + "/" + proto.toUpperCase()));
        }
        assertEquals(2, f.mapped(0));
        // nothing before the refresh is due; at it, the same ports are renewed
        int calls = igd.calls.size();
        assertEquals(PortForwarder.REFRESH_MS, f.step(PortForwarder.REFRESH_MS - 1));
        assertEquals(calls, igd.calls.size());
        assertEquals(2 * PortForwarder.REFRESH_MS, f.step(PortForwarder.REFRESH_MS));
        assertEquals(List.of("ip", "add " + a.ports().get("udp") + "/UDP -> 1194 3600 s", "add " + a.ports().get("tcp") + "/TCP -> 1194 3600 s"),
                igd.calls.subList(calls, igd.calls.size()));
        assertEquals(a, f.current(PortForwarder.REFRESH_MS));
        assertEquals(1, searches, "the IGD found once is kept");
        f.close();
        assertTrue(igd.rows.isEmpty(), "deleted at close: " + igd.rows);
        assertNull(f.current(PortForwarder.REFRESH_MS));
        assertEquals(Long.MAX_VALUE, f.step(3 * PortForwarder.REFRESH_MS), "nothing after close");
        assertEquals(Map.of(), f.failures());
    }

    @Test
    void aTakenPortIsSwappedForAnotherAndCountedAsAConflict() {
        int first = new SplittableRandom(7).nextInt(PortForwarder.FIRST_PORT, PortForwarder.LAST_PORT + 1);
        igd.taken.add(first + "/UDP");
        PortForwarder f = forwarder(7);
        f.step(0);
        int udp = f.current(0).ports().get("udp");
        assertTrue(udp != first);
        assertEquals(1194, igd.rows.get(udp + "/UDP"));
        assertEquals(Map.of(PortForwarder.CONFLICT, 1L), f.failures());
    }

    @Test
    void anIgdThatTakesOnlyPermanentLeasesGetsThem() {
        igd.permanentOnly = true;
        PortForwarder f = forwarder(5);
        assertEquals(PortForwarder.REFRESH_MS, f.step(0));
        assertEquals(2, igd.rows.size());
        assertEquals(1, igd.calls.stream().filter(c -> c.endsWith(" 3600 s")).count(), "asked once with a lease: " + igd.calls);
        f.step(PortForwarder.REFRESH_MS);
        assertEquals(1, igd.calls.stream().filter(c -> c.endsWith(" 3600 s")).count(), "then never again: " + igd.calls);
        assertEquals(Map.of(), f.failures());
        f.close();
        assertTrue(igd.rows.isEmpty());
    }

    @Test
    void noIgdIsRetriedEvery60sAndAdvertisesNothing() {
        igdAnswers = false;
        PortForwarder f = forwarder(1);
        assertEquals(PortForwarder.RETRY_MS, f.step(0));
        assertNull(f.current(0));
        assertEquals(2 * PortForwarder.RETRY_MS, f.step(PortForwarder.RETRY_MS));
        assertEquals(Map.of(UpnpException.NO_IGD, 2L), f.failures());
        igdAnswers = true;
        assertEquals(2 * PortForwarder.RETRY_MS + PortForwarder.REFRESH_MS, f.step(2 * PortForwarder.RETRY_MS));
        assertEquals(2, f.current(2 * PortForwarder.RETRY_MS).ports().size());
        assertEquals(3, searches);
        f.close();
    }

    @Test
    void aFailedRefreshIsRetriedAfter60sAndTheMappingIsAdvertisedOnlyUntilItsLeaseEnds() {
        PortForwarder f = forwarder(3);
        f.step(0);
        PortForwarder.Advertised a = f.current(0);
        long t = PortForwarder.REFRESH_MS;
        for (int i = 0; t < PortForwarder.LEASE_S * 1000L; i++) { // the IGD stops answering
            igd.failNext = new UpnpException(UpnpException.TIMEOUT, "GetExternalIPAddress: no answer within 5 s");
            assertEquals(t + PortForwarder.RETRY_MS, f.step(t));
            assertEquals(a, f.current(t), "still ours until the lease ends");
            t += PortForwarder.RETRY_MS;
        }
        assertNull(f.current(PortForwarder.LEASE_S * 1000L), "the lease ended unrenewed: nothing to advertise");
        assertEquals(2, f.mapped(PortForwarder.LEASE_S * 1000L - 1));
        assertEquals(0, f.mapped(PortForwarder.LEASE_S * 1000L), "nor to count as held");
        assertTrue(f.failures().get(UpnpException.TIMEOUT) > 40, f.failures().toString());
        assertTrue(searches > 1, "a timeout makes it search the IGD again");
        // the IGD answers again: the same ports are renewed
        f.step(t);
        assertEquals(a, f.current(t));
        f.close();
    }
}
