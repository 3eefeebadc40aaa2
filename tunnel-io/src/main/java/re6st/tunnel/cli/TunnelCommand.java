package re6st.tunnel.cli;

import java.io.IOException;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import re6st.jni.IpPrefix;
import re6st.jni.Netlink;
import re6st.jni.Tun;
import re6st.jni.UdpSocket;
import re6st.tunnel.Liveness;
import re6st.tunnel.TcpConnection;
import re6st.tunnel.TcpEndpoint;
import re6st.tunnel.TcpTunnel;
import re6st.tunnel.TunnelSession;
import re6st.tunnel.UdpTunnel;
import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataPacket;
import re6st.tunnel.handshake.CookieGate;
import re6st.tunnel.handshake.Credentials;
import re6st.tunnel.handshake.DtlsHandshake;
import re6st.tunnel.handshake.SessionKeys;

/** {@code re6st tunnel}: one encrypted tunnel in the foreground, for benchmarks and debugging. */
@Command(name = "re6st tunnel", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Runs one always-encrypted tunnel until SIGTERM: a TUN interface and a UDP socket (or, with --proto tcp, "
                + "a TCP connection), authenticated "
                + "with certificates from the network CA (DTLS 1.2, ECDHE, AES-256-GCM data channel with "
                + "replay protection). Prints one line when the tunnel is up. The interface goes down within "
                + "1 s when nothing comes back from the peer, and up again when the path heals.",
            "",
            "One side listens (--listen), the other connects (--connect, NAT-friendly: the client dials out)."},
        footer = {"", "Example:",
            "  server$ re6st tunnel --listen 1194 --ca ca.crt --cert s.crt --key s.key --address fd00::1/64",
            "  client$ re6st tunnel --connect 198.18.0.1:1194 --peer-cn 1/16 --ca ca.crt --cert c.crt --key c.key \\\\",
            "            --address fd00::2/64"})
public final class TunnelCommand implements Callable<Integer> {
    static final class Mode {
        @Option(names = "--listen", paramLabel = "[ADDR:]PORT", description = "Accept one client on this UDP port (TCP port with --proto tcp).")
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

    @Option(names = "--crl", paramLabel = "FILE", description = "Revocation list of the CA (PEM or DER); revoked peers are refused.")
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

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30", description = "Handshake timeout (default: "
            + "${DEFAULT-VALUE}). Over TCP: --connect keeps trying to reach the server this long, and --listen (which waits "
            + "for its client without limit) gives each incoming connection this long to authenticate.")
    int timeout;

    public static void main(String[] args) {
        System.exit(new CommandLine(new TunnelCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (rekeySeconds <= 0 || rekeySeconds > 86_400) {
            System.err.println("re6st tunnel: --rekey must be between 1 and 86400 seconds, got " + rekeySeconds);
            return 2;
        }
        if (!proto.equals("udp") && !proto.equals("tcp")) {
            System.err.println("re6st tunnel: --proto must be udp or tcp, got " + proto);
            return 2;
        }
        Credentials me;
        try {
            me = new Credentials(certificate(ca), certificate(cert), privateKey(key), crl == null ? null : crl(crl));
        } catch (IOException | IllegalArgumentException | java.security.GeneralSecurityException e) {
            System.err.println("re6st tunnel: " + e.getMessage());
            return 2;
        }
        if (proto.equals("tcp"))
            return tcp(me);
        long t0 = System.nanoTime();
        UdpSocket ch;
        SessionKeys keys;
        InetSocketAddress peer;
        try {
            if (mode.connect != null) {
                peer = hostPort(mode.connect);
                ch = UdpSocket.bind(new InetSocketAddress(
                        peer.getAddress() instanceof java.net.Inet4Address ? IpPrefix.literal("0.0.0.0") : IpPrefix.literal("::"), 0));
            } else {
                peer = null;
                ch = UdpSocket.bind(listenAddress(mode.listen));
            }
        } catch (IOException e) {
            System.err.println("re6st tunnel: cannot open the UDP socket: " + e.getMessage());
            return 1;
        }
        try {
            if (peer != null) {
                keys = DtlsHandshake.connect(ch, peer, me, peerCn, Duration.ofSeconds(timeout));
            } else {
                DtlsHandshake.Accepted a = DtlsHandshake.accept(ch, me, new CookieGate(), Duration.ofSeconds(timeout));
                keys = a.keys();
                peer = a.client();
            }
        } catch (IOException e) {
            System.err.println("re6st tunnel: handshake failed: " + e.getMessage());
            ch.close();
            return 1;
        }
        long handshakeMs = (System.nanoTime() - t0) / 1_000_000;
        Tun tun = UdpTunnel.openTun(ifname);
        int tunMtu = mtu != null ? mtu : 1500 - 40 - 8 - DataPacket.OVERHEAD;
        try (Netlink nl = Netlink.open()) {
            int idx = nl.index(tun.name());
            nl.setMtu(idx, tunMtu);
            if (address != null) {
                IpPrefix a = IpPrefix.parse(address);
                nl.addAddress(idx, a, true);
            }
            nl.setUp(idx, true);
        }
        UdpTunnel t = new UdpTunnel(tun, ch, peer,
                new TunnelSession(keys.schedule(), Liveness.defaults(System.nanoTime()), rekeySeconds * 1_000_000_000L, System.nanoTime()),
                new UdpTunnel.Listener() {
                    @Override
                    public void up(UdpTunnel x) {
                        System.out.println("tunnel " + tun.name() + " up again");
                    }

                    @Override
                    public void down(UdpTunnel x) {
                        System.out.println("tunnel " + tun.name() + " down: no answer from " + keys.peerCn() + " for 1 s");
                    }
                });
        System.out.println("tunnel up: " + tun.name() + " <-> " + keys.peerCn() + " at " + peer + " (mtu " + tunMtu
                + ", handshake " + handshakeMs + " ms)");
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                t.close();
            } catch (IOException e) {
                // exiting anyway
            }
            stop.countDown();
        }, "tunnel-shutdown"));
        stop.await();
        return 0;
    }

    /** Default TUN MTU, for UDP and TCP alike: 1500 - IPv6 (40) - UDP (8) - data-channel overhead. */
    static final int DEFAULT_MTU = 1500 - 40 - 8 - DataPacket.OVERHEAD;

    /**
     * {@code --proto tcp}: the tunnel over one TCP connection ({@link TcpTunnel}). Dialling retries
     * an absent server until --timeout; listening waits for a client without limit, and goes on
     * listening after a failed handshake (logged). The TUN is made once the first peer has
     * authenticated, and kept across reconnections.
     */
    private Integer tcp(Credentials me) throws Exception {
        Duration handshakeTimeout = Duration.ofSeconds(timeout);
        long rekeyNs = rekeySeconds * 1_000_000_000L;
        TcpEndpoint.Authenticator auth = (transport, client) -> {
            SessionKeys k = client ? DtlsHandshake.connect(transport, me, peerCn, handshakeTimeout)
                    : DtlsHandshake.acceptConnected(transport, me, handshakeTimeout);
            long now = System.nanoTime();
            return new TcpEndpoint.Authenticated(new TunnelSession(k.schedule(), Liveness.defaults(now), rekeyNs, now), k.peerCn());
        };
        TcpEndpoint endpoint;
        try {
            endpoint = mode.connect != null ? TcpEndpoint.dial(hostPort(mode.connect), auth, handshakeTimeout)
                    : TcpEndpoint.listen(listenAddress(mode.listen), auth, handshakeTimeout, TcpEndpoint.DEFAULT_MAX_UNAUTHENTICATED);
        } catch (IOException e) {
            System.err.println("re6st tunnel: " + e.getMessage());
            return 1;
        }
        TcpConnection first;
        try {
            first = endpoint.first(mode.connect != null ? handshakeTimeout : null);
        } catch (IOException e) {
            System.err.println("re6st tunnel: handshake failed: " + e.getMessage());
            endpoint.close();
            return 1;
        }
        int tunMtu = mtu != null ? mtu : DEFAULT_MTU;
        Tun tun;
        try {
            tun = tunInterface(tunMtu);
        } catch (IOException e) {
            endpoint.close();
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
                System.out.println("tunnel " + tun.name() + " down: no answer from " + peer + " for 1 s");
            }
        });
        System.out.println("tunnel up: " + tun.name() + " <-> " + peer + " at " + first.remote() + " over TCP (mtu " + tunMtu
                + ", handshake " + first.handshakeNanos() / 1_000_000 + " ms)");
        untilTerminated(t);
        return 0;
    }

    /** Opens the TUN interface with the tunnel's offloads, MTU and {@code --address}, and sets it up. */
    private Tun tunInterface(int tunMtu) throws IOException {
        Tun tun = UdpTunnel.openTun(ifname);
        try (Netlink nl = Netlink.open()) {
            int idx = nl.index(tun.name());
            nl.setMtu(idx, tunMtu);
            if (address != null)
                nl.addAddress(idx, IpPrefix.parse(address), true);
            nl.setUp(idx, true);
        } catch (IOException | RuntimeException e) {
            tun.close();
            throw e;
        }
        return tun;
    }

    /** Runs until SIGTERM (or SIGINT), then closes {@code t}. */
    private static void untilTerminated(AutoCloseable t) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                t.close();
            } catch (Exception e) {
                // exiting anyway
            }
            stop.countDown();
        }, "tunnel-shutdown"));
        stop.await();
    }

    static InetSocketAddress hostPort(String s) {
        int i = s.lastIndexOf(':');
        if (i <= 0)
            throw new CommandLine.ParameterException(new CommandLine(new TunnelCommand()), "expected HOST:PORT, got '" + s + "'");
        String host = s.substring(0, i).replace("[", "").replace("]", "");
        return new InetSocketAddress(IpPrefix.literal(host), Integer.parseInt(s.substring(i + 1)));
    }

    static InetSocketAddress listenAddress(String s) {
        return s.contains(":") && !s.matches("\\d+") ? hostPort(s) : new InetSocketAddress(Integer.parseInt(s));
    }

    static X509Certificate certificate(Path p) throws IOException, java.security.GeneralSecurityException {
        try (var in = Files.newInputStream(p)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    static X509CRL crl(Path p) throws IOException, java.security.GeneralSecurityException {
        try (var in = Files.newInputStream(p)) {
            return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
        }
    }

    static PrivateKey privateKey(Path p) throws IOException {
        try (Reader r = Files.newBufferedReader(p); PEMParser pem = new PEMParser(r)) {
            Object o = pem.readObject();
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
            if (o instanceof PEMKeyPair kp)
                return conv.getKeyPair(kp).getPrivate();
            if (o instanceof PrivateKeyInfo info)
                return conv.getPrivateKey(info);
            throw new IOException(p + ": no unencrypted private key in PEM form");
        }
    }
}
