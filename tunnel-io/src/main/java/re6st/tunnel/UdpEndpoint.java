package re6st.tunnel;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.tls.DTLSRequest;
import org.bouncycastle.tls.DTLSTransport;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;

import re6st.jni.ErrnoException;
import re6st.jni.Netlink;
import re6st.jni.SockAddr;
import re6st.jni.Tun;
import re6st.jni.UdpSocket;
import re6st.tunnel.data.DataPacket;
import re6st.tunnel.handshake.CertificateRefusedException;
import re6st.tunnel.handshake.CookieGate;
import re6st.tunnel.handshake.Credentials;
import re6st.tunnel.handshake.DtlsHandshake;
import re6st.tunnel.handshake.QueueDatagramTransport;
import re6st.tunnel.handshake.SessionKeys;

/**
 * One UDP socket carrying tunnels to many peers: it accepts clients (each authenticated client
 * gets its own TUN interface) and dials servers, on the same port. One receiving thread
 * demultiplexes datagrams by sender address and by first byte:
 * <ul>
 * <li>{@code 0x01}: data channel of the peer at that address ({@link TunSink}); from an unknown
 * address: dropped and counted (a peer is only known after a handshake);
 * <li>{@code 20..25}: DTLS records: a ClientHello goes through the stateless {@link CookieGate},
 * and only one with a valid cookie starts a handshake (on a bounded pool: a flood of valid
 * clients waits, it does not exhaust the CPU); records of a handshake in progress go to its
 * thread; a retransmitted last client flight after completion is answered by BouncyCastle's
 * transport (our final flight was lost);
 * <li>anything else: dropped and counted.
 * </ul>
 * Roaming is by re-authentication: a peer whose path stays dead handshakes again (the client
 * side does it by itself after {@code rehandshakeAfter}), possibly from a new address; the new
 * session of the same CN takes over the existing TUN. Each established tunnel has its own TUN
 * thread ({@link TunPump}). Liveness of every peer is ticked on the receiving thread.
 */
public final class UdpEndpoint implements AutoCloseable {
    private static final Logger LOG = System.getLogger("re6st.tunnel");

    /** What the application decides and learns. Called on the endpoint's receiving thread. */
    public interface Handler {
        /** A new peer authenticated: open the TUN for it ({@link TunDevice#open}), configured (MTU, addresses). Null refuses it. */
        Tun tunFor(String peerCn, InetSocketAddress address) throws IOException;

        /** As {@link #tunFor(String, InetSocketAddress)}, told whether we dialled the peer. */
        default Tun tunFor(String peerCn, InetSocketAddress address, boolean dialled) throws IOException {
            return tunFor(peerCn, address);
        }

        /** The tunnel is established (first time, or again after a re-handshake). */
        default void established(PeerTunnel p, boolean first) {}

        /** Liveness: the path died / healed (the TUN interface was set down / up). */
        default void down(PeerTunnel p) {}

        default void up(PeerTunnel p) {}

        /** A handshake failed: refused certificate, aborted by the peer, timed out. {@code p} is null for an unknown client. */
        default void handshakeFailed(PeerTunnel p, InetSocketAddress address, IOException why) {}

        /** A new handshake renewed the session of a live tunnel (its lifetime); the keys change over without a gap. */
        default void renewed(PeerTunnel p) {}

        /** We dialled {@code p}: it says our packets come from {@code ours} ({@link ObservedAddress}); when that changes. */
        default void observed(PeerTunnel p, InetSocketAddress ours) {}

        /** The peer was dropped (dead too long, or the endpoint closes); its TUN is closed after this. */
        default void removed(PeerTunnel p) {}
    }

    /**
     * Tunable behaviour; the defaults suit a re6st node.
     *
     * @param handshakeTimeout        our dials give up after this
     * @param acceptTimeout           an incoming handshake (not yet authenticated) gets this long
     * @param maxConcurrentHandshakes threads for our dials, and as many again for incoming handshakes
     * @param maxClients              authenticated clients at most (re6st's max_clients); a new CN beyond is refused
     * @param sessionLifetime         a session's keys are used at most this long: the dialer renews the session
     *                                (a new handshake) from 90% of it on, without a gap; a session not renewed
     *                                {@code handshakeTimeout} after its lifetime is closed (either side)
     */
    public record Options(Duration handshakeTimeout, long rekeyIntervalNs, Duration rehandshakeAfter, Duration retryMax,
            Duration expireAfter, int maxConcurrentHandshakes, boolean accept, Duration acceptTimeout, int maxClients,
            Duration sessionLifetime, boolean silenceDownsLink) {
        public static final Duration DEFAULT_SESSION_LIFETIME = Duration.ofHours(1);

        public Options {
            if (sessionLifetime.toMillis() < 1000)
                throw new IllegalArgumentException("session lifetime must be at least 1 s, got " + sessionLifetime);
        }

        public static Options defaults() {
            return new Options(Duration.ofSeconds(10), 120_000_000_000L, Duration.ofSeconds(3), Duration.ofSeconds(30),
                    Duration.ofSeconds(120), 4, true, Duration.ofSeconds(5), 20, DEFAULT_SESSION_LIFETIME, true);
        }

        public Options withAccept(boolean a) {
            return new Options(handshakeTimeout, rekeyIntervalNs, rehandshakeAfter, retryMax, expireAfter, maxConcurrentHandshakes, a,
                    acceptTimeout, maxClients, sessionLifetime, silenceDownsLink);
        }

        public Options withRekeyInterval(long ns) {
            return new Options(handshakeTimeout, ns, rehandshakeAfter, retryMax, expireAfter, maxConcurrentHandshakes, accept,
                    acceptTimeout, maxClients, sessionLifetime, silenceDownsLink);
        }

        public Options withHandshakeTimeout(Duration d) {
            return new Options(d, rekeyIntervalNs, rehandshakeAfter, retryMax, expireAfter, maxConcurrentHandshakes, accept,
                    acceptTimeout, maxClients, sessionLifetime, silenceDownsLink);
        }

        public Options withAcceptTimeout(Duration d) {
            return new Options(handshakeTimeout, rekeyIntervalNs, rehandshakeAfter, retryMax, expireAfter, maxConcurrentHandshakes, accept,
                    d, maxClients, sessionLifetime, silenceDownsLink);
        }

        public Options withMaxClients(int n) {
            return new Options(handshakeTimeout, rekeyIntervalNs, rehandshakeAfter, retryMax, expireAfter, maxConcurrentHandshakes, accept,
                    acceptTimeout, n, sessionLifetime, silenceDownsLink);
        }

        public Options withSessionLifetime(Duration d) {
            return new Options(handshakeTimeout, rekeyIntervalNs, rehandshakeAfter, retryMax, expireAfter, maxConcurrentHandshakes, accept,
                    acceptTimeout, maxClients, d, silenceDownsLink);
        }

        /**
         * False: a silent peer neither takes its interface down nor makes the dialer handshake again; the
         * session is kept through the silence and failure detection is left to the routing daemon's hellos
         * (how babeld runs over OpenVPN without ping-restart: a benchmark's baseline, not for production).
         */
        public Options withSilenceDownsLink(boolean on) {
            return new Options(handshakeTimeout, rekeyIntervalNs, rehandshakeAfter, retryMax, expireAfter, maxConcurrentHandshakes, accept,
                    acceptTimeout, maxClients, sessionLifetime, on);
        }

        /** When the dialer starts renewing a session (from its start): 90% of the lifetime. */
        long renewAfterNs() {
            return sessionLifetime.toNanos() / 10 * 9;
        }

        /** When a session not renewed is closed: its lifetime, plus a handshake's time. */
        long closeAfterNs() {
            return sessionLifetime.toNanos() + handshakeTimeout.toNanos();
        }
    }

    /** One peer: its address, its TUN, its current session and any handshake in progress. */
    public final class PeerTunnel {
        final boolean dialer;        // we dial it (client side); else it dialled us
        final String expectedCn;     // for dialled peers (null: any CN of the network)
        volatile SockAddr address;
        InetSocketAddress inetAddress;
        String cn;
        Tun tun;
        int tunIndex, slot;
        TunnelSession session;
        TunSink sink;
        TunPump pump;
        DTLSTransport dtls;          // server side, until the client is seen done: answers a retransmitted last client flight
        QueueDatagramTransport dtlsQueue; // the transport dtls reads from
        long establishedAt, retransmitTokensAt;
        long keysSince, keySerial;  // when the session's current keys came into use, and which they are
        java.security.cert.X509Certificate peerCert; // of the current session: re-checked when the CRL changes, and for expiry
        int retransmitTokens = RETRANSMIT_BURST;
        final java.util.concurrent.atomic.AtomicBoolean retransmitting = new java.util.concurrent.atomic.AtomicBoolean();
        QueueDatagramTransport handshake; // in progress, or null
        QueueDatagramTransport evictedHandshake; // the one roomToAccept cut short (BouncyCastle closes a failed one too)
        long handshakeStarted, nextAttempt, backoffNs;
        final TunnelCounters counters = new TunnelCounters();
        boolean removed;
        /**
         * A dial this accepted peer took the tunnel of (the same CN dialled us while we dialled it):
         * when this peer is removed, we dial again, so the intent outlives the takeover. Null if none.
         */
        PeerTunnel dialIntent;

        PeerTunnel(boolean dialer, String expectedCn, SockAddr address) {
            this.dialer = dialer;
            this.expectedCn = expectedCn;
            this.address = address;
            this.inetAddress = address.toInetSocketAddress();
        }

        public String cn() {
            return cn;
        }

        public InetSocketAddress address() {
            return inetAddress;
        }

        public Tun tun() {
            return tun;
        }

        public TunnelSession session() {
            return session;
        }

        public TunnelCounters counters() {
            return counters;
        }

        public boolean isEstablished() {
            return session != null;
        }

        /** We dialled this peer (the client side); else it dialled us. */
        public boolean isDialer() {
            return dialer;
        }

        /** Established and its liveness up (as last seen from this thread). */
        public boolean isUp() {
            TunnelSession s = session;
            return s != null && s.liveness().state() == Liveness.State.UP;
        }

        @Override
        public String toString() {
            return (cn != null ? cn : "?") + " at " + inetAddress + (tun != null ? " on " + tun.name() : "");
        }
    }

    private final UdpSocket udp;
    private volatile Credentials me; // replaced at run time (a new CRL): see setCredentials
    private final Options options;
    private final Handler handler;
    private final CookieGate gate = new CookieGate();
    private final Blackholes blackholes = new Blackholes();
    private final Netlink netlink;
    private final ExecutorService dials, accepts; // our dials never wait behind strangers' handshakes
    /** Final flights resent (about a millisecond each), never behind handshakes of the accept pool (seconds). */
    private final ExecutorService resends;
    // incoming handshakes in progress, and how many per source address (endpoint thread only)
    private final List<PeerTunnel> accepting = new ArrayList<>();
    private final Map<java.net.InetAddress, Integer> acceptingBySource = new HashMap<>();
    private final Map<java.net.InetAddress, Integer> acceptingByPrefix = new HashMap<>(); // IPv6 sources by /64
    /**
     * Incoming handshakes at once from one IPv6 /64 (one per address besides): whoever holds a
     * /64 holds 2^64 addresses, so a per-address cap alone would not stop one site from taking
     * every slot; a few real nodes may share a LAN's /64.
     */
    static final int MAX_ACCEPTS_PER_64 = 2;
    /**
     * An incoming handshake may be cut short for a new client once it has run this long: longer
     * than a real handshake takes with a lost flight and its retransmission (1 s timer + RTT), and
     * chosen by age, not by silence, so that an attacker cannot keep its slots by trickling records.
     */
    static final long EVICTABLE_AFTER_NS = 3_000_000_000L;
    private final Map<Key, PeerTunnel> byAddress = new HashMap<>();
    private final Map<String, PeerTunnel> byCn = new HashMap<>();
    /**
     * The places for clients: those with a tunnel (a peer that dialled us in {@link #byCn}) and
     * those admitted in their handshake, whose hold lapses after two accept timeouts.
     */
    private final ClientSlots slots;
    private final List<PeerTunnel> dialled = new ArrayList<>();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean running = true;

    // endpoint-wide metrics
    public final Counter unknownPeer = new Counter(), junk = new Counter(), busy = new Counter(),
            /** verified ClientHellos turned away: their IPv6 /64 has MAX_ACCEPTS_PER_64 handshakes in progress */
            busyPrefix = new Counter(),
            handshakesFailed = new Counter(), refused = new Counter(), dtlsDropped = new Counter(),
            /** records of repeated client flights handed to BouncyCastle, which resends our final flight once it has a whole one */
            retransmissions = new Counter(),
            evicted = new Counter(), full = new Counter(), closedInvalid = new Counter(),
            /** sessions of live tunnels renewed by a new handshake (their lifetime), and renewals taken again (tag in use, never used) */
            renewals = new Counter(), renewalsRetried = new Counter(),
            /** sessions closed because they outlived their lifetime without a renewal */
            closedLifetime = new Counter(),
            /** {@link #redial} calls: the underlay changed */
            redials = new Counter();
    public final Timer handshakeTime = new Timer();

    /** Starts the endpoint on {@code udp} (bound; call from a thread in the right network namespace). */
    public UdpEndpoint(UdpSocket udp, Credentials me, Options options, Handler handler) throws IOException {
        this.udp = udp;
        this.me = me;
        this.options = options;
        this.handler = handler;
        this.slots = new ClientSlots(options.maxClients(), options.acceptTimeout().multipliedBy(2));
        this.netlink = Netlink.open();
        udp.setBuffers(4 << 20, 4 << 20);
        if (!udp.enableGro())
            LOG.log(Level.INFO, "the kernel has no UDP GRO: one receive per datagram");
        this.dials = pool(options.maxConcurrentHandshakes(), "tunnel-dial");
        this.accepts = pool(options.maxConcurrentHandshakes(), "tunnel-accept");
        this.resends = pool(1, "tunnel-resend");
        this.thread = new Thread(this::loop, "tunnel-endpoint-" + udp.localAddress().getPort());
        thread.setDaemon(true);
        thread.start();
    }

    private static ExecutorService pool(int threads, String name) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** Whether {@code p} (a peer we know, by the CN it has or we dialled) is cut ({@link Blackholes}). */
    private boolean cut(PeerTunnel p) {
        String cn = p == null ? null : p.cn != null ? p.cn : p.expectedCn;
        return cn != null && blackholes.of(cn).on();
    }

    /** The peers whose tunnels are cut on purpose ({@link Blackholes}). */
    public Blackholes blackholes() {
        return blackholes;
    }

    /** Registers the metrics under {@code prefix}. Per-tunnel counters are registered by the caller when established. */
    public void register(MetricRegistry r, String prefix) {
        r.register(prefix + ".drops.unknown_peer", unknownPeer);
        r.register(prefix + ".drops.junk", junk);
        r.register(prefix + ".drops.dtls", dtlsDropped);
        r.register(prefix + ".handshakes.client_flight_records", retransmissions);
        r.register(prefix + ".handshakes.busy", busy);
        r.register(prefix + ".handshakes.busy_prefix", busyPrefix);
        r.register(prefix + ".handshakes.evicted", evicted);
        r.register(prefix + ".clients.refused_full", full);
        r.register(prefix + ".tunnels.closed_revoked_or_expired", closedInvalid);
        r.register(prefix + ".tunnels.closed_lifetime", closedLifetime);
        r.register(prefix + ".sessions.renewed", renewals);
        r.register(prefix + ".redials", redials);
        r.register(prefix + ".sessions.renewals_retried", renewalsRetried);
        r.register(prefix + ".handshakes.failed", handshakesFailed);
        r.register(prefix + ".handshakes.refused", refused);
        r.register(prefix + ".handshakes", handshakeTime);
        r.register(prefix + ".cookies.sent", (com.codahale.metrics.Gauge<Long>) gate::helloVerifyRequests);
        r.register(prefix + ".cookies.rotations", (com.codahale.metrics.Gauge<Long>) gate::rotations);
        r.register(prefix + ".cookies.previous_secret", (com.codahale.metrics.Gauge<Long>) gate::verifiedPrevious);
    }

    /**
     * Dials {@code server} (and keeps the tunnel: handshakes again whenever the path stays dead
     * for {@code rehandshakeAfter}, retrying with backoff). {@code expectedCn}: the CN the server
     * must have.
     */
    public void connect(InetSocketAddress server, String expectedCn) {
        SockAddr a = SockAddr.of(udp.mapped(server));
        tasks.add(() -> {
            PeerTunnel p = new PeerTunnel(true, expectedCn, a);
            dialled.add(p);
            byAddress.put(new Key(a), p);
            startClientHandshake(p, System.nanoTime());
        });
        wake();
    }

    /**
     * The underlay changed (an address of this host went away, the default route moved): every
     * peer we dial handshakes again now, not after its liveness fails and {@code rehandshakeAfter}.
     * The kernel picks the source address afresh for the new handshake; the server sees the same
     * CN authenticate from a new address and moves the tunnel there, and our session changes over
     * to the new keys (live: a renewal; dead: a new session on the same TUN). Asynchronous.
     */
    public void redial() {
        tasks.add(() -> {
            long now = System.nanoTime();
            redials.inc();
            for (PeerTunnel p : dialled)
                if (!p.removed && p.handshake == null) {
                    p.backoffNs = 0;
                    p.nextAttempt = now;
                    startClientHandshake(p, now);
                }
        });
        wake();
    }

    /** The established tunnels: peers with a session now (a snapshot, taken on the endpoint's thread). */
    public List<PeerTunnel> peers() throws InterruptedException {
        return peers(p -> p);
    }

    /**
     * {@code view} of each established tunnel, computed on the endpoint's thread (so it sees
     * consistent fields). A dialled peer whose session was closed (revoked, lifetime, a refused
     * renewal) is not listed while we dial it again.
     */
    public <T> List<T> peers(java.util.function.Function<PeerTunnel, T> view) throws InterruptedException {
        List<T> out = new ArrayList<>();
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        tasks.add(() -> {
            try {
                for (PeerTunnel p : byCn.values())
                    if (p.session != null)
                        out.add(view.apply(p));
            } finally {
                done.countDown();
            }
        });
        wake();
        if (!done.await(5, TimeUnit.SECONDS))
            throw new IllegalStateException("endpoint thread does not answer");
        return out;
    }

    /**
     * Closes the tunnel with {@code cn}, dialled or accepted, and stops dialling it (asynchronous:
     * done on the endpoint's thread; the handler hears {@code removed}). A peer may dial again.
     */
    public void hangUp(String cn) {
        tasks.add(() -> {
            for (PeerTunnel p : new ArrayList<>(byAddress.values()))
                if (cn.equals(p.cn) || p.dialer && cn.equals(p.expectedCn)) {
                    dialled.remove(p);
                    p.dialIntent = null; // hung up: not dialled again
                    remove(p);
                }
        });
        wake();
    }

    /**
     * Stops dialling {@code cn}: a tunnel we dialled is closed; one it dialled to us (which may have
     * taken over our dial when both dialled at once) stays, without our intent to dial again.
     */
    public void hangUpOutgoing(String cn) {
        tasks.add(() -> {
            for (PeerTunnel p : new ArrayList<>(byAddress.values()))
                if (p.dialer && (cn.equals(p.cn) || cn.equals(p.expectedCn))) {
                    dialled.remove(p);
                    p.dialIntent = null;
                    remove(p);
                } else if (!p.dialer && cn.equals(p.cn) && p.dialIntent != null) {
                    dialled.remove(p.dialIntent);
                    p.dialIntent = null;
                }
        });
        wake();
    }

    /** The address peers reach this endpoint at (with the port the kernel chose for port 0). */
    public InetSocketAddress localAddress() throws IOException {
        return udp.localAddress();
    }

    /**
     * New credentials (typically the same certificate with a new CRL, from a new network
     * configuration): new handshakes use them at once, and every live tunnel whose peer
     * certificate is now revoked or expired is closed (within one turn of the endpoint's thread).
     */
    public void setCredentials(Credentials c) {
        tasks.add(() -> {
            me = c;
            recheckPeers(System.currentTimeMillis());
        });
        wake();
    }

    /** Closes the tunnels whose peer certificate is revoked (our CRL, the network config's serials) or past its notAfter. */
    private void recheckPeers(long nowMillis) {
        for (PeerTunnel p : new ArrayList<>(byAddress.values())) {
            java.security.cert.X509Certificate c = p.peerCert;
            if (c == null || p.session == null)
                continue;
            String revoked = me.revocation(c);
            String why = revoked != null ? revoked : c.getNotAfter().getTime() < nowMillis ? "expired on " + c.getNotAfter().toInstant() : null;
            if (why != null) {
                LOG.log(Level.WARNING, "tunnel {0} to {1} closed: its certificate is {2}", p.tun != null ? p.tun.name() : "?", p.cn, why);
                closedInvalid.inc();
                if (p.dialer && revoked == null) { // a server we dial: handshake again (a renewed certificate passes)
                    endSession(p);
                    p.peerCert = null;
                    p.nextAttempt = System.nanoTime();
                } else { // a revoked server is not dialled again: the node picks other peers
                    dialled.remove(p);
                    p.dialIntent = null;
                    remove(p);
                }
            }
        }
    }

    private long nextRecheckMillis;

    public CookieGate cookieGate() {
        return gate;
    }

    // ---- the receiving thread ---------------------------------------------------------------

    private void loop() {
        ByteBuffer in = ByteBuffer.allocateDirect(TunPump.MAX_PACKET + 1);
        ByteBuffer dgram = in.duplicate();
        ByteBuffer reply = ByteBuffer.allocateDirect(TunPump.MAX_PACKET + DataPacket.OVERHEAD); // padded MTU probes too
        byte[] hello = new byte[2048];
        SockAddr from = new SockAddr();
        Key probe = new Key(from);
        List<PeerTunnel> touched = new ArrayList<>();
        try {
            while (running) {
                long now = System.nanoTime();
                udp.await(Tun.READABLE, Math.max(1_000_000L, nextTimer(now) - now));
                for (Runnable r; (r = tasks.poll()) != null; )
                    try {
                        r.run();
                    } catch (RuntimeException e) { // a handler callback or a completed handshake: that one only
                        failures.survived("a task", e);
                    }
                for (int burst = 0; burst < 256; burst++) {
                    int n = udp.receive(in, 0, in.capacity(), from);
                    if (n < 0) {
                        if (n == UdpSocket.EAGAIN)
                            break;
                        continue; // ICMP error queued on the socket: liveness will tell
                    }
                    int seg = udp.lastSegment();
                    if (seg <= 0)
                        seg = Math.max(n, 1);
                    PeerTunnel p = byAddress.get(probe);
                    long t = System.nanoTime();
                    boolean authentic = false;
                    for (int off = 0; off < n; off += seg) {
                        dgram.clear().position(off).limit(Math.min(n, off + seg));
                        int type = dgram.remaining() > 0 ? dgram.get(off) & 0xff : -1;
                        try {
                            if (type == DataPacket.TYPE_DATA) {
                                if (p != null && p.sink != null) {
                                    if (p.sink.accept(dgram, t))
                                        authentic = true;
                                } else {
                                    unknownPeer.inc();
                                }
                            } else if (type >= 20 && type <= 25) {
                                if (!cut(p)) // a silent path carries no handshake either
                                    dtlsRecord(p, from, dgram, hello);
                            } else {
                                junk.inc();
                            }
                        } catch (IOException | RuntimeException e) { // this datagram is lost, not the endpoint
                            failures.survived("a datagram from " + from.toInetSocketAddress(), e);
                        }
                    }
                    if (p != null && p.counters != null)
                        p.counters.udpReceives.inc();
                    if (authentic && p.dtls != null && p.session != null && !p.session.renewalPending())
                        forgetDtls(p); // authentic data from the client under the newest keys: it finished its handshake
                    if (authentic && !touched.contains(p))
                        touched.add(p);
                }
                for (PeerTunnel p : touched)
                    if (p.sink != null)
                        try {
                            p.sink.flush();
                        } catch (RuntimeException e) {
                            failures.survived("writing to the TUN of " + p, e);
                        }
                touched.clear();
                timers(System.nanoTime(), reply);
            }
        } catch (Throwable e) { // the socket itself failed, or an Error: every tunnel of the endpoint is dead
            if (running) {
                LOG.log(Level.ERROR, "tunnel endpoint stopped: " + e, e);
                onLoopDeath.accept(e);
            }
        }
    }

    private final re6st.cli.LoopFailures failures = new re6st.cli.LoopFailures(LOG, "tunnel endpoint");
    private volatile java.util.function.Consumer<Throwable> onLoopDeath = e -> { };

    /**
     * Who is told when the endpoint's receiving loop dies (the socket failed, or an Error): {@code
     * re6st tunnel} exits non-zero so that a supervisor restarts it. Default: logged only.
     */
    public void onLoopDeath(java.util.function.Consumer<Throwable> handler) {
        onLoopDeath = handler;
    }

    private void dtlsRecord(PeerTunnel p, SockAddr from, ByteBuffer d, byte[] hello) throws IOException {
        if (p != null && p.handshake != null) {
            if (!p.handshake.offer(d))
                busy.inc();
            return;
        }
        if (isClientHello(d)) {
            if (!options.accept() || (p != null && p.dialer)) {
                junk.inc(); // we do not take clients on this socket, or this peer is one we dial
                return;
            }
            int len = Math.min(d.remaining(), hello.length);
            d.get(d.position(), hello, 0, len);
            InetSocketAddress src = from.toInetSocketAddress();
            DTLSRequest request = gate.check(src, hello, 0, len, new org.bouncycastle.tls.DatagramSender() {
                @Override
                public int getSendLimit() {
                    return re6st.tunnel.handshake.UdpDatagramTransport.DEFAULT_SEND_LIMIT;
                }

                @Override
                public void send(byte[] buf, int off, int l) throws IOException {
                    sendRaw(from, buf, off, l);
                }
            });
            if (request == null)
                return; // answered with a cookie, or ignored: no state kept
            if (!roomToAccept(src.getAddress())) {
                busy.inc(); // the client retransmits later
                return;
            }
            startServerHandshake(p, from, request);
            return;
        }
        if (p != null && p.dtls != null) { // our final flight may have been lost: the client repeats its own
            retransmitFinalFlight(p, d);
            return;
        }
        if (p != null)
            dtlsDropped.inc(); // a record of no handshake from a known peer
        else
            unknownPeer.inc();
    }

    /**
     * A DTLS handshake record (content type 22) of epoch 0 or 1: a client's repeated last flight
     * is Certificate, ClientKeyExchange, CertificateVerify (epoch 0) and Finished (epoch 1), one
     * record a datagram; BouncyCastle resends our final flight only once it has the whole flight
     * again. A forged epoch-1 record fails BouncyCastle's authentication.
     */
    static boolean isClientFlightRecord(ByteBuffer d) {
        int p = d.position();
        return d.remaining() > 13 && (d.get(p) & 0xff) == 22 && d.get(p + 3) == 0 && (d.get(p + 4) == 0 || d.get(p + 4) == 1);
    }

    /** A dialer refused by a full server (access_denied) waits at least this long before it dials again (doubling). */
    static final long FULL_BACKOFF_NS = 5_000_000_000L;

    /** Records of a repeated client flight a peer may hand to BouncyCastle at once, and again each second. */
    static final int RETRANSMIT_BURST = 16;

    /** After this, records from the peer that are not a new ClientHello are dropped without reaching BouncyCastle. */
    private static void forgetDtls(PeerTunnel p) {
        p.dtls = null;
        p.dtlsQueue = null;
    }

    /**
     * Whether a verified ClientHello from {@code source} may start a handshake: one at a time per
     * source address; and when every accept slot is taken, the oldest (running for at least
     * {@link #EVICTABLE_AFTER_NS}) is cut short to make room. Sources that complete the cookie
     * exchange and then stall therefore cannot keep a real client out.
     */
    private boolean roomToAccept(java.net.InetAddress source) {
        if (acceptingBySource.getOrDefault(source, 0) >= 1)
            return false;
        java.net.InetAddress prefix = prefix64(source);
        if (prefix != null && acceptingByPrefix.getOrDefault(prefix, 0) >= MAX_ACCEPTS_PER_64) {
            busyPrefix.inc();
            return false;
        }
        if (accepting.size() < options.maxConcurrentHandshakes())
            return true;
        long now = System.nanoTime();
        PeerTunnel victim = null;
        for (PeerTunnel a : accepting)
            if (now - a.handshakeStarted >= EVICTABLE_AFTER_NS && (victim == null || a.handshakeStarted - victim.handshakeStarted < 0))
                victim = a;
        if (victim == null)
            return false;
        LOG.log(Level.INFO, "handshake with {0} cut short after {1} ms: a new client waits", victim.inetAddress,
                (now - victim.handshakeStarted) / 1_000_000); // counted in handshakes.evicted when its thread ends
        stopAccepting(victim);
        victim.evictedHandshake = victim.handshake;
        victim.handshake.close(); // its thread ends now; completed() sees the failure
        return true;
    }

    private void stopAccepting(PeerTunnel p) {
        if (accepting.remove(p)) {
            acceptingBySource.computeIfPresent(p.inetAddress.getAddress(), (k, n) -> n > 1 ? n - 1 : null);
            java.net.InetAddress prefix = prefix64(p.inetAddress.getAddress());
            if (prefix != null)
                acceptingByPrefix.computeIfPresent(prefix, (k, n) -> n > 1 ? n - 1 : null);
        }
        acceptsInProgress = accepting.size();
    }

    /** The /64 of an IPv6 source (null for IPv4, IPv4-mapped ones included: Java gives those as Inet4Address). */
    static java.net.InetAddress prefix64(java.net.InetAddress a) {
        if (!(a instanceof java.net.Inet6Address))
            return null;
        byte[] b = a.getAddress();
        java.util.Arrays.fill(b, 8, 16, (byte) 0);
        try {
            return java.net.InetAddress.getByAddress(b);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // 16 bytes: cannot happen
        }
    }

    private volatile int acceptsInProgress;

    /** Incoming handshakes in progress now. */
    public int acceptsInProgress() {
        return acceptsInProgress;
    }

    /** A DTLS handshake record whose message is a ClientHello (RFC 6347 record and handshake headers). */
    static boolean isClientHello(ByteBuffer d) {
        int p = d.position();
        return d.remaining() > 13 && (d.get(p) & 0xff) == 22 && (d.get(p + 13) & 0xff) == 1
                && (d.get(p + 3) | d.get(p + 4)) == 0; // epoch 0
    }

    private void sendRaw(SockAddr to, byte[] buf, int off, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(len).put(buf, off, len); // cookies only: rare enough
        udp.send(b, 0, len, 0, to);
    }

    /**
     * Feeds a repeated client flight to BouncyCastle's transport, which sends our final flight
     * again. Never on this (the data) thread: BouncyCastle's receive costs about a millisecond, so
     * junk records from, or spoofed as, a member's address would stall every tunnel. Only epoch-0
     * handshake records, at most one every 250 ms per peer and one at a time; the rest is dropped
     * and counted. (The client's own retransmission timer is 1 s and more.) On their own thread:
     * behind the accept pool's handshakes, our final flight would come too late.
     */
    private void retransmitFinalFlight(PeerTunnel p, ByteBuffer d) {
        long now = System.nanoTime();
        if (now - p.retransmitTokensAt >= 1_000_000_000L) { // a fresh burst each second
            p.retransmitTokens = RETRANSMIT_BURST;
            p.retransmitTokensAt = now;
        }
        if (!isClientFlightRecord(d) || p.retransmitTokens <= 0 || !p.dtlsQueue.offer(d)) {
            dtlsDropped.inc();
            return;
        }
        p.retransmitTokens--;
        retransmissions.inc();
        if (!p.retransmitting.compareAndSet(false, true))
            return; // the task running now reads this record too (it checks again after it lets go)
        DTLSTransport t = p.dtls;
        QueueDatagramTransport q = p.dtlsQueue;
        try {
            resends.execute(() -> resend(p, t, q));
        } catch (java.util.concurrent.RejectedExecutionException e) { // closing
            p.retransmitting.set(false);
        }
    }

    /**
     * Hands the queued records of a repeated client flight to BouncyCastle, which resends our
     * final flight once it has the whole flight. A record offered after the last look at the
     * queue but before the flag is released would wait for the client's next retransmission
     * (a second or more): so the queue is looked at again once the flag is released.
     */
    private void resend(PeerTunnel p, DTLSTransport t, QueueDatagramTransport q) {
        byte[] buf = new byte[2048];
        do {
            try {
                while (q.pending() > 0)
                    t.receive(buf, 0, buf.length, 1); // 1 ms: BC treats 0 as "no timeout"
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.DEBUG, "retransmission for {0}: {1}", p.cn, e.toString());
                p.retransmitting.set(false);
                return;
            }
            p.retransmitting.set(false);
        } while (q.pending() > 0 && p.retransmitting.compareAndSet(false, true));
    }

    private void startServerHandshake(PeerTunnel existing, SockAddr from, DTLSRequest request) {
        SockAddr a = new SockAddr().copyFrom(from);
        PeerTunnel p = existing != null ? existing : new PeerTunnel(false, null, a);
        if (existing == null)
            byAddress.put(new Key(a), p);
        QueueDatagramTransport q = new QueueDatagramTransport(udp, a);
        p.handshake = q;
        p.handshakeStarted = System.nanoTime();
        accepting.add(p);
        acceptingBySource.merge(p.inetAddress.getAddress(), 1, Integer::sum);
        java.net.InetAddress prefix = prefix64(p.inetAddress.getAddress());
        if (prefix != null)
            acceptingByPrefix.merge(prefix, 1, Integer::sum);
        acceptsInProgress = accepting.size();
        accepts.execute(() -> {
            try {
                DtlsHandshake.ServerSession s = DtlsHandshake.acceptSession(q, request, me, options.acceptTimeout(), admission);
                tasks.add(() -> completed(p, q, s.keys(), s.dtls(), s.admitted(), null));
            } catch (IOException e) {
                tasks.add(() -> completed(p, q, null, null, null, e));
            } catch (Throwable e) { // a bug or an Error: the peer must not stay "handshaking" for ever
                tasks.add(() -> completed(p, q, null, null, null, new IOException("handshake failed: " + e, e)));
            } finally {
                wake();
            }
        });
    }

    private void startClientHandshake(PeerTunnel p, long now) {
        QueueDatagramTransport q = new QueueDatagramTransport(udp, p.address);
        p.handshake = q;
        p.handshakeStarted = now;
        dials.execute(() -> {
            try {
                SessionKeys k = DtlsHandshake.connect(q, me, p.expectedCn, options.handshakeTimeout());
                tasks.add(() -> completed(p, q, k, null, null, null));
            } catch (IOException e) {
                tasks.add(() -> completed(p, q, null, null, null, e));
            } catch (Throwable e) { // a bug or an Error: the peer must not stay "handshaking" for ever
                tasks.add(() -> completed(p, q, null, null, null, new IOException("handshake failed: " + e, e)));
            } finally {
                wake();
            }
        });
    }

    /**
     * On the endpoint thread: a handshake ended. {@code admitted}: what admitting the client
     * reserved (server side, on success; else null), released if it gets no tunnel after all.
     */
    private void completed(PeerTunnel p, QueueDatagramTransport q, SessionKeys keys, DTLSTransport dtls,
            DtlsHandshake.Reservation admitted, IOException error) {
        if (p.handshake == q) {
            p.handshake = null;
            if (!p.dialer)
                stopAccepting(p);
        }
        long now = System.nanoTime();
        if (error != null || p.removed) {
            if (keys != null) { // a handshake for a peer removed meanwhile: its keys are never used, its hold ends
                keys.schedule().destroy();
                if (admitted != null)
                    admitted.release();
            }
            if (error != null) {
                boolean cutShort = p.evictedHandshake == q;
                if (error instanceof re6st.tunnel.handshake.AdmissionRefusedException)
                    full.inc(); // not a failure: a member we have no room for, told so (access_denied)
                else if (cutShort)
                    evicted.inc(); // cut short for a new client (roomToAccept): not a failure of the peer's
                else
                    handshakesFailed.inc();
                if (error instanceof CertificateRefusedException)
                    refused.inc();
                LOG.log(cutShort ? Level.DEBUG : Level.WARNING, "handshake with {0} failed: {1}", p.inetAddress,
                        error.getMessage());
                handler.handshakeFailed(p.cn != null || p.dialer ? p : null, p.inetAddress, error);
                if (p.session != null && !p.removed && refusesPeer(error))
                    closeRefused(p, error);
            }
            if (p.dialer) {
                long least = error instanceof DtlsHandshake.HandshakeAbortedException a
                        && a.alert() == org.bouncycastle.tls.AlertDescription.access_denied ? FULL_BACKOFF_NS : 500_000_000L;
                p.backoffNs = Math.min(Math.max(2 * p.backoffNs, least), options.retryMax().toNanos());
                p.nextAttempt = now + p.backoffNs;
            } else if (p.session == null) {
                byAddress.remove(new Key(p.address), p); // an unknown client that failed: forget it (not a newer peer at its address)
            }
            return;
        }
        String cn = keys.peerCn();
        if (p.session != null && p.tun != null && cn.equals(p.cn)
                && (!p.dialer || p.session.liveness().state() == Liveness.State.UP)) {
            handshakeTime.update(now - p.handshakeStarted, TimeUnit.NANOSECONDS);
            p.backoffNs = 0;
            if (admitted != null)
                admitted.release(); // (nothing: a client we have holds no place but its tunnel's)
            renewed(p, q, keys, dtls, now); // a live tunnel's new session: make before break
            return;
        }
        if (!p.dialer && !slots.take(cn)) {
            // its hold lapsed (a handshake longer than two accept timeouts) and others took the places meanwhile
            full.inc();
            LOG.log(Level.WARNING, "{0} at {1} refused: {2} clients already (max clients)", cn, p.inetAddress, slots.taken());
            keys.schedule().destroy();
            if (p.session == null)
                byAddress.remove(new Key(p.address), p);
            return;
        }
        handshakeTime.update(now - p.handshakeStarted, TimeUnit.NANOSECONDS); // handshakes that gave a tunnel (or a renewal)
        p.backoffNs = 0;
        if (p.cn != null && !p.cn.equals(cn))
            forgetIdentity(p, cn);
        PeerTunnel previous = byCn.get(cn);
        boolean first = p.tun == null && previous == null;
        boolean newTun = false;
        try {
            if (previous != null && previous != p) {
                // re-authentication from another address (roaming) or a second session: take over its TUN
                LOG.log(Level.INFO, "{0} authenticated again from {1} (was {2}): the tunnel moves", cn, p.inetAddress, previous.inetAddress);
                stopData(previous);
                p.tun = previous.tun;
                p.tunIndex = previous.tunIndex;
                p.slot = previous.slot;
                previous.tun = null;
                previous.removed = true;
                byAddress.remove(new Key(previous.address));
                if (dialled.remove(previous) && !p.dialer)
                    p.dialIntent = previous; // we dialled it: dial again when this accepted session is gone
                else if (!p.dialer && previous.dialIntent != null)
                    p.dialIntent = previous.dialIntent;
            }
            if (p.tun == null) {
                Tun tun = handler.tunFor(cn, p.inetAddress, p.dialer);
                if (tun == null) {
                    LOG.log(Level.WARNING, "no interface for {0}: tunnel refused", cn);
                    keys.schedule().destroy();
                    byAddress.remove(new Key(p.address));
                    placeFollows(cn);
                    return;
                }
                p.tun = tun;
                newTun = true;
                TunDevice.Attached at = TunDevice.attach(netlink, tun);
                p.tunIndex = at.index();
                p.slot = at.slot();
            } else {
                stopData(p);
            }
            p.cn = cn;
            byCn.put(cn, p);
            placeFollows(cn); // our dial taking over a client's tunnel: that place is free
            p.dtls = dtls;
            p.dtlsQueue = dtls != null ? q : null;
            p.establishedAt = now;
            p.peerCert = keys.peer();
            int mtu = netlink.link(p.tunIndex).mtu();
            now = System.nanoTime(); // after the TUN set-up: that time is not the peer's silence
            p.session = new TunnelSession(keys.schedule(), Liveness.defaults(now), PathMtu.defaults(mtu, now),
                    options.rekeyIntervalNs(), now);
            p.session.cutBy(blackholes.of(cn)); // before its TUN side starts: a new session during a cut is cut too
            p.keysSince = now;
            p.keySerial = p.session.keySerial();
            p.sink = new TunSink(p.tun, p.session, p.counters, p.slot);
            p.pump = new TunPump(p.tun, p.session, new UdpOutbox(udp, () -> p.address, p.counters), p.counters, p.slot);
            p.pump.start();
            netlink.setUp(p.tunIndex, true);
            if (!p.dialer)
                p.session.observe(p.inetAddress, now); // tell the dialler where its packets come from (ObservedAddress)
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "cannot set up the tunnel with {0}: {1}", cn, e.toString());
            if (p.cn == null)
                p.cn = cn; // for the handler's report
            setUpFailed(p, newTun, keys, e instanceof IOException io ? io : new IOException("setting up the tunnel failed: " + e, e));
            return;
        }
        LOG.log(Level.INFO, "tunnel {0} established with {1} at {2} ({3} ms)", p.tun.name(), cn, p.inetAddress,
                (now - p.handshakeStarted) / 1_000_000);
        handler.established(p, first);
    }

    /**
     * The handshake succeeded but the tunnel could not be set up (the TUN refused by attach, its
     * MTU unreadable, the link not set up): nothing of it is left running. A TUN the handler
     * gave for it is closed (it never heard {@code established}) and it hears {@code
     * handshakeFailed}; a client's existing tunnel is removed; a dialled peer's existing tunnel
     * goes down; a dialled peer is dialled again with backoff.
     */
    private void setUpFailed(PeerTunnel p, boolean newTun, SessionKeys keys, IOException why) {
        handshakesFailed.inc();
        stopData(p);
        keys.schedule().destroy();
        p.dtls = null;
        p.dtlsQueue = null;
        p.peerCert = null;
        if (!newTun && p.tun != null) { // the handler knows this tunnel
            handler.handshakeFailed(p, p.inetAddress, why);
            if (p.dialer) {
                try {
                    netlink.setUp(p.tunIndex, false);
                } catch (ErrnoException e) {
                    LOG.log(Level.WARNING, "tunnel {0}: cannot set the interface down: {1}", p.tun.name(), e.getMessage());
                }
                handler.down(p);
            } else {
                remove(p);
                return;
            }
        } else {
            if (p.cn != null && byCn.get(p.cn) == p)
                byCn.remove(p.cn);
            if (p.cn != null)
                placeFollows(p.cn);
            closeTun(p);
            handler.handshakeFailed(p, p.inetAddress, why);
        }
        if (p.dialer) {
            p.backoffNs = Math.min(Math.max(2 * p.backoffNs, 500_000_000L), options.retryMax().toNanos());
            p.nextAttempt = System.nanoTime() + p.backoffNs;
        } else {
            byAddress.remove(new Key(p.address));
            redialIntent(p);
        }
    }

    /** An accepted peer that had taken over our dial of the same CN is gone: dial that peer again. */
    private void redialIntent(PeerTunnel p) {
        PeerTunnel intent = p.dialIntent;
        p.dialIntent = null;
        if (intent == null || !running)
            return;
        Key k = new Key(intent.address);
        if (byAddress.containsKey(k)) {
            LOG.log(Level.WARNING, "not dialling {0} at {1} again: the address is in use by another peer", intent.expectedCn,
                    intent.inetAddress);
            return;
        }
        LOG.log(Level.INFO, "{0} is gone; dialling it again at {1}", p.cn, intent.inetAddress);
        PeerTunnel d = new PeerTunnel(true, intent.expectedCn, intent.address);
        dialled.add(d);
        byAddress.put(k, d);
        d.nextAttempt = System.nanoTime();
    }

    /**
     * Whether a failed handshake with a live peer means its certificate is no longer good: we
     * refused it as revoked, expired or not yet valid (such a certificate is the CA's: an
     * on-path stranger cannot forge that). Other failures (timeouts, a stranger's certificate
     * sent from the peer's address) leave the live session alone.
     */
    private static boolean refusesPeer(IOException error) {
        return error instanceof CertificateRefusedException r && (r.reason() == CertificateRefusedException.Reason.REVOKED
                || r.reason() == CertificateRefusedException.Reason.EXPIRED || r.reason() == CertificateRefusedException.Reason.NOT_YET_VALID);
    }

    /** The renewal of a live tunnel refused the peer's certificate: the tunnel closes (a dialer tries again with backoff). */
    private void closeRefused(PeerTunnel p, IOException why) {
        LOG.log(Level.WARNING, "tunnel {0} to {1} closed: renewing its session refused the peer: {2}", p.tun != null ? p.tun.name() : "?",
                p.cn, why.getMessage());
        closedInvalid.inc();
        if (p.dialer) {
            endSession(p);
            p.peerCert = null;
        } else {
            remove(p);
        }
    }

    /**
     * A live tunnel's session was renewed (a new handshake with the same peer at the same
     * address): its keys wait in the session until both ends hold them, then replace the old
     * ones ({@link TunnelSession#renew}); the TUN, liveness and path MTU carry on.
     */
    private void renewed(PeerTunnel p, QueueDatagramTransport q, SessionKeys keys, DTLSTransport dtls, long now) {
        if (p.session.renew(keys.schedule(), now) == TunnelSession.Renewal.TAG_IN_USE) {
            renewalsRetried.inc();
            LOG.log(Level.DEBUG, "tunnel {0}: the renewed session's tag is in use; handshaking again", p.tun.name());
            if (p.dialer)
                p.nextAttempt = now;
            return;
        }
        p.peerCert = keys.peer(); // checked by this handshake against the CRL of now; maybe a renewed certificate
        if (!p.dialer) {
            p.dtls = dtls;
            p.dtlsQueue = dtls != null ? q : null;
            p.establishedAt = now;
        }
        renewals.inc();
        LOG.log(Level.INFO, "tunnel {0} to {1}: session renewed ({2} ms handshake); the keys change over once both ends hold them",
                p.tun.name(), p.cn, (now - p.handshakeStarted) / 1_000_000);
        handler.renewed(p);
    }

    /**
     * Another CN authenticated from the address of a peer: it is another node (a NAT reused the
     * address, or the old one is gone). It must not inherit the old peer's TUN, nor leave the old
     * CN mapped: the old tunnel is removed (its TUN closed) and the new CN starts afresh.
     */
    private void forgetIdentity(PeerTunnel p, String newCn) {
        LOG.log(Level.WARNING, "{0} now authenticates as {1}, not {2}: the tunnel of {2} is closed", p.inetAddress, newCn, p.cn);
        stopData(p);
        if (byCn.get(p.cn) == p)
            byCn.remove(p.cn);
        placeFollows(p.cn);
        handler.removed(p);
        closeTun(p);
        p.cn = null;
        p.dtls = null;
        p.dtlsQueue = null;
        PeerTunnel intent = p.dialIntent; // a dial of the old CN it had taken over: that peer is still wanted
        if (intent != null && !intent.address.sameAs(p.address))
            redialIntent(p);
        else
            p.dialIntent = null;
    }

    private static void closeTun(PeerTunnel p) {
        if (p.tun != null) {
            try {
                p.tun.close();
            } catch (ErrnoException e) {
                // gone anyway
            }
            p.tun = null;
        }
    }

    /**
     * On a handshake thread: a new CN beyond maxClients (tunnels and holds of clients still in
     * their handshake, {@link ClientSlots}) is refused there, with an access_denied alert (it
     * backs off), before any session key or tunnel exists; a client we have (renewal, roaming) or
     * one holding a place is always taken. Asked when its certificate is verified (nothing taken:
     * anyone can send a member's certificate), and once it proved its key, when its hold is taken.
     * A handshake that fails after its admission gives its hold back at once.
     */
    private final DtlsHandshake.Admission admission = new DtlsHandshake.Admission() {
        @Override
        public String refuse(String cn) {
            return slots.refusal(cn);
        }

        @Override
        public DtlsHandshake.Reservation admit(String cn) throws re6st.tunnel.handshake.AdmissionRefusedException {
            return slots.reserve(cn);
        }
    };

    /**
     * {@link #byCn} changed for {@code cn} (endpoint thread): its place among the clients follows,
     * kept while a peer that dialled us holds that CN, freed when none does (removed, refused at
     * set-up, its tunnel taken over by our dial of it). The place of a new client is taken in
     * {@link #completed}, before its TUN is made.
     */
    private void placeFollows(String cn) {
        PeerTunnel x = byCn.get(cn);
        if (x == null || x.dialer)
            slots.removed(cn);
    }

    private void stopData(PeerTunnel p) {
        if (p.pump != null)
            p.pump.stop();
        p.pump = null;
        p.sink = null;
        p.session = null;
    }

    /**
     * A dialled peer's session is closed (revoked, past its lifetime, a renewal refused the peer)
     * while we keep dialling it: its interface goes down and the handler hears {@code down} now,
     * as for a dead path (the node fails over at once instead of at Babel's hello timeout); a
     * new session brings {@code established} and sets the interface up again. No {@code down}
     * when its liveness had already reported one (a transition not yet reported counts as done).
     */
    private void endSession(PeerTunnel p) {
        TunnelSession s = p.session;
        boolean wasUp = s != null && switch (s.takeTransition()) {
            case WENT_DOWN -> true; // the handler last heard "up"
            case WENT_UP -> false;  // ... "down"
            default -> s.liveness().state() == Liveness.State.UP;
        };
        stopData(p);
        if (p.tun != null)
            try {
                netlink.setUp(p.tunIndex, false);
            } catch (ErrnoException e) {
                LOG.log(Level.WARNING, "tunnel {0}: cannot set the interface down: {1}", p.tun.name(), e.getMessage());
            }
        if (wasUp)
            handler.down(p);
    }

    private long nextTimer(long now) {
        long next = now + 200_000_000L;
        for (PeerTunnel p : byAddress.values()) {
            if (p.session != null)
                next = Math.min(next, p.session.liveness().nextCheck(now)); // key changes: the 200 ms turn is soon enough
            if (p.dialer && p.handshake == null && p.session == null)
                next = Math.min(next, p.nextAttempt);
        }
        return next;
    }

    private final List<PeerTunnel> expired = new ArrayList<>();

    private void timers(long now, ByteBuffer reply) {
        long wall = System.currentTimeMillis();
        if (wall >= nextRecheckMillis) { // certificates expire while tunnels run
            nextRecheckMillis = wall + 1000;
            try {
                recheckPeers(wall);
            } catch (RuntimeException e) {
                failures.survived("checking the peers' certificates", e);
            }
        }
        for (PeerTunnel p : byAddress.values()) {
            try {
                timer(p, now, reply);
            } catch (IOException | RuntimeException e) { // e.g. ENETUNREACH sending a probe: this peer, this time
                failures.survived("the timers of " + p, e);
            }
        }
        for (PeerTunnel p : expired) {
            LOG.log(Level.INFO, "tunnel {0} to {1}: dead for {2} s, removed", p.tun.name(), p.cn, options.expireAfter().toSeconds());
            try {
                remove(p);
            } catch (RuntimeException e) {
                failures.survived("removing " + p, e);
            }
        }
        expired.clear();
    }

    private void timer(PeerTunnel p, long now, ByteBuffer reply) throws IOException {
        {
            if (p.session == null) {
                if (p.dialer && p.handshake == null && now >= p.nextAttempt)
                    startClientHandshake(p, now);
                return;
            }
            if (p.dtls != null && now - p.establishedAt > options.handshakeTimeout().toNanos())
                forgetDtls(p); // the client would have given up repeating its flight by now
            TunnelSession s = p.session;
            if (lifetime(p, s, now))
                return;
            s.tick(now);
            while (s.replyPending()) {
                reply.clear();
                int len = s.takeReply(reply);
                if (len > 0)
                    UdpOutbox.send(udp, reply, len, 0, p.address, 1, p.counters, s);
            }
            java.net.InetSocketAddress ours = p.dialer ? s.takeObserved() : null;
            if (ours != null) {
                LOG.log(Level.DEBUG, "tunnel {0}: {1} sees us at {2}", p.tun.name(), p.cn, ours);
                handler.observed(p, ours);
            }
            int mtu = s.takeMtuChange();
            if (mtu != 0) {
                LOG.log(Level.INFO, "tunnel {0} to {1}: path MTU probing sets the MTU to {2}", p.tun.name(), p.cn, Integer.toString(mtu));
                try {
                    netlink.setMtu(p.tunIndex, mtu);
                } catch (ErrnoException e) {
                    LOG.log(Level.WARNING, "tunnel {0}: cannot set the MTU to {1}: {2}", p.tun.name(), mtu, e.getMessage());
                }
            }
            Liveness.Action a = s.takeTransition();
            if ((a == Liveness.Action.WENT_DOWN || a == Liveness.Action.WENT_UP) && options.silenceDownsLink()) {
                boolean up = a == Liveness.Action.WENT_UP;
                LOG.log(Level.INFO, "tunnel {0} to {1} is {2}", p.tun.name(), p.cn, up ? "up again" : "down (probes unanswered)");
                try {
                    netlink.setUp(p.tunIndex, up);
                } catch (ErrnoException e) {
                    LOG.log(Level.WARNING, "tunnel {0}: cannot set the interface {1}: {2}", p.tun.name(), up ? "up" : "down", e.getMessage());
                }
                if (up)
                    handler.up(p);
                else
                    handler.down(p);
            }
            if (s.liveness().state() == Liveness.State.DOWN && options.silenceDownsLink()) {
                long downFor = now - s.liveness().downSince();
                if (p.dialer && p.handshake == null && downFor >= options.rehandshakeAfter().toNanos() && now >= p.nextAttempt) {
                    LOG.log(Level.INFO, "tunnel {0}: {1} silent for {2} s, handshaking again", p.tun.name(), p.cn, downFor / 1_000_000_000L);
                    p.backoffNs = Math.min(Math.max(2 * p.backoffNs, options.rehandshakeAfter().toNanos()), options.retryMax().toNanos());
                    p.nextAttempt = now + p.backoffNs;
                    startClientHandshake(p, now);
                } else if (!p.dialer && downFor >= options.expireAfter().toNanos()) {
                    expired.add(p);
                }
            }
        }
    }

    /**
     * The session lifetime: the dialer renews a live session from 90% of its lifetime on (again
     * after a failure, with backoff); a renewal the peer never takes up is given up after a
     * handshake timeout; a session past its lifetime plus a handshake timeout is closed (the
     * dialer handshakes again at once, the server forgets the client). True if it was closed.
     */
    private boolean lifetime(PeerTunnel p, TunnelSession s, long now) {
        if (s.keySerial() != p.keySerial) { // the keys changed over
            p.keySerial = s.keySerial();
            p.keysSince = now;
        }
        long age = now - p.keysSince;
        if (age >= options.closeAfterNs()) {
            LOG.log(Level.WARNING, "tunnel {0} to {1}: session {2} s old, not renewed within its lifetime of {3} s: closed",
                    p.tun.name(), p.cn, age / 1_000_000_000L, options.sessionLifetime().toSeconds());
            closedLifetime.inc();
            if (p.dialer) {
                endSession(p);
                p.nextAttempt = now;
            } else {
                expired.add(p);
            }
            return true;
        }
        if (s.renewalPending() && now - s.renewalPendingSince() >= options.handshakeTimeout().toNanos()) {
            LOG.log(Level.INFO, "tunnel {0} to {1}: the peer never used the renewed session; given up", p.tun.name(), p.cn);
            s.abandonRenewal();
            renewalsRetried.inc();
        }
        if (p.dialer && p.handshake == null && !s.renewalPending() && age >= options.renewAfterNs() && now >= p.nextAttempt
                && s.liveness().state() == Liveness.State.UP) {
            LOG.log(Level.DEBUG, "tunnel {0} to {1}: renewing the session ({2} s old)", p.tun.name(), p.cn, age / 1_000_000_000L);
            startClientHandshake(p, now); // a failure backs off (completed), the old keys carry on meanwhile
        }
        return false;
    }

    private void remove(PeerTunnel p) {
        p.removed = true;
        stopData(p);
        byAddress.remove(new Key(p.address));
        if (p.cn != null && byCn.get(p.cn) == p)
            byCn.remove(p.cn);
        if (p.cn != null)
            placeFollows(p.cn);
        handler.removed(p);
        closeTun(p);
        redialIntent(p);
    }

    private void wake() {
        try {
            udp.wakeup();
        } catch (ErrnoException e) {
            // closed
        }
    }

    @Override
    public void close() throws IOException {
        running = false;
        wake();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        dials.shutdownNow();
        accepts.shutdownNow();
        resends.shutdownNow();
        for (PeerTunnel p : new ArrayList<>(byAddress.values()))
            remove(p);
        udp.close();
        netlink.close();
    }

    /** A HashMap key on a socket address, compared by its bytes (the lookup probe is reused: no allocation). */
    static final class Key {
        final SockAddr a;

        Key(SockAddr a) {
            this.a = a;
        }

        @Override
        public int hashCode() {
            return a.hash();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && a.sameAs(k.a);
        }
    }
}
