package re6st.node.tunnel;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

import re6st.net.NodePrefix;
import re6st.node.cache.PeerCache;
import re6st.peer.PeerAddress;
import re6st.peer.Topology;

/**
 * Which tunnels the node keeps (spec/node-behaviour.md, "Tunnel manager"; the original's
 * TunnelManager in tunnel.py), sans I/O: events and a monotonic time in milliseconds in,
 * {@link TunnelEffects} out. Driven by one thread, no clock of its own, and deterministic for a
 * seeded generator, so that a simulator can run a thousand of them.
 *
 * <p>Every {@link #PASS_MS} ({@link #tick}): up to {@code client_count} outgoing tunnels to
 * routed, non-neighbour peers ({@link Candidates}), reached through the {@link PeerCache} or a
 * code-1 question answered before the next pass; at most {@code min(2, client_count)} while
 * nobody is connected to us (bad NAT); a connectivity test with a backed-off bootstrap
 * ({@link Bootstrap}); every {@code tunnel_refresh}, the least useful outgoing tunnel drained and
 * killed ({@link TunnelKiller}). Duplicates (we dial B, B dials us) are dropped by the side whose
 * prefix is smaller. Incoming tunnels are limited by the transports; the manager only counts them.
 *
 * <p>Without a manager ({@code --client} mode or {@code client_count} 0, {@link Options#active()}
 * false) this class decides nothing: ticks do nothing, code 2 is refused (as the original's
 * nodes ignore it), and {@link #topology} reports {@code 0} followed by the incoming peers.
 */
public final class TunnelManager {
    private static final Logger LOG = System.getLogger("re6st.node.tunnel");
    /** How often the manager looks for dead and new tunnels (tunnel.py's refresh). */
    public static final long PASS_MS = 5_000;
    /** The cost multiplier that moves routes off a tunnel being drained (the original's soft lock). */
    public static final int DRAIN_MULTIPLIER = 4096;
    /** Babel's default multiplier, restored when a drain is undone. */
    public static final int NORMAL_MULTIPLIER = 1;

    /**
     * @param self          our node prefix (bit string)
     * @param registry      the registry's node prefix
     * @param clientCount   outgoing tunnels to keep; 0 = no manager
     * @param timeoutMs     4 x hello (60 s by default): the bootstrap backoff unit; each kill step lasts 2 x this
     * @param refreshMs     {@code tunnel_refresh} (300 s by default)
     * @param neighbours    the {@code --neighbour} peers, as prefixes (bit strings)
     * @param protocols     the protocols our transports dial ({@code udp}, {@code tcp}, {@code udp6}, {@code tcp6})
     * @param countries     the {@code same_country} rule
     * @param fixedClient   {@code --client} mode: one fixed tunnel the node opens itself, no manager
     */
    public record Options(String self, String registry, int clientCount, long timeoutMs, long refreshMs,
                          Set<String> neighbours, Set<String> protocols, CountryFilter countries, boolean fixedClient) {
        public Options {
            new NodePrefix(self);
            new NodePrefix(registry);
            if (clientCount < 0 || timeoutMs <= 0 || refreshMs <= 0)
                throw new IllegalArgumentException("client_count " + clientCount + ", timeout " + timeoutMs
                        + " ms and tunnel_refresh " + refreshMs + " ms: the count must not be negative, the times positive");
            neighbours = Set.copyOf(neighbours);
            protocols = Set.copyOf(protocols);
        }

        /** The original's defaults: 10 tunnels, hello 15 s (timeout 60 s), refresh 300 s, every protocol. */
        public static Options defaults(String self, String registry) {
            return new Options(self, registry, 10, 60_000, 300_000, Set.of(), Set.of("udp", "tcp", "udp6", "tcp6"),
                    CountryFilter.NONE, false);
        }

        public boolean active() {
            return clientCount > 0 && !fixedClient;
        }
    }

    private final Options o;
    private final TunnelEffects fx;
    private final PeerCache cache;
    private final RandomGenerator random;
    private final TunnelManagerCounters counters = new TunnelManagerCounters();
    /** Sorted maps: iteration order must not depend on hashing, for determinism. */
    private final TreeMap<String, OutgoingTunnel> outgoing = new TreeMap<>();
    private final TreeMap<String, Integer> incoming = new TreeMap<>();
    private final TreeMap<String, TunnelKiller> killers = new TreeMap<>();
    /** Peers asked their address in the last pass: only their answers open a tunnel. */
    private final Set<String> addressAsked = new HashSet<>();
    private final Bootstrap bootstrap = new Bootstrap();
    private RouteSnapshot routes = RouteSnapshot.EMPTY;
    private long nextPass, nextRefresh;

    public TunnelManager(Options options, TunnelEffects effects, PeerCache cache, RandomGenerator random, long now) {
        this.o = options;
        this.fx = effects;
        this.cache = cache;
        this.random = random;
        this.nextPass = now;
        this.nextRefresh = now + options.refreshMs();
    }

    public TunnelManagerCounters counters() {
        return counters;
    }

    /** When {@link #tick} is next needed: the next pass or the next kill-step deadline. */
    public long nextDeadline() {
        if (!o.active())
            return Long.MAX_VALUE;
        long d = nextPass;
        for (TunnelKiller k : killers.values())
            d = Math.min(d, k.deadline());
        return d;
    }

    /** When the next pass is due ({@link Long#MAX_VALUE} without a manager): the node takes its route snapshot then. */
    public long nextPassAt() {
        return o.active() ? nextPass : Long.MAX_VALUE;
    }

    /**
     * The timer: undoes kill steps that timed out and, every {@link #PASS_MS} (less up to a tenth,
     * at random), runs a pass.
     */
    public void tick(long now) {
        if (!o.active())
            return;
        expireKills(now);
        if (now < nextPass)
            return;
        expireDials(now);
        // up to a tenth earlier, at random: two nodes that dial each other at the same instant fail
        // both (crossed handshakes on one address pair), and fixed periods would repeat that for ever
        nextPass = now + PASS_MS - random.nextLong(PASS_MS / 10 + 1);
        counters.passes++;
        resendKillCodes(now);
        // the original's CAVEAT: an answer later than one pass is stored, but opens nothing
        addressAsked.clear();
        if (now >= nextRefresh) {
            nextRefresh = now + o.refreshMs();
            counters.refreshes++;
            refresh(now);
        }
        newTunnels(now);
    }

    /**
     * What Babel routes now. The node calls it whenever its routes change and, so that a drain
     * can be seen to end, at least once between passes. A drain is checked only here, so it ends
     * only on a snapshot given after its cost was raised.
     */
    public void routes(long now, RouteSnapshot snapshot) {
        routes = snapshot;
        for (TunnelKiller k : List.copyOf(killers.values())) {
            if (!k.drainedBy(snapshot.carriedBy(k.peer)))
                continue;
            debug(() -> "drained " + cn(k.peer) + " (" + k.side + "): no route uses it, sending code " + k.code());
            k.locked(now, now + 2 * o.timeoutMs());
            fx.sendKill(k.peer, k.code());
        }
    }

    // ---- tunnel events from the transports

    /** A tunnel is up: {@code outgoing} when we dialled it. */
    public void established(long now, String prefix, boolean outgoing) {
        if (!outgoing) {
            incoming.merge(prefix, 1, Integer::sum);
            OutgoingTunnel ours = this.outgoing.get(prefix);
            // only the smaller side drops, so that exactly one of the two tunnels stays
            if (o.active() && ours != null && o.self().compareTo(prefix) < 0) {
                debug(() -> "dropping our tunnel to " + cn(prefix) + ": it dialled us too and its prefix is greater");
                forget(prefix);
                fx.hangUp(prefix);
                cache.connected(prefix);
                counters.duplicatesDropped++;
            }
            return;
        }
        OutgoingTunnel t = this.outgoing.get(prefix);
        if (t == null)
            return; // hung up meanwhile, or not ours (--client mode)
        t.established(true);
        t.downSince = -1; // a new session (a UDP dialler handshakes again after a dead path): alive, whatever came before
        String preferred = t.preferredFirst(cache.address(prefix).orElse(null));
        if (preferred != null)
            cache.put(prefix, preferred);
        cache.connected(prefix);
        debug(() -> "tunnel to " + cn(prefix) + " established through " + t.current());
    }

    /** A tunnel is gone (after {@link #established}). */
    public void removed(long now, String prefix, boolean outgoing) {
        if (!outgoing) {
            if (incoming.merge(prefix, -1, Integer::sum) <= 0)
                incoming.remove(prefix);
            TunnelKiller k = killers.get(prefix);
            if (k != null && k.side == TunnelKiller.Side.SERVER && !incoming.containsKey(prefix))
                endKill(prefix, k.step() == TunnelKiller.Step.LOCKED, "the owner hung up");
            return;
        }
        OutgoingTunnel t = this.outgoing.get(prefix);
        if (t == null || !t.established())
            return; // we hung up (a dial to it again since is not the tunnel removed: a removal follows an establishment)
        forget(prefix);
        // the transport would redial it forever: which peers to keep is the manager's choice
        fx.hangUp(prefix);
        counters.tunnelsLost++;
        debug(() -> "tunnel to " + cn(prefix) + " lost; a later pass replaces it");
    }

    /**
     * The path of an established tunnel is dead (its probes unanswered) or back. An outgoing one
     * dead for {@code timeout} is hung up at the next pass, its slot given to another peer: the
     * transport would redial it for ever, even a server that refuses us as full (the original's
     * OpenVPN clients exit after {@code --ping-exit timeout}).
     */
    public void pathDown(long now, String prefix, boolean outgoing) {
        OutgoingTunnel t = outgoing ? this.outgoing.get(prefix) : null;
        if (t != null && t.established() && t.downSince < 0)
            t.downSince = now;
    }

    public void pathUp(long now, String prefix, boolean outgoing) {
        OutgoingTunnel t = outgoing ? this.outgoing.get(prefix) : null;
        if (t != null)
            t.downSince = -1;
    }

    /** An attempt to reach {@code prefix} at {@code address} failed; ignored unless it is the attempt in progress. */
    public void failed(long now, String prefix, PeerAddress address) {
        OutgoingTunnel t = outgoing.get(prefix);
        if (t == null || t.established() || !t.current().equals(address))
            return;
        fx.hangUp(prefix);
        if (t.next()) {
            debug(() -> "dialling " + cn(prefix) + " failed at " + address + ", trying " + t.current());
            dial(now, t);
        } else {
            forget(prefix); // it stays blacklisted in the cache
            debug(() -> "dialling " + cn(prefix) + " failed at its last address " + address);
        }
    }

    // ---- peer-protocol events

    /** A code-1 answer: stored; opens a tunnel only if we asked in the last pass. */
    public void addressReceived(long now, String prefix, String addressList) {
        if (addressList.isEmpty() || prefix.equals(o.self()))
            return;
        cache.put(prefix, addressList);
        if (addressAsked.remove(prefix) && o.active())
            makeTunnel(now, prefix, addressList, "its address came");
    }

    /**
     * Code 2 from {@code prefix}: it wants to close the tunnel it dialled to us. Honoured (true)
     * only when it is connected to us and no kill of it is in progress: we drain our side and
     * answer code 3 once drained.
     */
    public boolean killRequested(long now, String prefix) {
        if (!o.active() || !incoming.containsKey(prefix) || killers.containsKey(prefix))
            return false;
        startKill(now, prefix, TunnelKiller.Side.SERVER, "it asked (code 2)");
        return true;
    }

    /** Code 3 from {@code prefix}: its side is drained; we hang up if ours is too and still is. */
    public void killConfirmed(long now, String prefix) {
        TunnelKiller k = killers.get(prefix);
        if (k == null || k.side != TunnelKiller.Side.OWNER || k.step() != TunnelKiller.Step.LOCKED)
            return;
        if (routes.carriedBy(prefix) > 0) {
            debug(() -> "code 3 from " + cn(prefix) + " ignored: routes use the tunnel again");
            return;
        }
        endKill(prefix, true, "drained on both sides");
        forget(prefix);
        fx.hangUp(prefix);
    }

    // ---- the registry's bootstrap answer

    /** {@code getBootstrapPeer} answered. */
    public void bootstrapAnswer(long now, String prefix, String addressList) {
        Bootstrap.Purpose why = bootstrap.answered();
        if (why == null || prefix.equals(o.self())) {
            if (why == Bootstrap.Purpose.STARTUP)
                retryBlacklisted(now);
            return;
        }
        cache.put(prefix, addressList);
        if (!o.active() || outgoing.size() >= o.clientCount())
            return;
        boolean made = (why == Bootstrap.Purpose.STARTUP || !routes.routes().containsKey(prefix))
                && makeTunnel(now, prefix, addressList, "the registry gave it (" + why + ")");
        if (!made && why == Bootstrap.Purpose.STARTUP)
            retryBlacklisted(now);
    }

    /** {@code getBootstrapPeer} failed (no answer, no peer). A rejoin then assumes we are connected after all. */
    public void bootstrapFailed(long now) {
        if (bootstrap.answered() == Bootstrap.Purpose.STARTUP && o.active())
            retryBlacklisted(now);
    }

    // ---- what the node reports

    /** The code-5 answer (spec/peer-protocol.md 5.4): outgoing peers, then incoming ones, as CNs. */
    public String topology() {
        List<String> out = new ArrayList<>(), in = new ArrayList<>();
        if (o.active())
            outgoing.keySet().forEach(p -> out.add(cn(p)));
        incoming.keySet().forEach(p -> in.add(cn(p)));
        return new Topology(out, in).format();
    }

    // ---- decisions

    /** Kills the least useful outgoing tunnel, when we have as many as we want (tunnel.py 820-840). */
    private void refresh(long now) {
        List<String> killable = new ArrayList<>(outgoing.keySet());
        killable.removeAll(killers.keySet());
        int wanted = incoming.isEmpty() && !bootstrap.disconnected() ? Math.min(2, o.clientCount()) : o.clientCount();
        if (killable.size() < wanted) {
            debug(() -> "refresh: " + killable.size() + " killable tunnels, below " + wanted + ": nothing to kill");
            return;
        }
        if (o.neighbours().containsAll(killable)) {
            debug(() -> "refresh: only --neighbour peers, nothing to kill");
            return;
        }
        // a tunnel that carries no route scores lowest, even a --neighbour one
        Comparator<String> score = Comparator.comparingLong(p -> {
            int n = routes.carriedBy(p);
            return n == 0 ? -1 : (o.neighbours().contains(p) ? (long) Integer.MAX_VALUE + 1 : 0) + n;
        });
        String victim = killable.stream().min(score.thenComparing(Comparator.naturalOrder())).orElseThrow();
        startKill(now, victim, TunnelKiller.Side.OWNER, "refresh, lowest score (" + routes.carriedBy(victim) + " routes)");
    }

    private void startKill(long now, String peer, TunnelKiller.Side side, String reason) {
        debug(() -> "draining " + cn(peer) + ": " + reason);
        killers.put(peer, new TunnelKiller(peer, side, now + 2 * o.timeoutMs()));
        counters.drainsStarted++;
        fx.setCostMultiplier(peer, DRAIN_MULTIPLIER);
    }

    /**
     * Each pass, the code of a locked kill again (the first may have been dropped for want of a session), until its step
     * ends; not while routes use the tunnel again (its drain was checked when the step began: a code 3 resent later would
     * let the owner hang up a tunnel our routes now need, and a code 2 would ask for it), the code going again once they
     * have moved away.
     */
    private void resendKillCodes(long now) {
        for (TunnelKiller k : killers.values())
            if (routes.carriedBy(k.peer) == 0 && k.resendDue(now, PASS_MS)) {
                counters.killCodesResent++;
                fx.sendKill(k.peer, k.code());
            }
    }

    private void expireKills(long now) {
        for (TunnelKiller k : List.copyOf(killers.values()))
            if (now >= k.deadline()) {
                endKill(k.peer, false, "step " + k.step() + " timed out");
                fx.setCostMultiplier(k.peer, NORMAL_MULTIPLIER);
            }
    }

    private void endKill(String peer, boolean completed, String why) {
        TunnelKiller k = killers.remove(peer);
        if (completed)
            counters.drainsCompleted++;
        else
            counters.drainsAborted++;
        debug(() -> (completed ? "kill of " : "kill aborted, ") + cn(peer) + " (" + k.side + "): " + why);
    }

    /** Opens new tunnels up to client_count, with the connectivity test first (tunnel.py 894-1004). */
    private void newTunnels(long now) {
        int count = o.clientCount() - outgoing.size();
        if (count <= 0)
            return;
        Set<String> routed = new HashSet<>(routes.routes().keySet());
        routed.remove(o.self());
        List<String> distant = Candidates.of(routes, o.self(), o.neighbours(), random);
        boolean fromCache = false;
        if (o.registry().equals(o.self())) {
            // the registry's own node does not wait for others to find it
            fromCache = distant.isEmpty();
        } else if (routes.registryRouted() || outgoing.containsKey(o.registry()) || incoming.containsKey(o.registry())) {
            bootstrap.connected();
        } else if (bootstrap.due(now)) {
            long full = o.timeoutMs() * (1 + random.nextInt(routed.size() + 1));
            // routed by nobody (a node starting, or alone): the original waits the same, a minute at hello 15 s, when
            // its first question found no peer; we try again after a pass, doubling up to that
            long backoff = routed.isEmpty() ? Math.min(full, PASS_MS << Math.min(bootstrap.tries(), 16)) : full;
            bootstrap.tried(now, backoff);
            debug(() -> "no route to the registry (" + routed.size() + " routed, " + distant.size()
                    + " distant): rejoining, next try in " + backoff + " ms");
            fromCache = true;
            if (!routed.isEmpty())
                askBootstrap(Bootstrap.Purpose.REJOIN);
        }
        if (fromCache)
            fromCache(now, count, routed);
        else
            fromRoutes(now, count, distant);
    }

    private void fromRoutes(long now, int count, List<String> distant) {
        if (incoming.isEmpty()) {
            int capped = Math.max(0, Math.min(2, o.clientCount()) - outgoing.size());
            if (capped < count)
                debug(() -> "nobody is connected to us (bad NAT?): at most " + Math.min(2, o.clientCount()) + " outgoing tunnels");
            count = capped;
        }
        for (String p : distant) {
            if (count == 0)
                return;
            if (outgoing.containsKey(p) || incoming.containsKey(p))
                continue;
            String address = usableAddress(p);
            if (address != null) {
                if (makeTunnel(now, p, address, "routed, address cached"))
                    count--;
            } else {
                debug(() -> "asking " + cn(p) + " its address");
                addressAsked.add(p);
                counters.addressQueries++;
                fx.askAddress(p);
                count--;
            }
        }
    }

    /** No route to the registry: cached peers we do not route first, then the registry, then blacklisted entries. */
    private void fromCache(long now, int count, Set<String> routed) {
        List<PeerCache.Entry> entries = new ArrayList<>(cache.entries());
        Candidates.shuffle(entries, random);
        int made = 0;
        boolean usable = false;
        for (PeerCache.Entry e : entries) {
            if (e.blacklisted() || e.prefix().equals(o.self()) || routed.contains(e.prefix()))
                continue;
            usable = true;
            if (makeTunnel(now, e.prefix(), e.address(), "cached, not routed") && ++made == count)
                return;
        }
        if (made > 0 || !routed.isEmpty())
            return;
        if (!usable && !o.registry().equals(o.self()) && bootstrap.pending() == null)
            askBootstrap(Bootstrap.Purpose.STARTUP); // its failure falls back to blacklisted entries
        else if (bootstrap.pending() == null)
            retryBlacklisted(now);
    }

    /** The last chance: an address that already failed. */
    private void retryBlacklisted(long now) {
        List<PeerCache.Entry> entries = new ArrayList<>(cache.entries());
        Candidates.shuffle(entries, random);
        for (PeerCache.Entry e : entries)
            if (e.blacklisted() && !e.prefix().equals(o.self())
                    && makeTunnel(now, e.prefix(), e.address(), "last chance, it failed before"))
                return;
    }

    private void askBootstrap(Bootstrap.Purpose why) {
        if (bootstrap.pending() != null)
            return;
        debug(() -> "asking the registry for a bootstrap peer (" + why + ")");
        bootstrap.asked(why);
        counters.bootstraps++;
        fx.askBootstrap();
    }

    private String usableAddress(String p) {
        for (PeerCache.Entry e : cache.entries())
            if (e.prefix().equals(p))
                return e.blacklisted() ? null : e.address();
        return null;
    }

    /** Dials {@code p} at the first address we may use; false if we cannot or need not. Blacklists it in any case. */
    private boolean makeTunnel(long now, String p, String addressList, String reason) {
        if (p.equals(o.self()) || outgoing.containsKey(p) || incoming.containsKey(p))
            return false;
        List<PeerAddress> usable = new ArrayList<>();
        for (PeerAddress a : PeerAddress.parse(addressList))
            if (o.protocols().contains(a.protocol()) && o.countries().allows(a))
                usable.add(a);
        cache.attempting(p);
        if (usable.isEmpty()) {
            debug(() -> "no usable address for " + cn(p) + " in '" + addressList + "'");
            return false;
        }
        OutgoingTunnel t = new OutgoingTunnel(p, usable);
        outgoing.put(p, t);
        debug(() -> "new tunnel to " + cn(p) + ": " + reason);
        dial(now, t);
        return true;
    }

    private void dial(long now, OutgoingTunnel t) {
        // each opening restarts the refresh timer (tunnel.py Connection.open)
        nextRefresh = now + o.refreshMs();
        counters.dials++;
        t.dialledAt = now;
        fx.dial(t.peer, t.current());
    }

    /**
     * A dial that neither connected nor failed within 2 x timeout (the transport never told: e.g.
     * the peer's own tunnel to us took it over) is given up, so that it holds no outgoing slot.
     */
    private void expireDials(long now) {
        for (OutgoingTunnel t : List.copyOf(outgoing.values()))
            if (!t.established() && now - t.dialledAt > 2 * o.timeoutMs()) {
                debug(() -> "giving up dialling " + cn(t.peer) + ": no tunnel after " + 2 * o.timeoutMs() / 1000 + " s");
                forget(t.peer);
                fx.hangUp(t.peer);
                counters.dialsExpired++;
            } else if (t.downSince >= 0 && now - t.downSince >= o.timeoutMs()) {
                debug(() -> "hanging up on " + cn(t.peer) + ": its path has been dead for " + (now - t.downSince) / 1000
                        + " s; a later pass replaces it");
                forget(t.peer);
                fx.hangUp(t.peer);
                cache.attempting(t.peer); // blacklisted, so that the next dials go elsewhere first
                counters.tunnelsLost++;
            }
    }

    /** Our outgoing tunnel to {@code prefix} is gone or going: a kill of it in progress has nothing left to do. */
    private void forget(String prefix) {
        outgoing.remove(prefix);
        TunnelKiller k = killers.get(prefix);
        if (k != null && k.side == TunnelKiller.Side.OWNER)
            endKill(prefix, false, "the tunnel went away first");
    }

    private static String cn(String prefix) {
        return new NodePrefix(prefix).cn();
    }

    private static void debug(Supplier<String> what) {
        LOG.log(Level.DEBUG, what);
    }
}
