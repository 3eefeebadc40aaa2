package re6st.node.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

import picocli.CommandLine.Option;
import re6st.cli.CommandFailure;
import re6st.net.Ipv4Text;
import re6st.net.Ipv6Address;
import re6st.net.NodePrefix;

/**
 * The options of {@code re6st node}, with the original re6stnet's names and defaults
 * (spec/node-behaviour.md, "Original re6stnet options"; its cli/node.py), so that an existing
 * re6stnet.conf works. {@link #settings} checks them and gives the {@link NodeSettings}.
 */
public final class NodeOptions {
    // ---- general
    @Option(names = "--ip", paramLabel = "IP", description = {"Address advertised to other nodes (repeatable). Special values: "
            + "'upnp' (map a random port in 32768-49151 on the NAT router, a UPnP IGD, for each IPv4 tunnel server, renewed every "
            + "500 s and deleted at exit, and advertise the router's external address; a warning when no IGD answers), "
            + "'any' (learn our address from what peers see). "
            + "Default: the same UPnP search, and this host's own addresses (no NAT assumed) when no IGD answers."})
    List<String> ip = new ArrayList<>();

    @Option(names = "--registry", paramLabel = "URL", description = "Public HTTP URL of the registry, for bootstrapping (required).")
    String registry;

    @Option(names = {"-l", "--log"}, paramLabel = "DIR", description = "Log to DIR/re6stnet.log too (appended, reopened on "
            + "SIGUSR1 for log rotation). Default: standard error only (the journal under systemd; the original's default "
            + "is /var/log/re6stnet).")
    Path log;

    @Option(names = {"-r", "--run"}, paramLabel = "DIR", defaultValue = "/var/run/re6stnet",
            description = "Runtime directory: the router's control socket babeld.sock (default: ${DEFAULT-VALUE}).")
    Path run;

    @Option(names = {"-s", "--state"}, paramLabel = "DIR", defaultValue = "/var/lib/re6stnet",
            description = "State directory: cache.db, the network parameters and peer addresses (default: ${DEFAULT-VALUE}).")
    Path state;

    @Option(names = "--metrics", paramLabel = "[ADDR:]PORT", description = "Serve Prometheus metrics (GET /metrics) on PORT of "
            + "loopback, or on ADDR: per tunnel RTT, bytes, liveness and Babel cost, routes, config version, certificate expiry, "
            + "tunnel manager decisions, handshake failures by reason (re6st_* names). Metrics name the peers: keep them off "
            + "the Internet. Not in the original.")
    String metrics;

    @Option(names = "--http", paramLabel = "[ADDR:]PORT", description = "Serve a status page (GET /) on PORT of loopback, or "
            + "on ADDR: what re6st status shows, live, with a map of the mesh (JSON at /status.json). It names the peers: keep "
            + "it off the Internet. Not in the original.")
    String http;

    @Option(names = {"-v", "--verbose"}, paramLabel = "LEVEL", defaultValue = "1", description = "Log level: 0 no log, "
            + "1 warnings, 2 info, 3 debug, 4 trace; SIGUSR1 reopens the log (default: ${DEFAULT-VALUE}).")
    int verbose;

    @Option(names = {"-i", "--interface"}, paramLabel = "IFACE", description = "Extra interface for LAN discovery of other "
            + "re6st nodes on the same segment (repeatable; recommended when there are some).")
    List<String> interfaces = new ArrayList<>();

    @Option(names = {"-I", "--main-interface"}, paramLabel = "IFACE", defaultValue = "lo", description = "Interface that gets "
            + "the node's re6st address; any interface not used for tunnels (default: ${DEFAULT-VALUE}).")
    String mainInterface;

    @Option(names = {"-m", "--multicast"}, description = "Enable multicast routing over the network.")
    boolean multicast;

    @Option(names = "--up", paramLabel = "CMD", description = "Shell command to run once the node is up "
            + "(environment: re6stnet_ip, re6stnet_iface, re6stnet_subnet, re6stnet_network).")
    String up;

    @Option(names = "--daemon", paramLabel = "CMD", description = "Like --up, but runs in the background and is stopped at exit "
            + "(TERM, then KILL 5 s later; repeatable).")
    List<String> daemons = new ArrayList<>();

    @Option(names = "--country", paramLabel = "CODE", description = "Our country (ISO 3166 alpha-2), for networks whose "
            + "registry sets same_country (default: from our cached address, else asked from the registry).")
    String country;

    @Option(names = "--test", paramLabel = "EXPR", description = "The original's 'exit after parsing with the value of a Python "
            + "expression': not supported here (refused).")
    String test;

    @Option(names = "--console", paramLabel = "SOCK", description = "The original's Python console socket: accepted and ignored.")
    String console;

    // ---- routing
    @Option(names = "-B", paramLabel = "ARG", description = "Extra argument for the router, as the original passes to babeld (repeatable).")
    List<String> babelArgs = new ArrayList<>();

    @Option(names = {"-D", "--default"}, description = "Reach the Internet through this network (make sure there is no other "
            + "default route), or run on a kernel without source-specific routes (CONFIG_IPV6_SUBTREES); no tunnels over IPv6 then. "
            + "Conflicts with --gateway.")
    boolean defaultRoute;

    @Option(names = "--table", paramLabel = "0", description = "Obsolete: --table 0 is -D/--default (accepted with a warning).")
    Integer table;

    @Option(names = "--gateway", description = "Act as a gateway of this network: announce the default route. "
            + "Only if you know what it means.")
    boolean gateway;

    // ---- tunnelling
    @Option(names = "-O", paramLabel = "ARG", description = "The original's extra OpenVPN argument: there is no OpenVPN here "
            + "(accepted and ignored, repeatable).")
    List<String> openvpnArgs = new ArrayList<>();

    @Option(names = "--ovpnlog", description = "The original's per-OpenVPN log files: accepted and ignored.")
    boolean ovpnlog;

    @Option(names = "--pp", arity = "2", paramLabel = "PORT PROTO", hideParamSyntax = true, description = "Port and protocol (udp, tcp, udp6, tcp6) "
            + "announced to peers, by preference; one server per protocol, on its first port (repeatable; "
            + "default: --pp 1194 udp --pp 1194 tcp, without the disabled protocols). udp6 carries tunnels over IPv6 (the host's "
            + "global IPv6 addresses are announced with it); tcp6 is not implemented yet (ignored, with a warning).")
    List<String> pp = new ArrayList<>();

    @Option(names = "--dh", paramLabel = "FILE", description = "The original's Diffie-Hellman parameters for OpenVPN: our "
            + "tunnels do not use them (accepted and ignored).")
    Path dh;

    @Option(names = "--ca", paramLabel = "FILE", description = "The network's CA certificate, PEM; its serial number gives "
            + "the network prefix (required).")
    Path ca;

    @Option(names = "--cert", paramLabel = "FILE", description = "This node's certificate, PEM; its CN gives the node's prefix (required).")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "This node's private key, PEM (required).")
    Path key;

    @Option(names = "--client-count", paramLabel = "N", description = "Outgoing tunnels to keep (default: the registry's value).")
    Integer clientCount;

    @Option(names = "--max-clients", paramLabel = "N", description = "Incoming tunnels accepted per server (default: the registry's value).")
    Integer maxClients;

    @Option(names = "--remote-gateway", paramLabel = "IP", description = "Make the tunnels through these IPv4 gateways, "
            + "in turn (repeatable).")
    List<String> remoteGateways = new ArrayList<>();

    @Option(names = "--disable-proto", paramLabel = "PROTO", description = "Never make tunnels with this protocol: none, udp, "
            + "tcp, udp6 or tcp6; 'none' wins over the others (repeatable; default: none, UDP and TCP are both used).")
    List<String> disableProto = new ArrayList<>();

    @Option(names = "--client", paramLabel = "HOST,PORT,PROTO[;...]", description = "No server and no tunnel manager: one "
            + "tunnel, to the first of these remotes (whichever node of the network answers there; the others are not used yet); "
            + "options about servers and tunnel counts are then ignored.")
    String client;

    @Option(names = "--neighbour", paramLabel = "CN", description = "A node (CN, e.g. 7/16) to keep a direct tunnel to (repeatable).")
    List<String> neighbours = new ArrayList<>();

    /** The checked settings; paths relative to the current directory are made absolute. */
    public NodeSettings settings() {
        List<String> missing = new ArrayList<>();
        if (registry == null)
            missing.add("--registry URL");
        if (ca == null)
            missing.add("--ca FILE");
        if (cert == null)
            missing.add("--cert FILE");
        if (key == null)
            missing.add("--key FILE");
        if (!missing.isEmpty())
            throw CommandFailure.usage("missing " + String.join(", ", missing) + " (on the command line, or in an options file "
                    + "such as the re6stnet.conf that re6st conf writes: re6st node @re6stnet.conf)");
        if (test != null)
            throw CommandFailure.usage("--test: Python expressions cannot be evaluated by this re6stnet; drop the option");
        if (verbose < 0 || verbose > 4)
            throw CommandFailure.usage("--verbose " + verbose + ": expected a level from 0 to 4");
        List<String> warnings = new ArrayList<>();
        boolean useDefault = defaultRoute;
        if (table != null) {
            if (table != 0)
                throw CommandFailure.usage("--table " + table + ": only 0 is accepted (and it is obsolete: use -D/--default)");
            warnings.add("--table is obsolete: use -D/--default instead");
            useDefault = true;
        }
        if (useDefault && gateway)
            throw CommandFailure.usage("conflicting options " + (defaultRoute ? "--default" : "--table 0") + " and --gateway");
        Set<String> disabled = disabledProtocols(useDefault);
        List<NodeSettings.Remote> remotes = client == null ? List.of() : ClientRemotes.parse(client, disabled);
        if (!remotes.isEmpty())
            ignoredWithClient(warnings);
        if (!openvpnArgs.isEmpty() || ovpnlog)
            warnings.add((ovpnlog ? "--ovpnlog" : "-O") + " is ignored: there is no OpenVPN in this re6stnet");
        if (dh != null)
            warnings.add("--dh is ignored: our tunnels negotiate their keys without Diffie-Hellman parameter files");
        if (console != null)
            warnings.add("--console is ignored: there is no Python console in this re6stnet");
        if (useDefault)
            warnings.add((defaultRoute ? "-D/--default" : "--table 0") + " is obsolete and does not change the routes, as in "
                    + "the current re6stnet: the default route through the network stays restricted to its sources (a kernel "
                    + "with IPv6 subtrees is needed); it only turns udp6/tcp6 tunnels off");
        if (!remoteGateways.isEmpty())
            warnings.add("accepted but not implemented yet: --remote-gateway (tunnels follow the host's own routes)");
        if (multicast)
            warnings.add("accepted but not implemented yet: -m/--multicast (no multicast routing over the network)");
        return new NodeSettings(registryUri(), checkedIps(), Optional.ofNullable(log).map(NodeOptions::abs), abs(run), abs(state), verbose, interfaces,
                mainInterface(), multicast, Optional.ofNullable(up), daemons, countryCode(), babelArgs, gateway, useDefault,
                openvpnArgs, ovpnlog, remotes.isEmpty() ? servers(disabled) : List.of(), Optional.ofNullable(dh).map(NodeOptions::abs),
                abs(ca), abs(cert), abs(key), count("--client-count", clientCount), count("--max-clients", maxClients),
                gateways(), disabled, remotes, neighbourPrefixes(), Optional.ofNullable(console), Optional.ofNullable(metrics), httpAddress(), warnings);
    }

    private Optional<java.net.InetSocketAddress> httpAddress() {
        if (http == null)
            return Optional.empty();
        try {
            return Optional.of(re6st.metrics.MetricsServer.address(http, "the status page"));
        } catch (IllegalArgumentException e) {
            throw CommandFailure.usage("--http " + http + ": " + e.getMessage());
        }
    }

    private void ignoredWithClient(List<String> warnings) {
        List<String> ignored = new ArrayList<>();
        if (!pp.isEmpty())
            ignored.add("--pp");
        if (clientCount != null)
            ignored.add("--client-count");
        if (maxClients != null)
            ignored.add("--max-clients");
        if (!ip.isEmpty())
            ignored.add("--ip");
        for (String option : ignored)
            warnings.add(option + " is ignored with --client (no server, no tunnel manager)");
    }

    private static Path abs(Path p) {
        return p.toAbsolutePath().normalize();
    }

    private URI registryUri() {
        try {
            URI u = new URI(registry);
            if (("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme())) && u.getHost() != null)
                return u;
        } catch (URISyntaxException e) {
            // explained below
        }
        throw CommandFailure.usage("--registry '" + registry + "': expected an http:// or https:// URL, e.g. http://re6st.example.com/");
    }

    private List<String> checkedIps() {
        for (String a : ip)
            if (!a.equals("upnp") && !a.equals("any") && !isIpv4(a) && !isIpv6(a))
                throw CommandFailure.usage("--ip " + a + ": expected an IPv4 or IPv6 address, 'upnp' or 'any'");
        if (ip.size() > 1 && (ip.contains("upnp") || ip.contains("any")))
            throw CommandFailure.usage("--ip can be given only once with 'any' or 'upnp' (got " + String.join(", ", ip) + ")");
        return ip;
    }

    static boolean isIpv4(String s) {
        try {
            Ipv4Text.parse(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static boolean isIpv6(String s) {
        try {
            Ipv6Address.parse(s);
            return s.contains(":");
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private String mainInterface() {
        if (mainInterface.isBlank())
            throw CommandFailure.usage("--main-interface: empty interface name");
        return mainInterface;
    }

    private Optional<String> countryCode() {
        if (country == null)
            return Optional.empty();
        if (!country.matches("[A-Za-z]{2}"))
            throw CommandFailure.usage("--country " + country + ": expected a two-letter ISO 3166 code, e.g. FR");
        return Optional.of(country.toUpperCase(Locale.ROOT));
    }

    private Set<String> disabledProtocols(boolean useDefault) {
        Set<String> out = new LinkedHashSet<>();
        for (String p : disableProto)
            if (!p.equals("none") && !NodeSettings.PROTOCOLS.contains(p))
                throw CommandFailure.usage("--disable-proto " + p + ": expected none, udp, tcp, udp6 or tcp6");
        if (!disableProto.contains("none"))
            NodeSettings.PROTOCOLS.stream().filter(disableProto::contains).forEach(out::add);
        if (useDefault) // as the original: with the default route through re6st, never tunnel over IPv6 (over re6st itself)
            out.addAll(List.of("udp6", "tcp6"));
        return out;
    }

    private List<NodeSettings.Server> servers(Set<String> disabled) {
        if (pp.isEmpty())
            return NodeSettings.DEFAULT_SERVERS.stream().filter(s -> !disabled.contains(s.protocol())).toList();
        List<NodeSettings.Server> out = new ArrayList<>();
        for (int i = 0; i + 1 < pp.size(); i += 2) {
            String port = pp.get(i), proto = pp.get(i + 1);
            if (!NodeSettings.PROTOCOLS.contains(proto))
                throw CommandFailure.usage("--pp " + port + " " + proto + ": the protocol must be udp, tcp, udp6 or tcp6");
            int n = ClientRemotes.port(port, "--pp " + port + " " + proto);
            if (disabled.contains(proto))
                throw CommandFailure.usage("conflicting options --disable-proto " + proto + " and --pp " + port + " " + proto);
            out.add(new NodeSettings.Server(n, proto));
        }
        return out;
    }

    private static OptionalInt count(String option, Integer n) {
        if (n == null)
            return OptionalInt.empty();
        if (n < 0)
            throw CommandFailure.usage(option + " " + n + ": expected 0 or more");
        return OptionalInt.of(n);
    }

    private List<String> gateways() {
        for (String g : remoteGateways)
            if (!isIpv4(g))
                throw CommandFailure.usage("--remote-gateway " + g + ": expected an IPv4 address");
        return remoteGateways;
    }

    private List<NodePrefix> neighbourPrefixes() {
        List<NodePrefix> out = new ArrayList<>();
        for (String cn : neighbours) {
            try {
                out.add(NodePrefix.parseCn(cn));
            } catch (IllegalArgumentException e) {
                throw CommandFailure.usage("--neighbour " + cn + ": " + e.getMessage());
            }
        }
        return out;
    }
}
