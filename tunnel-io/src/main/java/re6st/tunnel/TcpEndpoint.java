package re6st.tunnel;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.bouncycastle.tls.DatagramTransport;

import re6st.tunnel.handshake.Credentials;
import re6st.tunnel.handshake.DtlsHandshake;
import re6st.tunnel.handshake.SessionKeys;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The TCP transport's underlay: Netty on the native epoll transport, one event-loop thread for
 * all of the endpoint's connections, TCP_NODELAY. Either it dials a server ({@link #dial}) or it
 * listens for clients ({@link #listen}); either way it yields authenticated
 * {@link TcpConnection}s, over which {@link TcpTunnel} carries a tunnel.
 *
 * <p>Listening: no cookie round is needed (the TCP handshake proved the client's address), but
 * at most {@code maxUnauthenticated} connections may be in their handshake at once (more are
 * closed at once, counted, logged at most once a second), and each has {@code handshakeTimeout}
 * to complete it. A failed handshake is logged with its reason and the endpoint goes on
 * listening. Dialling: a refused or unreachable server is retried with backoff (0.5 s doubling
 * to 10 s); after a connection breaks, {@link #next} dials again the same way.
 */
public final class TcpEndpoint implements AutoCloseable, ConnectionSource {
    private static final Logger LOG = System.getLogger("re6st.tunnel");

    static {
        // Netty would log through SLF4J (on the classpath for metrics-core, without a binding: a
        // warning on stderr and nothing logged); send its few lines where ours go instead.
        io.netty.util.internal.logging.InternalLoggerFactory.setDefaultFactory(
                io.netty.util.internal.logging.JdkLoggerFactory.INSTANCE);
    }

    /** Authenticates a fresh connection over its framed stream (normally the DTLS handshake). */
    @FunctionalInterface
    public interface Authenticator {
        Authenticated authenticate(DatagramTransport transport, boolean client) throws IOException;
    }

    /**
     * What an authenticated connection carries: its data-channel session, the peer's name (CN)
     * and its certificate (null: not certificate-based; then it is never re-checked), and what
     * the server's admission reserved for the peer ({@link DtlsHandshake.Reservation}: a place
     * among max clients), released if the connection closes before its tunnel is made.
     */
    public record Authenticated(TunnelSession session, String peer, java.security.cert.X509Certificate certificate,
            DtlsHandshake.Reservation admitted) {
        public Authenticated(TunnelSession session, String peer) {
            this(session, peer, null);
        }

        public Authenticated(TunnelSession session, String peer, java.security.cert.X509Certificate certificate) {
            this(session, peer, certificate, DtlsHandshake.Reservation.NONE);
        }
    }

    /**
     * The tunnel's authenticator: the DTLS handshake ({@link DtlsHandshake}) with our
     * credentials, which {@link TcpEndpoint#setCredentials} replaces at run time (a new CRL).
     */
    public static final class Dtls implements Authenticator {
        private volatile Credentials me;
        private volatile DtlsHandshake.Admission admission; // server side: who may connect (null: any member)
        private final String expectedCn;
        private final Duration timeout;
        private final long rekeyIntervalNs;
        private volatile Blackholes blackholes;

        /** {@code expectedCn}: the CN a dialled server must have (null: any member). */
        public Dtls(Credentials me, String expectedCn, Duration timeout, long rekeyIntervalNs) {
            this.me = me;
            this.expectedCn = expectedCn;
            this.timeout = timeout;
            this.rekeyIntervalNs = rekeyIntervalNs;
        }

        @Override
        public Authenticated authenticate(DatagramTransport transport, boolean client) throws IOException {
            if (client)
                return authenticated(DtlsHandshake.connect(transport, me, expectedCn, timeout), DtlsHandshake.Reservation.NONE);
            DtlsHandshake.ServerSession s = DtlsHandshake.acceptConnectedSession(transport, me, timeout, admission);
            try {
                return authenticated(s.keys(), s.admitted());
            } catch (IOException | RuntimeException | Error e) { // no connection will carry the client: its place is free now
                s.admitted().release();
                throw e;
            }
        }

        /** Sessions it makes are under {@code b}'s cut of their peer ({@link Blackholes}). */
        public Dtls cutWith(Blackholes b) {
            blackholes = b;
            return this;
        }

        private Authenticated authenticated(SessionKeys k, DtlsHandshake.Reservation admitted) throws IOException {
            Blackholes cuts = blackholes;
            if (cuts != null && cuts.of(k.peerCn()).on()) { // a silent path carries no handshake either: this one fails
                k.schedule().destroy();
                throw new IOException("the tunnel with " + k.peerCn() + " is cut on purpose (blackhole)");
            }
            long now = System.nanoTime();
            TunnelSession s = new TunnelSession(k.schedule(), Liveness.defaults(now), rekeyIntervalNs, now);
            if (cuts != null)
                s.cutBy(cuts.of(k.peerCn()));
            return new Authenticated(s, k.peerCn(), k.peer(), admitted);
        }

        /**
         * A session renewal's DTLS handshake over the connection of a tunnel with {@code peer},
         * with the credentials of now ({@link TcpTunnel}). As the server, it admits {@code peer}
         * only, and reserves nothing: the tunnel has its place already, and a client renewing as
         * another CN must not take (and keep) a place for that CN.
         */
        SessionKeys renewal(DatagramTransport transport, boolean client, String peer) throws IOException {
            Credentials c = me;
            return client ? DtlsHandshake.connect(transport, c, expectedCn, timeout)
                    : DtlsHandshake.acceptConnectedSession(transport, c, timeout,
                            cn -> cn.equals(peer) ? null : "this connection renews the tunnel of " + peer).keys();
        }

        /**
         * Server side: whether to take a client (e.g. max clients), asked when its certificate is
         * verified and again once it proved its key ({@link DtlsHandshake.Admission}); a refusal
         * stops the handshake with an {@code access_denied} alert, before any session key.
         */
        public Dtls admission(DtlsHandshake.Admission a) {
            this.admission = a;
            return this;
        }

        Duration timeout() {
            return timeout;
        }
    }

    public static final int DEFAULT_MAX_UNAUTHENTICATED = 8;
    static final long BACKOFF_MIN_NS = 500_000_000L, BACKOFF_MAX_NS = 10_000_000_000L;
    /** Socket reads: Netty adapts the buffer to what comes, up to 256 KiB (pooled; one per read, not per packet). */
    static final int READ_MIN = 2048, READ_INITIAL = 65536, READ_MAX = 256 << 10;

    private final EventLoopGroup group;
    private final Authenticator auth;
    private final Duration handshakeTimeout;
    private final TcpCounters counters = new TcpCounters();
    private final InetSocketAddress server; // dialling; null when listening
    private final Channel listener; // listening; null when dialling
    private final int maxUnauthenticated;
    private final AtomicInteger handshaking = new AtomicInteger();
    private final LinkedBlockingQueue<TcpConnection> ready = new LinkedBlockingQueue<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final String label;
    private volatile boolean closed;
    private long backoffNs = BACKOFF_MIN_NS; // the dialling thread's
    private long lastBusyLog; // event loop
    private int busySinceLog; // event loop

    private TcpEndpoint(InetSocketAddress server, InetSocketAddress local, Authenticator auth, Duration handshakeTimeout,
            int maxUnauthenticated) throws IOException {
        if (!Epoll.isAvailable())
            throw new IOException("the TCP transport needs Netty's native epoll transport: " + Epoll.unavailabilityCause());
        this.server = server;
        this.auth = auth;
        this.handshakeTimeout = handshakeTimeout;
        this.maxUnauthenticated = maxUnauthenticated;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("re6st-tcp", true), EpollIoHandler.newFactory());
        group.next().scheduleAtFixedRate(() -> recheck(System.currentTimeMillis()), 1, 1, TimeUnit.SECONDS); // certificates expire
        if (server != null) {
            this.label = "tcp to " + server;
            this.listener = null;
            return;
        }
        this.label = "tcp on " + local;
        ServerBootstrap b = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_BACKLOG, 64);
        b.childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childOption(ChannelOption.RECVBUF_ALLOCATOR, reads())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted(ch);
                    }
                });
        ChannelFuture f = b.bind(local).awaitUninterruptibly();
        if (!f.isSuccess()) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException("cannot listen on TCP " + local + ": " + message(f.cause()), f.cause());
        }
        this.listener = f.channel();
    }

    /** An endpoint that dials {@code server} (connect: {@link #first}; after a break: {@link #next}). */
    public static TcpEndpoint dial(InetSocketAddress server, Authenticator auth, Duration handshakeTimeout) throws IOException {
        return new TcpEndpoint(server, null, auth, handshakeTimeout, 0);
    }

    /**
     * An endpoint listening on {@code local} (bound now, in the calling thread's network
     * namespace), handshaking with at most {@code maxUnauthenticated} clients at once, each
     * within {@code handshakeTimeout}.
     */
    public static TcpEndpoint listen(InetSocketAddress local, Authenticator auth, Duration handshakeTimeout,
            int maxUnauthenticated) throws IOException {
        if (maxUnauthenticated < 1)
            throw new IllegalArgumentException("maxUnauthenticated must be positive");
        return new TcpEndpoint(null, local, auth, handshakeTimeout, maxUnauthenticated);
    }

    /** Socket reads: sized by what comes (a pooled buffer per read, never per packet). */
    private static AdaptiveRecvByteBufAllocator reads() {
        return new AdaptiveRecvByteBufAllocator(READ_MIN, READ_INITIAL, READ_MAX);
    }

    public boolean isDialing() {
        return server != null;
    }

    /** The listening address (with the port the kernel chose for port 0), or null when dialling. */
    public InetSocketAddress localAddress() {
        return listener == null ? null : (InetSocketAddress) listener.localAddress();
    }

    /** Connections in their handshake now (at most maxUnauthenticated). */
    public int handshaking() {
        return handshaking.get();
    }

    public TcpCounters counters() {
        return counters;
    }

    public String label() {
        return label;
    }

    /**
     * The first authenticated connection. Dialling: connection failures (refused, unreachable)
     * are retried with backoff until {@code wait} has passed; a failed handshake (refused
     * certificate, the peer's alert) is thrown at once. Listening: waits at most {@code wait}
     * (null: for ever) for a client to complete its handshake; failed ones are logged.
     */
    public TcpConnection first(Duration wait) throws IOException, InterruptedException {
        if (server == null) {
            TcpConnection c = wait == null ? ready.take() : ready.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
            if (c == null)
                throw new SocketTimeoutException("no client completed its handshake within " + wait);
            return c;
        }
        long deadline = System.nanoTime() + (wait == null ? Long.MAX_VALUE / 2 : wait.toNanos());
        long backoff = BACKOFF_MIN_NS;
        while (true) {
            try {
                return dialOnce();
            } catch (ConnectFailed e) {
                long left = deadline - System.nanoTime();
                if (wait != null && left <= 0)
                    throw new SocketTimeoutException(e.getMessage() + " (gave up after " + wait.toSeconds() + " s)");
                pause(Math.min(backoff, left));
                backoff = Math.min(2 * backoff, BACKOFF_MAX_NS);
            }
        }
    }

    /**
     * The connection to use after {@code current}. Dialling: waits until {@code current}
     * closed, then dials again with backoff (0.5 s doubling to 10 s; back to 0.5 s after a
     * connection that lasted) until it succeeds. Listening: the next client that completed its
     * handshake (the caller decides whether it replaces {@code current}). Throws
     * InterruptedException when the endpoint closes.
     */
    @Override
    public TcpConnection next(TcpConnection current) throws InterruptedException {
        if (server == null) {
            while (!closed) {
                TcpConnection c = ready.poll(1, TimeUnit.SECONDS);
                if (c != null)
                    return c;
            }
            throw new InterruptedException("endpoint closed");
        }
        current.channel().closeFuture().await();
        if (System.nanoTime() - current.authenticatedAt() >= BACKOFF_MAX_NS)
            backoffNs = BACKOFF_MIN_NS;
        while (true) {
            LOG.log(Level.INFO, "{0}: reconnecting in {1} s", label, seconds(backoffNs));
            pause(backoffNs);
            backoffNs = Math.min(2 * backoffNs, BACKOFF_MAX_NS); // the next pause, unless this connection lasts
            try {
                return dialOnce();
            } catch (InterruptedIOException e) {
                throw new InterruptedException("endpoint closed");
            } catch (IOException e) {
                LOG.log(Level.WARNING, "{0}: reconnecting failed: {1}", label, e.getMessage());
            }
        }
    }

    private static String seconds(long ns) {
        return String.format(java.util.Locale.ROOT, "%.1f", ns / 1e9);
    }

    private void pause(long ns) throws InterruptedException {
        if (closing.await(ns, TimeUnit.NANOSECONDS) || closed)
            throw new InterruptedException("endpoint closed");
    }

    /** A connection attempt failed before any handshake (retried while dialling first). */
    private static final class ConnectFailed extends IOException {
        private static final long serialVersionUID = 1L;

        ConnectFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Connects (in the calling thread's network namespace) and handshakes as the client. */
    private TcpConnection dialOnce() throws IOException, InterruptedException {
        if (closed)
            throw new InterruptedException("endpoint closed");
        Bootstrap b = new Bootstrap().group(group).channel(EpollSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, handshakeTimeout.toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.RECVBUF_ALLOCATOR, reads())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new TcpConnection(ch, server, label, counters));
                    }
                });
        ChannelFuture f = b.connect(server);
        try {
            f.await();
        } catch (InterruptedException e) {
            f.channel().close();
            throw e;
        }
        if (!f.isSuccess()) {
            f.channel().close();
            counters.connectFailures.inc();
            throw new ConnectFailed("cannot connect to " + server + ": " + message(f.cause()), f.cause());
        }
        TcpConnection c = f.channel().pipeline().get(TcpConnection.class);
        c.authenticate(auth, true);
        counters.connections.inc();
        live(c);
        return c;
    }

    /** A client connected (event loop): bounded, timed handshake on a thread of its own. */
    private void accepted(Channel ch) {
        InetSocketAddress from = (InetSocketAddress) ch.remoteAddress();
        if (closed) {
            ch.close();
            return;
        }
        if (pendingFrom(from.getAddress()) >= MAX_PENDING_PER_ADDRESS) {
            counters.refusedPerAddress.inc(); // one address cannot take every slot, nor evict the others' by idling
            ch.close();
            return;
        }
        if (handshaking.get() >= maxUnauthenticated && !evictIdle()) {
            counters.refusedBusy.inc();
            busySinceLog++;
            long now = System.nanoTime();
            if (now - lastBusyLog >= 1_000_000_000L) {
                LOG.log(Level.WARNING, "{0}: {1} connection(s) closed at once (last from {2}): {3} handshakes in progress already",
                        label, Integer.toString(busySinceLog), from, Integer.toString(maxUnauthenticated));
                lastBusyLog = now;
                busySinceLog = 0;
            }
            ch.close();
            return;
        }
        handshaking.incrementAndGet();
        TcpConnection c = new TcpConnection(ch, from, label, counters);
        unauthenticated.add(c);
        ch.pipeline().addLast(c);
        ScheduledFuture<?> timeout = ch.eventLoop().schedule(() -> {
            if (!c.authenticated() && c.isOpen()) {
                counters.handshakeTimeouts.inc();
                c.close("no handshake within " + handshakeTimeout.toMillis() + " ms");
            }
        }, handshakeTimeout.toNanos(), TimeUnit.NANOSECONDS);
        Thread t = new Thread(() -> handshake(c, timeout), "re6st-tcp-handshake");
        t.setDaemon(true);
        t.start();
    }

    private void handshake(TcpConnection c, ScheduledFuture<?> timeout) {
        boolean handedOver = false;
        try {
            c.authenticate(auth, false);
            timeout.cancel(false);
            counters.connections.inc();
            live(c);
            LOG.log(Level.INFO, "{0}: {1} authenticated from {2} (handshake {3} ms)", label, c.peer(), c.remote(),
                    Long.toString(c.handshakeNanos() / 1_000_000));
            if (closed) {
                c.close("shutting down");
            } else {
                ready.add(c);
                handedOver = true;
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "{0}: handshake with {1} failed: {2}; still listening", label, c.remote(), e.getMessage());
        } finally {
            if (!handedOver) // admitted, but closed before it was handed over (or an Error): what it held is given back
                c.releaseAdmission();
            if (unauthenticated.remove(c)) // (an evicted one was removed, and its count given back, already)
                handshaking.decrementAndGet();
        }
    }

    /**
     * Connections from one IP address in their handshake at once; more are closed at once
     * ({@link TcpCounters#refusedPerAddress}). A real node has one (a reconnection may overlap
     * a dying one).
     */
    static final int MAX_PENDING_PER_ADDRESS = 2;

    /** Connections from {@code a} in their handshake now (event loop; a handful at most: a scan). */
    private int pendingFrom(java.net.InetAddress a) {
        int n = 0;
        for (TcpConnection c : unauthenticated)
            if (!c.authenticated() && c.remote().getAddress().equals(a))
                n++;
        return n;
    }

    /** Connections in their handshake, to find one that sends nothing when a new client needs room. */
    private final java.util.Set<TcpConnection> unauthenticated = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** A connection that sent nothing for this long before its handshake may be closed for a new client (default 1 s). */
    private volatile long evictableAfterNs = 1_000_000_000L;

    /** Changes {@link #evictableAfterNs} (tests: 0 makes any silent connection evictable, a day none). */
    TcpEndpoint evictIdleAfter(Duration d) {
        evictableAfterNs = d.toNanos();
        return this;
    }

    /**
     * All handshake slots are taken: closes the connection that has been silent longest (at least
     * {@link #evictableAfterNs}), so that idle connections (slowloris) cannot keep real clients
     * out. True if one was closed, and its slot given to the caller.
     */
    private boolean evictIdle() {
        long now = System.nanoTime();
        TcpConnection victim = null;
        for (TcpConnection c : unauthenticated)
            if (!c.authenticated() && now - c.lastRead() >= evictableAfterNs && (victim == null || c.lastRead() - victim.lastRead() < 0))
                victim = c;
        if (victim == null || !unauthenticated.remove(victim))
            return false;
        handshaking.decrementAndGet();
        counters.evicted.inc();
        victim.close("silent for " + (now - victim.lastRead()) / 1_000_000 + " ms before its handshake, and a new client waits");
        return true;
    }

    // ---- credentials at run time --------------------------------------------------------------

    /** Authenticated connections still open: their peers' certificates are re-checked. */
    private final java.util.Set<TcpConnection> live = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private void live(TcpConnection c) {
        live.add(c);
        c.channel().closeFuture().addListener(f -> live.remove(c));
    }

    /**
     * New credentials (typically a new CRL): handshakes from now on use them, and every open
     * connection whose peer certificate they revoke, or which has expired, is closed at once
     * (as {@link UdpEndpoint#setCredentials}); expiry is also checked each second. The dialling
     * side then reconnects with backoff, and a revoked server refuses it; a revoked client
     * reconnecting is refused. Needs the endpoint's authenticator to be {@link Dtls}.
     */
    public void setCredentials(Credentials c) {
        if (!(auth instanceof Dtls d))
            throw new IllegalStateException("this endpoint's authenticator takes no credentials: " + auth);
        d.me = c;
        group.next().execute(() -> recheck(System.currentTimeMillis()));
    }

    @Override
    public Authenticator authenticator() {
        return auth;
    }

    /** The credentials handshakes use now (null if the authenticator is not {@link Dtls}). */
    public Credentials credentials() {
        return auth instanceof Dtls d ? d.me : null;
    }

    /** Closes the connections whose peer certificate is revoked (our CRL, the network config's serials) or past its notAfter (event loop). */
    private void recheck(long nowMillis) {
        Credentials me = credentials();
        for (TcpConnection c : live) {
            java.security.cert.X509Certificate cert = c.peerCertificate();
            if (cert == null || !c.isOpen())
                continue;
            String revoked = me == null ? null : me.revocation(cert);
            String why = revoked != null ? revoked
                    : cert.getNotAfter().getTime() < nowMillis ? "expired on " + cert.getNotAfter().toInstant() : null;
            if (why != null) {
                LOG.log(Level.WARNING, "{0}: connection with {1} at {2} closed: its certificate is {3}", label, c.peer(), c.remote(), why);
                counters.closedInvalid.inc();
                live.remove(c);
                c.close("the peer's certificate is " + why);
            }
        }
    }

    static String message(Throwable t) {
        if (t == null)
            return "unknown error";
        String m = t.getMessage();
        return m != null ? m : t.toString();
    }

    /** Closes the listening socket and every connection, and stops the event loop. */
    @Override
    public void close() {
        if (closed)
            return;
        closed = true;
        closing.countDown();
        if (listener != null)
            listener.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        for (TcpConnection c; (c = ready.poll()) != null; ) {
            c.close("shutting down");
            c.releaseAdmission();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }
}
