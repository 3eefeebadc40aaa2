package re6st.babel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Message.Ack;
import re6st.babel.message.Message.AckRequest;
import re6st.babel.message.Message.Hello;
import re6st.babel.message.Message.Ihu;
import re6st.babel.message.Message.RouteRequest;
import re6st.babel.message.Message.SeqnoRequest;
import re6st.babel.message.Message.Update;
import re6st.babel.message.Prefix;

import static re6st.babel.message.Message.INFINITY;

/**
 * The Babel protocol (RFC 8966, with RFC 9616 RTT and RFC 9079 source prefixes) as a pure state
 * machine: inputs are received messages, interface changes, route origination and the passing
 * of time ({@code now}, monotonic nanoseconds, always passed in); outputs go to {@link Effects}
 * (messages to send, kernel routes). No sockets, threads or clocks in here, so the same code
 * runs in the daemon, in unit tests with a virtual clock and in large simulations.
 *
 * <p>Behaviour follows babeld 1.12 where the RFC leaves a choice (hello history, cost,
 * feasibility, selection, triggered updates, requests), so mixed networks behave alike.
 * Not thread-safe: one thread drives it.
 */
public final class BabelRouter {
    static final long MS = 1_000_000L;
    static final int DEFAULT_HOP_COUNT = 127;

    /** Decides whether to accept a route, and at what extra cost: {@link Message#INFINITY} refuses it. */
    @FunctionalInterface
    public interface InputFilter {
        int addMetric(Prefix prefix, Prefix src, long routerId, Neighbour from);

        InputFilter ACCEPT_ALL = (p, s, id, n) -> 0;

        /**
         * Refuses default routes (::/0 and 0.0.0.0/0) that have no source prefix: a node must not
         * send all its traffic to whoever announces a default route; a gateway announces
         * ::/0 from its network prefix instead (RFC 9079), installed source-restricted.
         */
        InputFilter REFUSE_PLAIN_DEFAULT = (p, s, id, n) -> p.isDefault() && s == null ? Message.INFINITY : 0;
    }

    private final long routerId;
    private int seqno;
    private final long halfLifeNs;
    private final RandomGenerator random;
    private final Effects out;
    private InputFilter filter = InputFilter.ACCEPT_ALL;

    private final Map<String, Interface> interfaces = new LinkedHashMap<>();
    private final RouteTable table = new RouteTable();
    private final Map<RouteTable.Key, List<Source>> sources = new HashMap<>();
    private final Map<RouteTable.Key, XRoute> xroutes = new LinkedHashMap<>();
    private final Map<RouteTable.Key, PendingRequest> requests = new HashMap<>();
    private final Map<RouteTable.Key, UpdateResend> updateResends = new HashMap<>();
    private long nextNeighbourCheck = Long.MAX_VALUE;
    /**
     * When the expiry scan next has work: the earliest {@link Route#expiryDue} seen by the last
     * scan or noted since, at most once a second. A quiet table is not walked every second (a
     * node with 10,000 routes spent most of its time there), only when a route is due.
     */
    private long nextExpiry = Long.MAX_VALUE;
    private long lastExpiryScan;
    private boolean expiryScanned;
    /** Sources are collected every 30 s while there are any. */
    private long nextSourceGc = Long.MAX_VALUE;
    /**
     * With smoothing on, the destinations whose smoothed metrics still move with time alone (a
     * route's metric changed, its smoothed value has not caught up): the once-a-second check for
     * a better route looks only at these, not at the whole table.
     */
    private final Set<RouteTable.Entry> smoothing = new LinkedHashSet<>();
    private long nextSmoothing = Long.MAX_VALUE;
    /** Earliest resend or expiry among pending requests: nextTimer() and tick() stay O(1) when none is due. */
    private long nextRequestEvent = Long.MAX_VALUE;
    private boolean stopped;

    /** A seqno request we sent (or forwarded) and resend until an update satisfies it. */
    static final class PendingRequest {
        final Prefix prefix, src;
        int seqno;
        long routerId;
        int hopCount;
        Neighbour to;        // null: multicast on every interface
        final Resend resend = new Resend();
        long sentAt;

        PendingRequest(Prefix prefix, Prefix src) {
            this.prefix = prefix;
            this.src = src;
        }
    }

    /**
     * An urgent update resent as babeld's send_update_resend does (a change of source can make
     * transient loops, a retraction a black hole, if a neighbour misses it): each resend
     * announces what we hold then for the destination.
     */
    record UpdateResend(Prefix prefix, Prefix src, Resend resend) {}

    /** Counters a daemon exports as metrics. */
    public static final class Stats {
        public long updatesReceived, martians, ownRouterId, unfeasible, requestsReceived, requestsForwarded,
                routeChanges, neighboursFlushed;
    }

    private final Stats stats = new Stats();

    /**
     * @param seqno      our initial seqno (random, or from the state file + 1)
     * @param halfLifeMs metric smoothing half-life (babeld's smoothing-half-life, default 4 s; 0 = off)
     */
    public BabelRouter(long routerId, int seqno, int halfLifeMs, RandomGenerator random, Effects out) {
        this.routerId = routerId;
        this.seqno = seqno & 0xFFFF;
        this.halfLifeNs = halfLifeMs * MS;
        this.random = random;
        this.out = out;
    }

    public void setInputFilter(InputFilter f) {
        this.filter = f;
    }

    public long routerId() {
        return routerId;
    }

    public int seqno() {
        return seqno;
    }

    public Stats stats() {
        return stats;
    }

    // ================================================================ interfaces

    /** Starts Babel on an interface: Hellos and a wildcard route request go out at once. */
    public void addInterface(String name, InterfaceSettings settings, Addr linkLocal, long now) {
        if (interfaces.containsKey(name))
            throw new IllegalArgumentException("interface " + name + " already added");
        if (!linkLocal.isLinkLocal())
            throw new IllegalArgumentException(name + ": Babel needs a link-local address, got " + linkLocal);
        Interface ifc = new Interface(name, settings, linkLocal);
        interfaces.put(name, ifc);
        up(ifc, now);
    }

    /** Our IPv4 address on the interface, used as the next hop of IPv4 routes we announce there. */
    public void setInterfaceIpv4(String name, Addr v4) {
        iface(name).ipv4 = v4;
    }

    public void setInterfaceSettings(String name, InterfaceSettings s, long now) {
        Interface ifc = iface(name);
        ifc.settings = s;
        for (Neighbour n : new ArrayList<>(ifc.neighbours))
            neighbourCostChanged(n, now);
    }

    /**
     * The interface went down (or its tunnel died): neighbours on it are gone, routes through
     * them switched to feasible alternatives or lost, in this call. False if it was down already.
     */
    public boolean interfaceDown(String name, long now) {
        Interface ifc = iface(name);
        if (!ifc.up)
            return false;
        ifc.up = false;
        for (Neighbour n : new ArrayList<>(ifc.neighbours))
            flushNeighbour(n, now);
        return true;
    }

    /** The interface is back: Hellos and a wildcard route request at once. False if it was up already. */
    public boolean interfaceUp(String name, long now) {
        Interface ifc = iface(name);
        if (ifc.up)
            return false;
        up(ifc, now);
        return true;
    }

    public void removeInterface(String name, long now) {
        interfaceDown(name, now);
        interfaces.remove(name);
    }

    public boolean hasInterface(String name) {
        return interfaces.containsKey(name);
    }

    private void up(Interface ifc, long now) {
        ifc.up = true;
        ifc.helloSeqno = random.nextInt(0x10000);
        sendHello(ifc, now);
        out.send(ifc.name, null, new RouteRequest(null, null)); // "tell me everything"
        ifc.nextUpdate = now + ifc.settings.helloInterval() * MS; // and tell them soon
        nextNeighbourCheck = Math.min(nextNeighbourCheck, now + ifc.settings.helloInterval() * MS);
    }

    private Interface iface(String name) {
        Interface ifc = interfaces.get(name);
        if (ifc == null)
            throw new IllegalArgumentException("no Babel interface " + name);
        return ifc;
    }

    /** Raises (drain) or restores (1) the cost of routes through a neighbour. */
    public void setCostMultiplier(String ifname, Addr neighbour, int multiplier, long now) {
        if (multiplier < 1)
            throw new IllegalArgumentException("cost multiplier must be >= 1");
        Neighbour n = iface(ifname).neighbour(neighbour);
        if (n == null)
            throw new IllegalArgumentException("no neighbour " + neighbour + " on " + ifname);
        n.costMultiplier = multiplier;
        neighbourCostChanged(n, now);
    }

    // ================================================================ origination

    /** Starts announcing {@code prefix} (from {@code src}, may be null) with {@code metric}. */
    public void addXroute(Prefix prefix, Prefix src, int metric, long now) {
        RouteTable.Key k = new RouteTable.Key(prefix, src);
        XRoute old = xroutes.put(k, new XRoute(prefix, src, metric));
        if (old != null && old.metric() == metric)
            return;
        RouteTable.Entry e = table.entry(prefix, src);
        if (e != null && e.installed != null)
            uninstall(e.installed, now); // ours wins over any learned route
        sendUpdateAll(prefix, src, now);
    }

    public void removeXroute(Prefix prefix, Prefix src, long now) {
        if (xroutes.remove(new RouteTable.Key(prefix, src)) == null)
            return;
        RouteTable.Entry e = table.entry(prefix, src);
        Route best = e == null ? null : best(e, now, null);
        if (best != null)
            consider(best, now);
        else
            sendRetraction(prefix, src, routerId, seqno);
    }

    public List<XRoute> xroutes() {
        return List.copyOf(xroutes.values());
    }

    // ================================================================ receiving

    /**
     * The neighbour at {@code from} answered our RFC 8967 challenge: what it sent before, its
     * Hellos and its route request among them, was dropped (its index was unknown), and so, as
     * likely, was what we sent it (it challenged us in turn): when both ends of a tunnel start
     * within a one-way delay of each other, that is their whole start-up exchange. Start it again
     * now rather than at the next Hello and periodic update (4 to 20 s later at hello 4 s): a
     * Hello soon (its first accepted one makes it answer at once) and a wildcard request to it.
     */
    public void challengeSucceeded(String ifname, Addr from, long now) {
        Interface ifc = interfaces.get(ifname);
        if (ifc == null || !ifc.up || stopped)
            return;
        ifc.nextHello = Math.min(ifc.nextHello, now);
        out.send(ifc.name, from, new RouteRequest(null, null));
    }

    /**
     * One received packet's messages, in order, from {@code from} (a link-local address) on
     * {@code ifname}. {@code unicast} tells whether it was sent to our address rather than to
     * the multicast group.
     */
    public void receive(String ifname, Addr from, boolean unicast, List<Message> messages, long now) {
        Interface ifc = interfaces.get(ifname);
        if (ifc == null || !ifc.up || stopped)
            return;
        if (from.equals(ifc.linkLocal))
            return; // our own multicast, looped back
        Neighbour n = ifc.neighbour(from);
        if (n == null) {
            n = new Neighbour(ifc, from);
            ifc.neighbours.add(n);
        }
        long helloTs = Message.NO_TIMESTAMP;
        Ihu rttIhu = null;
        for (Message m : messages) {
            if (m instanceof Hello h) {
                boolean changed = (h.unicast() ? n.uhello : n.hello).update(h.seqno(), h.interval(), now);
                if (h.timestamp() != Message.NO_TIMESTAMP) {
                    helloTs = h.timestamp();
                    n.helloSendUs = h.timestamp();
                    n.helloRttReceiveUs = micros(now);
                }
                int r = n.hello.reach;
                if ((r & 0xBF00) == 0x8000)
                    ifc.nextHello = Math.min(ifc.nextHello, now); // a new neighbour: answer soon
                if (!h.unicast() && (r & 0xFF00) == 0x8000)
                    // Its first Hello (new, or back after 7 silent intervals): ask it for its
                    // routes now rather than wait for its next periodic update (up to 4 x hello
                    // away), since the request it sent when it came up may have reached us before
                    // we ran Babel here (a tunnel's ends start at different times). babeld asks at
                    // the second Hello; RFC 8966 3.8.1.1 lets a node send a wildcard request at any time.
                    out.send(ifc.name, n.address, new RouteRequest(null, null));
                if (changed)
                    neighbourCostChanged(n, now);
            } else if (m instanceof Ihu ihu) {
                if (ihu.address() == null || ihu.address().equals(ifc.linkLocal)) {
                    n.txcost = ihu.rxcost();
                    n.ihuTime = now;
                    n.ihuInterval = ihu.interval();
                    if (ihu.origin() != Message.NO_TIMESTAMP)
                        rttIhu = ihu;
                    neighbourCostChanged(n, now);
                }
            } else if (m instanceof Update u) {
                handleUpdate(n, u, now);
            } else if (m instanceof RouteRequest rr) {
                handleRouteRequest(n, rr, now);
            } else if (m instanceof SeqnoRequest sr) {
                handleSeqnoRequest(n, sr, now);
            } else if (m instanceof AckRequest ar) {
                out.send(ifc.name, n.address, new Ack(ar.nonce()));
            } // Ack, MAC, PC, challenges: handled outside the core
        }
        if (rttIhu != null && helloTs != Message.NO_TIMESTAMP && ifc.settings.timestamps()) {
            if (n.rttSample(rttIhu.origin(), rttIhu.receive(), helloTs, micros(now), now))
                neighbourCostChanged(n, now);
        }
    }

    /** Our timestamp clock (RFC 9616): microseconds modulo 2^32 of the monotonic nanosecond clock. */
    public static long micros(long now) {
        return (now / 1000) & 0xFFFFFFFFL;
    }

    private void handleUpdate(Neighbour n, Update u, long now) {
        stats.updatesReceived++;
        if (u.isWildcard()) {
            if (u.isRetraction())
                for (Route r : new ArrayList<>(n.routes))
                    retract(r, now);
            return;
        }
        if (u.routerId() == routerId) {
            stats.ownRouterId++;
            return;
        }
        if (Martians.isMartian(u.prefix()) || u.source() != null && (Martians.isMartian(u.source())
                || u.source().isV4() != u.prefix().isV4())) {
            stats.martians++;
            return;
        }
        int add = u.isRetraction() ? 0 : filter.addMetric(u.prefix(), u.source(), u.routerId(), n);
        if (add >= INFINITY)
            return;
        Addr nextHop = u.nextHop() != null ? u.nextHop() : n.address;
        updateRoute(n, u.prefix(), u.source(), u.routerId(), u.seqno(), u.metric(), u.interval(), nextHop, add, now);
        satisfyRequests(u, now);
    }

    private void updateRoute(Neighbour n, Prefix prefix, Prefix src, long id, int useqno, int refmetric, int interval,
            Addr nextHop, int add, long now) {
        Source source = findSource(prefix, src, id);
        if (source == null)
            source = newSource(prefix, src, id, useqno, now);
        boolean feasible = source.feasible(useqno, refmetric, now);
        long holdNs = Math.max(interval * 60L, 15_000L) * MS; // babeld: 6 x the update interval, at least 15 s
        Route r = table.find(prefix, src, n);
        if (r != null) {
            Source oldSource = r.source;
            int oldMetric = r.metric();
            boolean wasInstalled = r.installed;
            boolean lost = false;
            if (!feasible && r.installed) {
                stats.unfeasible++;
                if (source != r.source) {
                    uninstall(r, now);
                    lost = true;
                }
            }
            metricWillChange(r, now);
            r.source = source;
            // babeld 1.8.1+ (no keep-unfeasible): every finite update refreshes the route, feasible or
            // not, so an unfeasible alternative stays alive (not old, not retracted) while its
            // neighbour keeps announcing it, ready when the installed route goes
            if (refmetric < INFINITY) {
                r.time = now;
                r.retractedAt = Long.MIN_VALUE;
            } else if (refmetric >= INFINITY && r.retractedAt == Long.MIN_VALUE) {
                r.retractedAt = now;
            }
            r.seqno = useqno;
            r.refmetric = refmetric;
            r.cost = n.cost(now);
            r.addMetric = add;
            r.holdNs = holdNs;
            noteExpiry(r);
            boolean nextHopChanged = !nextHop.equals(r.nextHop);
            r.nextHop = nextHop;
            if (r.installed && nextHopChanged)
                out.install(kernelRoute(r));
            routeChanged(r, oldSource, oldMetric, now);
            if (!lost)
                lost = wasInstalled && r.entry.installed == null;
            if (lost)
                routeLost(oldSource, oldMetric, now);
            else if (!feasible)
                // babeld: send_unfeasible_request(neigh, route_old(route), ...). An unfeasible update is
                // finite (a retraction is always feasible), so r.time was just refreshed and r.old(now)
                // is false here: the request is forced for no route, only sent if the installed route
                // is missing or 512 worse. (Before the refresh above, unfeasible alternatives aged, were
                // all old about 7/8 of the hold time into a run, and each periodic update of every
                // farther neighbour forced a seqno request to the source: a flood.)
                sendUnfeasibleRequest(n, r.old(now), useqno, r.metric(), source, now);
        } else {
            if (refmetric >= INFINITY)
                return; // a retraction of something we never learned
            if (!feasible) {
                stats.unfeasible++;
                sendUnfeasibleRequest(n, false, useqno, Math.min(refmetric + n.cost(now), INFINITY), source, now);
            }
            RouteTable.Entry e = table.entryOrCreate(prefix, src);
            r = table.add(e, n);
            r.source = source;
            r.nextHop = nextHop;
            r.refmetric = refmetric;
            r.cost = n.cost(now);
            r.addMetric = add;
            r.seqno = useqno;
            r.time = now;
            r.holdNs = holdNs;
            r.smoothed = r.metric();
            r.smoothedTime = now;
            noteExpiry(r);
            routeChanged(r, source, INFINITY, now);
        }
    }

    private Source findSource(Prefix prefix, Prefix src, long id) {
        List<Source> l = sourcesFor(prefix, src);
        for (int i = 0, n = l.size(); i < n; i++)
            if (l.get(i).routerId == id)
                return l.get(i);
        return null;
    }

    private List<Source> sourcesFor(Prefix prefix, Prefix src) {
        List<Source> l = sources.get(new RouteTable.Key(prefix, src));
        return l == null ? Collections.emptyList() : l;
    }

    private Source newSource(Prefix prefix, Prefix src, long id, int useqno, long now) {
        // A new source has no feasibility distance yet: INFINITY makes any finite update feasible.
        Source s = new Source(prefix, src, id, useqno, INFINITY, now);
        sources.computeIfAbsent(new RouteTable.Key(prefix, src), x -> new ArrayList<>(1)).add(s);
        if (nextSourceGc == Long.MAX_VALUE)
            nextSourceGc = now + 30_000 * MS;
        return s;
    }

    /** Forgets sources unused for {@link Source#GC_NS} that no route refers to. */
    private void collectSources(long now) {
        for (var it = sources.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            RouteTable.Entry entry = table.entry(e.getKey().prefix(), e.getKey().src());
            e.getValue().removeIf(s -> now - s.time > Source.GC_NS && !usedBy(entry, s));
            if (e.getValue().isEmpty())
                it.remove();
        }
    }

    private static boolean usedBy(RouteTable.Entry entry, Source s) {
        if (entry != null)
            for (Route r : entry.routes)
                if (r.source == s)
                    return true;
        return false;
    }

    private void retract(Route r, long now) {
        if (r.refmetric >= INFINITY)
            return;
        int oldMetric = r.metric();
        metricWillChange(r, now);
        r.refmetric = INFINITY;
        r.retractedAt = now;
        noteExpiry(r);
        routeChanged(r, r.source, oldMetric, now);
    }

    // ================================================================ selection

    /**
     * The best feasible route for the entry (lowest smoothed metric), excluding one neighbour and
     * every neighbour on a down interface: interfaceDown flushes those one after the other, and
     * the route must not move to the next one to be flushed (a replace through a dead interface).
     */
    private Route best(RouteTable.Entry e, long now, Neighbour exclude) {
        Route best = null;
        int bestMetric = INFINITY;
        for (Route r : e.routes) {
            if (r.neighbour == exclude || !r.neighbour.ifc.up || !r.feasible(now))
                continue;
            int m = r.smoothedMetric(now, halfLifeNs);
            if (r.metric() < INFINITY && (best == null || m < bestMetric)) {
                best = r;
                bestMetric = m;
            }
        }
        return best;
    }

    /** babeld's consider_route: install {@code r} if it is better than what is installed. */
    private void consider(Route r, long now) {
        if (r.installed || !r.feasible(now))
            return;
        RouteTable.Entry e = r.entry;
        if (xroutes.containsKey(new RouteTable.Key(e.prefix, e.src)))
            return;
        Route installed = e.installed;
        if (installed != null) {
            if (r.metric() >= INFINITY)
                return;
            if (installed.metric() < INFINITY && !(installed.metric() >= r.metric()
                    && installed.smoothedMetric(now, halfLifeNs) > r.smoothedMetric(now, halfLifeNs)))
                return;
        } else if (r.metric() >= INFINITY) {
            return;
        }
        switchRoutes(installed, r, now);
        if (installed != null)
            triggeredUpdate(r, installed.source, installed.metric(), now);
        else
            sendUpdateAll(e.prefix, e.src, now);
    }

    private void switchRoutes(Route from, Route to, long now) {
        if (from != null)
            from.installed = false;
        to.installed = true;
        to.entry.installed = to;
        noteExpiry(to); // an installed route is refreshed before it expires: due sooner
        stats.routeChanges++;
        out.install(kernelRoute(to));
    }

    private void uninstall(Route r, long now) {
        if (!r.installed)
            return;
        r.installed = false;
        r.entry.installed = null;
        stats.routeChanges++;
        out.uninstall(kernelRoute(r));
    }

    KernelRoute kernelRoute(Route r) {
        return new KernelRoute(r.entry.prefix, r.entry.src, r.neighbour.ifc.name, r.nextHop, r.metric() >= INFINITY,
                r.source.routerId);
    }

    /** babeld's route_changed: after a route's metric or source changed. */
    private void routeChanged(Route r, Source oldSource, int oldMetric, long now) {
        int m = r.metric();
        if (r.installed) {
            if ((m >= INFINITY) != (oldMetric >= INFINITY))
                out.install(kernelRoute(r)); // unicast <-> unreachable
            if (m > oldMetric) {
                Route better = best(r.entry, now, null);
                if (better != null && better != r && better.metric() < m)
                    consider(better, now);
            }
            if (r.installed)
                triggeredUpdate(r, oldSource, oldMetric, now);
        } else {
            consider(r, now);
        }
    }

    /** babeld's route_lost: the installed route for a destination went away. */
    private void routeLost(Source src, int oldMetric, long now) {
        RouteTable.Entry e = table.entry(src.prefix, src.src);
        Route alt = e == null ? null : best(e, now, null);
        if (alt != null) {
            consider(alt, now);
        } else if (oldMetric < INFINITY) {
            // Avoid a blackhole: tell the neighbours, then ask for a newer seqno (starvation recovery).
            sendRetraction(src.prefix, src.src, src.routerId, src.seqno);
            resendUpdate(src.prefix, src.src, now);
            if (oldMetric <= INFINITY / 2)
                sendSeqnoRequest(null, src.prefix, src.src,
                        src.metric >= INFINITY ? src.seqno : Seqno.plus(src.seqno, 1), src.routerId, DEFAULT_HOP_COUNT, now);
        }
    }

    private void triggeredUpdate(Route r, Source oldSource, int oldMetric, long now) {
        if (!r.installed)
            return;
        int m = r.metric();
        int diff = Math.abs(m - oldMetric);
        // babeld's rules for which changes are worth announcing (it also marks some "urgent" to
        // resend them; we send once).
        boolean announce = r.source != oldSource || (oldMetric < INFINITY && m >= INFINITY)
                || (m > oldMetric && oldMetric < 6 * 256 && diff >= 512)
                || satisfiesPending(r) // someone asked for this seqno: pass it on
                || (oldMetric >= INFINITY && m < INFINITY)
                || (m >= oldMetric || diff >= 1024) && diff >= 384; // not a small change, nor a small improvement
        if (!announce)
            return;
        sendUpdateAll(r.entry.prefix, r.entry.src, now);
        if (r.source != oldSource || (oldMetric < INFINITY && m >= INFINITY))
            resendUpdate(r.entry.prefix, r.entry.src, now);
        // babeld 1.12.1: send_multicast_request(NULL, prefix, plen, src_prefix, src_plen), a plain
        // route request (MESSAGE_REQUEST) on every up interface, after the update: a neighbour with
        // a better route answers with an update. Not a seqno request: that made the source bump
        // its seqno and flood the network at every metric rise.
        if (oldMetric < INFINITY && m >= oldMetric + 288)
            for (Interface ifc : upInterfaces())
                out.send(ifc.name, null, new RouteRequest(r.entry.prefix, r.entry.src));
    }

    private void neighbourCostChanged(Neighbour n, long now) {
        int cost = n.cost(now);
        if (cost == n.cachedCost)
            return;
        n.cachedCost = cost;
        for (Route r : n.routes) { // nothing below adds or removes routes
            if (r.cost == cost)
                continue;
            int old = r.metric();
            metricWillChange(r, now);
            r.cost = cost;
            boolean wasInstalled = r.installed;
            routeChanged(r, r.source, old, now);
            if (wasInstalled && r.entry.installed == null)
                routeLost(r.source, old, now);
        }
    }

    /**
     * Forgets a neighbour (gone silent, or its interface went down) and its routes. An installed
     * route with a feasible alternative through another neighbour is switched to it by one
     * kernel replace, so the destination is never without a route; the others are lost as
     * babeld loses them (retraction, seqno request).
     */
    private void flushNeighbour(Neighbour n, long now) {
        stats.neighboursFlushed++;
        for (Route r : new ArrayList<>(n.routes)) {
            boolean wasInstalled = r.installed;
            int old = r.metric();
            Source src = r.source;
            if (wasInstalled) {
                Route alt = best(r.entry, now, n);
                if (alt != null) {
                    switchRoutes(r, alt, now);
                    table.remove(r);
                    triggeredUpdate(alt, src, old, now);
                    continue;
                }
                uninstall(r, now);
            }
            table.remove(r);
            if (wasInstalled)
                routeLost(src, old, now);
        }
        n.ifc.neighbours.remove(n);
    }

    // ================================================================ requests

    private void handleRouteRequest(Neighbour n, RouteRequest rr, long now) {
        stats.requestsReceived++;
        Interface ifc = n.ifc;
        if (rr.prefix() == null) {
            sendIhu(ifc, n, now);
            long minGap = Math.max(ifc.settings.helloInterval(), 1000) * MS;
            if (ifc.lastFullUpdate == Long.MIN_VALUE || now - ifc.lastFullUpdate >= minGap)
                ifc.nextUpdate = now; // a full update at the next tick
            return;
        }
        sendUpdate(ifc, rr.prefix(), rr.source(), now);
    }

    private void handleSeqnoRequest(Neighbour n, SeqnoRequest sr, long now) {
        stats.requestsReceived++;
        RouteTable.Key k = new RouteTable.Key(sr.prefix(), sr.source());
        if (xroutes.containsKey(k)) {
            if (sr.routerId() == routerId && Seqno.compare(sr.seqno(), seqno) > 0) {
                if (Seqno.minus(sr.seqno(), seqno) > 100)
                    return; // hopelessly out of date (babeld ignores these too)
                seqno = Seqno.plus(seqno, 1);
            }
            sendUpdate(n.ifc, sr.prefix(), sr.source(), now);
            return;
        }
        RouteTable.Entry e = table.entry(sr.prefix(), sr.source());
        Route installed = e == null ? null : e.installed;
        if (installed != null && installed.metric() < INFINITY
                && (installed.source.routerId != sr.routerId() || Seqno.compare(sr.seqno(), installed.seqno) <= 0)) {
            sendUpdate(n.ifc, sr.prefix(), sr.source(), now); // we can satisfy it ourselves
            return;
        }
        if (sr.hopCount() <= 1)
            return;
        if (installed != null && installed.source.routerId == sr.routerId()
                && Seqno.minus(sr.seqno(), installed.seqno) > 100)
            return; // hopelessly out of date
        Neighbour successor = installed != null ? installed.neighbour : null;
        if (successor == null || successor == n) {
            Route other = e == null ? null : best(e, now, n);
            if (other == null || other.neighbour == n)
                return;
            successor = other.neighbour;
        }
        PendingRequest p = requests.get(k);
        if (p != null && p.routerId == sr.routerId() && Seqno.compare(p.seqno, sr.seqno()) >= 0
                && now - p.sentAt < 2 * resendBaseNs(successor.ifc))
            return; // duplicate: already forwarded recently
        stats.requestsForwarded++;
        sendSeqnoRequest(successor, sr.prefix(), sr.source(), sr.seqno(), sr.routerId(), sr.hopCount() - 1, now);
    }

    private void sendUnfeasibleRequest(Neighbour n, boolean force, int useqno, int metric, Source src, long now) {
        RouteTable.Entry e = table.entry(src.prefix, src.src);
        Route installed = e == null ? null : e.installed;
        if (Seqno.minus(src.seqno, useqno) > 100)
            return; // a source that lost its seqno: let it time out
        if (force || installed == null || installed.metric() >= metric + 512)
            sendSeqnoRequest(n, src.prefix, src.src, src.metric >= INFINITY ? src.seqno : Seqno.plus(src.seqno, 1),
                    src.routerId, DEFAULT_HOP_COUNT, now);
    }

    /** Sends (and schedules resends of) a seqno request, to one neighbour or on every interface. */
    private void sendSeqnoRequest(Neighbour to, Prefix prefix, Prefix src, int wanted, long id, int hops, long now) {
        RouteTable.Key k = new RouteTable.Key(prefix, src);
        PendingRequest p = requests.get(k);
        if (p == null) {
            p = new PendingRequest(prefix, src);
            requests.put(k, p);
        } else if (p.routerId == id && Seqno.compare(p.seqno, wanted) >= 0 && p.to == to && !p.resend.done()) {
            return; // the same request is already pending
        }
        p.seqno = wanted;
        p.routerId = id;
        p.hopCount = hops;
        p.to = to;
        p.sentAt = now;
        p.resend.start(now, to != null ? resendBaseNs(to.ifc) : minResendBase());
        nextRequestEvent = Math.min(nextRequestEvent, p.resend.next());
        transmit(p);
    }

    /** Resends our update for a destination twice more, at doubling intervals (babeld's urgent updates). */
    private void resendUpdate(Prefix prefix, Prefix src, long now) {
        UpdateResend u = updateResends.computeIfAbsent(new RouteTable.Key(prefix, src),
                k -> new UpdateResend(prefix, src, new Resend()));
        u.resend.start(now, minResendBase());
        nextRequestEvent = Math.min(nextRequestEvent, u.resend.next());
    }

    private void transmit(PendingRequest p) {
        SeqnoRequest m = new SeqnoRequest(p.prefix, p.src, p.seqno, p.hopCount, p.routerId);
        if (p.to != null)
            out.send(p.to.ifc.name, p.to.address, m);
        else
            for (Interface ifc : upInterfaces())
                out.send(ifc.name, null, m);
    }

    private long resendBaseNs(Interface ifc) {
        return Math.max(Math.min(2000, ifc.settings.helloInterval() / 2), 20) * MS;
    }

    private long minResendBase() {
        long m = 2000 * MS;
        for (Interface ifc : interfaces.values())
            m = Math.min(m, resendBaseNs(ifc));
        return m;
    }

    private boolean satisfiesPending(Route r) {
        if (requests.isEmpty())
            return false;
        PendingRequest p = requests.get(new RouteTable.Key(r.entry.prefix, r.entry.src));
        return p != null && r.metric() < INFINITY
                && (r.source.routerId != p.routerId || Seqno.compare(r.seqno, p.seqno) >= 0);
    }

    private void satisfyRequests(Update u, long now) {
        if (requests.isEmpty())
            return;
        RouteTable.Key k = new RouteTable.Key(u.prefix(), u.source());
        PendingRequest p = requests.get(k);
        if (p != null && (u.routerId() != p.routerId || Seqno.compare(u.seqno(), p.seqno) >= 0) && !u.isRetraction())
            requests.remove(k);
    }

    // ================================================================ sending

    private List<Interface> upInterfaces() {
        List<Interface> l = new ArrayList<>(interfaces.size());
        for (Interface ifc : interfaces.values())
            if (ifc.up)
                l.add(ifc);
        return l;
    }

    private static int updateCs(Interface ifc) {
        return Math.min(ifc.settings.updateInterval() / 10, 0xFFFE);
    }

    private void sendHello(Interface ifc, long now) {
        ifc.helloSeqno = Seqno.plus(ifc.helloSeqno, 1);
        long ts = ifc.settings.timestamps() ? micros(now) : Message.NO_TIMESTAMP;
        out.send(ifc.name, null, new Hello(false, ifc.helloSeqno, ifc.settings.helloInterval() / 10, ts));
        // IHUs ride with Hellos: with every Hello when measuring RTT (the IHU must share the
        // Hello's packet), else with every third.
        if (ifc.settings.timestamps() || ++ifc.hellosSinceIhu >= 3) {
            ifc.hellosSinceIhu = 0;
            for (Neighbour n : ifc.neighbours)
                sendIhu(ifc, n, now);
        } else {
            // babeld's marginal IHUs: a new or lossy neighbour, or one that does not hear us
            // well, gets one with every Hello (a new neighbour learns its cost at once).
            for (Neighbour n : ifc.neighbours)
                if (n.txcost >= 384 || (n.hello.reach & 0xF000) != 0xF000)
                    sendIhu(ifc, n, now);
        }
        ifc.nextHello = now + jitter(ifc.settings.helloInterval());
    }

    private void sendIhu(Interface ifc, Neighbour n, long now) {
        int rx = n.rxcost(now);
        int interval = ifc.settings.helloInterval() / 10 * (ifc.settings.timestamps() ? 1 : 3);
        long origin = Message.NO_TIMESTAMP, receive = Message.NO_TIMESTAMP;
        if (ifc.settings.timestamps() && n.helloSendUs != Message.NO_TIMESTAMP) {
            origin = n.helloSendUs;
            receive = n.helloRttReceiveUs;
        }
        out.send(ifc.name, null, new Ihu(n.address, rx, Math.min(interval, 0xFFFF), origin, receive));
    }

    /** The update for one destination on one interface: ours, the installed route, or a retraction. */
    private void sendUpdate(Interface ifc, Prefix prefix, Prefix src, long now) {
        Update u = updateFor(ifc, prefix, src, now);
        if (u != null)
            out.send(ifc.name, null, u);
    }

    private void sendUpdateAll(Prefix prefix, Prefix src, long now) {
        for (Interface ifc : upInterfaces())
            sendUpdate(ifc, prefix, src, now);
    }

    private Update updateFor(Interface ifc, Prefix prefix, Prefix src, long now) {
        Addr nh = prefix.isV4() ? ifc.ipv4 : null;
        if (prefix.isV4() && nh == null)
            return null; // no IPv4 address here to be the next hop
        XRoute x = xroutes.get(new RouteTable.Key(prefix, src));
        if (x != null)
            return new Update(prefix, src, routerId, nh, seqno, x.metric(), updateCs(ifc));
        RouteTable.Entry e = table.entry(prefix, src);
        Route r = e == null ? null : e.installed;
        if (r != null) {
            int m = r.metric();
            r.source.advertised(r.seqno, m, now);
            return new Update(prefix, src, r.source.routerId, nh, r.seqno, m, updateCs(ifc));
        }
        List<Source> known = sourcesFor(prefix, src);
        Source s = known.isEmpty() ? null : known.get(0);
        return retraction(ifc, prefix, src, s != null ? s.routerId : routerId, s != null ? s.seqno : seqno);
    }

    /** A retraction for one interface; null for an IPv4 prefix where we have no IPv4 next hop. */
    private static Update retraction(Interface ifc, Prefix prefix, Prefix src, long id, int rseqno) {
        Addr nh = prefix.isV4() ? ifc.ipv4 : null;
        if (prefix.isV4() && nh == null)
            return null;
        return new Update(prefix, src, id, nh, rseqno, INFINITY, updateCs(ifc));
    }

    private void sendRetraction(Prefix prefix, Prefix src, long id, int rseqno) {
        for (Interface ifc : upInterfaces()) {
            Update u = retraction(ifc, prefix, src, id, rseqno);
            if (u != null)
                out.send(ifc.name, null, u);
        }
    }

    private void sendFullUpdate(Interface ifc, long now) {
        for (XRoute x : xroutes.values())
            sendUpdate(ifc, x.prefix(), x.src(), now);
        for (RouteTable.Entry e : table.entries())
            if (e.installed != null && !xroutes.containsKey(new RouteTable.Key(e.prefix, e.src)))
                sendUpdate(ifc, e.prefix, e.src, now);
        ifc.lastFullUpdate = now;
        ifc.nextUpdate = now + jitter(ifc.settings.updateInterval());
    }

    /** roughly(v) of babeld: uniform in [0.75 v, 1.25 v), in ns. */
    private long jitter(int ms) {
        return (long) (ms * MS * (0.75 + 0.5 * random.nextDouble()));
    }

    // ================================================================ time

    /** Runs every timer that is due. Call at {@link #nextTimer()} at the latest. */
    public void tick(long now) {
        if (stopped)
            return;
        for (Interface ifc : interfaces.values()) {
            if (!ifc.up)
                continue;
            if (now - ifc.nextHello >= 0)
                sendHello(ifc, now);
            if (now - ifc.nextUpdate >= 0)
                sendFullUpdate(ifc, now);
        }
        if (now - nextNeighbourCheck >= 0)
            checkNeighbours(now);
        if (now - nextExpiry >= 0)
            expireRoutes(now);
        if (now - nextSmoothing >= 0)
            smoothRoutes(now);
        if (now - nextSourceGc >= 0) {
            collectSources(now);
            nextSourceGc = sources.isEmpty() ? Long.MAX_VALUE : now + 30_000 * MS;
        }
        if (now - nextRequestEvent >= 0)
            resendRequests(now);
    }

    /** The earliest time {@link #tick} has work to do. */
    public long nextTimer() {
        if (stopped)
            return Long.MAX_VALUE; // tick does nothing any more: no timer is due (a caller would spin)
        long t = Long.MAX_VALUE;
        for (Interface ifc : interfaces.values()) {
            if (!ifc.up)
                continue;
            t = Math.min(t, Math.min(ifc.nextHello, ifc.nextUpdate));
        }
        t = Math.min(t, Math.min(nextNeighbourCheck, nextExpiry));
        t = Math.min(t, Math.min(nextSmoothing, nextSourceGc));
        return Math.min(t, nextRequestEvent);
    }

    private void checkNeighbours(long now) {
        long next = Long.MAX_VALUE;
        for (Interface ifc : upInterfaces()) {
            for (Neighbour n : new ArrayList<>(ifc.neighbours)) {
                boolean changed = n.hello.update(-1, 0, now);
                changed |= n.uhello.update(-1, 0, now);
                if (n.ihuInterval > 0 && n.ihuTime != Long.MIN_VALUE
                        && now - n.ihuTime > n.ihuInterval * 10L * 3 * MS && n.txcost < INFINITY) {
                    n.txcost = INFINITY;
                    changed = true;
                }
                boolean gone = silent(n.hello, now) && silent(n.uhello, now);
                if (gone) {
                    flushNeighbour(n, now);
                    continue;
                }
                if (changed)
                    neighbourCostChanged(n, now);
                int hi = n.hello.interval > 0 ? n.hello.interval * 10 : ifc.settings.helloInterval();
                next = Math.min(next, now + Math.max(hi, 10) * MS / 2);
            }
            next = Math.min(next, now + ifc.settings.helloInterval() * MS);
        }
        nextNeighbourCheck = next;
    }

    /** babeld flushes a neighbour when both histories are empty or older than 300 s. */
    private static boolean silent(HelloHistory h, long now) {
        return h.reach == 0 || !h.heard() || now - h.time > Neighbour.SILENCE_LIMIT_NS;
    }

    /**
     * Route expiry, when a route is due ({@link Route#expiryDue}) and at most once a second
     * (babeld: every ~30 s): one pass over the table that only collects, then the changes.
     * Retracts routes not refreshed within their hold time, asks the neighbour for a refresh at
     * 7/8 of it, flushes retracted routes after a while.
     */
    private void expireRoutes(long now) {
        lastExpiryScan = now;
        expiryScanned = true;
        List<Route> flush = new ArrayList<>(), retract = new ArrayList<>(), refresh = new ArrayList<>();
        long next = Long.MAX_VALUE;
        for (RouteTable.Entry e : table.entries()) {
            for (Route r : e.routes) {
                if (r.refmetric >= INFINITY) {
                    long since = r.retractedAt == Long.MIN_VALUE ? r.time : r.retractedAt;
                    if (now - since > r.keepRetractedNs() || now - r.time > 2 * r.holdNs) {
                        flush.add(r);
                        continue;
                    }
                } else if (r.expired(now)) {
                    retract.add(r);
                    continue;
                } else if (r.installed && r.old(now)
                        && (r.refreshAsked == Long.MIN_VALUE || now - r.refreshAsked > r.holdNs / 16)) {
                    refresh.add(r);
                    continue;
                }
                next = Math.min(next, r.expiryDue());
            }
        }
        nextExpiry = Long.MAX_VALUE; // the changes below note what they make due
        for (Route r : flush)
            flushRoute(r, now);
        for (Route r : retract)
            retract(r, now);
        for (Route r : refresh) {
            r.refreshAsked = now;
            noteExpiry(r);
            out.send(r.neighbour.ifc.name, r.neighbour.address, new RouteRequest(r.entry.prefix, r.entry.src));
        }
        nextExpiry = Math.min(nextExpiry, next == Long.MAX_VALUE ? next : Math.max(next, now + 1000 * MS));
    }

    /** {@code r} changed (updated, retracted, installed, refresh asked): the expiry scan comes when it is due, if sooner. */
    private void noteExpiry(Route r) {
        long due = r.expiryDue();
        if (expiryScanned && due - (lastExpiryScan + 1000 * MS) < 0)
            due = lastExpiryScan + 1000 * MS;
        nextExpiry = Math.min(nextExpiry, due);
    }

    /** Folds the smoothed metric in before a change; with smoothing on, the destination is watched until it settles. */
    private void metricWillChange(Route r, long now) {
        r.beforeMetricChange(now, halfLifeNs);
        if (halfLifeNs > 0 && smoothing.add(r.entry) && nextSmoothing == Long.MAX_VALUE)
            nextSmoothing = now + 1000 * MS;
    }

    /**
     * Once a second while metrics are being smoothed: smoothed metrics move with time alone, so
     * a better route whose smoothed metric has just passed the installed one's is taken now,
     * not at the next update. A destination is checked one last time when it has settled (every
     * smoothed metric equal to its metric), then left alone.
     */
    private void smoothRoutes(long now) {
        List<Route> better = new ArrayList<>();
        for (var it = smoothing.iterator(); it.hasNext(); ) {
            RouteTable.Entry e = it.next();
            if (table.entry(e.prefix, e.src) != e) {
                it.remove(); // gone from the table
                continue;
            }
            if (e.installed != null && e.routes.size() > 1) {
                Route b = best(e, now, null);
                if (b != null && b != e.installed)
                    better.add(b);
            }
            if (settled(e, now))
                it.remove();
        }
        for (Route r : better)
            if (table.entry(r.entry.prefix, r.entry.src) == r.entry && r.entry.routes.contains(r))
                consider(r, now);
        nextSmoothing = smoothing.isEmpty() ? Long.MAX_VALUE : now + 1000 * MS;
    }

    private boolean settled(RouteTable.Entry e, long now) {
        for (Route r : e.routes)
            if (r.smoothedMetric(now, halfLifeNs) != r.metric())
                return false;
        return true;
    }

    private void flushRoute(Route r, long now) {
        boolean wasInstalled = r.installed;
        int old = r.metric();
        Source src = r.source;
        if (wasInstalled)
            uninstall(r, now);
        table.remove(r);
        if (wasInstalled)
            routeLost(src, old, now);
    }

    private void resendRequests(long now) {
        long next = Long.MAX_VALUE;
        for (var it = requests.values().iterator(); it.hasNext(); ) {
            PendingRequest p = it.next();
            if (p.resend.done()) {
                if (now - p.sentAt > 30_000 * MS)
                    it.remove();
                else
                    next = Math.min(next, p.sentAt + 30_000 * MS + 1);
                continue;
            }
            if (p.resend.due(now))
                transmit(p);
            next = Math.min(next, !p.resend.done() ? p.resend.next() : p.sentAt + 30_000 * MS + 1);
        }
        for (var it = updateResends.values().iterator(); it.hasNext(); ) {
            UpdateResend u = it.next();
            if (u.resend.due(now))
                sendUpdateAll(u.prefix, u.src, now);
            if (u.resend.done())
                it.remove();
            else
                next = Math.min(next, u.resend.next());
        }
        nextRequestEvent = next;
    }

    // ================================================================ shutdown

    /** Graceful stop: a wildcard retraction on every interface, and every kernel route removed. */
    public void shutdown(long now) {
        for (Interface ifc : upInterfaces())
            out.send(ifc.name, null, new Update(null, null, routerId, null, seqno, INFINITY, 0xFFFF));
        for (RouteTable.Entry e : table.entries())
            if (e.installed != null)
                out.uninstall(kernelRoute(e.installed));
        stopped = true;
    }

    // ================================================================ inspection

    public List<Neighbour> neighbours() {
        List<Neighbour> l = new ArrayList<>();
        for (Interface ifc : interfaces.values())
            l.addAll(ifc.neighbours);
        return l;
    }

    /** Every route (installed or not); a snapshot. */
    public List<Route> routes() {
        return table.all();
    }

    public Route installed(Prefix prefix, Prefix src) {
        RouteTable.Entry e = table.entry(prefix, src);
        return e == null ? null : e.installed;
    }

    public int neighbourCount() {
        int n = 0;
        for (Interface ifc : interfaces.values())
            n += ifc.neighbours.size();
        return n;
    }

    public int routeCount() {
        return table.size();
    }

    public List<String> interfaceNames() {
        return List.copyOf(interfaces.keySet());
    }

    public Addr linkLocal(String ifname) {
        return iface(ifname).linkLocal;
    }
}
