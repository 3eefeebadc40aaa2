package re6st.registry.cli;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

import com.codahale.metrics.MetricRegistry;
import org.bouncycastle.asn1.x500.X500Name;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import re6st.cli.CommandFailure;
import re6st.cli.Daemon;
import re6st.cli.Failures;
import re6st.cli.Launcher;
import re6st.cli.SecretFiles;
import re6st.net.Network;
import re6st.registry.Registry;
import re6st.registry.alloc.Communities;
import re6st.registry.ca.CertificateAuthority;
import re6st.registry.geo.GeoIp;
import re6st.registry.geo.MaxMindGeoIp;
import re6st.registry.http.RpcServer;
import re6st.registry.mail.TokenMailer;
import re6st.registry.node.CoLocatedNode;
import re6st.registry.node.NodeChannel;
import re6st.registry.node.NodeLink;
import re6st.registry.node.PeerAddresses;
import re6st.registry.store.RegistryDb;

/** {@code re6st registry} (classic name {@code re6st-registry}): the network's certificate authority and prefix allocator. */
@Command(name = "re6st registry", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        subcommands = {RegistryCommand.InitCa.class, StatusCommand.class},
        description = {"The re6st registry: enrols nodes (token by mail, or anonymously), gives each an IPv6 prefix as "
                + "its certificate's CN, publishes the signed network configuration (CRL, Babel keys, tunnel parameters). "
                + "Speaks protocol 10: the original re6st-conf and re6stnet work with it, and it opens an existing registry.db.",
            "Options may come from a file: re6st registry @re6st-registry.conf (one option per line)."},
        footer = {"", "Create a network CA first:",
            "  re6st registry init-ca --network 2001:db8:42::/48 --ca ca.crt --key ca.key --subject 'CN=My re6st,emailAddress=me@example.com'",
            "",
            "Revoking (admin call, from an --authorized-origin): /revoke?cn_or_serial=7/16 excludes the node: its certificate "
                + "joins the CRL and its prefix is freed. /revoke?cn_or_serial=SERIAL only revokes that certificate: the node "
                + "keeps its prefix and can renew (e.g. a certificate issued by mistake). The registry's own certificate (the first one issued) "
                + "cannot be revoked (403).",
            "",
            "Abuse limits (--max-connections*, --*-rate-per-*, --token-failures-per-source): N/SECONDS allows N at once and N "
                + "per SECONDS on average, per source network: an IPv6 /64, an IPv4 address; behind a reverse proxy on an admin "
                + "origin (loopback, --authorized-origin), the address the proxy appends to X-Forwarded-For (the proxy must set it). "
                + "0 turns a limit off. Over a limit the call gets 429 (a connection over the cap 503) with the reason, and changes "
                + "nothing; each is counted in the metrics (registry.limited.*, registry.connections.refused). An admin origin "
                + "calling for itself is not limited."})
public final class RegistryCommand implements Callable<Integer>, Launcher.Verbosity {
    @Mixin
    RegistryOptions o;

    public static void main(String[] args) {
        Launcher.main(new RegistryCommand(), args);
    }

    /** -v 2 and more: failures print their stack trace too. */
    @Override
    public boolean verbose() {
        return o != null && o.verbose >= 2;
    }

    @Override
    public Integer call() throws Exception {
        if (o.ca == null || o.key == null)
            throw CommandFailure.usage("--ca and --key are required (create them with 're6st registry init-ca')");
        try {
            configureLogging();
        } catch (java.io.IOException e) {
            throw CommandFailure.usage("cannot open the log file " + o.logfile + " (-l)", e);
        }
        SecretFiles.exposure(o.key).ifPresent(w -> System.err.println("re6st registry: " + w));
        GeoIp geoip = null;
        if (o.geoipFile() != null) {
            try {
                MaxMindGeoIp m = MaxMindGeoIp.open(o.geoipFile());
                System.getLogger("re6st.registry").log(System.Logger.Level.INFO, "GeoIP database {0}", m.description());
                geoip = m;
            } catch (java.io.IOException e) {
                throw CommandFailure.usage("--geoip", e);
            }
        } else if (!o.sameCountry.isEmpty()) {
            throw CommandFailure.usage("Can not respect 'same_country' network configuration (GEOIP2_MMDB not set, no --geoip FILE)");
        }
        if (o.nodeAddress != null)
            try {
                PeerAddresses.check(o.nodeAddress);
            } catch (IllegalArgumentException e) {
                throw CommandFailure.usage("--node-address", e);
            }
        if (o.requestTimeout < 1)
            throw CommandFailure.usage("--request-timeout must be at least 1 second, got " + o.requestTimeout);
        if (o.maxConnections < 1 || o.maxConnectionsPerSource < 1)
            throw CommandFailure.usage("--max-connections and --max-connections-per-source must be at least 1, got "
                    + o.maxConnections + " and " + o.maxConnectionsPerSource);
        if (o.tokenLifetime < 0)
            throw CommandFailure.usage("--token-lifetime must be 0 (as long as --grace-period) or more seconds, got " + o.tokenLifetime);
        if (o.tokenLength < 8 || o.tokenLength > 26)
            throw CommandFailure.usage("--token-length must be 8 (the original's) to 26 (every letter once), got " + o.tokenLength);
        // Everything that only reads the configuration comes before anything is opened or created.
        CertificateAuthority ca;
        try {
            ca = CertificateAuthority.load(o.ca, o.key);
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw CommandFailure.usage(e);
        }
        Communities communities;
        try {
            communities = o.community != null ? Communities.parse(o.community) : Communities.none();
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw CommandFailure.usage("--community", e);
        }
        TokenMailer mailer;
        try {
            mailer = o.mailhost == null ? null
                    : TokenMailer.of(o.mailhost, o.smtpUser, o.smtpPassword, o.smtpStarttls, ca.email().orElse(null));
        } catch (IllegalArgumentException e) {
            throw CommandFailure.usage("--mailhost", e);
        }
        MetricRegistry metrics = new MetricRegistry();
        re6st.metrics.MetricsServer metricsServer = null;
        if (o.metrics != null)
            try {
                metricsServer = re6st.metrics.MetricsServer.start(o.metrics, metrics);
            } catch (IllegalArgumentException e) {
                throw CommandFailure.usage("--metrics " + o.metrics, e);
            } catch (java.io.IOException e) { // e.g. the port is taken: the environment, not the command line
                throw CommandFailure.failed("cannot serve metrics on " + o.metrics + " (--metrics)", e);
            }
        re6st.metrics.MetricsServer shownMetrics = metricsServer;
        List<AutoCloseable> opened = new ArrayList<>(); // closed in reverse order at exit, or when starting fails
        if (shownMetrics != null)
            opened.add(shownMetrics);
        RegistryDb db;
        try {
            db = RegistryDb.open(o.db);
        } catch (re6st.registry.store.RegistryDbException e) {
            closeAll(opened);
            Throwable c = e.getCause();
            throw CommandFailure.usage(c == null ? "--db: " + e.getMessage() // names the file already
                    : c instanceof java.nio.file.FileSystemException ? "--db: " + Failures.explain(c) // so does this
                    : "--db " + o.db + ": " + Failures.explain(c));
        }
        opened.add(db);
        NodeLink node;
        try {
            node = new CoLocatedNode(o.run.resolve("babeld.sock"), ca.network(), new NodeChannel(o.nodePort, 3000));
            opened.add(node);
        } catch (java.io.IOException e) {
            System.err.println("re6st registry: no loopback to reach the co-located node (" + Failures.explain(e)
                    + "); getBootstrapPeer answers only from --node-address");
            node = NodeLink.NONE;
        }
        Registry registry = new Registry(o, ca, db, mailer, communities, geoip, Clock.systemUTC(), node);
        registry.registerMetrics(metrics);
        RpcServer server = new RpcServer(registry.authenticator(), Set.copyOf(o.origins()), metrics, 8,
                new re6st.registry.http.ConnectionLimits.Settings(Duration.ofSeconds(o.requestTimeout), o.maxConnections,
                        o.maxConnectionsPerSource));
        registry.declare(server);
        List<InetSocketAddress> bound;
        try {
            bound = server.start(listenAddresses());
        } catch (java.io.IOException e) {
            server.close();
            closeAll(opened);
            throw CommandFailure.failed("cannot listen on port " + o.port + " (--port)", e);
        }
        opened.add(server);
        System.out.println("re6st registry for " + ca.network() + " listening on " + bound
                + (shownMetrics != null ? "; metrics for Prometheus on port " + shownMetrics.port() : ""));
        java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "registry-expiry");
            t.setDaemon(true);
            return t;
        });
        Runnable[] expiry = new Runnable[1];
        re6st.cli.LoopFailures expiryFailures = new re6st.cli.LoopFailures(System.getLogger("re6st.registry"), "registry expiry");
        expiry[0] = () -> {
            long delay = 3600; // at least hourly
            try {
                java.util.OptionalLong next = registry.expire();
                long now = java.time.Instant.now().getEpochSecond();
                if (next.isPresent())
                    delay = Math.max(1, Math.min(next.getAsLong() - now, 3600));
            } catch (RuntimeException e) { // e.g. the database failing: try again soon, never stop expiring
                expiryFailures.survived("the expiry of certificates and tokens", e);
                delay = 60;
            } catch (Error e) { // the executor would keep it silently in a Future
                Daemon.die("re6st registry", "expiry", e);
            } finally {
                try {
                    timer.schedule(expiry[0], delay, java.util.concurrent.TimeUnit.SECONDS);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // shutting down
                }
            }
        };
        timer.execute(expiry[0]);
        opened.add(timer::shutdownNow);
        Daemon.runUntilTerminated("re6st registry", opened);
        return 0;
    }

    private static void closeAll(List<AutoCloseable> opened) {
        Daemon.closeAll("re6st registry", opened);
    }

    /**
     * -v 0..3 (warnings, info, details, everything) and -l FILE (appended, reopened on SIGUSR1 for
     * log rotation), on java.util.logging, which System.Logger uses.
     */
    void configureLogging() throws java.io.IOException {
        re6st.cli.LogLevel.apply(o.verbose);
        if (o.logfile != null)
            re6st.cli.ReopenableFileHandler.addToRootLogger(o.logfile).reopenOnSignal("USR1", System.getLogger("re6st.registry"));
    }

    /** -4/-6 addresses; none: [::] (dual stack, IPv4 too). Both wildcards: [::] alone covers both. */
    List<InetSocketAddress> listenAddresses() throws java.net.UnknownHostException {
        List<InetSocketAddress> out = new ArrayList<>();
        boolean v6Wildcard = o.ipv6Listen.contains("::") || (o.ipv4Listen.isEmpty() && o.ipv6Listen.isEmpty());
        if (v6Wildcard)
            out.add(new InetSocketAddress(InetAddress.getByName("::"), o.port));
        for (String a : o.ipv6Listen)
            if (!a.equals("::"))
                out.add(new InetSocketAddress(InetAddress.getByName(a), o.port));
        for (String a : o.ipv4Listen)
            if (!(v6Wildcard && a.equals("0.0.0.0")))
                out.add(new InetSocketAddress(InetAddress.getByName(a), o.port));
        return out;
    }

    /** {@code re6st registry init-ca}: a new network CA whose serial number encodes the network prefix. */
    @Command(name = "init-ca", mixinStandardHelpOptions = true, description = "Create a network CA (the original asks to craft its serial by hand).")
    static final class InitCa implements Callable<Integer> {
        @Option(names = "--network", required = true, paramLabel = "PREFIX", description = "The network, e.g. 2001:db8:42::/48.")
        String network;

        @Option(names = "--ca", required = true, paramLabel = "FILE", description = "Where to write the CA certificate.")
        Path ca;

        @Option(names = "--key", required = true, paramLabel = "FILE", description = "Where to write the CA key (mode 0600).")
        Path key;

        @Option(names = "--subject", defaultValue = "CN=re6st network", paramLabel = "DN",
                description = "Subject, e.g. 'CN=My re6st,emailAddress=me@example.com' (the emailAddress is the token mails' From).")
        String subject;

        @Option(names = "--key-bits", defaultValue = "2048", paramLabel = "N", description = "RSA key size; nodes get the same (default: ${DEFAULT-VALUE}).")
        int keyBits;

        @Option(names = "--days", defaultValue = "3650", paramLabel = "N", description = "Validity (default: ${DEFAULT-VALUE}).")
        int days;

        @Override
        public Integer call() throws Exception {
            try {
                CertificateAuthority ca = CertificateAuthority.initCa(Network.parse(network), keyBits, new X500Name(subject),
                        Duration.ofDays(days), Clock.systemUTC());
                ca.writePem(this.ca, key);
                System.out.println("CA for " + ca.network() + " written to " + this.ca + " (key " + key + ")");
                return 0;
            } catch (IllegalArgumentException | java.io.IOException e) {
                throw CommandFailure.usage(e);
            }
        }
    }
}
