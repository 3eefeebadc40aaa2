package re6st.babel.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

import re6st.babel.BabelRouter;
import re6st.babel.Effects;
import re6st.babel.InterfaceSettings;
import re6st.babel.KernelRoute;
import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Prefix;
import re6st.babel.mac.MacPolicy;
import re6st.babel.mac.PacketProtector;
import re6st.babel.mac.PseudoHeader;
import re6st.babel.wire.PacketEncoder;

/**
 * Many Babel protocol cores in one process, joined by simulated point-to-point links with a
 * one-way delay, on a virtual clock: no sockets, no threads, no sleeping. Every packet goes
 * through a {@link PacketProtector} per interface, as in the daemon: encoded (with its PC and
 * MAC when the node has keys), carried as bytes, then decoded and verified at the far end. Used
 * by unit tests (convergence, loop freedom, starvation, MAC) and by the large-scale simulation.
 */
public final class Simulation {
    static final long MS = 1_000_000L;

    /** A simulated router: its core and its kernel routing table ("FIB"). */
    public final class Node implements Effects {
        public final String name;
        public final int index;
        /** The node's core; a new one after {@link Simulation#restart}. */
        public BabelRouter router;
        long routerId;
        final int halfLifeMs;
        boolean stopped;
        final Map<String, Link> links = new LinkedHashMap<>();
        /** destination (prefix + source prefix) -> what the kernel holds. */
        public final Map<List<Prefix>, KernelRoute> fib = new HashMap<>();
        /** Links with messages queued during the current call of the core, in the order first used. */
        final List<Link> pending = new ArrayList<>();
        final List<Prefix> originated = new ArrayList<>();
        /** The deadline this node's timer event in the queue stands for (MAX_VALUE: none); older timer events are stale. */
        long timerAt = Long.MAX_VALUE;
        MacPolicy macPolicy;
        public long installs, uninstalls, messagesSent;
        /** Babel packet bytes this node put on its links (UDP payload: add 48 bytes of IPv6 + UDP headers each). */
        public long bytesSent, packetsSent;

        Node(String name, int index, long routerId, int halfLifeMs) {
            this.name = name;
            this.index = index;
            this.routerId = routerId;
            this.halfLifeMs = halfLifeMs;
            this.router = new BabelRouter(routerId, random.nextInt(0x10000), halfLifeMs, random.split(), this);
        }

        @Override
        public void send(String ifname, Addr dest, Message m) {
            messagesSent++;
            Link l = links.get(ifname);
            if (l == null)
                return; // not a simulated link: nowhere to go
            if (!l.queued) {
                l.queued = true;
                pending.add(l);
            }
            if (dest == null)
                l.multicast.add(m);
            else
                l.unicast.computeIfAbsent(dest, d -> new ArrayList<>()).add(m);
        }

        @Override
        public void install(KernelRoute r) {
            fib.put(key(r.prefix(), r.src()), r);
            installs++;
            if (checkLoops && r.src() == null)
                fibChanges.add(new FibChange(this, r.prefix()));
        }

        @Override
        public void uninstall(KernelRoute r) {
            fib.remove(key(r.prefix(), r.src()));
            uninstalls++;
        }

        /** Announces {@code p} from this node. */
        public void originate(Prefix p) {
            originated.add(p);
            router.addXroute(p, null, 0, now);
            flush(this);
        }

        public KernelRoute route(Prefix p) {
            return fib.get(key(p, null));
        }

        /** Signs and verifies with these keys on every interface, present and future (null: no MAC). */
        public void macPolicy(MacPolicy policy) {
            macPolicy = policy;
            for (Link l : links.values())
                l.protector.setPolicy(policy);
        }

        /** Stopped by {@link Simulation#stop} and not restarted yet. */
        public boolean stopped() {
            return stopped;
        }

        public List<Prefix> originated() {
            return java.util.Collections.unmodifiableList(originated);
        }

        public Map<String, Link> links() {
            return java.util.Collections.unmodifiableMap(links);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** One end of a link: the interface on a node, its link-local address and the far end. */
    public final class Link {
        public final Node node;
        public final String ifname;
        public final Addr linkLocal;
        final PacketProtector protector;
        Link peer;
        long delayNs;
        boolean blackholed;
        /** Gone ({@link Simulation#unwire}): what is still on its way to it is lost. */
        boolean removed;
        /** The share of packets sent here that are lost (each direction draws on its own). */
        double loss;
        /** How Babel runs here, once started. */
        InterfaceSettings settings;
        /** What the core queued on this interface in its current call: to the group, and per neighbour (reused). */
        final List<Message> multicast = new ArrayList<>();
        final Map<Addr, List<Message>> unicast = new LinkedHashMap<>();
        boolean queued;

        Link(Node node, String ifname, Addr linkLocal, long delayNs) {
            this.node = node;
            this.ifname = ifname;
            this.linkLocal = linkLocal;
            this.delayNs = delayNs;
            this.protector = new PacketProtector(linkLocal, PacketEncoder.maxSizeForMtu(MTU), node.macPolicy, GROUP,
                    PseudoHeader.BABEL_PORT, random.split(), Simulation.this::now);
        }

        public Link peer() {
            return peer;
        }

        /** This interface's codec and MAC, with its counters (packets rejected, malformed...). */
        public PacketProtector protector() {
            return protector;
        }

        /** Drops everything both ways (the interfaces stay up: an ISP fault). */
        public void blackhole(boolean on) {
            blackholed = on;
            peer.blackholed = on;
        }

        /** The one-way delay. */
        public double delayMillis() {
            return delayNs / (double) MS;
        }

        public boolean isBlackholed() {
            return blackholed;
        }

        /** Removed by {@link Simulation#unwire}. */
        public boolean isRemoved() {
            return removed;
        }

        /** Loses this share of the packets, both ways (0 to 1). */
        public void setLoss(double share) {
            if (!(share >= 0 && share <= 1))
                throw new IllegalArgumentException("loss " + share + " outside 0..1");
            loss = share;
            peer.loss = share;
        }

        public void setDelayMillis(double ms) {
            delayNs = (long) (ms * MS);
            peer.delayNs = delayNs;
        }
    }

    /**
     * A packet arriving ({@code node} null) or a node's timer, in time order; at the same time
     * packets first, in the order sent, then timers by node index: the order the simulator
     * always had, whatever the size of the queue.
     */
    private record Event(long time, long seq, Runnable action, Node node) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            int c = Long.compare(time, o.time);
            if (c != 0)
                return c;
            if ((node == null) != (o.node == null))
                return node == null ? -1 : 1;
            return node == null ? Long.compare(seq, o.seq) : Integer.compare(node.index, o.node.index);
        }
    }

    /** MTU of every simulated link (the tunnels' typical one). */
    static final int MTU = 1420;
    static final Addr GROUP = Addr.parse("ff02::1:6");

    private final SplittableRandom random;
    private final PriorityQueue<Event> events = new PriorityQueue<>();
    private final List<Node> nodes = new ArrayList<>();
    private long now = 1_000_000_000L; // start at 1 s: 0 is not special anywhere
    private long seq;
    private int linkCount;
    /** Packets that reached the far end; dropped by the link (blackhole, wrong destination); refused there (malformed, MAC). */
    public long packetsDelivered, packetsDropped, packetsRefused;

    public Simulation(long seed) {
        this.random = new SplittableRandom(seed);
    }

    public long now() {
        return now;
    }

    public List<Node> nodes() {
        return nodes;
    }

    public Node node(String name, int halfLifeMs) {
        Node n = new Node(name, nodes.size(), 0x0200_0000_0000_0000L | (nodes.size() + 1), halfLifeMs);
        nodes.add(n);
        return n;
    }

    public Node node(String name) {
        return node(name, 0);
    }

    /** Connects two nodes with a link of {@code delayMs} one way; both interfaces use {@code settings}. */
    public Link connect(Node a, Node b, double delayMs, InterfaceSettings settings) {
        Link la = wire(a, b, delayMs);
        start(la, settings);
        start(la.peer, settings);
        return la;
    }

    /**
     * Joins two nodes with a link of {@code delayMs} one way without running Babel on it yet
     * (a tunnel whose ends have not told their routers): packets reaching an end where Babel
     * does not run are ignored. {@link #start} each end, at the same or different times.
     */
    public Link wire(Node a, Node b, double delayMs) {
        int id = ++linkCount;
        long d = (long) (delayMs * MS);
        Link la = new Link(a, "l" + id + "-" + b.name, linkLocal(a.index, id), d);
        Link lb = new Link(b, "l" + id + "-" + a.name, linkLocal(b.index, id), d);
        la.peer = lb;
        lb.peer = la;
        a.links.put(la.ifname, la);
        b.links.put(lb.ifname, lb);
        return la;
    }

    /** Starts Babel on one end of a wired link (the daemon's addInterface): Hellos and a request go out now. */
    public void start(Link end, InterfaceSettings settings) {
        end.settings = settings;
        end.node.router.addInterface(end.ifname, settings, end.linkLocal, now);
        flush(end.node);
    }

    private static Addr linkLocal(int node, int link) {
        return new Addr(0xfe80_0000_0000_0000L, ((long) (node + 1) << 32) | link);
    }

    /** Takes the interface down on both ends (what the tunnel layer reports when it sees a dead path). */
    public void down(Link l) {
        interfaceDown(l);
        interfaceDown(l.peer);
    }

    /**
     * Takes one end's interface down, as a node does when its tunnel's liveness is lost (the
     * far end may not know yet): its neighbours and their MAC state are forgotten, at once.
     */
    public void interfaceDown(Link l) {
        l.node.router.interfaceDown(l.ifname, now);
        l.protector.forgetNeighbours();
        flush(l.node);
    }

    /** Brings one end's interface back up (Hellos and a route request go out at once). */
    public void interfaceUp(Link l) {
        l.node.router.interfaceUp(l.ifname, now);
        flush(l.node);
    }

    /**
     * Removes a link (a tunnel closed): Babel's interface is removed on each end that runs it
     * (its neighbours forgotten, the routes through it retracted or switched at once, as the
     * daemon's removeInterface), and what is still on its way over it is lost.
     */
    public void unwire(Link l) {
        for (Link end : List.of(l, l.peer)) {
            if (end.removed)
                continue;
            end.removed = true;
            end.node.links.remove(end.ifname);
            end.protector.forgetNeighbours();
            if (!end.node.stopped && end.node.router.hasInterface(end.ifname)) {
                end.node.router.removeInterface(end.ifname, now);
                flush(end.node);
            }
        }
    }

    /**
     * Calls {@code n}'s core now (a cost multiplier, a prefix: what a node's other parts ask of its
     * router) and sends what it queued, as any step does.
     */
    public void call(Node n, java.util.function.Consumer<BabelRouter> f) {
        f.accept(n.router);
        flush(n);
    }

    /**
     * Runs {@code action} after {@code delayMs} of virtual time, among the packets in the order
     * scheduled: how parts outside the Babel cores (a tunnel manager, a handshake, a datagram
     * forwarded hop by hop) take their turns on the same clock.
     */
    public void at(double delayMs, Runnable action) {
        if (!(delayMs >= 0))
            throw new IllegalArgumentException("delay " + delayMs + " ms: must be >= 0");
        events.add(new Event(now + (long) (delayMs * MS), seq++, action, null));
    }

    /**
     * Stops a node as its daemon stops: a wildcard retraction on every interface, its kernel
     * routes removed, and its tunnels gone, which each peer sees at once (tunnel liveness) as
     * its interface going down. Packets still on their way to it are lost.
     */
    public void stop(Node n) {
        if (n.stopped)
            return;
        n.router.shutdown(now);
        flush(n);
        n.stopped = true;
        for (Link l : n.links.values()) {
            l.protector.forgetNeighbours();
            if (!l.peer.node.stopped && l.peer.settings != null)
                interfaceDown(l.peer);
        }
    }

    /**
     * Starts a stopped node again with a new core (same router id, the seqno it stopped with
     * plus one as the daemon's state file gives it, an empty table): Babel on every interface that ran it before, the peers' ends brought back up (new
     * tunnels), its prefixes announced again.
     */
    public void restart(Node n) {
        restart(n, n.routerId);
    }

    /**
     * The same with another router id: the node daemon picks a random one at each start (a killed
     * node that came back under its old id was unfeasible until the others forgot its routes).
     */
    public void restart(Node n, long routerId) {
        if (!n.stopped)
            throw new IllegalStateException(n + " is running");
        n.stopped = false;
        n.fib.clear();
        // the daemon's state file: the seqno it stopped with, plus one (a random one is most likely
        // "hopelessly" older than what the others hold: unreachable until they forget the source)
        n.routerId = routerId;
        n.router = new BabelRouter(routerId, re6st.babel.Seqno.plus(n.router.seqno(), 1), n.halfLifeMs, random.split(), n);
        n.timerAt = Long.MAX_VALUE; // the old core's timer events are stale
        for (Link l : n.links.values()) {
            if (l.settings == null)
                continue;
            l.protector.forgetNeighbours();
            n.router.addInterface(l.ifname, l.settings, l.linkLocal, now);
            if (!l.peer.node.stopped && l.peer.settings != null) {
                l.peer.protector.forgetNeighbours();
                l.peer.node.router.interfaceUp(l.peer.ifname, now);
                flush(l.peer.node);
            }
        }
        for (Prefix p : n.originated)
            n.router.addXroute(p, null, 0, now);
        flush(n);
    }

    /** Runs the network for {@code millis} of virtual time. */
    public void run(double millis) {
        runUntil(now + (long) (millis * MS), null);
    }

    /** Runs until {@code check} holds (checked after every step) or {@code maxMillis} pass; returns whether it held. */
    public boolean runUntil(double maxMillis, java.util.function.BooleanSupplier check) {
        return runUntil(now + (long) (maxMillis * MS), check);
    }

    /** Sees every packet put on a link (the sending end, a copy of the bytes): captures for tests. */
    public java.util.function.BiConsumer<Link, byte[]> wireTap;

    /** Hook called after every step (e.g. a loop check). */
    public java.util.function.Consumer<Simulation> afterStep;

    private record FibChange(Node node, Prefix prefix) {}

    private boolean checkLoops;
    private final List<FibChange> fibChanges = new ArrayList<>();
    /** Paths walked by the check of {@link #checkLoopsAtEveryStep}. */
    public long loopChecks;

    /**
     * From now on, after every call of a core (every step, and every change made between runs), walks the path from every node whose kernel route changed
     * in that step towards the route's prefix, and throws on a forwarding loop: the cost of
     * {@link #checkLoopFree} after every step, O(changes x hops) instead of O(nodes^2 x hops).
     * Sound because a loop made by a step goes through a node whose route the step changed
     * (the others forward as before, and there was no loop before: checked here first).
     * Removing a route cannot make a loop, so only installs are walked.
     */
    public void checkLoopsAtEveryStep() {
        checkLoopFree();
        checkLoops = true;
    }

    private void checkChangedPaths() {
        for (int i = 0; i < fibChanges.size(); i++) {
            FibChange c = fibChanges.get(i);
            path(c.node, c.prefix);
            loopChecks++;
        }
        fibChanges.clear();
    }

    private boolean runUntil(long end, java.util.function.BooleanSupplier check) {
        // A test may have called a core directly since the last run: its deadline may have moved.
        for (Node n : nodes)
            schedule(n);
        for (long steps = 0; steps < 50_000_000L; steps++) {
            if (check != null && check.getAsBoolean())
                return true;
            Event e = events.peek();
            while (e != null && e.node != null && e.time != e.node.timerAt) {
                events.poll(); // a timer event whose deadline has moved since: the newer event stands
                e = events.peek();
            }
            if (e == null || e.time > end) {
                now = end;
                return check != null && check.getAsBoolean();
            }
            events.poll();
            now = Math.max(now, e.time);
            if (e.node == null) {
                e.action.run();
            } else {
                e.node.timerAt = Long.MAX_VALUE;
                e.node.router.tick(now);
                flush(e.node);
            }
            if (afterStep != null)
                afterStep.accept(this);
        }
        throw new IllegalStateException("simulation did not reach its end time in 50M steps");
    }

    /** Puts the node's next deadline in the event queue if it moved: O(log events), not O(nodes), per step. */
    private void schedule(Node n) {
        long t = n.router.nextTimer();
        if (t == n.timerAt)
            return;
        n.timerAt = t;
        if (t != Long.MAX_VALUE)
            events.add(new Event(t, 0, null, n));
    }

    /**
     * After every call of a node's core: sends what it queued, packed as the daemon packs it, per
     * (interface, destination), and moves its timer. Packing only reads the queues, and the
     * packets it makes are delivered later (events), so the queues are reused, not copied.
     */
    void flush(Node n) {
        for (int i = 0; i < n.pending.size(); i++) {
            Link l = n.pending.get(i);
            l.queued = false;
            if (!l.multicast.isEmpty()) {
                l.protector.pack(l.multicast, null, (packet, dest) -> carry(l, packet, dest));
                l.multicast.clear();
            }
            for (Map.Entry<Addr, List<Message>> e : l.unicast.entrySet())
                if (!e.getValue().isEmpty()) {
                    l.protector.pack(e.getValue(), e.getKey(), (packet, dest) -> carry(l, packet, dest));
                    e.getValue().clear();
                }
        }
        n.pending.clear();
        schedule(n);
        if (checkLoops)
            checkChangedPaths();
    }

    /** One packet onto the wire: delivered after the link's delay unless the link drops it. */
    private void carry(Link l, java.nio.ByteBuffer packet, Addr dest) {
        l.node.bytesSent += packet.remaining();
        l.node.packetsSent++;
        if (l.blackholed || l.removed || (dest != null && !dest.equals(l.peer.linkLocal))
                || (l.loss > 0 && random.nextDouble() < l.loss)) {
            packetsDropped++;
            return;
        }
        byte[] bytes = new byte[packet.remaining()];
        packet.get(bytes);
        if (wireTap != null)
            wireTap.accept(l, bytes.clone());
        Link to = l.peer;
        events.add(new Event(now + l.delayNs, seq++, () -> {
            if (to.blackholed || to.removed || to.node.stopped) {
                packetsDropped++;
                return;
            }
            receive(to, l.linkLocal, bytes);
        }, null));
    }

    /** A datagram arriving on {@code to} from {@code from}: opened (decoded, verified), then to the core. */
    private void receive(Link to, Addr from, byte[] datagram) {
        PacketProtector.Opened o = to.protector.open(datagram, 0, datagram.length, from, now);
        for (Message m : o.reply())
            to.node.send(to.ifname, from, m);
        if (o.accepted()) {
            packetsDelivered++;
            if (o.macReason() == re6st.babel.mac.Verdict.Reason.CHALLENGE_SUCCEEDED)
                to.node.router.challengeSucceeded(to.ifname, from, now);
            to.node.router.receive(to.ifname, from, o.unicast(), o.body(), now);
        } else {
            packetsRefused++;
        }
        flush(to.node);
    }

    /**
     * Puts raw bytes on {@code to}'s interface as if its peer had sent them (garbled,
     * truncated, forged packets), at the current virtual time.
     */
    public void inject(Link to, byte[] datagram) {
        receive(to, to.peer.linkLocal, datagram.clone());
    }

    // ------------------------------------------------------------- checks

    /**
     * Follows kernel routes from {@code from} towards {@code p}: returns the nodes visited up to
     * the originator, or null if the walk ends nowhere (no route, unreachable). Throws if it
     * loops: a forwarding loop is a protocol bug.
     */
    public List<Node> path(Node from, Prefix p) {
        List<Node> seen = new ArrayList<>();
        Node at = from;
        for (int hops = 0; hops <= nodes.size(); hops++) {
            seen.add(at);
            if (at.originated.contains(p))
                return seen;
            KernelRoute r = at.route(p);
            if (r == null || r.unreachable())
                return null;
            Link l = at.links.get(r.ifname());
            if (l == null || !l.peer.linkLocal.equals(r.nextHop()))
                throw new IllegalStateException(at + " routes " + p + " via " + r.nextHop() + " on " + r.ifname()
                        + ", which is not the link's peer");
            Node next = l.peer.node;
            if (seen.contains(next))
                throw new IllegalStateException("forwarding loop towards " + p + ": " + seen + " -> " + next);
            at = next;
        }
        throw new IllegalStateException("path too long towards " + p + ": " + seen);
    }

    /** Every node reaches every originated prefix. */
    public boolean fullyConnected() {
        for (Node a : nodes)
            for (Node b : nodes)
                for (Prefix p : b.originated)
                    if (a != b && path(a, p) == null)
                        return false;
        return true;
    }

    /** Checks every installed path of every node for loops (throws on a loop). */
    public void checkLoopFree() {
        for (Node a : nodes)
            for (Node b : nodes)
                for (Prefix p : b.originated)
                    if (a != b)
                        path(a, p);
    }

    static List<Prefix> key(Prefix p, Prefix src) {
        return java.util.Arrays.asList(p, src);
    }
}
