package re6st.tunnel.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

import com.codahale.metrics.MetricRegistry;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import re6st.cli.CommandFailure;
import re6st.cli.Daemon;
import re6st.cli.Failures;
import re6st.cli.Launcher;
import re6st.cli.SecretFiles;
import re6st.jni.Tun;
import re6st.jni.UdpSocket;
import re6st.metrics.MetricsServer;
import re6st.net.IpPrefix;
import re6st.tunnel.TcpConnection;
import re6st.tunnel.TcpEndpoint;
import re6st.tunnel.TcpTunnel;
import re6st.tunnel.TunDevice;
import re6st.tunnel.UdpEndpoint;
import re6st.tunnel.UdpTunnel;
import re6st.tunnel.data.DataPacket;
import re6st.tunnel.handshake.Credentials;

/** {@code re6st tunnel}: one encrypted tunnel in the foreground, for benchmarks and debugging. */
@Command(name = "re6st tunnel", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Runs always-encrypted tunnels until SIGTERM: TUN interfaces joined to peers over UDP (or, with --proto tcp, "
                + "a TCP connection), authenticated "
                + "with certificates from the network CA (DTLS 1.2, ECDHE, AES-256-GCM data channel with "
                + "replay protection). Prints one line when the tunnel is up. The interface goes down within "
                + "1 s when nothing comes back from the peer, and up again when the path heals. Data keys change every "
                + "--rekey seconds without interrupting traffic; the MTU comes down by itself on paths that silently "
                + "lose big packets.",
            "",
            "One side listens (--listen: over UDP any number of clients on one port, each on its own interface), "
                + "the other connects (--connect, NAT-friendly: the client dials out; after its address changes or the "
                + "server restarts, it authenticates again by itself)."},
        footer = {"", "Example:",
            "  server$ re6st tunnel --listen 1194 --ca ca.crt --cert s.crt --key s.key --address fd00::1/64",
            "  client$ re6st tunnel --connect 198.18.0.1:1194 --peer-cn 1/16 --ca ca.crt --cert c.crt --key c.key \\\\",
            "            --address fd00::2/64"})
public final class TunnelCommand implements Callable<Integer>, Launcher.Verbosity {
    static final class Mode {
        @Option(names = "--listen", paramLabel = "[ADDR:]PORT", description = "Accept clients on this UDP port (TCP port with --proto tcp, one client at a time).")
        String listen;

        @Option(names = "--connect", paramLabel = "HOST:PORT", description = "Dial a listening peer.")
        String connect;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    @Option(names = "--proto", paramLabel = "udp|tcp", defaultValue = "udp", description = {
        "Underlay transport (default: ${DEFAULT-VALUE}). tcp is the fallback where UDP is blocked: the same "
            + "handshake and data channel over one TCP connection, each datagram preceded by its 2-byte length "
            + "(as OpenVPN over TCP); when the connection breaks, --connect reconnects with backoff (0.5 s to 10 s) "
            + "and --listen accepts the same peer again, keeping the TUN interface."})
    String proto;

    @Option(names = "--ca", required = true, paramLabel = "FILE", description = "The network CA certificate (PEM).")
    Path ca;

    @Option(names = "--cert", required = true, paramLabel = "FILE", description = "Our certificate (PEM), issued by the CA.")
    Path cert;

    @Option(names = "--key", required = true, paramLabel = "FILE", description = "Our private key (PEM).")
    Path key;

    @Option(names = "--crl", paramLabel = "FILE", description = "Revocation list of the CA (PEM or DER); revoked peers are refused. "
            + "Read again on SIGHUP and when the file changes (checked each second): the tunnels of peers it now revokes "
            + "close; a file that does not load is reported and the previous list stays in force.")
    Path crl;

    @Option(names = "--peer-cn", paramLabel = "CN", description = "With --connect: the CN the peer must have (e.g. 7/16).")
    String peerCn;

    @Option(names = "--ifname", paramLabel = "NAME", description = "TUN interface name (default: ${DEFAULT-VALUE}).", defaultValue = "re6st%d")
    String ifname;

    @Option(names = "--address", paramLabel = "IP/PLEN", description = "Inner address to put on the TUN interface.")
    String address;

    @Option(names = "--mtu", paramLabel = "N", description = "TUN MTU (default: underlay 1500 - IPv6/UDP headers - tunnel "
            + "overhead = " + DEFAULT_MTU + ", over TCP too: TCP cuts the stream into segments anyway).")
    Integer mtu;

    @Option(names = "--rekey", paramLabel = "SECONDS", defaultValue = "120",
            description = "Move to fresh data keys this often, without interrupting traffic (default: ${DEFAULT-VALUE}).")
    long rekeySeconds;

    @Option(names = "--session-lifetime", paramLabel = "DURATION", defaultValue = "1h", description = {
        "Renew the session (a new handshake: fresh ECDHE keys, and the peer's certificate checked again "
            + "against the CRL of the moment) before it is this old (default: ${DEFAULT-VALUE}); e.g. 3600, 90s, 30m, 2h. "
            + "The dialling side renews from 90% of the lifetime on; traffic goes on over the old keys until both ends "
            + "hold the new ones. A session not renewed by its lifetime plus the handshake timeout is closed (over TCP: "
            + "its connection, and the dialling side reconnects)."})
    String sessionLifetime;

    @Option(names = "--metrics", paramLabel = "[ADDR:]PORT", description = "Serve the tunnels' metrics to Prometheus "
            + "(http://ADDR:PORT/metrics; loopback unless ADDR is given): bytes and packets each way, drops by reason, "
            + "handshakes and their latency, RTT, MTU, liveness.")
    String metricsAt;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30", description = "Handshake timeout (default: "
            + "${DEFAULT-VALUE}). Over UDP: --connect gives up if no tunnel is up this long after starting (a refused "
            + "certificate ends it at once); --listen waits for clients without limit. Over TCP: --connect keeps trying to reach the server this long, and --listen (which waits "
            + "for its client without limit) gives each incoming connection this long to authenticate.")
    int timeout;

    @Option(names = "--max-clients", paramLabel = "N", defaultValue = "20", description = "With --listen over UDP: at most this many "
            + "authenticated clients (re6st's max_clients; default: ${DEFAULT-VALUE}); a new one beyond is refused and counted.")
    int maxClients;

    @Option(names = "--keep-up", description = "Over UDP: keep the interface up and the session through a silent path (no "
            + "liveness link-down, no new handshake), leaving failure detection to the routing daemon's hellos, as babeld runs "
            + "over OpenVPN without ping-restart. For failover baselines (the failover benchmark's rows b-d), not for production.")
    boolean keepUp;

    @Option(names = {"-v", "--verbose"}, description = "On failure, print the stack trace too.")
    boolean verbose;

    public static void main(String[] args) {
        Launcher.main(new TunnelCommand(), args);
    }

    @Override
    public boolean verbose() {
        return verbose;
    }

    @Override
    public Integer call() throws Exception {
        if (rekeySeconds <= 0 || rekeySeconds > 86_400)
            throw CommandFailure.usage("--rekey must be between 1 and 86400 seconds, got " + rekeySeconds);
        if (!proto.equals("udp") && !proto.equals("tcp"))
            throw CommandFailure.usage("--proto must be udp or tcp, got " + proto);
        if (maxClients < 0)
            throw CommandFailure.usage("--max-clients must be 0 or more, got " + maxClients);
        Duration lifetime = duration("--session-lifetime", sessionLifetime);
        if (lifetime.toSeconds() < 1 || lifetime.toDays() > 7)
            throw CommandFailure.usage("--session-lifetime must be between 1 s and 7 days, got " + sessionLifetime);
        if (mtu != null && (mtu < 1280 || mtu > 65_535))
            throw CommandFailure.usage("--mtu must be between 1280 (the IPv6 minimum) and 65535, got " + mtu);
        if (address != null)
            try {
                IpPrefix.parse(address);
            } catch (IllegalArgumentException e) {
                throw CommandFailure.usage("--address", e);
            }
        InetSocketAddress connectTo = mode.connect != null ? hostPort("--connect", mode.connect) : null;
        InetSocketAddress listenOn = mode.listen != null ? listenAddress(mode.listen) : null;
        SecretFiles.exposure(key).ifPresent(w -> System.err.println("re6st tunnel: " + w));
        Credentials me;
        try {
            me = Credentials.load(ca, cert, key, crl);
        } catch (IOException | IllegalArgumentException e) {
            throw CommandFailure.usage(e);
        }
        if (connectTo != null && peerCn == null) // said once the command can run: a mistake above is the one line
            System.err.println("re6st tunnel: warning: no --peer-cn: ANY member of the network is accepted as the server at "
                    + connectTo + " (name the prefix you dial, e.g. --peer-cn 7/16)");
        sessionLifetimeValue = lifetime;
        MetricRegistry metrics = new MetricRegistry();
        if (metricsAt != null) {
            try {
                MetricsServer.start(metricsAt, metrics);
            } catch (IllegalArgumentException e) {
                throw CommandFailure.usage("--metrics " + metricsAt, e);
            } catch (IOException e) { // e.g. the port is taken
                throw CommandFailure.failed("cannot serve metrics on " + metricsAt + " (--metrics)", e);
            }
        }
        if (proto.equals("tcp")) {
            if (keepUp)
                throw CommandFailure.usage("--keep-up is for UDP tunnels only");
            return tcp(me, metrics, connectTo, listenOn);
        }
        return udp(me, metrics, connectTo, listenOn);
    }

    /**
     * UDP ({@link UdpEndpoint}): --listen takes any number of clients on its port, each on its own
     * TUN interface (a fixed --ifname serves one CN); --connect dials the server, handshakes again
     * by itself when the path stays dead (roaming, server restart) and exits only if the first
     * handshake is refused or nothing answers within --timeout.
     */
    private Integer udp(Credentials me, MetricRegistry metrics, InetSocketAddress server, InetSocketAddress listenOn) throws Exception {
        UdpSocket socket;
        try {
            socket = UdpSocket.bind(server != null ? new InetSocketAddress(server.getAddress() instanceof java.net.Inet4Address
                    ? IpPrefix.literal("0.0.0.0") : IpPrefix.literal("::"), 0) : listenOn);
        } catch (IOException e) {
            throw CommandFailure.failed("cannot open the UDP socket" + (listenOn != null ? " on " + listenOn : ""), e);
        }
        int tunMtu = mtu != null ? mtu : DEFAULT_MTU;
        java.util.concurrent.CompletableFuture<String> first = new java.util.concurrent.CompletableFuture<>();
        java.util.Map<String, String> interfaces = new java.util.concurrent.ConcurrentHashMap<>(); // CN -> interface
        UdpEndpoint.Handler handler = new UdpEndpoint.Handler() {
            @Override
            public Tun tunFor(String cn, InetSocketAddress from) throws IOException {
                if (!ifname.contains("%") && !interfaces.isEmpty() && !interfaces.containsKey(cn)) {
                    System.err.println("re6st tunnel: " + cn + " at " + from + " refused: interface " + ifname + " already carries "
                            + interfaces.keySet() + " (give --ifname a %d to serve several clients)");
                    return null;
                }
                Tun tun = tunInterface(tunMtu);
                interfaces.put(cn, tun.name());
                return tun;
            }

            @Override
            public void established(UdpEndpoint.PeerTunnel p, boolean isFirst) {
                String prefix = "tunnel." + p.tun().name();
                metrics.removeMatching(com.codahale.metrics.MetricFilter.startsWith(prefix + "."));
                p.counters().register(metrics, prefix, p::session);
                if (isFirst)
                    System.out.println("tunnel up: " + p.tun().name() + " <-> " + p.cn() + " at " + p.address() + " (mtu " + tunMtu
                            + ", handshake " + (long) (endpoint().handshakeTime.getSnapshot().getMax() / 1e6) + " ms)");
                else
                    System.out.println("tunnel " + p.tun().name() + " re-established with " + p.cn() + " at " + p.address());
                first.complete(p.cn());
            }

            @Override
            public void down(UdpEndpoint.PeerTunnel p) {
                System.out.println("tunnel " + p.tun().name() + " down: probes to " + p.cn() + " unanswered");
            }

            @Override
            public void up(UdpEndpoint.PeerTunnel p) {
                System.out.println("tunnel " + p.tun().name() + " up again");
            }

            @Override
            public void handshakeFailed(UdpEndpoint.PeerTunnel p, InetSocketAddress from, IOException why) {
                System.err.println("re6st tunnel: handshake with " + from + " failed: " + Failures.explain(why));
                if (server != null && !first.isDone() && !(why instanceof java.net.SocketTimeoutException))
                    first.completeExceptionally(why); // refused: a first dial does not insist
            }

            @Override
            public void removed(UdpEndpoint.PeerTunnel p) {
                if (p.cn() != null)
                    interfaces.remove(p.cn());
            }
        };
        UdpEndpoint.Options options = UdpEndpoint.Options.defaults().withAccept(server == null).withMaxClients(maxClients)
                .withRekeyInterval(rekeySeconds * 1_000_000_000L).withHandshakeTimeout(Duration.ofSeconds(Math.min(timeout, 10)))
                .withSessionLifetime(sessionLifetimeValue).withSilenceDownsLink(!keepUp);
        UdpEndpoint e = new UdpEndpoint(socket, me, options, handler);
        e.onLoopDeath(why -> Daemon.die("re6st tunnel", "tunnel endpoint", why));
        endpointRef = e;
        e.register(metrics, "endpoint");
        if (server != null) {
            e.connect(server, peerCn);
            try {
                first.get(timeout, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException x) {
                e.close();
                throw CommandFailure.failed("handshake failed: no tunnel with " + server + " within " + timeout
                        + " s (--timeout): is a re6st tunnel listening there, and does UDP get through?");
            } catch (java.util.concurrent.ExecutionException x) {
                e.close();
                throw CommandFailure.failed("handshake failed", x.getCause());
            }
        } else {
            System.out.println("listening on " + socket.localAddress() + " (UDP)");
        }
        untilTerminated(e, watchCrl(me, metrics, e::setCredentials));
        return 0;
    }

    private volatile UdpEndpoint endpointRef;

    private UdpEndpoint endpoint() {
        return endpointRef;
    }

    /** Default TUN MTU, for UDP and TCP alike: 1500 - IPv6 (40) - UDP (8) - data-channel overhead. */
    static final int DEFAULT_MTU = 1500 - 40 - 8 - DataPacket.OVERHEAD;

    /**
     * {@code --proto tcp}: the tunnel over one TCP connection ({@link TcpTunnel}). Dialling retries
     * an absent server until --timeout; listening waits for a client without limit, and goes on
     * listening after a failed handshake (logged). The TUN is made once the first peer has
     * authenticated, and kept across reconnections.
     */
    private Integer tcp(Credentials me, MetricRegistry metrics, InetSocketAddress connectTo, InetSocketAddress listenOn) throws Exception {
        Duration handshakeTimeout = Duration.ofSeconds(timeout);
        long rekeyNs = rekeySeconds * 1_000_000_000L;
        TcpEndpoint.Authenticator auth = new TcpEndpoint.Dtls(me, peerCn, handshakeTimeout, rekeyNs);
        TcpEndpoint endpoint;
        try {
            endpoint = connectTo != null ? TcpEndpoint.dial(connectTo, auth, handshakeTimeout)
                    : TcpEndpoint.listen(listenOn, auth, handshakeTimeout, TcpEndpoint.DEFAULT_MAX_UNAUTHENTICATED);
        } catch (IOException e) {
            throw CommandFailure.failed(connectTo != null ? "cannot connect to " + connectTo : "cannot listen on " + listenOn, e);
        }
        CrlReloader reloader = watchCrl(me, metrics, endpoint::setCredentials);
        TcpConnection first;
        try {
            first = endpoint.first(connectTo != null ? handshakeTimeout : null);
        } catch (IOException e) {
            endpoint.close();
            if (reloader != null)
                reloader.close();
            throw CommandFailure.failed("handshake failed", e);
        }
        int tunMtu = mtu != null ? mtu : DEFAULT_MTU;
        Tun tun;
        try {
            tun = tunInterface(tunMtu);
        } catch (IOException e) {
            endpoint.close();
            if (reloader != null)
                reloader.close();
            throw e;
        }
        String peer = first.peer();
        TcpTunnel t = new TcpTunnel(tun, endpoint, first, new TcpTunnel.Listener() {
            @Override
            public void up(TcpTunnel x) {
                System.out.println("tunnel " + tun.name() + " up again");
            }

            @Override
            public void down(TcpTunnel x) {
                System.out.println("tunnel " + tun.name() + " down: probes to " + peer + " unanswered");
            }
        });
        t.sessionLifetime(sessionLifetimeValue);
        t.counters().register(metrics, "tunnel." + tun.name(), t::session);
        metrics.register("tunnel." + tun.name() + ".sessions.renewed", t.renewals);
        metrics.register("tunnel." + tun.name() + ".sessions.renewals_failed", t.renewalsFailed);
        t.tcpCounters().register(metrics, "tunnel." + tun.name() + ".tcp");
        System.out.println("tunnel up: " + tun.name() + " <-> " + peer + " at " + first.remote() + " over TCP (mtu " + tunMtu
                + ", handshake " + first.handshakeNanos() / 1_000_000 + " ms)");
        untilTerminated(t, reloader);
        return 0;
    }

    /** Opens the TUN interface with the tunnel's offloads, MTU and {@code --address}, and sets it up. */
    private Tun tunInterface(int tunMtu) throws IOException {
        return TunDevice.open(ifname, tunMtu, address == null ? null : IpPrefix.parse(address));
    }

    /** Runs until SIGTERM (or SIGINT), then closes {@code crlReloader} (if any) and {@code t}. */
    private static void untilTerminated(AutoCloseable t, CrlReloader crlReloader) throws InterruptedException {
        Daemon.runUntilTerminated("re6st tunnel", crlReloader == null ? List.of(t) : List.of(t, crlReloader));
    }

    private Duration sessionLifetimeValue;

    /** {@code N} seconds, or {@code N} followed by s, m or h. */
    static Duration duration(String option, String s) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})([smh]?)").matcher(s.trim());
        if (!m.matches())
            throw CommandFailure.usage(option + ": expected a duration such as 3600, 90s, 30m or 1h, got '" + s + "'");
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }

    /** Watches --crl (if given) and hands each new CRL to {@code apply}; counted in crl.reloads and crl.reload_failures. */
    private CrlReloader watchCrl(Credentials me, MetricRegistry metrics, java.util.function.Consumer<Credentials> apply) {
        if (crl == null)
            return null;
        CrlReloader r = new CrlReloader(ca, cert, key, crl, me, apply);
        metrics.register("crl.reloads", (com.codahale.metrics.Gauge<Long>) () -> r.reloads);
        metrics.register("crl.reload_failures", (com.codahale.metrics.Gauge<Long>) () -> r.failures);
        return r.start();
    }

    /** {@code ADDR:PORT} or {@code [ADDR]:PORT}, ADDR an IP address literal (no DNS: tunnels are dialled by address). */
    static InetSocketAddress hostPort(String option, String s) {
        int i = s.lastIndexOf(':');
        if (i <= 0)
            throw CommandFailure.usage(option + ": expected ADDRESS:PORT (e.g. 198.18.0.1:1194 or [2001:db8::1]:1194), got '" + s + "'");
        String host = s.substring(0, i).replace("[", "").replace("]", "");
        java.net.InetAddress a;
        try {
            a = IpPrefix.literal(host);
        } catch (IllegalArgumentException e) {
            throw CommandFailure.usage(option + ": '" + host + "' is not an IP address (give the peer's address, not a name)");
        }
        return new InetSocketAddress(a, port(option, s.substring(i + 1)));
    }

    /** {@code PORT} or {@code ADDR:PORT}. */
    static InetSocketAddress listenAddress(String s) {
        return s.contains(":") && !s.matches("\\d+") ? hostPort("--listen", s) : new InetSocketAddress(port("--listen", s));
    }

    private static int port(String option, String s) {
        try {
            int p = Integer.parseInt(s);
            if (p >= 0 && p <= 65535)
                return p;
        } catch (NumberFormatException e) {
            // said below
        }
        throw CommandFailure.usage(option + ": '" + s + "' is not a port number (0-65535)");
    }
}
