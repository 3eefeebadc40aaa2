package re6st.node;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.security.SecureRandom;

import re6st.babel.InterfaceSettings;
import re6st.babel.Neighbour;
import re6st.babel.Route;
import re6st.babel.daemon.BabelDaemon;
import re6st.babel.daemon.ControlServer;
import re6st.babel.mac.MacPolicy;
import re6st.babel.message.Message;
import re6st.jni.UdpSocket;
import re6st.net.IpPrefix;
import re6st.net.Ipv6Prefix;
import re6st.node.routing.NodeRouting;
import re6st.node.tunnel.TunnelLinks;
import re6st.peer.PeerAddress;
import re6st.registry.protocol.ReceivedNetworkConfig;
import re6st.tunnel.TcpTransport;
import re6st.tunnel.TunnelInfo;
import re6st.tunnel.TunnelStats;
import re6st.tunnel.TunnelTransport;
import re6st.tunnel.UdpEndpoint;
import re6st.tunnel.UdpTransport;
import re6st.tunnel.handshake.Credentials;

/**
 * The node's part of the overlay, as one piece: the kernel set-up, the Babel router (on the LAN
 * interfaces and on every tunnel), its control socket ({@code <run>/babeld.sock}, what the
 * registry on the same host reads), and the tunnel transports (UDP, TCP) whose tunnels
 * {@link TunnelLinks} turns into Babel interfaces. The tunnel manager drives it through
 * {@link #dial}, {@link #hangUp} and {@link #routes}; a new network config goes through
 * {@link #apply}. Everything runs in the namespace of the thread that calls {@link #start}.
 */
public final class Overlay implements AutoCloseable {
    private static final Logger LOG = System.getLogger("re6st.node");

    /**
     * What the overlay needs beyond the identity and the network config.
     *
     * @param ports       {@code --pp}: each tunnel protocol ({@code udp}, {@code tcp}) and its server's port, in order of preference
     * @param maxClients  incoming tunnels accepted per server (0: no server, outgoing only)
     * @param babelExtra  {@code -B} statements
     * @param controlSocket where Babel's local interface listens (null: none)
     */
    public record Plan(String mainInterface, List<String> lanInterfaces, boolean gateway, List<String> babelExtra,
            Map<String, Integer> ports, int maxClients, Path controlSocket, Path babelState) {
        public Plan {
            lanInterfaces = List.copyOf(lanInterfaces);
            babelExtra = List.copyOf(babelExtra);
            ports = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(ports));
        }
    }

    /**
     * One tunnel as {@code re6st status} shows it: its transport's figures, and the cost and RTT Babel
     * gives its neighbour (-1: no Babel neighbour on it yet).
     */
    public record TunnelStatus(TunnelStats stats, int babelCost, int babelRttMicros) {}

    /** One installed route to a node subnet: through which interface (and tunnel peer, null on a LAN), at which metric. */
    public record RouteStatus(Ipv6Prefix prefix, String viaPeer, String ifname, int metric) {}

    /** The tunnels and routes of {@link #status}. */
    public record Status(List<TunnelStatus> tunnels, List<RouteStatus> routes) {}

    /** One routed node subnet: the neighbour (tunnel peer CN, or null for a LAN neighbour) its route goes through. */
    public record RoutedPrefix(Ipv6Prefix prefix, String viaPeer, boolean direct) {}

    private final NodeIdentity me;
    private final NodeAddressing addressing;
    private volatile ReceivedNetworkConfig network;
    private volatile Credentials credentials;
    private final List<AutoCloseable> opened = new ArrayList<>();
    private final Map<String, TunnelTransport> transports = new LinkedHashMap<>(); // by protocol
    private BabelDaemon babel;
    private ControlServer control;
    private TunnelLinks links;
    private NodeRouting routing;

    private Overlay(NodeIdentity me, NodeAddressing addressing, ReceivedNetworkConfig network) {
        this.me = me;
        this.addressing = addressing;
        this.network = network;
        this.credentials = me.credentials(revoked(network));
    }

    static Set<BigInteger> revoked(ReceivedNetworkConfig n) {
        Set<BigInteger> s = new HashSet<>();
        for (long serial : n.config().crl())
            s.add(BigInteger.valueOf(serial));
        return s;
    }

    /** Sets up the kernel, starts Babel and the tunnel servers; on failure everything started is closed. */
    public static Overlay start(NodeIdentity me, ReceivedNetworkConfig network, Plan plan, Optional<Ipv4Overlay> ipv4,
            TunnelLinks.Listener listener) throws Exception {
        return start(me, network, plan, ipv4, listener, TunnelLinks.kernel());
    }

    /** As above, the tunnels' TUN devices opened by {@code devices} (in-process tests add what the JDK needs to see them). */
    public static Overlay start(NodeIdentity me, ReceivedNetworkConfig network, Plan plan, Optional<Ipv4Overlay> ipv4,
            TunnelLinks.Listener listener, TunnelLinks.Devices devices) throws Exception {
        Overlay o = new Overlay(me, me.addressing(plan.mainInterface()), network);
        try {
            o.open(plan, ipv4, listener, devices);
        } catch (Exception | Error e) {
            o.close();
            throw e;
        }
        return o;
    }

    private void open(Plan plan, Optional<Ipv4Overlay> ipv4, TunnelLinks.Listener listener, TunnelLinks.Devices devices) throws Exception {
        opened.add(KernelSetup.apply(addressing, ipv4));
        routing = NodeRouting.of(addressing, ipv4, network, plan.gateway(), plan.babelExtra());
        LOG.log(Level.INFO, "routing: {0}", String.join("; ", routing.statements()));
        BabelDaemon.Options opts = routing.options(plan.lanInterfaces(), routerId());
        if (plan.babelState() != null)
            opts = opts.withOverrides(plan.babelState(), null, null);
        babel = new BabelDaemon(opts);
        babel.start();
        opened.add(babel);
        if (plan.controlSocket() != null) {
            control = new ControlServer(babel, 0, plan.controlSocket().toString(), true, k -> null);
            opened.add(control);
        }
        InterfaceSettings tunnelSettings = routing.tunnelSettings();
        links = new TunnelLinks(me.cn(), babelRouting(), devices, tunnelSettings, routing.mac(), listener);
        boolean accept = plan.maxClients() > 0;
        for (Map.Entry<String, Integer> pp : plan.ports().entrySet()) {
            String proto = pp.getKey();
            TunnelTransport t = switch (proto) {
                case "udp", "udp6" -> new UdpTransport(UdpSocket.bind(new InetSocketAddress(IpPrefix.literal(proto.equals("udp") ? "0.0.0.0" : "::"),
                        accept ? pp.getValue() : 0), true), credentials,
                        UdpEndpoint.Options.defaults().withAccept(accept).withMaxClients(Math.max(1, plan.maxClients())), links);
                case "tcp" -> new TcpTransport(accept ? new InetSocketAddress(IpPrefix.literal("0.0.0.0"), pp.getValue()) : null, false,
                        credentials, TcpTransport.Options.defaults().withMaxClients(Math.max(1, plan.maxClients())), links);
                default -> throw new IllegalArgumentException("--pp " + pp.getValue() + " " + proto + ": only udp, udp6 and tcp tunnels for now");
            };
            opened.add(t);
            transports.put(proto, t);
            LOG.log(Level.INFO, "{0} tunnels {1}", proto, accept ? "accepted on port " + t.localAddress().getPort() : "outgoing only");
        }
    }

    /**
     * A new random router-id at every start (babeld's {@code random-id}): a node killed before it
     * could save its seqno comes back with a lower one, and under its old router-id its routes would
     * be unfeasible at every neighbour (RFC 8966 3.5.1) until the old source is forgotten; a new
     * router-id is a new source, feasible at once.
     */
    private static long routerId() {
        long id;
        do
            id = new SecureRandom().nextLong();
        while (id == 0 || id == -1);
        return id;
    }

    private TunnelLinks.Routing babelRouting() {
        return new TunnelLinks.Routing() {
            public void addInterface(String name, InterfaceSettings s, MacPolicy mac) throws Exception {
                babel.addInterface(name, s, mac);
            }

            public void removeInterface(String name) throws Exception {
                babel.removeInterface(name);
            }

            public void interfaceDown(String name) {
                babel.interfaceDown(name);
            }

            public void interfaceUp(String name) {
                babel.interfaceUp(name);
            }
        };
    }

    public NodeAddressing addressing() {
        return addressing;
    }

    public BabelDaemon babel() {
        return babel;
    }

    /** The transports by protocol ({@code udp}, {@code tcp}). */
    public Map<String, TunnelTransport> transports() {
        return java.util.Collections.unmodifiableMap(transports);
    }

    /**
     * Opens a tunnel to {@code peerCn} at the first of {@code addresses} we have a transport for;
     * false if none fits. The transport keeps it (redials) until {@link #hangUp}.
     */
    public boolean dial(String peerCn, List<PeerAddress> addresses) {
        for (PeerAddress a : addresses) {
            String proto = a.protocol().replace("4", "");
            TunnelTransport t = transports.get(proto);
            if (t == null)
                continue;
            InetAddress ip;
            try {
                ip = IpPrefix.literal(a.ip());
            } catch (IllegalArgumentException e) {
                continue;
            }
            t.dial(new InetSocketAddress(ip, a.port()), peerCn);
            return true;
        }
        return false;
    }

    public void hangUp(String peerCn) {
        for (TunnelTransport t : transports.values())
            t.hangUp(peerCn);
    }

    /** Closes the tunnels we dialled to {@code peerCn} and stops dialling it; one it dialled to us stays. */
    public void hangUpOutgoing(String peerCn) {
        for (TunnelTransport t : transports.values())
            t.hangUpOutgoing(peerCn);
    }

    /** The established tunnels of every transport. */
    public List<TunnelInfo> tunnels() {
        return links.tunnels();
    }

    /**
     * What Babel routes now inside the network, with the tunnel peer each route goes through (null:
     * a LAN neighbour), for the tunnel manager's candidates and scores.
     */
    public List<RoutedPrefix> routes() throws Exception {
        Map<String, String> peerOf = new HashMap<>();
        for (TunnelInfo t : links.tunnels())
            peerOf.put(t.ifname(), t.peerCn());
        Ipv6Prefix net = addressing.network();
        return babel.call(core -> {
            List<RoutedPrefix> out = new ArrayList<>();
            for (Route r : core.routes()) {
                Ipv6Prefix p = nodeSubnet(r, net);
                if (p == null)
                    continue;
                Neighbour n = r.neighbour();
                out.add(new RoutedPrefix(p, peerOf.get(n.interfaceName()), r.refmetric() == 0));
            }
            return out;
        });
    }

    /**
     * The node subnet an installed route leads to, or null for another route (IPv4, not installed, unreachable: a
     * retraction kept installed until it is flushed, outside the network, the network itself). A node that left is
     * not routed: no candidate for a new tunnel, no registry "routed" for minutes after it died, no route that holds a
     * drain.
     */
    static Ipv6Prefix nodeSubnet(Route r, Ipv6Prefix net) {
        if (!r.installed() || r.metric() >= Message.INFINITY || r.prefix().isV4())
            return null;
        Ipv6Prefix p = Ipv6Prefix.parse(r.prefix().toString());
        return p.length() <= net.length() || !net.contains(p.address()) ? null : p;
    }

    /** The tunnels' side of Babel: its counters (paths down, handshake failures by reason). */
    public TunnelLinks links() {
        return links;
    }

    /** Babel's control socket, where the node adds its own commands ({@code status}); empty without one. */
    public Optional<ControlServer> control() {
        return Optional.ofNullable(control);
    }

    /** The tunnels with their figures and Babel's view of them, and the installed routes to node subnets (any thread). */
    public Status status() throws Exception {
        List<TunnelStats> stats = new ArrayList<>();
        for (TunnelTransport t : transports.values())
            stats.addAll(t.stats());
        Map<String, String> peerOf = new HashMap<>();
        for (TunnelStats t : stats)
            peerOf.put(t.info().ifname(), t.info().peerCn());
        Ipv6Prefix net = addressing.network();
        return babel.call(core -> {
            long now = System.nanoTime();
            Map<String, Neighbour> onInterface = new HashMap<>(); // a tunnel is point to point: one neighbour
            for (Neighbour n : core.neighbours())
                onInterface.putIfAbsent(n.interfaceName(), n);
            List<TunnelStatus> tunnels = new ArrayList<>();
            for (TunnelStats t : stats) {
                Neighbour n = onInterface.get(t.info().ifname());
                tunnels.add(new TunnelStatus(t, n == null ? -1 : n.cost(now), n == null ? -1 : n.rttMicros(now)));
            }
            List<RouteStatus> routes = new ArrayList<>();
            for (Route r : core.routes()) {
                Ipv6Prefix p = nodeSubnet(r, net);
                if (p == null)
                    continue;
                String ifname = r.neighbour().interfaceName();
                routes.add(new RouteStatus(p, peerOf.get(ifname), ifname, r.metric()));
            }
            routes.sort(java.util.Comparator.comparing(r -> r.prefix().toString()));
            return new Status(tunnels, routes);
        });
    }

    /**
     * A new network config: its revocations reach every transport (live tunnels of revoked peers
     * close), its MAC keys every Babel interface (a rotation loses no route).
     */
    public void apply(ReceivedNetworkConfig next) throws Exception {
        ReceivedNetworkConfig before = network;
        network = next;
        credentials = me.credentials(revoked(next));
        for (TunnelTransport t : transports.values())
            t.setCredentials(credentials);
        if (next.macKeysChangedFrom(before)) {
            MacPolicy mac = NodeRouting.macPolicy(next);
            links.setMac(mac);
            for (String ifname : babel.call(core -> core.interfaceNames()))
                if (mac != null)
                    babel.setMacPolicy(ifname, mac);
        }
    }

    @Override
    public void close() {
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "closing {0}: {1}", opened.get(i), e.getMessage());
            }
        }
        opened.clear();
    }
}
