package re6st.node.cli;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

import re6st.net.NodePrefix;

/**
 * What {@code re6st node} was asked to do, checked ({@link NodeOptions#settings}): the original
 * re6stnet's options under their meaning, for the daemon. Paths are absolute (relative ones were
 * taken from the current directory, as the original does). Values the registry decides when not
 * given ({@code client_count}, {@code max_clients}) are empty here.
 *
 * @param ip               --ip values in order: IP addresses, or one {@code upnp} / {@code any}; empty: the default (UPnP, else no NAT)
 * @param logDir           -l: where re6stnet.log goes ({@link #logFile}); empty: standard error only
 * @param verbose          0 (no log) .. 4 (trace)
 * @param babelArgs        -B arguments for the router, in order
 * @param defaultRoute     -D (or the obsolete --table 0): the default route without source restriction; implies no udp6/tcp6 tunnels
 * @param openvpnArgs      -O arguments (no OpenVPN here: kept for the record, ignored with a warning)
 * @param servers          --pp in order of preference, without the disabled protocols; empty in --client mode
 * @param disabledProtocols --disable-proto (none by default: UDP and TCP both on), plus udp6 and tcp6 with -D
 * @param client           --client remotes not disabled; empty unless in client mode
 * @param neighbours       --neighbour CNs as node prefixes
 * @param metrics          --metrics [ADDR:]PORT: where Prometheus scrapes the node (loopback for a bare port); none by default
 * @param http             --http [ADDR:]PORT: where the status page is served (loopback for a bare port); none by default
 * @param warnings         one line each for what was accepted but is obsolete or ignored; the daemon logs them
 */
public record NodeSettings(URI registry, List<String> ip, Optional<Path> logDir, Path runDir, Path stateDir, int verbose,
        List<String> interfaces, String mainInterface, boolean multicast, Optional<String> up, List<String> daemons,
        Optional<String> country, List<String> babelArgs, boolean gateway, boolean defaultRoute, List<String> openvpnArgs,
        boolean ovpnlog, List<Server> servers, Optional<Path> dh, Path ca, Path cert, Path key, OptionalInt clientCount,
        OptionalInt maxClients, List<String> remoteGateways, Set<String> disabledProtocols, List<Remote> client,
        List<NodePrefix> neighbours, Optional<String> console, Optional<String> metrics, Optional<java.net.InetSocketAddress> http,
        List<String> warnings) {

    /** Tunnel protocols in the original's order. */
    public static final List<String> PROTOCOLS = List.of("udp", "tcp", "udp6", "tcp6");
    /** The servers when no --pp is given: UDP and TCP on 1194 (the original's list; it disables UDP by default, we do not). */
    public static final List<Server> DEFAULT_SERVERS = List.of(new Server(1194, "udp"), new Server(1194, "tcp"));

    /** One --pp: a tunnel server's port and protocol, announced to peers. */
    public record Server(int port, String protocol) {}

    /** One --client remote: a host (name or address) to resolve, its port and protocol. */
    public record Remote(String host, int port, String protocol) {}

    public NodeSettings {
        ip = List.copyOf(ip);
        interfaces = List.copyOf(interfaces);
        daemons = List.copyOf(daemons);
        babelArgs = List.copyOf(babelArgs);
        openvpnArgs = List.copyOf(openvpnArgs);
        servers = List.copyOf(servers);
        remoteGateways = List.copyOf(remoteGateways);
        disabledProtocols = java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(disabledProtocols));
        client = List.copyOf(client);
        neighbours = List.copyOf(neighbours);
        warnings = List.copyOf(warnings);
    }

    /** --client mode: one outgoing tunnel, no server, no tunnel manager. */
    public boolean clientMode() {
        return !client.isEmpty();
    }

    /** The daemon's own log file, as the original: {@code <log>/re6stnet.log}; empty without -l. */
    public Optional<Path> logFile() {
        return logDir.map(d -> d.resolve("re6stnet.log"));
    }

    /** The node cache's directory's file, as the original: {@code <state>/cache.db}. */
    public Path cacheFile() {
        return stateDir.resolve(re6st.node.cache.NodeCache.FILE_NAME);
    }
}
