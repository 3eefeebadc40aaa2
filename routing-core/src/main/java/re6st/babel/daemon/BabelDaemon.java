package re6st.babel.daemon;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.System.Logger;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import re6st.babel.BabelRouter;
import re6st.babel.Effects;
import re6st.babel.InterfaceSettings;
import re6st.babel.KernelRoute;
import re6st.babel.config.BabelConfig;
import re6st.babel.config.InstallFilter;
import re6st.babel.config.InterfaceParameters;
import re6st.babel.config.InterfaceType;
import re6st.babel.config.RedistributeFilter;
import re6st.babel.mac.MacKey;
import re6st.babel.mac.MacPolicy;
import re6st.babel.mac.PacketProtector;
import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Prefix;
import re6st.babel.wire.PacketEncoder;
import re6st.jni.Netlink;
import re6st.jni.NetlinkEvent;
import re6st.jni.NetlinkMonitor;

/**
 * The Babel router as a process: the {@link BabelRouter} core driven by one thread, fed by the
 * UDP socket, kernel events (for redistribution) and the control socket, its outputs encoded
 * and sent, its routes put in the kernel. Everything that touches the core runs on the core
 * thread, so the core needs no locks.
 */
public final class BabelDaemon implements Effects, AutoCloseable {
    private static final Logger LOG = System.getLogger("re6st.babel");

    /** Decides what we announce: the metric for a kernel route or local address, or null not to. */
    @FunctionalInterface
    public interface Redistribution {
        Integer metric(Prefix dst, Prefix src, int proto, boolean localAddress, String ifname);
    }

    /**
     * What the daemon needs to run. Built from a {@link BabelConfig} by {@link #from}, the one
     * place where configuration statements become daemon options (the command line, the node
     * and the tests all go through it).
     */
    public record Options(long routerId, Map<String, InterfaceSettings> interfaces, int smoothingHalfLifeMs,
            int exportTable, int importTable, int kernelMetric, Path stateFile, Path pidFile, Redistribution redistribution,
            BabelRouter.InputFilter inputFilter, int port, Map<String, MacPolicy> macPolicies,
            KernelAdapter.InstallPolicy installPolicy) {

        /**
         * The options of {@code cfg} on {@code interfaces} (the configuration's own 'interface'
         * statements are not added: the caller says which interfaces run), with {@code routerId}
         * (the configuration's, or one the caller derived as babeld does).
         */
        public static Options from(BabelConfig cfg, Collection<String> interfaces, long routerId) {
            Map<String, InterfaceSettings> settings = new LinkedHashMap<>();
            Map<String, MacPolicy> macs = new LinkedHashMap<>();
            for (String name : interfaces) {
                settings.put(name, interfaceSettings(cfg, name));
                MacPolicy mac = macPolicy(cfg, name);
                if (mac != null)
                    macs.put(name, mac);
            }
            RedistributeFilter redistribute = cfg.redistribute();
            InstallFilter install = cfg.install();
            return new Options(routerId, settings, cfg.smoothingHalfLife() * 1000, cfg.exportTable(),
                    cfg.importTables().isEmpty() ? BabelConfig.RT_TABLE_MAIN : cfg.importTables().get(0),
                    cfg.kernelPriority(), cfg.stateFile().map(Path::of).orElse(null), cfg.pidFile().map(Path::of).orElse(null),
                    (dst, src, proto, local, ifname) -> {
                        RedistributeFilter.Decision d = redistribute.decide(dst, src, proto, local, ifname);
                        return d.announce() ? Integer.valueOf(d.metric()) : null;
                    }, null, cfg.protocolPort(), macs, r -> {
                        InstallFilter.Decision d = install.decide(r.prefix(), r.src(), r.routerId(), r.ifname());
                        return d.install() ? new KernelAdapter.Placement(d.table(),
                                d.prefSrc() == null ? null : d.prefSrc().toInetAddress()) : null;
                    });
        }

        /** The same with the command line's -S, -I and -p, where given (null: the configuration's). */
        public Options withOverrides(Path stateFile, Path pidFile, Integer port) {
            return new Options(routerId, interfaces, smoothingHalfLifeMs, exportTable, importTable, kernelMetric,
                    stateFile != null ? stateFile : this.stateFile, pidFile != null ? pidFile : this.pidFile, redistribution,
                    inputFilter, port != null ? port : this.port, macPolicies, installPolicy);
        }

        /** How Babel runs on {@code name} under {@code cfg} (also for an interface added at run time). */
        public static InterfaceSettings interfaceSettings(BabelConfig cfg, String name) {
            InterfaceParameters p = cfg.interfaceParameters(name);
            InterfaceSettings.Type t = p.type() == InterfaceType.TUNNEL ? InterfaceSettings.Type.TUNNEL : InterfaceSettings.Type.WIRED;
            int rttMax = p.rttMax() > p.rttMin() ? p.rttMax() : p.rttMin() + 10_000;
            return new InterfaceSettings(t, p.helloInterval(), p.updateInterval(), p.rxcost(), p.timestamps(), p.rttMin(),
                    rttMax, p.maxRttPenalty(), p.rttDecay());
        }

        /** The MAC keys of {@code name} under {@code cfg}, null without a key. */
        public static MacPolicy macPolicy(BabelConfig cfg, String name) {
            InterfaceParameters p = cfg.interfaceParameters(name);
            return p.key() == null ? null : MacPolicy.of(p.key()).withAcceptBadSignatures(p.acceptBadSignatures());
        }
    }

    private final Options opts;
    private final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private final Map<List<Object>, List<Message>> outbox = new LinkedHashMap<>();
    private final Map<String, Integer> ifindex = new HashMap<>();
    private final Map<Integer, String> ifname = new java.util.concurrent.ConcurrentHashMap<>(); // read by the receive thread
    private final Map<String, PacketProtector> protectors = new HashMap<>();
    private final Map<String, PacketProtector.Sink> sinks = new HashMap<>();
    private final Map<String, java.nio.channels.MembershipKey> memberships = new HashMap<>();
    private static final Addr GROUP = Addr.parse("ff02::1:6");
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final DaemonStats stats = new DaemonStats();
    private BabelRouter core;
    private BabelSocket socket;
    private Netlink netlink;
    private KernelAdapter kernel;
    private NetlinkMonitor monitor;
    private volatile boolean running = true;
    private final List<Thread> threads = new ArrayList<>();
    private final Map<List<Prefix>, Map<Boolean, Integer>> announced = new HashMap<>();
    private final List<Runnable> afterStep = new ArrayList<>();

    public BabelDaemon(Options opts) {
        this.opts = opts;
    }

    public DaemonStats stats() {
        return stats;
    }

    /** Opens everything and returns; the core runs on its own thread until {@link #close}. */
    public void start() throws IOException {
        int seqno = initialSeqno();
        netlink = Netlink.open();
        kernel = new KernelAdapter(netlink, opts.exportTable(), opts.kernelMetric());
        if (opts.installPolicy() != null)
            kernel.setInstallPolicy(opts.installPolicy());
        kernel.flushStale();
        socket = new BabelSocket(opts.port());
        core = new BabelRouter(opts.routerId(), seqno, opts.smoothingHalfLifeMs(), new SecureRandom(), this);
        if (opts.inputFilter() != null)
            core.setInputFilter(opts.inputFilter());
        long now = System.nanoTime();
        for (Map.Entry<String, InterfaceSettings> e : opts.interfaces().entrySet())
            attach(e.getKey(), e.getValue(), opts.macPolicies() == null ? null : opts.macPolicies().get(e.getKey()), now);
        if (opts.pidFile() != null)
            Files.writeString(opts.pidFile(), ProcessHandle.current().pid() + "\n");
        redistributeInitial(now);
        flushOutbox();
        threads.add(thread("babel-rx", this::receiveLoop));
        monitor = NetlinkMonitor.open();
        threads.add(thread("babel-netlink", this::monitorLoop));
        threads.add(thread("babel-core", this::coreLoop));
        LOG.log(Level.INFO, "router-id {0}, seqno {1}", re6st.babel.RouterId.format(opts.routerId()), seqno);
    }

    private Thread thread(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Starts Babel on one more interface while running (a tunnel came up): Hellos and a route
     * request go out at once. Thread-safe; waits until it is done (an exception says why not:
     * no such interface, no link-local address yet, already running there).
     */
    public void addInterface(String name, InterfaceSettings settings, MacPolicy mac) throws Exception {
        call(core -> {
            try {
                attach(name, settings, mac, System.nanoTime());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("babel on " + name + ": " + e.getMessage(), e);
            }
            return null;
        });
    }

    /**
     * Core-thread (or pre-start) part of adding an interface. What the kernel knows of it comes
     * from netlink, which answers for the daemon's namespace whatever thread asks.
     */
    private void attach(String name, InterfaceSettings settings, MacPolicy mac, long now) throws IOException {
        if (core.hasInterface(name))
            throw new IllegalArgumentException("babel already runs on " + name);
        int idx = netlink.index(name);
        Addr ll = null, v4 = null;
        for (NetlinkEvent.AddressChanged a : netlink.addresses(Netlink.AF_UNSPEC, idx)) {
            Addr addr = Addr.of(a.address().address().getAddress());
            if (ll == null && !addr.isV4() && addr.isLinkLocal())
                ll = addr;
            else if (v4 == null && addr.isV4())
                v4 = addr;
        }
        if (ll == null)
            throw new java.net.SocketException(name + " has no IPv6 link-local address (is IPv6 enabled and DAD finished?)");
        int mtu = Math.max(netlink.link(idx).mtu(), 512);
        memberships.put(name, socket.join(name));
        ifindex.put(name, idx);
        ifname.put(idx, name);
        protectors.put(name, new PacketProtector(ll, PacketEncoder.maxSizeForMtu(mtu), mac, GROUP, opts.port(),
                new SecureRandom(), System::nanoTime));
        sinks.put(name, (packet, dest) -> transmit(packet, dest, idx));
        core.addInterface(name, settings, ll, now);
        if (v4 != null)
            core.setInterfaceIpv4(name, v4); // the next hop of the IPv4 routes we announce there
        LOG.log(Level.INFO, "babel on {0} (link-local {1}, {2}{3})", name, ll, settings, mac == null ? "" : ", MAC on");
    }

    /**
     * Changes the MAC keys of an interface while running (the registry rotates Babel keys: a new
     * key is first accepted, then used to sign, then the old one is dropped), without a gap.
     */
    public void setMacPolicy(String name, MacPolicy policy) throws Exception {
        call(core -> {
            PacketProtector p = protectors.get(name);
            if (p == null)
                throw new IllegalArgumentException("no Babel interface " + name);
            p.setPolicy(policy);
            return null;
        });
        LOG.log(Level.INFO, "MAC keys on {0}: sign {1}, accept {2}{3}", name, ids(policy.sign()), ids(policy.accept()),
                policy.acceptBadSignatures() ? ", accepting bad signatures" : "");
    }

    private static List<String> ids(List<MacKey> keys) {
        List<String> l = new ArrayList<>();
        for (MacKey k : keys)
            l.add(k.id());
        return l;
    }

    /** Stops Babel on an interface (a tunnel went away): its routes are lost at once. */
    public void removeInterface(String name) throws Exception {
        call(core -> {
            core.removeInterface(name, System.nanoTime());
            Integer idx = ifindex.remove(name);
            if (idx != null)
                ifname.remove(idx);
            protectors.remove(name);
            sinks.remove(name);
            java.nio.channels.MembershipKey k = memberships.remove(name);
            if (k != null)
                k.drop();
            kernel.forgetInterface(name);
            return null;
        });
        LOG.log(Level.INFO, "babel stopped on {0}", name);
    }

    /**
     * The tunnel under {@code name} lost its liveness (or the interface is otherwise down):
     * Babel treats it as babeld treats an interface going down, at once rather than at the next
     * hello timeout. On the core thread, in one turn: the neighbours on it and their MAC state
     * are flushed, each route through them is switched to a feasible alternative by one kernel
     * replace, or retracted (a seqno request goes out for it), and no Hello goes out on it until
     * {@link #interfaceUp}. Thread-safe, does not wait: the future completes once the kernel
     * routes have changed (exceptionally for an interface Babel does not run on).
     */
    public CompletableFuture<Void> interfaceDown(String name) {
        return submit(core -> {
            down(name, "reported down", System.nanoTime());
            return null;
        });
    }

    /** The interface is usable again: Hellos and a wildcard route request go out on it at once. Thread-safe, does not wait. */
    public CompletableFuture<Void> interfaceUp(String name) {
        return submit(core -> {
            up(name, "reported up", System.nanoTime());
            return null;
        });
    }

    /** Core thread: {@code name} down, and what it changed. */
    private void down(String name, String why, long now) {
        int neighbours = core.neighbourCount();
        long changes = core.stats().routeChanges;
        if (!core.interfaceDown(name, now))
            return; // down already
        PacketProtector p = protectors.get(name);
        if (p != null)
            p.forgetNeighbours(); // like babeld: a neighbour seen again is challenged again
        flushOutbox(); // the retractions and requests leave now, with the kernel changes
        LOG.log(Level.INFO, "babel: {0} {1}: {2} neighbour(s) flushed, {3} route change(s)", name, why,
                neighbours - core.neighbourCount(), core.stats().routeChanges - changes);
    }

    private void up(String name, String why, long now) {
        if (!core.interfaceUp(name, now))
            return; // up already (the kernel reports every link change)
        flushOutbox();
        LOG.log(Level.INFO, "babel: {0} {1}: hellos and a route request sent", name, why);
    }

    /** Runs {@code task} on the core thread and waits for its result. */
    public <T> T call(Function<BabelRouter, T> task) throws Exception {
        return submit(task).get(10, TimeUnit.SECONDS);
    }

    /** Queues {@code task} for the core thread; the future has its result or its exception. */
    private <T> CompletableFuture<T> submit(Function<BabelRouter, T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        tasks.add(() -> {
            try {
                f.complete(task.apply(core));
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** The control-interface view of the core; only from the core thread (e.g. in {@link #afterEachStep}). */
    Map<String, String> snapshotOnCoreThread(long now) {
        return ControlDump.snapshot(core, now);
    }

    /** Runs {@code r} on the core thread after every step (e.g. control-socket monitors). */
    public void afterEachStep(Runnable r) {
        tasks.add(() -> afterStep.add(r));
    }

    // ------------------------------------------------------------ core thread

    /**
     * The core thread. An exception while handling one task (a received packet, a request) or one
     * step (timers, sending) is counted and logged once per cause, and the loop goes on; if the
     * loop itself ends any other way (an Error), the kernel routes are removed and
     * {@link #onLoopDeath} is told, so that the process does not stay half alive.
     */
    private void coreLoop() {
        Throwable died = null;
        try {
            while (running) {
                long now = System.nanoTime();
                long wait = core.nextTimer() - now;
                Runnable task = wait > 0 ? tasks.poll(Math.min(wait, 1_000_000_000L), TimeUnit.NANOSECONDS) : tasks.poll();
                if (task != null)
                    guarded("a task", task);
                if (guarded("a timer step", this::step))
                    failedSteps = 0;
                else if (++failedSteps >= 100) // every step failing: the core cannot work, and would spin
                    throw new IllegalStateException("100 timer steps in a row failed", lastStepFailure);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            died = e;
        } finally {
            stopped.countDown(); // first: close() (from the exit that loopDied may start) must not wait for this thread
            if (died != null || running)
                loopDied("core", died != null ? died : new IllegalStateException("the core loop was interrupted"), true);
        }
    }

    private int failedSteps;
    private RuntimeException lastStepFailure;

    private void step() {
        core.tick(System.nanoTime());
        flushOutbox();
        for (Runnable r : afterStep)
            r.run();
        stats.neighbours = core.neighbourCount();
        stats.routes = core.routeCount();
        stats.kernelRoutes = kernel.installedCount();
        stats.xroutes = announced.size();
        stats.routeChanges = core.stats().routeChanges;
    }

    /** Runs {@code r}; an exception is counted and logged once per cause. False if it threw. */
    private boolean guarded(String what, Runnable r) {
        try {
            r.run();
            return true;
        } catch (RuntimeException e) {
            stats.loopFailures.inc();
            loopFailures.survived(what, e);
            lastStepFailure = e;
            return false;
        }
    }

    /** Called at most once, from the thread of a loop that ended while the daemon runs. */
    private void loopDied(String loop, Throwable why, boolean onCoreThread) {
        if (!running || !loopDeathReported.compareAndSet(false, true))
            return;
        LOG.log(Level.ERROR, "the babel " + loop + " loop died; removing our kernel routes", why);
        if (onCoreThread) {
            try {
                kernel.uninstallAll();
                saveState(); // our seqno: a restarted router is feasible again at once
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "removing the kernel routes failed too", e);
            }
        }
        onLoopDeath.accept(loop, why);
    }

    /**
     * Who is told when a loop of the daemon dies (an Error, or an exception outside any one
     * packet or task): {@code re6st babel} exits non-zero so that a supervisor restarts it.
     * Default: logged only.
     */
    public void onLoopDeath(java.util.function.BiConsumer<String, Throwable> handler) {
        this.onLoopDeath = handler;
    }

    private final re6st.cli.LoopFailures loopFailures = new re6st.cli.LoopFailures(LOG, "babel core");
    private final java.util.concurrent.atomic.AtomicBoolean loopDeathReported = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile java.util.function.BiConsumer<String, Throwable> onLoopDeath = (loop, why) -> { };

    @Override
    public void send(String ifname, Addr dest, Message m) {
        outbox.computeIfAbsent(java.util.Arrays.asList(ifname, dest), k -> new ArrayList<>()).add(m);
    }

    @Override
    public void install(KernelRoute r) {
        kernel.install(r);
    }

    @Override
    public void uninstall(KernelRoute r) {
        kernel.uninstall(r);
    }

    /** Encodes what the core queued, one or more packets per (interface, destination), and sends them. */
    private void flushOutbox() {
        if (outbox.isEmpty())
            return;
        // taken out first: a message that cannot be sent is lost, it does not block (or repeat) the others
        List<Map.Entry<List<Object>, List<Message>>> batch = new ArrayList<>(outbox.entrySet());
        outbox.clear();
        for (Map.Entry<List<Object>, List<Message>> e : batch)
            try {
                flush(e);
            } catch (RuntimeException x) {
                stats.loopFailures.inc();
                loopFailures.survived("sending to " + e.getKey(), x);
            }
    }

    private void flush(Map.Entry<List<Object>, List<Message>> e) {
        String name = (String) e.getKey().get(0);
        PacketProtector p = protectors.get(name);
        if (p != null)
            stats.encodeErrors.inc(p.pack(e.getValue(), (Addr) e.getKey().get(1), sinks.get(name)));
    }

    private void transmit(ByteBuffer packet, Addr dest, int idx) {
        try {
            socket.send(packet, dest, idx);
            stats.sent.inc();
        } catch (IOException e) {
            stats.sendErrors.inc();
            LOG.log(Level.DEBUG, "send on #{0} failed: {1}", idx, e.getMessage());
        }
    }

    /** On the core thread: decoded and (with keys) verified, then the messages to the core. */
    private void deliver(String name, Addr from, byte[] data, long now) {
        PacketProtector p = protectors.get(name);
        if (p == null)
            return; // the interface went away since
        PacketProtector.Opened o = p.open(data, 0, data.length, from, now);
        if (o.outcome() == PacketProtector.Outcome.MALFORMED) {
            stats.malformedPackets.inc();
            LOG.log(Level.DEBUG, "malformed packet from {0}%{1}: {2}", from, name, o.why());
            return;
        }
        stats.received.inc();
        stats.malformedTlvs.inc(o.packet().malformedCount());
        stats.ignoredTlvs.inc(o.packet().ignoredCount());
        stats.countTlvs(o.packet().body());
        for (Message m : o.reply())
            send(name, from, m);
        if (!o.accepted()) {
            stats.macDropped.inc();
            LOG.log(Level.DEBUG, "dropped packet from {0}%{1}: {2}", from, name, o.why());
            return;
        }
        if (o.macReason() == re6st.babel.mac.Verdict.Reason.CHALLENGE_SUCCEEDED)
            core.challengeSucceeded(name, from, now);
        core.receive(name, from, o.unicast(), o.body(), now);
    }

    // ------------------------------------------------------------ receiving

    private void receiveLoop() {
        try {
            receive();
        } catch (Throwable e) {
            loopDied("receive", e, false);
        }
    }

    private int receiveErrors;

    /** After {@code n} failures in a row: waits 0 ms, then up to 1 s, growing with n. */
    private static void backOff(int n) {
        if (n < 3)
            return;
        try {
            Thread.sleep(Math.min(1000L, 10L << Math.min(n - 3, 7)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void receive() {
        ByteBuffer buf = ByteBuffer.allocateDirect(65536);
        while (running) {
            BabelSocket.From from;
            byte[] data;
            try {
                from = socket.receive(buf);
                data = new byte[buf.remaining()];
                buf.get(data);
                receiveErrors = 0;
            } catch (java.nio.channels.ClosedChannelException e) {
                if (running)
                    throw new IllegalStateException("the Babel socket was closed under the daemon", e);
                return;
            } catch (IOException e) {
                if (running) {
                    LOG.log(Level.WARNING, "receive failed: {0}", e.getMessage());
                    backOff(++receiveErrors); // an error that repeats must not spin the thread
                }
                continue;
            }
            if (from == null) {
                stats.notLinkLocal.inc();
                continue;
            }
            String name = ifname.get(from.ifindex());
            if (name == null)
                continue; // not one of our interfaces
            byte[] datagram = data;
            long receivedAt = System.nanoTime(); // RTT: when it arrived, not when the core got to it
            tasks.add(() -> deliver(name, from.address(), datagram, receivedAt)); // a decoder bug is one failed task
        }
    }

    // ------------------------------------------------------------ redistribution

    private void redistributeInitial(long now) throws IOException {
        if (opts.redistribution() == null)
            return;
        for (NetlinkEvent.AddressChanged a : netlink.addresses(Netlink.AF_UNSPEC, 0))
            considerAddress(a, now);
        for (int family : new int[] {Netlink.AF_INET6, Netlink.AF_INET})
            for (re6st.jni.Route r : netlink.routes(family, opts.importTable(), 0))
                considerRoute(r, false, now);
    }

    private void monitorLoop() {
        try {
            while (running) {
                try {
                    monitor.poll(500_000_000L, e -> tasks.add(() -> onKernelEvent(e)));
                } catch (IOException e) {
                    if (running)
                        LOG.log(Level.WARNING, "netlink monitor: {0}", e.getMessage());
                }
            }
        } catch (Throwable e) {
            loopDied("netlink monitor", e, false);
        }
    }

    private void onKernelEvent(NetlinkEvent e) {
        long now = System.nanoTime();
        if (e instanceof NetlinkEvent.AddressChanged a) {
            considerAddress(a, now);
        } else if (e instanceof NetlinkEvent.RouteChanged rc && rc.route().table() == opts.importTable()
                && rc.route().protocol() != KernelAdapter.PROTO_BABEL) {
            considerRoute(rc.route(), rc.removed(), now);
        } else if (e instanceof NetlinkEvent.LinkChanged lc && ifindex.containsKey(lc.link().name())) {
            if (lc.removed() || !lc.link().up())
                down(lc.link().name(), "down in the kernel", now);
            else
                up(lc.link().name(), "up in the kernel", now);
        } else if (e instanceof NetlinkEvent.Overflow) {
            LOG.log(Level.WARNING, "netlink events lost; re-reading kernel state");
            try {
                redistributeInitial(now);
            } catch (IOException x) {
                LOG.log(Level.WARNING, "re-reading kernel state: {0}", x.getMessage());
            }
        }
    }

    private void considerAddress(NetlinkEvent.AddressChanged a, long now) {
        Prefix host = Prefix.of(new re6st.net.IpPrefix(a.address().address(), a.address().address().getAddress().length * 8));
        if (host.addr().isLinkLocal())
            return;
        String name = ifname.get(a.index());
        Integer m = a.removed() ? null : opts.redistribution().metric(host, null, 0, true, name);
        LOG.log(Level.DEBUG, "address {0} on #{1}: {2}", host, a.index(), m);
        apply(host, null, true, m, now);
    }

    private void considerRoute(re6st.jni.Route r, boolean removed, long now) {
        if (r.type() != re6st.jni.RouteType.UNICAST && r.type() != re6st.jni.RouteType.UNREACHABLE
                && r.type() != re6st.jni.RouteType.BLACKHOLE)
            return;
        Prefix dst = Prefix.of(r.dst());
        Prefix src = r.src() == null ? null : Prefix.of(r.src());
        if (dst.addr().isLinkLocal())
            return;
        String name = ifname.get(r.oif());
        Integer m = removed ? null : opts.redistribution().metric(dst, src, r.protocol(), false, name);
        apply(dst, src, false, m, now);
    }

    /**
     * A destination may be wanted both as a local address and as a kernel route (IPv6 puts a
     * /128 route next to each address): it is announced while either wants it, with the lower metric.
     */
    private void apply(Prefix dst, Prefix src, boolean fromAddress, Integer metric, long now) {
        List<Prefix> key = java.util.Arrays.asList(dst, src);
        Map<Boolean, Integer> reasons = announced.computeIfAbsent(key, k -> new HashMap<>(2));
        Integer before = effective(reasons);
        if (metric == null || metric >= Message.INFINITY)
            reasons.remove(fromAddress);
        else
            reasons.put(fromAddress, metric);
        Integer after = effective(reasons);
        if (reasons.isEmpty())
            announced.remove(key);
        if (java.util.Objects.equals(before, after))
            return;
        String what = dst + (src == null ? "" : " from " + src);
        if (after == null) {
            LOG.log(Level.INFO, "no longer announcing {0}", what);
            core.removeXroute(dst, src, now);
        } else {
            LOG.log(Level.INFO, "announcing {0} metric {1}", what, after);
            core.addXroute(dst, src, after, now);
        }
    }

    private static Integer effective(Map<Boolean, Integer> reasons) {
        Integer m = null;
        for (Integer v : reasons.values())
            m = m == null ? v : Math.min(m, v);
        return m;
    }

    // ------------------------------------------------------------ state

    private int initialSeqno() {
        if (opts.stateFile() != null && Files.exists(opts.stateFile())) {
            try {
                for (String line : Files.readAllLines(opts.stateFile())) {
                    String[] w = line.trim().split("\\s+");
                    if (w.length == 2 && w[0].equals("seqno"))
                        return (Integer.parseInt(w[1]) + 1) & 0xFFFF;
                }
            } catch (IOException | NumberFormatException e) {
                LOG.log(Level.WARNING, "ignoring unreadable state file {0}: {1}", opts.stateFile(), e.getMessage());
            }
        }
        return new SecureRandom().nextInt(0x10000);
    }

    private void saveState() {
        if (opts.stateFile() == null)
            return;
        try {
            Path tmp = opts.stateFile().resolveSibling(opts.stateFile().getFileName() + ".tmp");
            Files.writeString(tmp, "seqno " + core.seqno() + "\n");
            Files.move(tmp, opts.stateFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot write state file {0}: {1}", opts.stateFile(), e.getMessage());
        }
    }

    /** Graceful stop: wildcard retraction to the neighbours, kernel routes removed, state saved. */
    @Override
    public void close() {
        if (!running)
            return;
        CountDownLatch done = new CountDownLatch(stopped.getCount() == 0 ? 0 : 1); // a dead core has removed its routes
        tasks.add(() -> {
            core.shutdown(System.nanoTime());
            flushOutbox();
            kernel.uninstallAll();
            saveState();
            running = false;
            done.countDown();
        });
        try {
            if (!done.await(3, TimeUnit.SECONDS))
                LOG.log(Level.WARNING, "shutdown did not finish in 3 s");
            stopped.await(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        running = false;
        try {
            socket.close();
            monitor.close();
            netlink.close();
        } catch (IOException e) {
            // closing anyway
        }
        if (opts.pidFile() != null) {
            try {
                Files.deleteIfExists(opts.pidFile());
            } catch (IOException e) {
                // nothing to do
            }
        }
    }
}
