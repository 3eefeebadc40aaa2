package re6st.registry.cli;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine.Option;
import re6st.registry.limit.AbuseLimits;
import re6st.registry.limit.Rate;

/**
 * The original {@code re6st-registry}'s options (registry-protocol.md "Command line"), same names
 * and defaults, so an existing configuration file ({@code @FILE}, one {@code name value} per
 * line, picocli's argument files) keeps working.
 */
public final class RegistryOptions {
    @Option(names = "--port", defaultValue = "80", paramLabel = "PORT", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    public int port;

    @Option(names = "-4", paramLabel = "IP", arity = "0..1", fallbackValue = "0.0.0.0",
            description = "Listen on this IPv4 address (default when given without value: 0.0.0.0).")
    public List<String> ipv4Listen = new ArrayList<>();

    @Option(names = "-6", paramLabel = "IP", arity = "0..1", fallbackValue = "::",
            description = "Listen on this IPv6 address (default when given without value: ::). Without -4 and -6: both wildcards.")
    public List<String> ipv6Listen = new ArrayList<>();

    @Option(names = "--db", defaultValue = "/var/lib/re6stnet/registry.db", paramLabel = "FILE",
            description = "Database (the original's SQLite schema; default: ${DEFAULT-VALUE}).")
    public Path db;

    @Option(names = "--dh", paramLabel = "FILE", description = "Diffie-Hellman parameters served by getDh (optional: our tunnels do not use them).")
    public Path dh;

    @Option(names = "--ca", paramLabel = "FILE", description = "The network CA certificate (its serial number encodes the network prefix).")
    public Path ca;

    @Option(names = "--key", paramLabel = "FILE", description = "The CA private key.")
    public Path key;

    @Option(names = "--mailhost", paramLabel = "HOST[:PORT]|PATH",
            description = "SMTP server for token mails, or a path: mails are appended to that mbox file.")
    public String mailhost;

    @Option(names = "--smtp-user", paramLabel = "USER", description = "SMTP login.")
    public String smtpUser;

    @Option(names = "--smtp-pwd", paramLabel = "PASSWORD", description = "SMTP password (prefer an @FILE options file over the command line).")
    public String smtpPassword;

    @Option(names = "--smtp-starttls", description = "Use STARTTLS with the SMTP server.")
    public boolean smtpStarttls;

    @Option(names = "--prefix-length", defaultValue = "16", paramLabel = "N",
            description = "Prefix length given to nodes registered by mail (0 disables mail registration; default: ${DEFAULT-VALUE}).")
    public int prefixLength;

    @Option(names = "--anonymous-prefix-length", paramLabel = "N", description = "Allow anonymous registration, with this prefix length.")
    public Integer anonymousPrefixLength;

    @Option(names = "--ipv4", arity = "2", paramLabel = "IP/N PLEN", description = "IPv4 overlay: network IP/N, and the length given to each node.")
    public List<String> ipv4;

    @Option(names = {"-l", "--logfile"}, paramLabel = "FILE", description = "Log to this file (reopened on SIGUSR1).")
    public Path logfile;

    @Option(names = {"-r", "--run"}, defaultValue = "/var/run/re6stnet", paramLabel = "DIR",
            description = "Runtime directory of the co-located node: its Babel router's local socket DIR/babeld.sock tells which "
                    + "nodes are routed (getBootstrapPeer, versions; default: ${DEFAULT-VALUE}).")
    public Path run;

    @Option(names = "--node-port", defaultValue = "326", paramLabel = "PORT",
            description = "UDP port of the co-located node on ::1, which answers address, version and topology questions and "
                    + "floods new network versions (default: ${DEFAULT-VALUE}, as re6stnet).")
    public int nodePort;

    @Option(names = "--node-address", paramLabel = "IP,PORT,PROTO[;...]",
            description = "Tunnel addresses of the registry's own node, given to bootstrapping nodes when the co-located node "
                    + "does not answer (e.g. 198.51.100.2,1194,udp;198.51.100.2,1194,tcp).")
    public String nodeAddress;

    @Option(names = "--metrics", paramLabel = "[ADDR:]PORT",
            description = "Serve metrics to Prometheus (GET /metrics) on this port, on loopback unless ADDR is given: RPC counts "
                    + "and latencies, errors by status, sessions, certificates, CRL length, network version, calls refused by the "
                    + "abuse limits, connections refused or timed out.")
    public String metrics;

    @Option(names = {"-v", "--verbose"}, defaultValue = "1", paramLabel = "LEVEL", description = "Log level 0..3 (default: ${DEFAULT-VALUE}).")
    public int verbose;

    @Option(names = "--min-protocol", defaultValue = "1", paramLabel = "N", description = "Oldest client protocol accepted (default: ${DEFAULT-VALUE}).")
    public int minProtocol;

    @Option(names = "--authorized-origin", paramLabel = "IP", description = "Also allowed to call admin RPCs (always: 127.0.0.1, ::1).")
    public List<String> authorizedOrigins = new ArrayList<>();

    @Option(names = "--request-timeout", defaultValue = "10", paramLabel = "SECONDS", description = "A whole request must arrive "
            + "within this long of the connection or of the previous answer, however it trickles in (slowloris); else the "
            + "connection is closed (default: ${DEFAULT-VALUE}).")
    public int requestTimeout = 10;

    @Option(names = "--max-connections", defaultValue = "512", paramLabel = "N", description = "Connections served at once; one "
            + "more gets 503 (a flood of connections cannot exhaust the registry's sockets and memory; default: ${DEFAULT-VALUE}).")
    public int maxConnections = 512;

    @Option(names = "--max-connections-per-source", defaultValue = "32", paramLabel = "N", description = "Of those, from one source "
            + "network (an IPv6 /64, an IPv4 address; not counted for the admin origins, e.g. a reverse proxy on loopback): one "
            + "host cannot take every place (default: ${DEFAULT-VALUE}).")
    public int maxConnectionsPerSource = 32;

    private static final AbuseLimits.Settings LIMITS = AbuseLimits.Settings.defaults(); // the one place of their defaults

    // Abuse limits (issue 12): N/SECONDS = N at once and N per SECONDS on average, per source network (an IPv6 /64, an IPv4
    // address; behind a reverse proxy on an admin origin, the address it forwards); 0 = no limit. Over one: 429, nothing done.
    @Option(names = "--hello-rate-per-source", paramLabel = "N/SECONDS", converter = RateConverter.class,
            description = "hello calls per source network: each costs an RSA signature with the CA key (default: ${DEFAULT-VALUE}).")
    public Rate helloPerSource = LIMITS.helloPerSource();

    @Option(names = "--hello-evictions-per-source", paramLabel = "N/SECONDS", converter = RateConverter.class,
            description = "hello calls per source network that push out another address's pending hello (each prefix keeps "
                    + "the pending hellos of " + re6st.registry.auth.Sessions.PENDING_PER_PREFIX + " addresses, so strangers' "
                    + "hellos cannot lock the node out; default: ${DEFAULT-VALUE}).")
    public Rate helloEvictionsPerSource = LIMITS.helloEvictionsPerSource();

    @Option(names = "--token-request-rate-per-email", paramLabel = "N/SECONDS", converter = RateConverter.class,
            description = "requestToken calls (token mails) per e-mail address: nobody is mail-bombed (default: ${DEFAULT-VALUE}).")
    public Rate tokenRequestsPerEmail = LIMITS.tokenRequestsPerEmail();

    @Option(names = "--token-request-rate-per-source", paramLabel = "N/SECONDS", converter = RateConverter.class,
            description = "requestToken calls per source network: the token table and the mail host are not flooded "
                    + "(default: ${DEFAULT-VALUE}).")
    public Rate tokenRequestsPerSource = LIMITS.tokenRequestsPerSource();

    @Option(names = "--anonymous-rate-per-source", paramLabel = "N/SECONDS", converter = RateConverter.class,
            description = "Anonymous requestCertificate calls per source network: the free prefixes are not drained, "
                    + "each also costs an RSA signature (default: ${DEFAULT-VALUE}); the registry's own host is not limited.")
    public Rate anonymousPerSource = LIMITS.anonymousPerSource();

    @Option(names = "--token-failures-per-source", paramLabel = "N/SECONDS", converter = RateConverter.class,
            description = "Wrong (unknown or expired) tokens per source network; over it, requestCertificate with a token is "
                    + "refused until the allowance refills, so tokens cannot be guessed (default: ${DEFAULT-VALUE}).")
    public Rate tokenFailuresPerSource = LIMITS.tokenFailuresPerSource();

    @Option(names = "--token-lifetime", defaultValue = "604800", paramLabel = "SECONDS", description = "An unused token is "
            + "deleted this long after it was made (0: after --grace-period, as the original; default: ${DEFAULT-VALUE}, 7 days).")
    public long tokenLifetime = 604800;

    @Option(names = "--token-length", defaultValue = "8", paramLabel = "N", description = "Letters in a new token, all different "
            + "(8 to 26; default: ${DEFAULT-VALUE}, as the original: ~36 bits; 12 gives ~52). Any length works with re6st-conf.")
    public int tokenLength = 8;

    @Option(names = "--community", paramLabel = "FILE", description = "Communities: '<binary subprefix> <locations...>' per line.")
    public Path community;

    @Option(names = "--grace-period", defaultValue = "8640000", paramLabel = "SECONDS",
            description = "How long an expired certificate keeps its prefix (default: ${DEFAULT-VALUE}, 100 days).")
    public long gracePeriod = 8640000;

    @Option(names = "--hello", defaultValue = "15", paramLabel = "SECONDS", description = "Babel hello interval for nodes (default: ${DEFAULT-VALUE}).")
    public int hello;

    @Option(names = "--encrypt", description = "Tell nodes to encrypt tunnels (ours always do).")
    public boolean encrypt;

    @Option(names = "--client-count", defaultValue = "10", paramLabel = "N", description = "Outgoing tunnels per node (default: ${DEFAULT-VALUE}).")
    public int clientCount;

    @Option(names = "--max-clients", paramLabel = "N", description = "Incoming tunnels per node (default: 2 x --client-count).")
    public Integer maxClients;

    @Option(names = "--tunnel-refresh", defaultValue = "300", paramLabel = "SECONDS", description = "Tunnel refresh interval (default: ${DEFAULT-VALUE}).")
    public int tunnelRefresh;

    @Option(names = "--same-country", paramLabel = "CODE", description = "Nodes of this country only make tunnels among themselves (needs --geoip).")
    public List<String> sameCountry = new ArrayList<>();

    @Option(names = "--geoip", defaultValue = "${env:GEOIP2_MMDB}", paramLabel = "FILE",
            description = "GeoIP2/GeoLite2 Country database (MaxMind DB format): getCountry, and the community of nodes that give no "
                    + "location (default: $GEOIP2_MMDB, as the original; empty: none).")
    public Path geoip;

    /** The GeoIP database file, or null: none given (an empty value also means none, as an empty GEOIP2_MMDB for the original). */
    public Path geoipFile() {
        return geoip == null || geoip.toString().isEmpty() ? null : geoip;
    }

    /** The admin origins: loopback plus --authorized-origin. */
    public List<InetAddress> origins() throws java.net.UnknownHostException {
        List<InetAddress> out = new ArrayList<>(List.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("::1")));
        for (String o : authorizedOrigins)
            out.add(InetAddress.getByName(o));
        return out;
    }

    /** How long an unused token lives, in seconds: --token-lifetime, or the grace period for 0. */
    public long tokenLifetime() {
        return tokenLifetime == 0 ? gracePeriod : tokenLifetime;
    }

    public AbuseLimits.Settings abuseLimits() {
        return new AbuseLimits.Settings(helloPerSource, helloEvictionsPerSource, tokenRequestsPerEmail, tokenRequestsPerSource, anonymousPerSource,
                tokenFailuresPerSource);
    }

    /** {@code N/SECONDS} or 0, for picocli (a bad value is a usage error naming the option). */
    public static final class RateConverter implements picocli.CommandLine.ITypeConverter<Rate> {
        @Override
        public Rate convert(String value) {
            try {
                return Rate.parse(value);
            } catch (IllegalArgumentException e) { // picocli prints a conversion error's own message after the option's name
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    public int maxClients() {
        return maxClients != null ? maxClients : 2 * clientCount;
    }
}
