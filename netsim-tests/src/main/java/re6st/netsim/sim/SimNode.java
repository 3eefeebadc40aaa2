package re6st.netsim.sim;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;

import re6st.babel.Neighbour;
import re6st.babel.message.Prefix;
import re6st.babel.sim.Simulation;
import re6st.net.Ipv6Address;
import re6st.net.NodePrefix;
import re6st.node.cache.MemoryPeerCache;
import re6st.node.peer.PeerDatagram;
import re6st.node.peer.PeerService;
import re6st.node.tunnel.RouteSnapshot;
import re6st.node.tunnel.TunnelEffects;
import re6st.node.tunnel.TunnelManager;
import re6st.peer.PeerAddress;
import re6st.peer.PeerCode;
import re6st.peer.Topology;
import re6st.registry.protocol.NetworkConfig;
import re6st.tunnel.handshake.Credentials;

/**
 * One simulated re6st node, wired as {@code NodeDaemon.Run} wires the real one, without I/O:
 * its Babel core (a {@link Simulation.Node}), the real {@link TunnelManager} (its effects act on
 * simulated tunnels), the real {@link PeerService} (its datagrams follow the nodes' routes hop by
 * hop) and a {@link MemoryPeerCache}, which outlives a restart as the node's cache.db does. As
 * in the daemon, one "thread" owns every decision: what the peer service and the tunnels report
 * is posted (a zero-delay event) and handled after the current call, and a pass runs every
 * {@link TunnelManager#PASS_MS} with a fresh route snapshot.
 */
final class SimNode implements TunnelEffects, PeerService.Node {
    final NodeSimulation world;
    final int index;
    final String bits;
    final Prefix babelPrefix;
    /** The node's overlay address (its subnet, last bit set): the source of its peer datagrams. */
    final Ipv6Address address;
    final PeerAddress advertised;
    final Credentials credentials;
    final MemoryPeerCache cache = new MemoryPeerCache();
    final SplittableRandom random;
    final Simulation.Node babel;
    final TreeMap<String, Tunnel> outgoing = new TreeMap<>(), incoming = new TreeMap<>();
    TunnelManager manager;
    PeerService peers;
    boolean running;
    /** Bumped at each start and stop: what was posted for an earlier life is dropped. */
    int generation;
    int starts;
    RouteSnapshot lastRoutes = RouteSnapshot.EMPTY;
    /** Peer-protocol datagrams this node sent (not forwarded), and their bytes with IPv6 + UDP headers. */
    long peerDatagrams, peerBytes;
    private long nextPass, timerAt = Long.MAX_VALUE, lastSecretMicros;

    SimNode(NodeSimulation world, int index, String bits, Credentials credentials, Simulation.Node babel, String ip, long seed) {
        this.world = world;
        this.index = index;
        this.bits = bits;
        this.credentials = credentials;
        this.babel = babel;
        this.babelPrefix = Prefix.parse(world.subnet(bits).toString());
        this.address = world.subnet(bits).host(1);
        this.advertised = new PeerAddress(ip, 1194, "udp", null);
        this.random = new SplittableRandom(seed);
    }

    long nowMs() {
        return world.sim.now() / 1_000_000L;
    }

    boolean isRegistry() {
        return bits.equals(world.registryBits);
    }

    // ---- life

    void start() {
        if (running)
            throw new IllegalStateException(this + " runs");
        running = true;
        generation++;
        if (starts++ == 0)
            babel.originate(babelPrefix);
        else
            world.sim.restart(babel, random.nextLong()); // a random router id per start, as the daemon
        peers = new PeerService(credentials, world.network, world.registryBits, NetworkConfig.PROTOCOL, this::secret, world.version, this);
        manager = new TunnelManager(world.managerOptions(bits), this, cache, random, nowMs());
        lastRoutes = RouteSnapshot.EMPTY;
        nextPass = nowMs(); // the daemon's loop starts with a pass
        timerAt = Long.MAX_VALUE;
        schedule();
    }

    /** Stops as the daemon stops: routes retracted, every tunnel closed (each peer hears it), the cache shrunk. */
    void stop() {
        if (!running)
            throw new IllegalStateException(this + " is stopped");
        running = false;
        generation++;
        world.sim.stop(babel);
        for (Tunnel t : new ArrayList<>(outgoing.values()))
            world.close(t, this);
        for (Tunnel t : new ArrayList<>(incoming.values()))
            world.close(t, this);
        cache.shrink(world.options.clientCount());
        manager = null;
        peers = null;
        timerAt = Long.MAX_VALUE;
    }

    /** Runs {@code r} on the manager's turn after the current call, if this life still runs. */
    void post(Consumer<TunnelManager> r) {
        int g = generation;
        world.sim.at(0, () -> {
            if (running && generation == g) {
                r.accept(manager);
                schedule();
            }
        });
    }

    /** The manager's timer: the next pass or kill-step deadline, one event in the queue at a time. */
    private void schedule() {
        if (!running)
            return;
        long t = Math.min(nextPass, manager.nextDeadline());
        if (t == timerAt)
            return;
        timerAt = t;
        int g = generation;
        world.sim.at(Math.max(0, t - nowMs()), () -> {
            if (generation != g || timerAt != t)
                return; // a later deadline took its place
            timerAt = Long.MAX_VALUE;
            turn();
        });
    }

    private void turn() {
        long now = nowMs();
        if (now >= nextPass) {
            pass(now);
            nextPass = Math.min(now + TunnelManager.PASS_MS, manager.nextPassAt()); // the manager's, jittered (as NodeDaemon)
        }
        if (now >= manager.nextDeadline())
            manager.tick(now);
        schedule();
    }

    /** NodeDaemon.Run.pass: a route snapshot, the manager's pass, the session with the registry's node kept. */
    private void pass(long now) {
        lastRoutes = world.snapshot(this);
        manager.routes(now, lastRoutes);
        manager.tick(now);
        if (lastRoutes.registryRouted() && !isRegistry())
            send(peers.keepSession(world.registryBits, now));
    }

    // ---- tunnel events (what the transports report)

    /** The server accepted {@code t} (its side is up) or the dialler finished its handshake. */
    void established(Tunnel t) {
        boolean out = t.dialler == this;
        String peer = out ? t.prefix : t.dialler.bits;
        post(m -> m.established(nowMs(), peer, out));
    }

    /** {@code t} is gone; our manager hears it unless we closed it ourselves (the manager asked, or we stop). */
    void gone(Tunnel t, boolean tell) {
        boolean out = t.dialler == this;
        String peer = out ? t.prefix : t.dialler.bits;
        TreeMap<String, Tunnel> m = out ? outgoing : incoming;
        if (m.get(peer) == t)
            m.remove(peer);
        boolean wasUp = out ? t.diallerUp : t.serverUp;
        if (tell && wasUp && running)
            post(x -> x.removed(nowMs(), peer, out));
    }

    void failed(Tunnel t) {
        if (!t.closed && outgoing.get(t.prefix) == t)
            post(m -> m.failed(nowMs(), t.prefix, t.address));
    }

    // ---- TunnelEffects

    @Override
    public void dial(String prefix, PeerAddress address) {
        Tunnel old = outgoing.get(prefix);
        if (old != null)
            world.close(old, this); // the manager hangs up first; a transport would replace it anyway
        world.dial(this, prefix, address);
    }

    @Override
    public void hangUp(String prefix) {
        Tunnel t = outgoing.get(prefix);
        if (t != null)
            world.close(t, this);
    }

    @Override
    public void askAddress(String prefix) {
        send(peers.send(prefix, PeerCode.ADDRESS, new byte[0], nowMs()));
    }

    @Override
    public void askBootstrap() {
        world.bootstrap(this);
    }

    @Override
    public void setCostMultiplier(String prefix, int multiplier) {
        for (Tunnel t : new Tunnel[] {outgoing.get(prefix), incoming.get(prefix)}) {
            if (t == null || t.link == null || !(t.dialler == this ? t.diallerUp : t.serverUp))
                continue;
            String ifname = (t.dialler == this ? t.link : t.link.peer()).ifname;
            world.sim.call(babel, core -> {
                for (Neighbour n : core.neighbours())
                    if (n.interfaceName().equals(ifname))
                        core.setCostMultiplier(ifname, n.address(), Math.max(1, multiplier), world.sim.now());
            });
        }
    }

    @Override
    public void sendKill(String prefix, int code) {
        send(peers.send(prefix, code, new byte[0], nowMs()));
    }

    // ---- PeerService.Node

    @Override
    public List<PeerAddress> addresses() {
        return world.options.maxClients() > 0 ? List.of(advertised) : List.of();
    }

    @Override
    public String softwareVersion() {
        return "re6st-sim";
    }

    @Override
    public Topology topology() {
        Topology t = Topology.parse(manager.topology());
        return t != null ? t : new Topology(List.of(), List.of());
    }

    @Override
    public void addressReceived(String prefix, String addresses) {
        post(m -> m.addressReceived(nowMs(), prefix, addresses));
    }

    @Override
    public void newerVersionSeen(String prefix, byte[] version) {
        // one version in the whole run
    }

    @Override
    public void configChangedLocally() {
    }

    @Override
    public void tunnelKillRequested(String prefix) {
        post(m -> m.killRequested(nowMs(), prefix));
    }

    @Override
    public void tunnelKillConfirmed(String prefix) {
        post(m -> m.killConfirmed(nowMs(), prefix));
    }

    @Override
    public void peerLog(String prefix, String text) {
    }

    // ---- peer datagrams

    void send(List<PeerDatagram> out) {
        for (PeerDatagram d : out)
            world.route(this, d);
    }

    /** A datagram that reached this node's address over the overlay. */
    void receive(PeerDatagram d) {
        if (!running)
            return;
        long now = nowMs();
        send(peers.receive(d, SimPki.T0 + now, now));
    }

    /** The peer protocol's session secrets: 8-byte microsecond time (virtual, later = greater), then 12 random bytes. */
    private byte[] secret() {
        long micros = Math.max(lastSecretMicros + 1, (SimPki.T0 * 1000) + world.sim.now() / 1000);
        lastSecretMicros = micros;
        ByteBuffer b = ByteBuffer.allocate(20);
        b.putLong(micros);
        b.putInt(random.nextInt());
        b.putLong(random.nextLong());
        return b.array();
    }

    String cn() {
        return new NodePrefix(bits).cn();
    }

    @Override
    public String toString() {
        return "n" + index;
    }
}
