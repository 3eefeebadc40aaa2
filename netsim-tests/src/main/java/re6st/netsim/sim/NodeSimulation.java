package re6st.netsim.sim;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import re6st.babel.InterfaceSettings;
import re6st.babel.KernelRoute;
import re6st.babel.config.BabelConfig;
import re6st.babel.config.ConfigException;
import re6st.babel.daemon.BabelDaemon;
import re6st.babel.mac.MacAlgorithm;
import re6st.babel.mac.MacKey;
import re6st.babel.mac.MacPolicy;
import re6st.babel.message.Prefix;
import re6st.babel.sim.Simulation;
import re6st.net.Ipv6Address;
import re6st.net.Ipv6Prefix;
import re6st.net.Network;
import re6st.net.NodePrefix;
import re6st.node.peer.PeerDatagram;
import re6st.node.peer.PeerService;
import re6st.node.tunnel.CountryFilter;
import re6st.node.tunnel.RouteSnapshot;
import re6st.node.tunnel.TunnelManager;
import re6st.peer.PeerAddress;
import re6st.registry.protocol.NetworkConfig;

/**
 * re6st nodes by the thousand in one thread, on the virtual clock of a Babel {@link Simulation}
 * (issue 15 part 2): each node is the real Babel core (codec and MAC), the real
 * {@link TunnelManager}, the real peer protocol ({@link PeerService}) and a peer cache, wired as
 * the daemon wires them ({@link SimNode}); what is simulated is the world around them: the
 * underlay ({@link Underlay}: delays, broken pairs, NATs), the tunnels ({@link Tunnel}: a
 * handshake delay, the server's max_clients, then a Babel link), the registry's bootstrap answer
 * ({@link BootstrapStandIn}), and the overlay's forwarding of peer datagrams along each node's
 * installed routes. Every installed path is checked for loops after every step.
 *
 * <p>Node 0 is the registry's node; every node starts within {@link Options#startSpreadMs} of
 * the first, as after a network-wide restart.
 */
public final class NodeSimulation {
    /** A dial to an unreachable address gives up after this (the UDP transport's handshake timeout). */
    static final double HANDSHAKE_TIMEOUT_MS = 10_000;
    /** An HTTP call to a registry that cannot be reached gives up after this. */
    static final double HTTP_TIMEOUT_MS = 30_000;
    /** IPv6 + UDP headers, per datagram. */
    static final int HEADERS = 48;

    /**
     * @param nodes         how many, the registry's node included
     * @param clientCount   client_count: outgoing tunnels per node
     * @param maxClients    max_clients: incoming tunnels a node accepts
     * @param helloSeconds  the network's {@code hello} (Babel's hello interval; timeout = 4 x hello)
     * @param refreshSeconds tunnel_refresh
     * @param brokenPairs   share of the node pairs without an underlay path
     * @param natNodes      share of the nodes behind a NAT (not dialable)
     * @param sideMs        the underlay square's side, one-way ms
     * @param baseMs        one-way delay between two nodes at the same point
     * @param startSpreadMs the nodes start at random times within this
     */
    public record Options(int nodes, int clientCount, int maxClients, int helloSeconds, int refreshSeconds, double brokenPairs,
                          double natNodes, double sideMs, double baseMs, double startSpreadMs, long seed) {
        /** The registry's defaults (client_count 10, max_clients 20, hello 15 s, refresh 300 s), 1% broken pairs, 10% NAT. */
        public static Options defaults(int nodes, long seed) {
            return new Options(nodes, 10, 20, 15, 300, 0.01, 0.10, 60, 2, 10_000, seed);
        }

        public Options withNat(double share) {
            return new Options(nodes, clientCount, maxClients, helloSeconds, refreshSeconds, brokenPairs, share, sideMs, baseMs,
                    startSpreadMs, seed);
        }

        public Options withHello(int seconds) {
            return new Options(nodes, clientCount, maxClients, seconds, refreshSeconds, brokenPairs, natNodes, sideMs, baseMs,
                    startSpreadMs, seed);
        }
    }

    final Options options;
    public final Simulation sim;
    final Underlay underlay;
    final Network network = Network.parse("2001:db8:42::/48");
    static final int PREFIX_BITS = 16;
    final String registryBits;
    final byte[] version;
    final InterfaceSettings tunnelSettings;
    private final List<SimNode> nodes = new ArrayList<>();
    private final Map<String, SimNode> byBits = new HashMap<>(), byIp = new HashMap<>();
    private final Map<Prefix, SimNode> byBabelPrefix = new HashMap<>();
    private final BootstrapStandIn registry;
    /** Dials, and how they ended; peer datagrams lost on the way (no route, a tunnel closed under them). */
    public long dials, refusedFull, unreachableDials, tunnelsEstablished, peerDatagramsUnrouted, peerDatagramsLost;

    public NodeSimulation(Options o) {
        this(o, new Underlay(o.nodes(), o.seed() + 1, o.sideMs(), o.baseMs(), o.brokenPairs(), o.natNodes(), 0));
    }

    /**
     * A small network on a star underlay, as the namespace demo's: node i is {@code accessMs[i]}
     * one way from a common router (the delay between i and j is their sum), behind a NAT where
     * {@code behindNat[i]}; no broken pair. {@code o}'s brokenPairs, natNodes, sideMs and baseMs
     * are not used.
     */
    public NodeSimulation(Options o, double[] accessMs, boolean[] behindNat) {
        this(o, star(o.nodes(), accessMs, behindNat));
    }

    private static Underlay star(int nodes, double[] accessMs, boolean[] behindNat) {
        if (accessMs.length != nodes)
            throw new IllegalArgumentException(accessMs.length + " delays for " + nodes + " nodes");
        return new Underlay(accessMs, behindNat);
    }

    private NodeSimulation(Options o, Underlay underlay) {
        if (o.nodes() < 2 || o.nodes() >= (1 << PREFIX_BITS) - 1)
            throw new IllegalArgumentException(o.nodes() + " nodes: 2 to " + ((1 << PREFIX_BITS) - 2));
        this.options = o;
        this.sim = new Simulation(o.seed());
        this.underlay = underlay;
        this.registryBits = bits(0);
        SimPki pki = new SimPki(o.seed());
        this.version = pki.version(1);
        BabelConfig cfg;
        try {
            // what NodeRouting gives the node's BabelDaemon for its tunnels
            cfg = BabelConfig.parse(List.of("default " + NetworkConfig.BABEL_DEFAULT + " hello-interval " + o.helloSeconds(),
                    "interface re6st-tunnels type tunnel"), List.of());
        } catch (ConfigException | IOException e) {
            throw new IllegalStateException("the tunnels' Babel statements", e);
        }
        this.tunnelSettings = BabelDaemon.Options.interfaceSettings(cfg, "re6st-tunnels");
        int halfLife = BabelDaemon.Options.from(cfg, List.of(), 1).smoothingHalfLifeMs();
        MacPolicy mac = MacPolicy.of(MacKey.fromHex("sim", MacAlgorithm.BLAKE2S_128, "000102030405060708090a0b0c0d0e0f"));
        this.registry = new BootstrapStandIn(this, o.seed() + 2);
        for (int i = 0; i < o.nodes(); i++) {
            Simulation.Node b = sim.node("n" + i, halfLife);
            b.macPolicy(mac);
            String bits = bits(i);
            String ip = "198.18." + ((i + 1) >> 8) + "." + ((i + 1) & 0xff);
            SimNode n = new SimNode(this, i, bits, pki.node(new NodePrefix(bits)), b, ip, o.seed() * 7919 + i);
            nodes.add(n);
            byBits.put(bits, n);
            byIp.put(ip, n);
            byBabelPrefix.put(n.babelPrefix, n);
        }
        sim.checkLoopsAtEveryStep();
        java.util.SplittableRandom r = new java.util.SplittableRandom(o.seed() + 3);
        nodes.get(0).start();
        for (int i = 1; i < o.nodes(); i++) {
            SimNode n = nodes.get(i);
            sim.at(r.nextDouble() * o.startSpreadMs(), n::start);
        }
    }

    static String bits(int index) {
        String b = Integer.toBinaryString(index + 1);
        return "0".repeat(PREFIX_BITS - b.length()) + b;
    }

    Ipv6Prefix subnet(String bits) {
        return Ipv6Prefix.ofBits(network.bits() + bits);
    }

    TunnelManager.Options managerOptions(String self) {
        Options o = options;
        return new TunnelManager.Options(self, registryBits, o.clientCount(), 4_000L * o.helloSeconds(), 1_000L * o.refreshSeconds(),
                Set.of(), Set.of("udp"), CountryFilter.NONE, false);
    }

    SimNode registryNode() {
        return nodes.get(0);
    }

    SimNode node(String bits) {
        return byBits.get(bits);
    }

    List<SimNode> nodes() {
        return java.util.Collections.unmodifiableList(nodes);
    }

    public void run(double millis) {
        sim.run(millis);
    }

    public double nowSeconds() {
        return sim.now() / 1e9;
    }

    // ---- runs

    /** Runs until every running node reaches every other, checked every {@code checkMs}, at most {@code maxMs}; the virtual seconds it took since the start, or -1. */
    public double runUntilFullyReachable(double maxMs, double checkMs) {
        double end = nowSeconds() + maxMs / 1000;
        while (nowSeconds() < end) {
            sim.run(checkMs);
            if (fullyReachable())
                return nowSeconds() - START_S;
        }
        return -1;
    }

    /** Virtual time of the first node's start. */
    static final double START_S = 1;

    // ---- underlay faults

    /** How long a tunnel's liveness takes to see a silent path (tunnel-io's Liveness: at least 0.3 s of silence under traffic). */
    static final double LIVENESS_DOWN_MS = 300;

    /**
     * Cuts the underlay under {@code share} of the tunnels now up (chosen with {@code seed}), for
     * good: their packets vanish both ways with the links still up. Each end's liveness sees it
     * {@link #LIVENESS_DOWN_MS} later and does what the daemon does then: Babel's interface down at
     * once, the manager told (pathDown); the dialler's manager hangs up after a timeout and dials
     * another peer. Returns how many tunnels were cut.
     */
    public int cutTunnels(double share, long seed) {
        List<Tunnel> up = new ArrayList<>();
        for (SimNode n : nodes)
            if (n.running)
                for (Tunnel t : n.outgoing.values())
                    if (t.diallerUp && t.serverUp)
                        up.add(t);
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        int count = (int) Math.round(share * up.size());
        for (int k = 0; k < count; k++) {
            Tunnel t = up.remove(r.nextInt(up.size()));
            underlay.cut(t.dialler.index, t.server.index);
            t.link.blackhole(true);
            sim.at(LIVENESS_DOWN_MS, () -> {
                if (t.closed)
                    return;
                for (Simulation.Link end : List.of(t.link, t.link.peer())) {
                    SimNode n = nodes.get(end.node.index);
                    sim.interfaceDown(end);
                    boolean out = t.dialler == n;
                    String peer = out ? t.prefix : t.dialler.bits;
                    n.post(m -> m.pathDown(n.nowMs(), peer, out));
                }
            });
        }
        return count;
    }

    /** Tunnels not closed whose underlay was cut ({@link #cutTunnels}): their owners have not hung up yet. */
    public int cutTunnelsOpen() {
        int c = 0;
        for (SimNode n : nodes)
            for (Tunnel t : n.outgoing.values())
                if (t.link != null && t.link.isBlackholed())
                    c++;
        return c;
    }

    /** Installed routes whose next hop is across a cut tunnel (none once Babel took the interfaces down). */
    public int routesIntoCutTunnels() {
        int c = 0;
        for (SimNode n : nodes)
            if (n.running)
                for (KernelRoute r : n.babel.fib.values()) {
                    Simulation.Link l = n.babel.links().get(r.ifname());
                    if (l != null && l.isBlackholed() && !r.unreachable())
                        c++;
                }
        return c;
    }

    // ---- churn

    /**
     * Restarts {@code share} of the nodes (never the registry's), each stopped at a random time
     * within the next {@code periodMs} and started again {@code downMs} later (systemd's
     * RestartSec is 30 s): the events are in the queue; run the simulation to see them. Returns
     * the nodes chosen.
     */
    public List<Integer> scheduleChurn(double share, double periodMs, double downMs, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        List<Integer> chosen = new ArrayList<>();
        int count = (int) Math.round(share * nodes.size());
        while (chosen.size() < Math.min(count, nodes.size() - 1)) {
            int i = 1 + r.nextInt(nodes.size() - 1);
            if (!chosen.contains(i))
                chosen.add(i);
        }
        for (int i : chosen) {
            SimNode n = nodes.get(i);
            double at = r.nextDouble() * Math.max(0, periodMs - downMs);
            sim.at(at, () -> {
                if (n.running)
                    n.stop();
                sim.at(downMs, () -> {
                    if (!n.running)
                        n.start();
                });
            });
        }
        return chosen;
    }

    public void stop(int i) {
        nodes.get(i).stop();
    }

    public void start(int i) {
        nodes.get(i).start();
    }

    public boolean running(int i) {
        return nodes.get(i).running;
    }

    public int runningNodes() {
        int c = 0;
        for (SimNode n : nodes)
            if (n.running)
                c++;
        return c;
    }

    /** Outgoing tunnels of node {@code i} up at both ends. */
    public int outgoingUp(int i) {
        return (int) nodes.get(i).outgoing.values().stream().filter(t -> t.diallerUp).count();
    }

    public boolean behindNat(int i) {
        return underlay.behindNat(i);
    }

    public int size() {
        return nodes.size();
    }

    // ---- the world's side of tunnels

    /**
     * {@code from} dials {@code prefix} at {@code address}. A DTLS handshake: the server decides
     * on the client's third flight (5 one-way delays: cookie exchange, then the certificates) and
     * is up at once; the client is up one delay later. Refused (max_clients reached): the client
     * fails one delay after the server's decision. No path, a NAT in front of the server, or no
     * node there: the client fails at its handshake timeout.
     */
    void dial(SimNode from, String prefix, PeerAddress address) {
        dials++;
        SimNode to = byIp.get(address.ip());
        Tunnel t = new Tunnel(from, to, prefix, address);
        from.outgoing.put(prefix, t);
        if (to == null || !to.bits.equals(prefix) || !underlay.dialable(from.index, to.index)) {
            unreachableDials++;
            sim.at(HANDSHAKE_TIMEOUT_MS, () -> from.failed(t));
            return;
        }
        double d = underlay.delayMs(from.index, to.index);
        sim.at(5 * d, () -> {
            if (t.closed)
                return;
            if (!to.running) {
                unreachableDials++;
                sim.at(HANDSHAKE_TIMEOUT_MS - 5 * d, () -> from.failed(t));
                return;
            }
            if (to.incoming.size() >= options.maxClients()) {
                refusedFull++;
                sim.at(d, () -> from.failed(t));
                return;
            }
            Tunnel before = to.incoming.get(from.bits);
            if (before != null)
                close(before, null); // the same client again: the server moves it to the new tunnel
            t.link = sim.wire(from.babel, to.babel, d);
            sim.start(t.link.peer(), tunnelSettings);
            t.serverUp = true;
            to.incoming.put(from.bits, t);
            to.established(t);
            sim.at(d, () -> {
                if (t.closed)
                    return;
                sim.start(t.link, tunnelSettings);
                t.diallerUp = true;
                tunnelsEstablished++;
                from.established(t);
            });
        });
    }

    /** Closes {@code t} (both ends at once): each end's manager hears it, but {@code by}'s. */
    void close(Tunnel t, SimNode by) {
        if (t.closed)
            return;
        t.closed = true;
        if (t.link != null)
            sim.unwire(t.link);
        t.dialler.gone(t, t.dialler != by);
        if (t.server != null && t.serverUp)
            t.server.gone(t, t.server != by);
    }

    /** {@code getBootstrapPeer} over the underlay (plain HTTP: a TCP handshake, the request, the answer). */
    void bootstrap(SimNode caller) {
        SimNode reg = registryNode();
        int g = caller.generation;
        if (underlay.broken(caller.index, reg.index)) {
            sim.at(HTTP_TIMEOUT_MS, () -> {
                if (caller.generation == g)
                    caller.post(m -> m.bootstrapFailed(caller.nowMs()));
            });
            return;
        }
        double d = underlay.delayMs(caller.index, reg.index);
        sim.at(3 * d, () -> {
            String[] a = registry.answer(caller);
            sim.at(d, () -> {
                if (caller.generation != g)
                    return;
                caller.post(m -> {
                    if (a == null)
                        m.bootstrapFailed(caller.nowMs());
                    else
                        m.bootstrapAnswer(caller.nowMs(), a[0], a[1]);
                });
            });
        });
    }

    // ---- the overlay's forwarding of peer datagrams

    /** Sends a datagram of {@code from}'s peer service to its destination address, along the routes each node installed. */
    void route(SimNode from, PeerDatagram d) {
        from.peerDatagrams++;
        from.peerBytes += d.data().length + HEADERS;
        SimNode to = byAddress(d.address());
        if (to == null) {
            peerDatagramsUnrouted++;
            return;
        }
        hop(from.babel, to, new PeerDatagram(from.address, PeerService.PORT, d.data()), 0);
    }

    private void hop(Simulation.Node at, SimNode to, PeerDatagram d, int hops) {
        if (at == to.babel) {
            if (to.running)
                to.receive(d);
            else
                peerDatagramsLost++;
            return;
        }
        KernelRoute r = at.stopped() || hops >= 64 ? null : at.route(to.babelPrefix);
        if (r == null || r.unreachable()) {
            peerDatagramsUnrouted++;
            return;
        }
        Simulation.Link l = at.links().get(r.ifname());
        if (l == null) {
            peerDatagramsLost++;
            return;
        }
        if (l.isBlackholed()) {
            peerDatagramsLost++;
            return;
        }
        sim.at(l.delayMillis(), () -> {
            if (l.isRemoved())
                peerDatagramsLost++;
            else
                hop(l.peer().node, to, d, hops + 1);
        });
    }

    private SimNode byAddress(Ipv6Address a) {
        String b = a.bits();
        int from = network.prefix().length();
        return b.startsWith(network.bits()) ? byBits.get(b.substring(from, from + PREFIX_BITS)) : null;
    }

    /** What the daemon's snapshot gives its manager: each routed node prefix, the tunnel peer it goes through. */
    RouteSnapshot snapshot(SimNode n) {
        Map<String, RouteSnapshot.Route> routes = new HashMap<>();
        for (KernelRoute r : n.babel.fib.values()) {
            if (r.src() != null || r.unreachable())
                continue;
            SimNode dest = byBabelPrefix.get(r.prefix());
            if (dest == null || dest == n)
                continue;
            Simulation.Link l = n.babel.links().get(r.ifname());
            String via = l == null ? null : nodes.get(l.peer().node.index).bits;
            routes.put(dest.bits, new RouteSnapshot.Route(via, dest.bits.equals(via)));
        }
        return new RouteSnapshot(routes, routes.containsKey(registryBits));
    }

    // ---- measurements

    /** Ordered pairs of running nodes whose first has an installed path to the second, out of all such pairs (1 when none). */
    public double reachability() {
        long ok = 0, all = 0;
        for (SimNode a : nodes)
            if (a.running)
                for (SimNode b : nodes)
                    if (b != a && b.running) {
                        all++;
                        if (sim.path(a.babel, b.babelPrefix) != null)
                            ok++;
                    }
        return all == 0 ? 1 : (double) ok / all;
    }

    /** Every running node has a path to every other running node (stops at the first miss). */
    public boolean fullyReachable() {
        for (SimNode a : nodes)
            if (a.running)
                for (SimNode b : nodes)
                    if (b != a && b.running && sim.path(a.babel, b.babelPrefix) == null)
                        return false;
        return true;
    }

    /**
     * Over all ordered pairs of running nodes: how many have no path, the average hop count of the
     * others, and their average stretch: the path's underlay delay over the direct one (pairs whose
     * direct path is broken left out of the stretch); and the average shortest path counted in
     * tunnels, which Babel's lowest-RTT paths need not follow.
     */
    public record Paths(long pairs, long unreached, double hops, double stretch, double graphHops) {}

    /** The average shortest path in tunnels between running nodes, over the pairs connected in that graph (the original's "hop distance"). */
    double graphHops() {
        long sum = 0, pairs = 0;
        int[] dist = new int[nodes.size()];
        java.util.ArrayDeque<Integer> queue = new java.util.ArrayDeque<>();
        for (SimNode a : nodes) {
            if (!a.running)
                continue;
            java.util.Arrays.fill(dist, -1);
            dist[a.index] = 0;
            queue.add(a.index);
            while (!queue.isEmpty()) {
                int i = queue.poll();
                for (Simulation.Link l : nodes.get(i).babel.links().values()) {
                    int j = l.peer().node.index;
                    if (dist[j] < 0 && nodes.get(j).running) {
                        dist[j] = dist[i] + 1;
                        sum += dist[j];
                        pairs++;
                        queue.add(j);
                    }
                }
            }
        }
        return pairs == 0 ? 0 : sum / (double) pairs;
    }

    public Paths paths() {
        long pairs = 0, unreached = 0, hops = 0, stretched = 0;
        double stretch = 0;
        for (SimNode a : nodes)
            if (a.running)
                for (SimNode b : nodes) {
                    if (b == a || !b.running)
                        continue;
                    pairs++;
                    List<Simulation.Node> p = sim.path(a.babel, b.babelPrefix);
                    if (p == null) {
                        unreached++;
                        continue;
                    }
                    hops += p.size() - 1;
                    if (!underlay.broken(a.index, b.index)) {
                        double d = 0;
                        for (int i = 0; i + 1 < p.size(); i++)
                            d += underlay.delayMs(p.get(i).index, p.get(i + 1).index);
                        stretch += d / underlay.delayMs(a.index, b.index);
                        stretched++;
                    }
                }
        long reached = pairs - unreached;
        return new Paths(pairs, unreached, reached == 0 ? 0 : hops / (double) reached, stretched == 0 ? 0 : stretch / stretched, graphHops());
    }

    /** Control bytes sent so far by every node: Babel packets and peer-protocol datagrams, IPv6 + UDP headers included. */
    public long controlBytes() {
        long b = 0;
        for (SimNode n : nodes)
            b += n.babel.bytesSent + HEADERS * n.babel.packetsSent + n.peerBytes;
        return b;
    }

    /** Peer-protocol bytes alone (a part of {@link #controlBytes}). */
    public long peerBytes() {
        long b = 0;
        for (SimNode n : nodes)
            b += n.peerBytes;
        return b;
    }

    /** Tunnels now up at both ends, from the running nodes' outgoing side. */
    public int tunnelsUp() {
        int c = 0;
        for (SimNode n : nodes)
            if (n.running)
                for (Tunnel t : n.outgoing.values())
                    if (t.diallerUp)
                        c++;
        return c;
    }

    /**
     * Running nodes with fewer than client_count outgoing tunnels up, not counting those behind a NAT
     * and those nobody has dialled yet ({@link #undialled}): both keep 2 (the original's bad-NAT rule).
     */
    public int dialableNodesShortOfTunnels() {
        int c = 0;
        for (SimNode n : nodes)
            if (n.running && !underlay.behindNat(n.index) && !n.incoming.isEmpty()
                    && n.outgoing.values().stream().filter(t -> t.diallerUp).count() < options.clientCount())
                c++;
        return c;
    }

    /**
     * Running nodes, not behind a NAT, that no peer has dialled (yet): to their manager they look
     * behind a bad NAT, so they keep at most 2 outgoing tunnels until some peer's new tunnel or
     * refresh picks them (the original's rule; which nodes depends on the random choices).
     */
    public boolean undialled(int i) {
        SimNode n = nodes.get(i);
        return n.running && !underlay.behindNat(i) && n.incoming.isEmpty();
    }

    public int natNodes() {
        int c = 0;
        for (SimNode n : nodes)
            if (underlay.behindNat(n.index))
                c++;
        return c;
    }

    /** Forwarding loops are checked after every step (the check throws); this many paths were walked. */
    public long loopChecks() {
        return sim.loopChecks;
    }

    /** The tunnel managers' counters summed over every node's current life. */
    public long managerCounter(java.util.function.ToLongFunction<re6st.node.tunnel.TunnelManagerCounters> f) {
        long c = 0;
        for (SimNode n : nodes)
            if (n.running)
                c += f.applyAsLong(n.manager.counters());
        return c;
    }

    /** getBootstrapPeer answers, and how many of them gave the registry's own node. */
    public long bootstrapAnswers() {
        return registry.answers;
    }

    public long bootstrapOwnNode() {
        return registry.ownNodeGiven;
    }
}
