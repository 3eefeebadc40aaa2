package re6st.node;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import re6st.babel.Neighbour;
import re6st.cli.CommandFailure;
import re6st.cli.Failures;
import re6st.cli.LoopFailures;
import re6st.net.NodePrefix;
import re6st.node.cache.NodeCache;
import re6st.node.cache.StoredConfig;
import re6st.node.cli.NodeSettings;
import re6st.node.peer.PeerService;
import re6st.node.peer.PeerSocket;
import re6st.node.tunnel.CountryFilter;
import re6st.node.tunnel.RouteSnapshot;
import re6st.node.tunnel.TunnelEffects;
import re6st.node.tunnel.TunnelLinks;
import re6st.node.tunnel.TunnelManager;
import re6st.node.upnp.Igd;
import re6st.node.upnp.PortForwarder;
import re6st.peer.PeerAddress;
import re6st.peer.Topology;
import re6st.registry.client.NodeSession;
import re6st.registry.client.RegistryClient;
import re6st.registry.protocol.NetworkConfig;
import re6st.registry.protocol.ReceivedNetworkConfig;
import re6st.tunnel.TunnelInfo;

/**
 * {@code re6st node} (classic re6stnet): the registry's config, the tunnels, Babel and the tunnel
 * manager composed into one process (spec/node-behaviour.md). One thread, the manager loop, owns
 * every decision: tunnel events, peer-protocol events and answers from the registry are queued to
 * it, and it drives the {@link TunnelManager} core (a pass every 5 s, with a fresh snapshot of
 * Babel's routes) and applies new network configs. The data path (tunnels, kernel forwarding) and
 * Babel run on their own threads; a tunnel's liveness loss reaches Babel without this loop.
 * SIGTERM: the tunnels are closed and the routes retracted, exit 0. A network config change that
 * needs it (spec: hello, keys' parameters, client counts...) restarts the node in-process.
 */
public final class NodeDaemon {
    private static final Logger LOG = System.getLogger("re6st.node");
    /**
     * The original's re-fetch interval after a failed config fetch; and how often a node the mesh
     * does not connect to the registry asks the registry directly (the original: hourly; a node cut
     * off with a revoked peer would keep talking to it for an hour: we check every minute).
     */
    static final long CONFIG_RETRY_MS = 300_000, CONFIG_CHECK_MS = 60_000;
    /**
     * When the route to the registry goes away the node asks the registry directly within
     * LOST_CHECK_SPREAD_MS (at random: all nodes lose that route together when the registry's node
     * restarts), at most every LOST_CHECK_GAP_MS: the usual cause is a peer cut off by the others, e.g. revoked, and a node whose
     * only way out was that peer is flooded nothing and would otherwise learn it at its next check.
     */
    static final long LOST_CHECK_GAP_MS = 30_000, LOST_CHECK_SPREAD_MS = 5_000;
    /** At most one redial of every tunnel per this (the underlay changed): a change within it redials once at its end. */
    static final long REDIAL_GAP_MS = 5_000;
    /** How long the node waits for IGDs to answer its M-SEARCH (they answer within MX = 2 s). */
    static final java.time.Duration UPNP_SEARCH = java.time.Duration.ofMillis(2_500);

    private final NodeSettings settings;
    private final NodeIdentity me;
    private final NodeCache cache;
    private final RegistryClient registry;
    private final NodeSession session;
    private final NetworkConfigSource configs;
    /** The network config of the latest run (adopted ones included): what the node cache keeps at exit depends on it. */
    private volatile ReceivedNetworkConfig lastNetwork;
    /** The latest run, for the status page (which outlives runs: 503 while a run has no overlay yet). */
    private volatile Run current;
    private volatile re6st.node.web.StatusPageServer page;

    private NodeDaemon(NodeSettings settings, NodeIdentity me, NodeCache cache) {
        this.settings = settings;
        this.me = me;
        this.cache = cache;
        this.registry = new RegistryClient(settings.registry());
        this.session = me.registrySession();
        this.configs = new NetworkConfigSource(registry, me, session, new NetworkConfigSource.Store() {
            public Optional<byte[]> loadNetworkConfig() {
                return cache.networkConfig().map(StoredConfig::body);
            }

            public boolean saveNetworkConfig(byte[] body) {
                return cache.saveNetworkConfig(new StoredConfig(body, Instant.now()));
            }
        });
    }

    /** The {@code re6st node} runner: runs until SIGTERM (0) or a fatal condition (a CommandFailure). */
    public static int run(NodeSettings settings) throws Exception {
        if (settings.logFile().isPresent())
            logTo(settings.logFile().get()).reopenOnSignal("USR1", LOG);
        NodeIdentity me = NodeIdentity.load(settings.ca(), settings.cert(), settings.key());
        if (me.expired(Instant.now()))
            LOG.log(Level.WARNING, "our certificate {0} expired on {1}: peers will refuse our tunnels until it is renewed",
                    me.cn(), me.cert().getNotAfter().toInstant());
        java.nio.file.Files.createDirectories(settings.stateDir());
        java.nio.file.Files.createDirectories(settings.runDir());
        CountDownLatch stopped = new CountDownLatch(1);
        RunLoop runs = new RunLoop();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            re6st.cli.SdNotify.notify("STOPPING=1");
            runs.stop();
            try {
                stopped.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "re6st-node-shutdown"));
        signal("HUP", runs);
        signal("USR2", runs);
        try (NodeCache cache = NodeCache.open(settings.stateDir())) {
            NodeDaemon d = new NodeDaemon(settings, me, cache);
            boolean[] registryNode = {false};
            try (AutoCloseable page = d.startStatusPage()) {
                runs.run(() -> {
                    ReceivedNetworkConfig network = d.configs.atStart(registryNode[0]);
                    registryNode[0] = network.config().registryPrefix().equals(me.prefix().bits());
                    checkUsable(network, me);
                    d.lastNetwork = network;
                    Run r = d.new Run(network, registryNode[0]);
                    d.current = r;
                    return r;
                });
            }
            if (d.lastNetwork != null)
                cache.shrink(cacheKeeps(settings.clientCount(), d.lastNetwork));
        } finally {
            stopped.countDown();
        }
        return 0;
    }

    /** --http: the status page, for the whole life of the process (runs come and go); a no-op without --http. */
    private AutoCloseable startStatusPage() throws IOException {
        if (settings.http().isEmpty())
            return () -> {};
        page = re6st.node.web.StatusPageServer.start(settings.http().get(), () -> {
            Run r = current;
            return r == null || r.overlay == null ? null : NodeStatus.json(r.shownStatus());
        });
        InetSocketAddress at = page.address();
        LOG.log(Level.INFO, "status page on http://{0}/", at.getAddress() instanceof java.net.Inet6Address
                ? "[" + at.getAddress().getHostAddress() + "]:" + at.getPort() : at.getAddress().getHostAddress() + ":" + at.getPort());
        return page;
    }

    /**
     * -l: the log also goes to {@code file} (its directory made if needed), appended, as the root
     * logger's other handlers format it; returned so that SIGUSR1 can reopen it.
     */
    static re6st.cli.ReopenableFileHandler logTo(java.nio.file.Path file) throws IOException {
        java.nio.file.Files.createDirectories(file.toAbsolutePath().getParent());
        return re6st.cli.ReopenableFileHandler.addToRootLogger(file);
    }

    /**
     * Refuses (CommandFailure, the node exits) a network config this node cannot run with: one that
     * needs a newer protocol, or that revokes our certificate. Checked at every start and on every
     * config adopted while running.
     */
    static void checkUsable(ReceivedNetworkConfig network, NodeIdentity me) {
        checkUsable(network, me.cn(), me.cert().getSerialNumber());
    }

    static void checkUsable(ReceivedNetworkConfig network, String cn, java.math.BigInteger serial) {
        int min = network.config().parameters().minProtocol();
        if (network.protocol() < min || NetworkConfig.PROTOCOL < min)
            throw CommandFailure.failed("the network requires protocol " + min + " or later; this node speaks "
                    + NetworkConfig.PROTOCOL + ": upgrade re6st");
        if (network.revoked(serial.longValue()))
            throw CommandFailure.failed("our certificate " + cn + " (serial " + serial
                    + ") is revoked by the network: enrol again with 're6st conf'");
    }

    /** How many peers the node cache keeps at exit: --client-count, else the network's client_count (as the original). */
    static int cacheKeeps(java.util.OptionalInt clientCountOption, ReceivedNetworkConfig network) {
        return clientCountOption.orElse(network.config().parameters().clientCount());
    }

    @SuppressWarnings("restriction")
    private static void signal(String name, RunLoop runs) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal(name), s -> {
                LOG.log(Level.INFO, "SIG{0}: restart", name);
                re6st.cli.SdNotify.notify("RELOADING=1\nSTATUS=restarting (SIG" + name + ")");
                runs.restart();
            });
        } catch (IllegalArgumentException e) {
            LOG.log(Level.DEBUG, "SIG{0} cannot be handled here: {1}", name, e.getMessage());
        }
    }

    /** One run of the node with one network config (a restart is a new Run). */
    final class Run implements RunLoop.Run, TunnelLinks.Listener, PeerService.Node, TunnelEffects {
        private volatile ReceivedNetworkConfig network;
        private final boolean registryNode;
        private final LinkedBlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
        private final CountDownLatch ended = new CountDownLatch(1);
        private volatile RunLoop.Outcome outcome = RunLoop.Outcome.STOPPED;
        private volatile CommandFailure failure;
        private final ExecutorService http = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "node-registry");
            t.setDaemon(true);
            return t;
        });
        private final LoopFailures failures = new LoopFailures(LOG, "node manager");
        /** The registry node's map of the network: its own thread, as the registry's walk takes seconds. */
        private final ExecutorService topologyCalls = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "node-topology");
            t.setDaemon(true);
            return t;
        });
        private final RegistryTopology registryTopology; // null but on the registry node
        private final List<AutoCloseable> opened = new ArrayList<>();
        private final Map<String, PeerAddress> dialled = new HashMap<>(); // manager thread
        private Overlay overlay;
        private volatile TunnelCuts cuts; // tunnels blackholed on purpose (control socket), once the overlay runs
        private PeerSocket peers;
        private volatile TunnelManager manager; // written once at start; the metrics read it from their thread
        private Hooks hooks;
        private Thread loop;
        private volatile String topology = "0";
        private volatile int maxClients;
        private long fetchAt = Long.MAX_VALUE, checkAt, lostCheckAt = Long.MIN_VALUE / 2;
        private boolean fetching, fetchAgain; // manager thread
        private volatile RouteSnapshot lastRoutes = RouteSnapshot.EMPTY;
        private volatile int clientCount;
        private volatile PortForwarder upnp; // null: explicit --ip addresses, --client, or no server
        private final long startedMillis = System.currentTimeMillis();
        private List<String> neighbours = List.of();
        /** What our peers say our address is ({@code --ip any}, and without --ip). */
        /** What our peers see (--ip any, and the default): two must agree, one for a node that dials a single peer (set at start). */
        private volatile ExternalAddress external = new ExternalAddress();
        private long lastRedial = Long.MIN_VALUE / 2; // manager thread, as below
        private boolean redialDue;

        Run(ReceivedNetworkConfig network, boolean registryNode) {
            this.network = network;
            this.registryNode = registryNode;
            this.registryTopology = registryNode ? new RegistryTopology(RegistryTopology.overLoopback(settings.registry()), topologyCalls,
                    NodeDaemon::monotonicMs, System::currentTimeMillis) : null;
        }

        @Override
        public void start() throws Exception {
            NetworkConfig.Parameters p = network.config().parameters();
            Optional<Ipv4Overlay> ipv4 = p.ipv4() == null ? Optional.empty()
                    : Ipv4Overlay.of(p.ipv4(), p.ipv4Sublen(), me.cert().getSerialNumber().longValue());
            maxClients = settings.clientMode() ? 0 : settings.maxClients().orElse(p.maxClients());
            // one server per protocol (the first --pp of each); tcp6 underlays are not carried yet
            Map<String, Integer> ports = new LinkedHashMap<>();
            for (NodeSettings.Server s : settings.clientMode() ? NodeSettings.DEFAULT_SERVERS : settings.servers())
                if (!s.protocol().equals("tcp6"))
                    ports.putIfAbsent(s.protocol(), s.port());
                else
                    LOG.log(Level.WARNING, "--pp {0} tcp6: TCP tunnels over IPv6 are not implemented yet (udp6 is); ignored", s.port());
            Overlay.Plan plan = new Overlay.Plan(settings.mainInterface(), settings.interfaces(), settings.gateway(),
                    babelStatements(settings.babelArgs()), ports, maxClients, settings.runDir().resolve("babeld.sock"),
                    settings.stateDir().resolve("babeld.state"));
            overlay = Overlay.start(me, network, plan, ipv4, this);
            opened.add(overlay);
            startUpnp(ports);
            SecureRandom random = new SecureRandom();
            PeerService service = new PeerService(me.credentials(Overlay.revoked(network)), me.network(),
                    network.config().registryPrefix(), NetworkConfig.PROTOCOL, secrets(random), network.version().encoded(), this);
            peers = new PeerSocket(service, new InetSocketAddress(InetAddress.getByName("::"), PeerService.PORT),
                    System::currentTimeMillis, NodeDaemon::monotonicMs);
            peers.onLoopDeath(why -> re6st.cli.Daemon.die("re6st node", "peer protocol", why));
            opened.add(peers);
            int clientCount = settings.clientMode() ? 0 : settings.clientCount().orElse(p.clientCount());
            this.clientCount = clientCount;
            external = new ExternalAddress(clientCount <= 1 ? 1 : 2);
            overlay.control().ifPresent(c -> c.extend("status", () -> NodeStatus.json(shownStatus())));
            startCuts();
            if (settings.metrics().isPresent()) {
                TunnelLinks links = overlay.links();
                re6st.metrics.MetricsServer m = re6st.metrics.MetricsServer.start(settings.metrics().get(), new com.codahale.metrics.MetricRegistry(),
                        new NodeMetrics(this::status, () -> manager == null ? null : manager.counters(), links::failures, links.downs::get,
                                () -> upnp, () -> page == null ? Map.of() : page.responses(), () -> cuts == null ? null : cuts.figures()));
                opened.add(m);
                LOG.log(Level.INFO, "Prometheus metrics on {0} (GET /metrics)", settings.metrics().get());
            }
            java.util.Set<String> neighbourBits = new java.util.LinkedHashSet<>();
            for (NodePrefix n : settings.neighbours())
                neighbourBits.add(n.bits());
            TunnelManager.Options mo = new TunnelManager.Options(me.prefix().bits(), network.config().registryPrefix(), clientCount,
                    4_000L * p.hello(), 1_000L * p.tunnelRefresh(), neighbourBits, java.util.Set.copyOf(overlay.transports().keySet()),
                    countries(), settings.clientMode());
            manager = new TunnelManager(mo, this, cache, random, monotonicMs());
            hooks = new Hooks(overlay.addressing().hookEnvironment());
            opened.add(hooks);
            LOG.log(Level.INFO, "node {0} at {1} in {2}: {3} tunnels out, {4} in per server; network config version {5}",
                    me.cn(), overlay.addressing().address(), overlay.addressing().network(), clientCount, maxClients,
                    network.version().number());
            re6st.cli.SdNotify.notify("READY=1\nSTATUS=node " + me.cn() + " at " + overlay.addressing().address()
                    + ", network config version " + network.version().number());
            if (settings.clientMode())
                dialClient();
            else if (maxClients > 0 && !settings.ip().contains("any")) // with any: learned from the first peers
                for (String proto : overlay.transports().keySet())
                    if (addresses().stream().noneMatch(a -> a.protocol().equals(proto)))
                        LOG.log(Level.WARNING, "{0} server: this host has no {1} address to announce (use --ip), so no peer can dial it",
                                proto, proto.endsWith("6") ? "global IPv6" : "IPv4");
            settings.up().ifPresent(cmd -> {
                try {
                    hooks.up(cmd);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            for (String d : settings.daemons())
                hooks.daemon(d);
            if (!settings.clientMode())
                try {
                    opened.add(new UnderlayWatch(this::underlay, what -> post(() -> underlayChanged(what))));
                } catch (re6st.jni.ErrnoException | RuntimeException e) { // the node runs without it: roaming then waits for liveness
                    LOG.log(Level.WARNING, "cannot watch this host''s addresses and routes ({0}): after a change of network, tunnels "
                            + "come back only when their liveness notices", re6st.cli.Failures.explain(e));
                }
            checkAt = monotonicMs() + CONFIG_CHECK_MS;
            loop = new Thread(this::loop, "node-manager");
            loop.start();
        }

        /**
         * {@code --ip upnp}, or no --ip (the default: UPnP if an IGD answers, else no NAT assumed): a thread
         * that keeps one port mapping per IPv4 tunnel server ({@link PortForwarder}); at close (SIGTERM,
         * restart) it stops and the mappings are deleted.
         */
        private void startUpnp(Map<String, Integer> ports) {
            boolean explicit = settings.ip().equals(List.of("upnp"));
            if (!(settings.ip().isEmpty() || explicit) || settings.clientMode() || maxClients <= 0)
                return;
            List<PortForwarder.Server> servers = new ArrayList<>();
            ports.forEach((proto, port) -> {
                if (proto.equals("udp") || proto.equals("tcp"))
                    servers.add(new PortForwarder.Server(proto, port));
            });
            if (servers.isEmpty())
                return;
            PortForwarder[] self = new PortForwarder[1];
            PortForwarder f = new PortForwarder(servers, () -> Igd.discover(UPNP_SEARCH, e -> self[0].refused(e)), new SecureRandom(), explicit);
            self[0] = f;
            CountDownLatch stop = new CountDownLatch(1);
            re6st.cli.LoopFailures upnpFailures = new re6st.cli.LoopFailures(LOG, "UPnP port forwarding");
            Thread t = new Thread(() -> {
                try {
                    do {
                        long next;
                        try {
                            next = f.step(monotonicMs());
                        } catch (RuntimeException e) { // one bad step (a bug, an odd answer) must not end the mappings for good
                            upnpFailures.survived("step", e);
                            next = monotonicMs() + PortForwarder.RETRY_MS;
                        }
                        if (next == Long.MAX_VALUE)
                            return;
                        if (stop.await(Math.max(1, next - monotonicMs()), TimeUnit.MILLISECONDS))
                            return;
                    } while (true);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "node-upnp");
            t.setDaemon(true);
            upnp = f;
            // closed after the overlay (routes retracted and tunnels closed first): a hung IGD only delays the deletions
            opened.add(opened.indexOf(overlay), (AutoCloseable) () -> {
                stop.countDown();
                t.interrupt(); // an HTTP call in flight ends now
                t.join(Igd.HTTP_TIMEOUT.toMillis());
                f.close(); // DeletePortMapping of each, within PortForwarder.CLOSE_BUDGET_MS
            });
            t.start();
        }

        /**
         * {@code --client}: one tunnel, to the first remote whose protocol this node runs (the server's name
         * comes with its certificate: any node of the network); the transport redials it.
         */
        private void dialClient() throws java.net.UnknownHostException {
            List<String> skipped = new ArrayList<>();
            for (NodeSettings.Remote r : settings.client()) {
                String where = r.host() + "," + r.port() + "," + r.protocol();
                if (overlay.dial(null, List.of(new PeerAddress(InetAddress.getByName(r.host()).getHostAddress(), r.port(), r.protocol(), null)))) {
                    if (!skipped.isEmpty() || settings.client().size() > 1)
                        LOG.log(Level.WARNING, "--client: dialling {0} only ({1} skipped: no such transport here); switching to the "
                                + "next remote when it fails is not implemented", where, skipped.isEmpty() ? "none" : skipped);
                    return;
                }
                skipped.add(where);
            }
            throw CommandFailure.usage("--client: no remote uses a protocol this node runs (" + String.join(", ", overlay.transports().keySet())
                    + "): " + skipped);
        }

        private CountryFilter countries() {
            List<String> listed = network.config().parameters().sameCountry();
            return new CountryFilter(settings.country().orElse(null), listed == null ? java.util.Set.of() : java.util.Set.copyOf(listed));
        }

        @Override
        public RunLoop.Outcome awaitEnd() throws InterruptedException {
            ended.await();
            if (failure != null)
                throw failure;
            return outcome;
        }

        @Override
        public synchronized void stop(RunLoop.Outcome o) {
            if (ended.getCount() == 0)
                return; // the first stop decides
            outcome = o;
            ended.countDown();
        }

        private void fail(CommandFailure f) {
            failure = f;
            stop(RunLoop.Outcome.STOPPED);
        }

        @Override
        public void close() {
            if (current == this)
                current = null; // the status page says 503 until the next run, rather than wait on this one's closed router
            if (loop != null) {
                loop.interrupt();
                try {
                    loop.join(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            http.shutdownNow();
            topologyCalls.shutdownNow();
            for (int i = opened.size() - 1; i >= 0; i--)
                try {
                    opened.get(i).close();
                } catch (Exception e) {
                    LOG.log(Level.WARNING, "closing {0}: {1}", opened.get(i), Failures.explain(e));
                }
            opened.clear();
        }

        /**
         * The control socket's {@code blackhole} and {@code unblackhole} ({@link TunnelCuts}): a timer
         * thread restores each cut at its bound, whatever became of the client that asked.
         */
        private void startCuts() {
            TunnelCuts c = new TunnelCuts(() -> overlay.transports().values().stream().flatMap(t -> t.tunnels().stream()).toList(),
                    () -> overlay.transports().values().stream().map(re6st.tunnel.TunnelTransport::blackholes).toList(), NodeDaemon::monotonicMs);
            java.util.concurrent.ScheduledExecutorService bounds = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "node-blackhole-bounds");
                t.setDaemon(true);
                return t;
            });
            opened.add(() -> {
                bounds.shutdownNow();
                c.restoreAll();
            });
            cuts = c;
            overlay.control().ifPresent(s -> {
                CutBounds b = new CutBounds(c, (task, delayMs) -> bounds.schedule(task, delayMs, TimeUnit.MILLISECONDS), NodeDaemon::monotonicMs);
                s.extendWritable("blackhole", b::blackhole);
                s.extendWritable("unblackhole", c::unblackhole);
            });
        }

        /**
         * The status as shown ({@code re6st status}, the page): on the registry node, with the network's topology as the
         * registry last told it (asking it again in the background when that is {@link RegistryTopology#REFRESH_MS} old).
         * The metrics read {@link #status} alone: a scrape does not make the registry walk the network.
         */
        private NodeStatus shownStatus() throws Exception {
            NodeStatus s = status();
            if (registryTopology == null)
                return s;
            return new NodeStatus(s.node(), s.address(), s.network(), s.configVersion(), s.certificateExpires(), s.registry(), s.registryNode(),
                    s.registryRouted(), s.startedMillis(), s.nowMillis(), s.limits(), s.overlay(), s.warnings(), s.advertised(),
                    registryTopology.current());
        }

        /**
         * What this node is and does, for {@code re6st status} (the control socket's {@code status}, as JSON) and the
         * metrics. Any thread: nothing here touches the manager.
         */
        private NodeStatus status() throws Exception {
            Overlay.Status o = overlay.status();
            long now = System.currentTimeMillis();
            ReceivedNetworkConfig n = network;
            NodeStatus.Tunnels limits = new NodeStatus.Tunnels(clientCount, maxClients);
            java.time.Instant expires = me.cert().getNotAfter().toInstant();
            List<String> warnings = new ArrayList<>();
            long daysLeft = java.time.Duration.between(java.time.Instant.ofEpochMilli(now), expires).toDays();
            if (expires.toEpochMilli() <= now)
                warnings.add("the certificate expired on " + expires + ": renew it (re6st conf) or the network will refuse this node");
            else if (daysLeft < 14)
                warnings.add("the certificate expires in " + daysLeft + " days (" + expires + "): the node renews it from the registry; check that it is reachable");
            RouteSnapshot routes = lastRoutes;
            if (!registryNode && !routes.registryRouted() && now - startedMillis > 60_000)
                warnings.add("no route to the registry's node through the mesh: config updates come only from direct checks of " + settings.registry());
            long out = o.tunnels().stream().filter(t -> t.stats().info().outgoing()).count();
            long in = o.tunnels().size() - out;
            if (maxClients > 0 && in == 0 && out > 0 && now - startedMillis > 120_000)
                warnings.add("no incoming tunnel after " + (now - startedMillis) / 60_000 + " min: peers cannot dial this node (a NAT without UPnP, "
                        + "a firewall?), so it keeps at most 2 outgoing tunnels");
            PortForwarder f = upnp;
            if (f != null && settings.ip().equals(List.of("upnp")) && f.current(monotonicMs()) == null && now - startedMillis > 60_000)
                warnings.add("--ip upnp: no port mapping on a UPnP IGD (the log says why): peers cannot dial this node if it is behind a NAT");
            if (o.tunnels().isEmpty() && now - startedMillis > 60_000)
                warnings.add("no tunnel: this node is cut off from the mesh");
            TunnelCuts c = cuts;
            if (c != null)
                warnings.addAll(c.warnings());
            return new NodeStatus(me.cn(), overlay.addressing().address().toString(), overlay.addressing().network().toString(),
                    n.version().number(), expires.toString(), settings.registry().toString(), registryNode, routes.registryRouted(), startedMillis,
                    now, limits, o, warnings, addresses().stream().map(PeerAddress::toString).toList());
        }

        // ---- the manager loop: the only thread that touches the manager

        private void loop() {
            long nextPass = monotonicMs();
            while (ended.getCount() > 0) {
                try {
                    long now = monotonicMs();
                    if (now >= nextPass) {
                        pass(now);
                        nextPass = Math.min(now + TunnelManager.PASS_MS, manager.nextPassAt()); // the manager's, jittered
                    }
                    long until = Math.min(nextPass, Math.min(fetchAt, Math.min(checkAt, manager.nextDeadline())));
                    if (redialDue)
                        until = Math.min(until, lastRedial + REDIAL_GAP_MS);
                    Runnable t = tasks.poll(Math.max(1, until - monotonicMs()), TimeUnit.MILLISECONDS);
                    if (t != null)
                        t.run();
                    now = monotonicMs();
                    if (now >= manager.nextDeadline())
                        manager.tick(now);
                    if (now >= fetchAt) {
                        fetchAt = Long.MAX_VALUE;
                        if (fetching)
                            fetchAgain = true; // one more when this one ends: it may have left before the news
                        else
                            fetchConfig();
                    }
                    if (redialDue && now >= lastRedial + REDIAL_GAP_MS) {
                        LOG.log(Level.INFO, "redialling our tunnels after the underlay changed again; advertised addresses now {0}", addresses());
                        redialNow(now);
                    }
                    if (now >= checkAt) {
                        checkAt = now + CONFIG_CHECK_MS;
                        if (!lastRoutes.registryRouted() && !registryNode)
                            fetchAt = now; // the registry is not reachable through the mesh: ask it directly
                    }
                    topology = manager.topology();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    failures.survived("manager turn", e);
                }
            }
        }

        private void pass(long now) {
            boolean wasRouted = lastRoutes.registryRouted();
            try {
                lastRoutes = snapshot();
            } catch (Exception e) {
                failures.survived("route snapshot", e);
            }
            if (wasRouted && !lastRoutes.registryRouted() && !registryNode && now - lostCheckAt >= LOST_CHECK_GAP_MS) {
                lostCheckAt = now;
                // within a few seconds, at random: when the registry's node restarts, every node loses the route at once
                long in = java.util.concurrent.ThreadLocalRandom.current().nextLong(LOST_CHECK_SPREAD_MS);
                LOG.log(Level.INFO, "the route to the registry went away: asking the registry directly for the network config in {0} ms", in);
                fetchAt = Math.min(fetchAt, now + in);
                checkAt = Math.max(checkAt, now + in + CONFIG_CHECK_MS);
            }
            manager.routes(now, lastRoutes);
            manager.tick(now);
            if (lastRoutes.registryRouted() && !registryNode)
                peers.keepSession(network.config().registryPrefix()); // the registry node can then relay to us
        }

        private RouteSnapshot snapshot() throws Exception {
            int netBits = overlay.addressing().network().length();
            Map<String, RouteSnapshot.Route> routes = new HashMap<>();
            List<String> direct = new ArrayList<>();
            for (Overlay.RoutedPrefix r : overlay.routes()) {
                String bits = r.prefix().bits().substring(netBits);
                String via = r.viaPeer() == null ? null : NodePrefix.parseCn(r.viaPeer()).bits();
                boolean neighbour = via != null ? via.equals(bits) : r.direct();
                routes.put(bits, new RouteSnapshot.Route(via, neighbour));
                if (neighbour)
                    direct.add(bits);
            }
            neighbours = direct;
            return new RouteSnapshot(routes, routes.containsKey(network.config().registryPrefix()));
        }

        private void post(Runnable r) {
            tasks.add(r);
        }

        // ---- network config

        private void scheduleFetch(long delayMs) {
            post(() -> fetchAt = Math.min(fetchAt, monotonicMs() + delayMs));
        }

        /** Manager thread: one fetch at a time (a blackholed registry takes a minute to fail; triggers must not queue up behind it). */
        private void fetchConfig() {
            fetching = true;
            http.execute(() -> {
                try {
                    ReceivedNetworkConfig next = configs.fetch();
                    post(() -> {
                        fetched();
                        adopt(next);
                    });
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "network config: {0}; next try in {1} s", Failures.explain(e), CONFIG_RETRY_MS / 1000);
                    post(this::fetched);
                    scheduleFetch(CONFIG_RETRY_MS);
                }
            });
        }

        /** Manager thread: the fetch in flight ended; one asked for meanwhile goes now. */
        private void fetched() {
            fetching = false;
            if (fetchAgain) {
                fetchAgain = false;
                fetchAt = Math.min(fetchAt, monotonicMs());
            }
        }

        /** Manager thread: a verified config from the registry. */
        private void adopt(ReceivedNetworkConfig next) {
            ReceivedNetworkConfig before = network;
            if (next.version().number() <= before.version().number()
                    && !next.macKeysChangedFrom(before))
                return;
            LOG.log(Level.INFO, "network config version {0} (was {1})", next.version().number(), before.version().number());
            try {
                checkUsable(next, me); // a newer min_protocol, our certificate revoked: exit as a start with it would
            } catch (CommandFailure f) {
                LOG.log(Level.ERROR, "stopping: {0}", f.getMessage());
                fail(f);
                return;
            }
            lastNetwork = next;
            if (next.needsRestartFrom(before)) {
                LOG.log(Level.INFO, "the network parameters changed: restarting the node");
                network = next;
                stop(RunLoop.Outcome.RESTART);
                return;
            }
            network = next;
            try {
                overlay.apply(next);
            } catch (Exception e) {
                failures.survived("apply network config", e);
            }
            peers.setCredentials(me.credentials(Overlay.revoked(next)));
            peers.setVersion(next.version().encoded());
            peers.floodVersion(neighbours);
        }

        // ---- TunnelLinks.Listener (transport threads)

        @Override
        public void established(TunnelInfo t) {
            post(() -> {
                String bits = NodePrefix.parseCn(t.peerCn()).bits();
                if (t.outgoing())
                    cache.connected(bits);
                manager.established(monotonicMs(), bits, t.outgoing());
            });
        }

        @Override
        public void removed(TunnelInfo t) {
            post(() -> {
                manager.removed(monotonicMs(), NodePrefix.parseCn(t.peerCn()).bits(), t.outgoing());
                if (t.outgoing())
                    external.forget(t.peerCn());
            });
        }

        @Override
        public void observed(TunnelInfo t, InetSocketAddress ours) {
            post(() -> {
                InetAddress a = ours.getAddress();
                if (!usableUnderlay(a, overlay.addressing().network())) { // a peer's mistake or lie: we could not be reached there
                    LOG.log(Level.DEBUG, "{0} says it sees us at {1}: not an address peers could dial; ignored", t.peerCn(), ours);
                    return;
                }
                if (external.observed(t.peerCn(), a))
                    LOG.log(Level.INFO, "our peers see this node at {0} (last: {1} via {2}){3}", external.addresses().isEmpty()
                            ? "no address a majority of them agrees on" : String.join(", ", external.addresses()), ours,
                            t.peerCn(), learns() ? "; advertised addresses now " + addresses() : "");
            });
        }

        /** Whether the addresses peers see count in ours: {@code --ip any}, or no --ip at all (the original: like 'any' without UPnP). */
        private boolean learns() {
            return settings.ip().isEmpty() || settings.ip().contains("any");
        }

        /**
         * Manager thread: the host's underlay changed (roaming): what our peers saw is forgotten, and every tunnel we
         * dialled handshakes again from where we are now; at most once per {@link #REDIAL_GAP_MS} (a flapping router
         * advertisement or DHCP must not keep every peer handshaking): a change within it redials once at its end.
         */
        private void underlayChanged(String what) {
            external.clear();
            long now = monotonicMs();
            if (now - lastRedial < REDIAL_GAP_MS) {
                if (!redialDue)
                    LOG.log(Level.INFO, "the underlay changed again ({0}): redialling in {1} ms", what, lastRedial + REDIAL_GAP_MS - now);
                redialDue = true;
                return;
            }
            LOG.log(Level.INFO, "the underlay changed ({0}): redialling our tunnels; advertised addresses now {1}", what, addresses());
            redialNow(now);
        }

        private void redialNow(long now) {
            lastRedial = now;
            redialDue = false;
            for (re6st.tunnel.TunnelTransport t : overlay.transports().values())
                t.redial();
        }

        /** The underlay now (the watch's thread): our reachable addresses and the default routes. */
        private UnderlayWatch.Snapshot underlay() {
            java.util.Set<String> routes = new java.util.TreeSet<>();
            try (re6st.jni.Netlink nl = re6st.jni.Netlink.open()) {
                for (int family : new int[] {re6st.net.IpPrefix.AF_INET, re6st.net.IpPrefix.AF_INET6})
                    for (re6st.jni.Route r : nl.routes(family, re6st.jni.Route.TABLE_MAIN, 0))
                        if (r.dst().length() == 0 && r.protocol() != UnderlayWatch.PROTO_BABEL)
                            routes.add(r.dst() + " via " + (r.gateway() == null ? "-" : re6st.net.IpPrefix.format(r.gateway())) + " dev " + r.oif());
            } catch (re6st.jni.ErrnoException e) {
                LOG.log(Level.DEBUG, "reading the default routes: {0}", e.getMessage());
            }
            return new UnderlayWatch.Snapshot(new java.util.TreeSet<>(hostAddresses(overlay.addressing().network())), routes);
        }

        @Override
        public void down(TunnelInfo t) {
            post(() -> manager.pathDown(monotonicMs(), NodePrefix.parseCn(t.peerCn()).bits(), t.outgoing()));
        }

        @Override
        public void up(TunnelInfo t) {
            post(() -> manager.pathUp(monotonicMs(), NodePrefix.parseCn(t.peerCn()).bits(), t.outgoing()));
        }

        @Override
        public void failed(String peerCn, InetSocketAddress remote, IOException why) {
            if (peerCn == null)
                return;
            post(() -> {
                String bits = NodePrefix.parseCn(peerCn).bits();
                PeerAddress a = dialled.get(bits);
                if (a != null && remote != null && remote.getPort() == a.port())
                    manager.failed(monotonicMs(), bits, a);
            });
        }

        // ---- TunnelEffects (manager thread)

        @Override
        public void dial(String prefix, PeerAddress address) {
            dialled.put(prefix, address);
            if (!overlay.dial(new NodePrefix(prefix).cn(), List.of(address)))
                LOG.log(Level.DEBUG, "no transport for {0}", address);
        }

        @Override
        public void hangUp(String prefix) {
            dialled.remove(prefix);
            overlay.hangUpOutgoing(new NodePrefix(prefix).cn()); // the manager only ever owns the tunnels we dialled
        }

        @Override
        public void askAddress(String prefix) {
            peers.send(prefix, 1, new byte[0]);
        }

        @Override
        public void askBootstrap() {
            http.execute(() -> {
                try {
                    Optional<RegistryClient.BootstrapPeer> b = registry.getBootstrapPeer(session);
                    post(() -> {
                        if (b.isPresent())
                            manager.bootstrapAnswer(monotonicMs(), b.get().prefix(), b.get().addresses());
                        else
                            manager.bootstrapFailed(monotonicMs());
                    });
                } catch (IOException e) {
                    LOG.log(Level.INFO, "getBootstrapPeer: {0}", Failures.explain(e));
                    post(() -> manager.bootstrapFailed(monotonicMs()));
                }
            });
        }

        @Override
        public void setCostMultiplier(String prefix, int multiplier) {
            String cn = new NodePrefix(prefix).cn();
            for (TunnelInfo t : overlay.tunnels()) {
                if (!t.peerCn().equals(cn))
                    continue;
                try {
                    overlay.babel().call(core -> {
                        for (Neighbour n : core.neighbours())
                            if (n.interfaceName().equals(t.ifname()))
                                core.setCostMultiplier(t.ifname(), n.address(), Math.max(1, multiplier), System.nanoTime());
                        return null;
                    });
                } catch (Exception e) {
                    failures.survived("cost multiplier", e);
                }
            }
        }

        @Override
        public void sendKill(String prefix, int code) {
            peers.send(prefix, code, new byte[0]);
        }

        // ---- PeerService.Node (peer thread: never block, post to the manager)

        @Override
        public List<PeerAddress> addresses() {
            if (settings.clientMode() || manager == null)
                return List.of();
            Map<String, InetSocketAddress> local = new LinkedHashMap<>();
            overlay.transports().forEach((proto, t) -> local.put(proto, t.localAddress()));
            PortForwarder f = upnp;
            return advertised(ourAddresses(), local, maxClients, settings.country().orElse(null), f == null ? null : f.current(monotonicMs()));
        }

        @Override
        public String softwareVersion() {
            return RegistryClient.VERSION + ", " + System.getProperty("os.name") + "-" + System.getProperty("os.arch");
        }

        @Override
        public Topology topology() {
            Topology t = Topology.parse(topology);
            return t != null ? t : new Topology(List.of(), List.of());
        }

        @Override
        public void addressReceived(String prefix, String addresses) {
            post(() -> manager.addressReceived(monotonicMs(), prefix, addresses));
        }

        @Override
        public void newerVersionSeen(String prefix, byte[] version) {
            scheduleFetch(1_000);
        }

        @Override
        public void configChangedLocally() {
            scheduleFetch(1_000);
        }

        @Override
        public void tunnelKillRequested(String prefix) {
            post(() -> manager.killRequested(monotonicMs(), prefix));
        }

        @Override
        public void tunnelKillConfirmed(String prefix) {
            post(() -> manager.killConfirmed(monotonicMs(), prefix));
        }

        @Override
        public void peerLog(String prefix, String text) {
            LOG.log(Level.INFO, "{0}: {1}", new NodePrefix(prefix).cn(), text);
        }

        /**
         * --ip addresses (with {@code any}: and the address our peers see, {@link ExternalAddress}); else this host's
         * global addresses (not on the overlay's own interfaces), after the address peers see when no --ip is given.
         */
        private List<String> ourAddresses() {
            List<String> explicit = new ArrayList<>();
            for (String ip : settings.ip())
                if (!ip.equals("upnp") && !ip.equals("any"))
                    explicit.add(ip);
            boolean any = settings.ip().contains("any");
            if (!explicit.isEmpty())
                return any ? merged(explicit, external.addresses()) : explicit;
            if (any)
                return external.addresses();
            List<String> found = hostAddresses(overlay.addressing().network());
            // no --ip: our own addresses first (peers on our LAN reach them; a NAT rarely hairpins), then what peers see
            return settings.ip().isEmpty() ? merged(found, external.addresses()) : found;
        }
    }

    /** {@code first}, then those of {@code then} not in it. */
    static List<String> merged(List<String> first, List<String> then) {
        List<String> out = new ArrayList<>(first);
        for (String s : then)
            if (!out.contains(s))
                out.add(s);
        return out;
    }

    /** This host's addresses peers may reach: global IPv4 and IPv6, not on loopback or the overlay's own interfaces. */
    static List<String> hostAddresses(re6st.net.Ipv6Prefix network) {
        List<String> found = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (ni.isLoopback() || ni.getName().startsWith("re6st-") || !ni.isUp())
                    continue;
                for (InetAddress a : Collections.list(ni.getInetAddresses()))
                    if (a instanceof Inet4Address ? !a.isLinkLocalAddress() && !a.isLoopbackAddress() : underlay6(a, network))
                        found.add(a.getHostAddress().replaceFirst("%.*", ""));
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot list this host''s addresses: {0}", e.getMessage());
        }
        return found;
    }

    /** Whether peers could dial us at {@code a}: IPv4 not 0/8, loopback, link-local, multicast or broadcast; IPv6 {@link #underlay6}. */
    static boolean usableUnderlay(InetAddress a, re6st.net.Ipv6Prefix network) {
        if (a instanceof Inet4Address) {
            byte[] b = a.getAddress();
            return b[0] != 0 && !a.isLoopbackAddress() && !a.isLinkLocalAddress() && !a.isMulticastAddress()
                    && !(b[0] == -1 && b[1] == -1 && b[2] == -1 && b[3] == -1);
        }
        return underlay6(a, network);
    }

    /** An IPv6 address of this host that peers may reach: not link-local, loopback or multicast, not inside the overlay. */
    static boolean underlay6(InetAddress a, re6st.net.Ipv6Prefix network) {
        return !(a.isLinkLocalAddress() || a.isLoopbackAddress() || a.isMulticastAddress() || a.isAnyLocalAddress()
                || network.contains(re6st.net.Ipv6Address.ofBytes(a.getAddress())));
    }

    /**
     * Our code-1 address list: each transport in the --pp order, with each of our IPs of its family
     * (IPv4 ones with udp/tcp, IPv6 ones with udp6/tcp6), but only when
     * the transports accept tunnels ({@code maxClients > 0}): a transport that only dials out has a
     * local address too (an ephemeral port), which no peer can use.
     */
    static List<PeerAddress> advertised(List<String> ips, Map<String, InetSocketAddress> transports, int maxClients, String country) {
        return advertised(ips, transports, maxClients, country, null);
    }

    /**
     * The same with UPnP: a server with a port mapping is advertised at the IGD's external address and
     * mapped port only (its local addresses are behind the NAT); the others as without it.
     */
    static List<PeerAddress> advertised(List<String> ips, Map<String, InetSocketAddress> transports, int maxClients, String country,
            PortForwarder.Advertised upnp) {
        List<PeerAddress> out = new ArrayList<>();
        if (maxClients <= 0)
            return out;
        transports.forEach((proto, local) -> { // by the --pp order of preference, then by address
            Integer mapped = upnp == null || local == null ? null : upnp.ports().get(proto);
            if (mapped != null)
                out.add(new PeerAddress(upnp.externalIp(), mapped, proto, country));
            else if (local != null)
                for (String ip : ips)
                    if (proto.endsWith("6") == ip.contains(":")) // udp6/tcp6 with IPv6 addresses, udp/tcp with IPv4
                        out.add(new PeerAddress(ip, local.getPort(), proto, country));
        });
        return out;
    }

    /** -B arguments: babeld's {@code -C statement} pairs become statements; anything else is refused. */
    static List<String> babelStatements(List<String> args) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("-C") && i + 1 < args.size())
                out.add(args.get(++i));
            else if (a.startsWith("-C") && a.length() > 2)
                out.add(a.substring(2));
            else
                throw CommandFailure.usage("-B " + a + ": only babeld '-C statement' arguments are understood by our router");
        }
        return out;
    }

    /** New 20-byte session secrets of the peer protocol: 8-byte microsecond time, then 12 random bytes (later = greater). */
    static Supplier<byte[]> secrets(SecureRandom random) {
        return () -> {
            Instant now = Instant.now();
            ByteBuffer b = ByteBuffer.allocate(20);
            b.putLong(now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000);
            byte[] r = new byte[12];
            random.nextBytes(r);
            b.put(r);
            return b.array();
        };
    }

    static long monotonicMs() {
        return System.nanoTime() / 1_000_000;
    }
}
