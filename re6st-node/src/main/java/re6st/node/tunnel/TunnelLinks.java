package re6st.node.tunnel;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import re6st.babel.InterfaceSettings;
import re6st.babel.mac.MacPolicy;
import re6st.jni.Tun;
import re6st.net.IpPrefix;
import re6st.tunnel.TransportEvents;
import re6st.tunnel.TunDevice;
import re6st.tunnel.TunnelInfo;
import re6st.tunnel.data.DataPacket;

/**
 * Where tunnels meet routing (ARCHITECTURE "Data paths"): each authenticated peer gets its own
 * TUN interface {@code re6st-N} with a random link-local address (Babel's next hop), Babel runs on
 * it as a tunnel (RTT metric) from the moment it is established, and a liveness loss reaches
 * Babel as "interface down now" from the transport's own thread: the routes through it switch in
 * the same turn, well before any hello would time out. The tunnel manager hears of every tunnel
 * through {@link Listener}. Called from the transports' threads; Babel's calls are thread-safe.
 */
public final class TunnelLinks implements TransportEvents {
    private static final Logger LOG = System.getLogger("re6st.node.tunnel");
    /** The TUN MTU: an IPv6 underlay's 1500 minus IPv6, UDP and our data header and tag (1424). */
    public static final int MTU = 1500 - 40 - 8 - DataPacket.OVERHEAD;

    /** What Babel must do with tunnel interfaces: the node's BabelDaemon, or a test's recorder. */
    public interface Routing {
        void addInterface(String name, InterfaceSettings settings, MacPolicy mac) throws Exception;

        void removeInterface(String name) throws Exception;

        void interfaceDown(String name);

        void interfaceUp(String name);
    }

    /** What the tunnel manager hears. Prefixes are the peers' CNs ({@code value/length}). */
    public interface Listener {
        void established(TunnelInfo t);

        void removed(TunnelInfo t);

        void failed(String peerCn, InetSocketAddress remote, IOException why);

        /** The path of an established tunnel is dead (its probes unanswered). */
        default void down(TunnelInfo t) {}

        /** ...and back. */
        default void up(TunnelInfo t) {}

        /** We dialled {@code t}: its peer sees our packets come from {@code ours} (tunnel-io's observed address). */
        default void observed(TunnelInfo t, InetSocketAddress ours) {}
    }

    /** Opens a TUN device for a new tunnel; {@link #kernel} in the daemon, something else in tests. */
    public interface Devices {
        Tun open(String pattern, int mtu, IpPrefix linkLocal) throws IOException;
    }

    /** TunDevice.open in the caller's namespace. */
    public static Devices kernel() {
        return TunDevice::open;
    }

    private final String self;
    private final Routing routing;
    private final Devices devices;
    private final Listener listener;
    private volatile InterfaceSettings settings;
    private volatile MacPolicy mac;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, TunnelInfo> live = new ConcurrentHashMap<>(); // by interface name
    public final AtomicLong refusedSelf = new AtomicLong(), babelFailures = new AtomicLong(), downs = new AtomicLong();
    private final Map<String, java.util.concurrent.atomic.LongAdder> failures = new ConcurrentHashMap<>(); // by reason

    private static final java.util.regex.Pattern ALERT = java.util.regex.Pattern.compile("alert ([a-z_]{1,40})\\(");

    /**
     * A failed handshake's reason, from a small set (a metric label): the TLS alert's name (from
     * either side: access_denied for a full server, certificate_revoked...), timeout, or other.
     */
    public static String failureReason(IOException why) {
        for (Throwable t = why; t != null; t = t.getCause()) {
            if (t instanceof java.net.SocketTimeoutException || t instanceof java.util.concurrent.TimeoutException)
                return "timeout";
            java.util.regex.Matcher m = ALERT.matcher(String.valueOf(t.getMessage()));
            if (m.find())
                return m.group(1);
        }
        String msg = String.valueOf(why.getMessage()).toLowerCase(java.util.Locale.ROOT);
        return msg.contains("timed out") || msg.contains("timeout") ? "timeout" : msg.contains("refused") ? "refused" : "other";
    }

    /** Handshakes that failed since the start, by {@link #failureReason}. */
    public Map<String, Long> failures() {
        Map<String, Long> m = new java.util.TreeMap<>();
        failures.forEach((r, n) -> m.put(r, n.sum()));
        return m;
    }

    /** @param self our own CN: a peer presenting it is refused (a copy of our certificate elsewhere) */
    public TunnelLinks(String self, Routing routing, Devices devices, InterfaceSettings settings, MacPolicy mac, Listener listener) {
        this.self = self;
        this.routing = routing;
        this.devices = devices;
        this.settings = settings;
        this.mac = mac;
        this.listener = listener;
    }

    /** New MAC keys (the network rotated them): for tunnels opened from now on; the daemon updates live ones. */
    public void setMac(MacPolicy mac) {
        this.mac = mac;
    }

    public MacPolicy mac() {
        return mac;
    }

    /** The tunnels established now (for topology, status and the manager), in no particular order. */
    public List<TunnelInfo> tunnels() {
        return new ArrayList<>(live.values());
    }

    @Override
    public Tun tunFor(String peerCn, InetSocketAddress remote, boolean outgoing) throws IOException {
        if (peerCn.equals(self)) {
            refusedSelf.incrementAndGet();
            LOG.log(Level.WARNING, "refused a tunnel from {0}: it presents our own certificate ({1}); is this node's key copied elsewhere?",
                    remote, peerCn);
            return null;
        }
        return devices.open("re6st-%d", MTU, linkLocal());
    }

    /** fe80::/64 with 64 random bits: unique on a point-to-point link without duplicate detection. */
    private IpPrefix linkLocal() {
        byte[] a = new byte[16];
        a[0] = (byte) 0xfe;
        a[1] = (byte) 0x80;
        byte[] iid = new byte[8];
        random.nextBytes(iid);
        System.arraycopy(iid, 0, a, 8, 8);
        return new IpPrefix(IpPrefix.ofBytes(a), 64);
    }

    @Override
    public void established(TunnelInfo t) {
        TunnelInfo before = live.put(t.ifname(), t);
        if (before == null) {
            try {
                routing.addInterface(t.ifname(), settings, mac);
            } catch (Exception e) {
                babelFailures.incrementAndGet();
                LOG.log(Level.WARNING, "tunnel {0} with {1}: Babel cannot run on it: {2}", t.ifname(), t.peerCn(), e.getMessage());
            }
        } else if (!before.up()) {
            routing.interfaceUp(t.ifname()); // a new handshake on a path that was down
        }
        LOG.log(Level.INFO, "tunnel {0} {1} {2} ({3}, {4})", t.ifname(), t.outgoing() ? "to" : "from", t.peerCn(), t.protocol(), t.remote());
        listener.established(t);
    }

    @Override
    public void down(TunnelInfo t) {
        downs.incrementAndGet();
        live.computeIfPresent(t.ifname(), (k, v) -> t);
        routing.interfaceDown(t.ifname());
        LOG.log(Level.INFO, "tunnel {0} with {1}: path dead, routes moved away", t.ifname(), t.peerCn());
        listener.down(t);
    }

    @Override
    public void up(TunnelInfo t) {
        live.computeIfPresent(t.ifname(), (k, v) -> t);
        routing.interfaceUp(t.ifname());
        LOG.log(Level.INFO, "tunnel {0} with {1}: path back", t.ifname(), t.peerCn());
        listener.up(t);
    }

    @Override
    public void observed(TunnelInfo t, InetSocketAddress ours) {
        LOG.log(Level.DEBUG, "tunnel {0}: {1} sees us at {2}", t.ifname(), t.peerCn(), ours);
        listener.observed(t, ours);
    }

    @Override
    public void removed(TunnelInfo t) {
        if (live.remove(t.ifname()) != null) {
            try {
                routing.removeInterface(t.ifname());
            } catch (Exception e) {
                LOG.log(Level.DEBUG, "babel on {0}: {1}", t.ifname(), e.getMessage());
            }
        }
        LOG.log(Level.INFO, "tunnel {0} with {1} closed", t.ifname(), t.peerCn());
        listener.removed(t);
    }

    @Override
    public void failed(String peerCn, InetSocketAddress remote, IOException why) {
        LOG.log(Level.INFO, "tunnel {0} {1}: {2}", peerCn == null ? "with" : "to " + peerCn, remote, why.getMessage());
        failures.computeIfAbsent(failureReason(why), r -> new java.util.concurrent.atomic.LongAdder()).increment();
        listener.failed(peerCn, remote, why);
    }
}
