package re6st.node.upnp;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * {@code --ip upnp} (and the default without --ip): one port mapping on the IGD per tunnel server
 * (its protocol and port; IPv4 servers only), at a random external port in
 * {@value #FIRST_PORT}-{@value #LAST_PORT}, leased {@value #LEASE_S} s, renewed every
 * {@value #REFRESH_MS} ms, tried again {@value #RETRY_MS} ms after a failure, deleted at
 * {@link #close}. A port someone else holds (UPnP error 718) is swapped for another random one.
 * <p>
 * Time is the caller's ({@link #step} with a monotonic millisecond clock, at the time it returns):
 * the schedule is tested on virtual time with an in-memory {@link Gateway}; the daemon drives it
 * from a thread of its own with an {@link Igd}. {@link #current} may be read from any thread.
 */
public final class PortForwarder implements AutoCloseable {
    private static final Logger LOG = System.getLogger("re6st.node.upnp");
    public static final int FIRST_PORT = 32768, LAST_PORT = 49151, LEASE_S = 3600;
    public static final long REFRESH_MS = 500_000, RETRY_MS = 60_000;
    /** Random ports tried for one mapping in one step when each is taken (718). */
    static final int CONFLICT_TRIES = 8;
    static final String DESCRIPTION = "re6st";
    /** The counter label of a 718 answer (another random port is tried). */
    public static final String CONFLICT = "conflict";

    /** The actions of an IGD the forwarder uses ({@link Igd}'s). */
    public interface Gateway {
        String externalIp() throws UpnpException;

        void addPortMapping(int externalPort, String protocol, int internalPort, String description, int leaseSeconds) throws UpnpException;

        void deletePortMapping(int externalPort, String protocol) throws UpnpException;
    }

    /** Finds the IGD (UpnpException NO_IGD when none answers). */
    public interface Discovery {
        Gateway find() throws UpnpException;
    }

    /** A tunnel server to map: "udp" or "tcp", and its local port. */
    public record Server(String protocol, int port) {
    }

    /** A mapping held: the server's protocol, the IGD's port, valid until (monotonic ms) unless renewed. */
    public record Mapping(String protocol, int externalPort, int internalPort, long validUntil) {
    }

    /** What to advertise: the IGD's external address and, per server protocol, the mapped port. */
    public record Advertised(String externalIp, Map<String, Integer> ports) {
    }

    private final List<Server> servers;
    private final Discovery discovery;
    private final RandomGenerator random;
    private final boolean explicit;
    private Gateway gateway;
    private final Map<String, Mapping> mappings = new LinkedHashMap<>();
    private final Map<String, Long> failures = new TreeMap<>();
    private volatile String externalIp;
    private volatile Map<String, Mapping> held = Map.of();
    private long nextAt = Long.MIN_VALUE;
    private boolean toldNoIgd, permanentOnly;
    /** Set by {@link #close} before it waits for a step in flight: that step maps no further server. */
    private volatile boolean closed;

    /**
     * @param explicit {@code --ip upnp} was given: no IGD is a warning (by default it means no NAT, an
     *                 information)
     */
    public PortForwarder(List<Server> servers, Discovery discovery, RandomGenerator random, boolean explicit) {
        this.servers = List.copyOf(servers);
        this.discovery = discovery;
        this.random = random;
        this.explicit = explicit;
    }

    /** Does what is due at {@code now} and returns when to call again. */
    public synchronized long step(long now) {
        if (closed)
            return Long.MAX_VALUE;
        if (now < nextAt)
            return nextAt;
        try {
            if (gateway == null) {
                gateway = discovery.find();
                LOG.log(Level.INFO, "UPnP: {0} found", gateway);
            }
            String ip = gateway.externalIp();
            if (!ip.equals(externalIp))
                LOG.log(Level.INFO, "UPnP: external IP {0}{1}", ip, externalIp == null ? "" : " (was " + externalIp + ")");
            externalIp = ip;
            for (Server s : servers) {
                if (closed)
                    break;
                map(s, now);
            }
            nextAt = now + REFRESH_MS;
        } catch (UpnpException e) {
            failed(e);
            nextAt = now + RETRY_MS;
        }
        held = Map.copyOf(mappings);
        return nextAt;
    }

    private void map(Server s, long now) throws UpnpException {
        String proto = s.protocol().toUpperCase(Locale.ROOT);
        Mapping m = mappings.get(s.protocol());
        int port = m != null ? m.externalPort() : randomPort();
        for (int tries = 1;; tries++) {
            try {
                gateway.addPortMapping(port, proto, s.port(), DESCRIPTION, permanentOnly ? 0 : LEASE_S);
                break;
            } catch (UpnpFault f) {
                if (f.code() == UpnpFault.ONLY_PERMANENT_LEASES_SUPPORTED && !permanentOnly) {
                    // old IGDs (WANIPConnection:1): a lease of 0 is kept until we delete it; refreshes still check it is there
                    LOG.log(Level.INFO, "UPnP: the IGD takes only permanent mappings (725): asking for those");
                    permanentOnly = true;
                    tries--;
                    continue;
                }
                if (f.code() != UpnpFault.CONFLICT_IN_MAPPING_ENTRY || tries >= CONFLICT_TRIES)
                    throw f;
                count(CONFLICT);
                LOG.log(Level.INFO, "UPnP: external port {0}/{1} is taken (718): trying another", port, proto);
                if (m != null) { // ours was given to someone else meanwhile: it is no longer ours to advertise or delete
                    mappings.remove(s.protocol());
                    m = null;
                }
                port = randomPort();
            }
        }
        if (m == null)
            LOG.log(Level.INFO, "UPnP: mapped {0}:{1}/{2} to our port {3} for {4} s", externalIp, Integer.toString(port), proto,
                    Integer.toString(s.port()), Integer.toString(LEASE_S));
        mappings.put(s.protocol(), new Mapping(s.protocol(), port, s.port(), now + LEASE_S * 1000L));
    }

    private void failed(UpnpException e) {
        count(e.reason());
        if (gateway == null) { // the search failed: no IGD (or no multicast route, etc.)
            if (!toldNoIgd)
                LOG.log(explicit ? Level.WARNING : Level.INFO, explicit
                        ? "--ip upnp: {0}: advertising this host''s own addresses, which peers cannot reach if it is behind a NAT; searching again every {1} s"
                        : "UPnP: {0}: assuming no NAT (this host''s own addresses are advertised); searching again every {1} s",
                        e.getMessage(), RETRY_MS / 1000);
            else
                LOG.log(Level.DEBUG, "UPnP: {0}", e.getMessage());
            toldNoIgd = true;
            return;
        }
        LOG.log(Level.WARNING, "UPnP: {0}; {1} again in {2} s", e.getMessage(), mappings.isEmpty() ? "mapping" : "refresh",
                RETRY_MS / 1000);
        if (e.reason().equals(UpnpException.IO) || e.reason().equals(UpnpException.TIMEOUT))
            gateway = null; // the IGD went away or changed its port (a restart): search again
    }

    /** An answer to our M-SEARCH that was refused (a bad answer, a URL to another host): counted, and the search goes on. */
    public void refused(UpnpException e) {
        count(e.reason());
        LOG.log(Level.INFO, "UPnP: ignored an answer to our search: {0}", e.getMessage());
    }

    private int randomPort() {
        return random.nextInt(FIRST_PORT, LAST_PORT + 1);
    }

    private void count(String reason) {
        synchronized (failures) {
            failures.merge(reason, 1L, Long::sum);
        }
    }

    /** What to advertise at {@code now}: null unless the external IP is known and at least one mapping is valid. */
    public Advertised current(long now) {
        String ip = externalIp;
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (Mapping m : held.values())
            if (m.validUntil() > now)
                ports.put(m.protocol(), m.externalPort());
        return ip == null || ports.isEmpty() ? null : new Advertised(ip, ports);
    }

    /** The mappings valid at {@code now} (a lease that ended unrenewed is no longer held), for the metrics. */
    public int mapped(long now) {
        int n = 0;
        for (Mapping m : held.values())
            if (m.validUntil() > now)
                n++;
        return n;
    }

    /** Failures by reason ({@link UpnpException} reasons and {@link #CONFLICT}). */
    public Map<String, Long> failures() {
        synchronized (failures) {
            return Map.copyOf(failures);
        }
    }

    /** How long {@link #close} spends deleting mappings at most (between two calls: each has its own HTTP timeouts). */
    static final long CLOSE_BUDGET_MS = 5_000;

    /**
     * Deletes our mappings (at exit: the IGD would otherwise keep them until their lease ends), within
     * about {@link #CLOSE_BUDGET_MS}: a hung IGD must not hold the node's exit. A step in flight is
     * finished first (it maps no further server); interrupt its thread to cut its HTTP call short.
     */
    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            deleteAll();
        }
    }

    private void deleteAll() {
        long deadline = System.nanoTime() + CLOSE_BUDGET_MS * 1_000_000L;
        for (Mapping m : mappings.values()) {
            String proto = m.protocol().toUpperCase(Locale.ROOT);
            if (gateway == null || System.nanoTime() - deadline > 0) {
                LOG.log(Level.WARNING, "UPnP: the IGD is lost; the mapping of port {0}/{1} stays until its lease ends",
                        Integer.toString(m.externalPort()), proto);
                continue;
            }
            try {
                gateway.deletePortMapping(m.externalPort(), proto);
                LOG.log(Level.INFO, "UPnP: deleted the mapping of external port {0}/{1}", Integer.toString(m.externalPort()), proto);
            } catch (UpnpException e) {
                count(e.reason());
                LOG.log(Level.WARNING, "UPnP: {0}; the mapping of port {1}/{2} stays until its lease ends", e.getMessage(),
                        Integer.toString(m.externalPort()), proto);
            }
        }
        mappings.clear();
        held = Map.of();
    }
}
