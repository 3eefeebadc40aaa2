package re6st.tunnel;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import re6st.jni.Tun;
import re6st.tunnel.handshake.AdmissionRefusedException;
import re6st.tunnel.handshake.CertificateRefusedException;
import re6st.tunnel.handshake.Credentials;
import re6st.tunnel.handshake.DtlsHandshake;
import re6st.tunnel.handshake.PeerVerifier;

/**
 * Tunnels over TCP as a {@link TunnelTransport}: one listening {@link TcpEndpoint} shared by
 * every peer that dials us (each authenticated connection goes to its peer's tunnel, a new peer
 * gets a new tunnel and TUN, at most {@code maxClients} of them), and one dialling endpoint per
 * peer we dial. Each peer's tunnel is a {@link TcpTunnel}, kept across reconnections. A tunnel
 * that dialled us and stays without a connection for {@code expireAfter} is removed.
 */
public final class TcpTransport implements TunnelTransport {
    private static final Logger LOG = System.getLogger("re6st.tunnel");

    /**
     * @param handshakeTimeout a DTLS handshake over a fresh connection gets this long
     * @param rekeyIntervalNs  data-channel rekey interval
     * @param maxClients       peers that dialled us, at most (re6st's max_clients); more are refused
     * @param expireAfter      a peer that dialled us and has no connection for this long is removed
     * @param sessionLifetime  each session is renewed within this (the dialling side starts it)
     */
    public record Options(Duration handshakeTimeout, long rekeyIntervalNs, int maxClients, int maxUnauthenticated, Duration expireAfter,
            Duration sessionLifetime) {
        public static Options defaults() {
            return new Options(Duration.ofSeconds(10), 120_000_000_000L, 20, TcpEndpoint.DEFAULT_MAX_UNAUTHENTICATED,
                    Duration.ofSeconds(120), Duration.ofHours(1));
        }

        public Options withMaxClients(int n) {
            return new Options(handshakeTimeout, rekeyIntervalNs, n, maxUnauthenticated, expireAfter, sessionLifetime);
        }

        public Options withExpireAfter(Duration d) {
            return new Options(handshakeTimeout, rekeyIntervalNs, maxClients, maxUnauthenticated, d, sessionLifetime);
        }

        /** Sessions are renewed by a new handshake (fresh ECDHE, certificate and CRL checked again) within this. */
        public Options withSessionLifetime(Duration d) {
            return new Options(handshakeTimeout, rekeyIntervalNs, maxClients, maxUnauthenticated, expireAfter, d);
        }
    }

    /** One peer's tunnel. */
    private final class Peer implements TcpTunnel.Listener {
        final String cn;
        final boolean outgoing;
        final InetSocketAddress remote;
        final Inbox inbox;              // incoming: its connections; null when we dial
        volatile TcpEndpoint dialler;   // outgoing: its endpoint, once connected
        volatile TcpTunnel tunnel;      // set once established (under the peer's lock)
        volatile X509Certificate cert;  // of the first authentication, until the tunnel exists (it then knows the latest)
        volatile long downSince;        // nanoTime, 0 while up
        volatile Thread dialThread;
        private boolean established, closed; // guarded by this: established fires once, removed once and only after it

        /** The peer's certificate of its latest authentication. */
        X509Certificate certificate() {
            TcpTunnel t = tunnel;
            X509Certificate c = t == null ? null : t.peerCertificate();
            return c != null ? c : cert;
        }

        /** Makes {@code t} this peer's tunnel and reports it established, unless the peer was closed meanwhile (false). */
        boolean establish(TcpTunnel t) {
            synchronized (this) {
                if (closed || peers.get(cn) != this || !running)
                    return false;
                tunnel = t;
                established = true;
                events.established(info()); // inside the lock: a concurrent close reports removed after this
                return true;
            }
        }

        /** Closes the peer once: its tunnel (reported removed), its dial thread, its inbox. */
        void close() {
            TcpTunnel t;
            boolean wasEstablished;
            synchronized (this) {
                if (closed)
                    return;
                closed = true;
                t = tunnel;
                wasEstablished = established;
                if (wasEstablished)
                    events.removed(info());
            }
            Thread d = dialThread;
            if (d != null)
                d.interrupt();
            if (inbox != null)
                inbox.close();
            if (t != null) {
                try {
                    t.close();
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "tcp: closing the tunnel with {0}: {1}", cn, e.getMessage());
                }
            }
        }

        Peer(String cn, boolean outgoing, InetSocketAddress remote) {
            this.cn = cn;
            this.outgoing = outgoing;
            this.remote = remote;
            this.inbox = outgoing ? null : new Inbox();
        }

        TunnelInfo info() {
            TcpTunnel t = tunnel;
            InetSocketAddress now = t == null ? null : t.remote(); // a client may connect again from another address (roaming)
            return new TunnelInfo(cn, t == null ? null : t.tun().name(), now != null ? now : remote, outgoing, protocol, t != null && t.isUp());
        }

        @Override
        public void up(TcpTunnel t) {
            downSince = 0;
            events.up(info());
        }

        @Override
        public void down(TcpTunnel t) {
            downSince = System.nanoTime();
            events.down(info());
        }

        @Override
        public void observed(TcpTunnel t, InetSocketAddress ours) {
            events.observed(info(), ours);
        }
    }

    /** The connections of one peer that dials our server: the dispatcher puts, its tunnel takes. */
    private final class Inbox implements ConnectionSource {
        final LinkedBlockingQueue<TcpConnection> queue = new LinkedBlockingQueue<>();
        volatile boolean closed;

        @Override
        public TcpConnection next(TcpConnection current) throws InterruptedException {
            while (!closed) {
                TcpConnection c = queue.poll(1, TimeUnit.SECONDS);
                if (c != null)
                    return c;
            }
            throw new InterruptedException("the peer's tunnel is closed");
        }

        @Override
        public TcpCounters counters() {
            return server.counters();
        }

        @Override
        public boolean isDialing() {
            return false;
        }

        @Override
        public TcpEndpoint.Authenticator authenticator() {
            return server.authenticator();
        }

        @Override
        public void close() {
            closed = true;
            for (TcpConnection c; (c = queue.poll()) != null; )
                c.close("the tunnel is closed");
        }
    }

    private final Options options;
    private final TransportEvents events;
    private final String protocol;
    private final TcpEndpoint server; // null: we do not accept
    private volatile Credentials me;
    private final Map<String, Peer> peers = new ConcurrentHashMap<>();
    /**
     * The places for clients: peers that dialled us (in {@link #peers}) and clients admitted in
     * their handshake, whose hold lapses after two handshake timeouts. A client's place and its
     * entry in {@link #peers} change together, under {@link #placesLock}: a tunnel of a CN being
     * removed while a new one of the same CN is taken must not free the new one's place.
     */
    private final ClientSlots slots;
    private final Object placesLock = new Object();
    private final Thread dispatcher, janitor;
    /**
     * Starts the dial threads. Created by the constructor, so in its network namespace, which the
     * threads it starts inherit: a dial asked from any thread connects from the transport's namespace.
     */
    private final Thread spawner;
    private final LinkedBlockingQueue<Peer> toDial = new LinkedBlockingQueue<>();
    private volatile boolean running = true;
    /** Peers refused because {@code maxClients} were connected already. */
    public final com.codahale.metrics.Counter refusedFull = new com.codahale.metrics.Counter();
    private final re6st.cli.LoopFailures janitorFailures = new re6st.cli.LoopFailures(LOG, "tcp transport expiry");

    private final Blackholes blackholes = new Blackholes();

    /**
     * Listens on {@code listenOn} (bound now, in the calling thread's namespace; null: no server)
     * and dials from the same namespace. {@code ipv6} names the protocol when there is no server.
     */
    public TcpTransport(InetSocketAddress listenOn, boolean ipv6, Credentials me, Options options, TransportEvents events)
            throws IOException {
        this.me = me;
        this.options = options;
        this.events = events;
        this.protocol = (listenOn != null ? listenOn.getAddress() instanceof Inet6Address : ipv6) ? "tcp6" : "tcp";
        this.slots = new ClientSlots(options.maxClients(), options.handshakeTimeout().multipliedBy(2));
        this.server = listenOn == null ? null
                : TcpEndpoint.listen(listenOn, dtls(null).admission(admission), options.handshakeTimeout(),
                        options.maxUnauthenticated());
        dispatcher = new Thread(this::dispatch, "tcp-transport-" + protocol);
        dispatcher.setDaemon(true);
        janitor = new Thread(this::expire, "tcp-transport-expiry-" + protocol);
        janitor.setDaemon(true);
        spawner = new Thread(this::spawnDials, "tcp-transport-dials-" + protocol);
        spawner.setDaemon(true);
        if (server != null)
            dispatcher.start();
        janitor.start();
        spawner.start();
    }

    /** In {@link #toDial}: dial whoever answers at the address ({@link #identifyThenDial}); never a key of {@link #peers}. */
    private static final String ANY_CN = new String("any CN");
    /** The threads of {@link #identifyThenDial} running, interrupted at {@link #close}. */
    private final java.util.Set<Thread> identifying = ConcurrentHashMap.newKeySet();

    private void spawnDials() {
        while (running) {
            Peer p;
            try {
                p = toDial.take();
            } catch (InterruptedException e) {
                return;
            }
            if (p.cn == ANY_CN) {
                Thread t = new Thread(() -> {
                    try {
                        identifyThenDial(p.remote);
                    } finally {
                        identifying.remove(Thread.currentThread());
                    }
                }, "tcp-identify-" + p.remote);
                t.setDaemon(true);
                identifying.add(t);
                if (running)
                    t.start();
                else
                    identifying.remove(t);
                continue;
            }
            Thread t = new Thread(() -> dialLoop(p), "tcp-dial-" + p.cn);
            t.setDaemon(true);
            p.dialThread = t;
            t.start();
        }
    }

    /** The DTLS authenticator with today's credentials; {@code expectedCn} for a dial, null for the server. */
    private TcpEndpoint.Dtls dtls(String expectedCn) {
        return new TcpEndpoint.Dtls(me, expectedCn, options.handshakeTimeout(), options.rekeyIntervalNs()).cutWith(blackholes);
    }

    /**
     * Inside a client's handshake: a peer with a tunnel here (a reconnection) or holding a place
     * is always taken; a new one only within max clients, counting those still in their
     * handshake ({@link ClientSlots}), so that two clients handshaking at once for the last place
     * do not both get in. Asked when its certificate is verified (nothing taken: anyone can send
     * a member's certificate), and once it proved its key, when its hold is taken. A refused
     * client gets an access_denied alert before any session key, and backs off. A handshake that
     * fails after its admission, or a connection dropped before its tunnel, gives its hold back
     * at once.
     */
    private final DtlsHandshake.Admission admission = new DtlsHandshake.Admission() {
        @Override
        public String refuse(String peerCn) {
            String no = dialled(peerCn);
            if (no == null && (no = slots.refusal(peerCn)) != null)
                refusedFull.inc();
            return no;
        }

        @Override
        public DtlsHandshake.Reservation admit(String peerCn) throws AdmissionRefusedException {
            String no = dialled(peerCn);
            if (no != null)
                throw new AdmissionRefusedException(peerCn, no);
            try {
                return slots.reserve(peerCn);
            } catch (AdmissionRefusedException full) {
                refusedFull.inc();
                throw full;
            }
        }

        private String dialled(String peerCn) {
            Peer p = peers.get(peerCn);
            return p != null && p.outgoing ? "we have a tunnel to you already" : null;
        }
    };

    /**
     * Takes {@code p} out of {@link #peers}, and gives back its place if it dialled us, both at
     * once (see {@link #slots}). False if it was no longer there (someone else removed it).
     */
    private boolean forget(Peer p) {
        synchronized (placesLock) {
            if (!peers.remove(p.cn, p))
                return false;
            if (!p.outgoing)
                slots.removed(p.cn);
            return true;
        }
    }

    /** The server's connections, to their peers' tunnels (a new peer gets one, within maxClients). */
    private void dispatch() {
        while (running) {
            TcpConnection c;
            try {
                c = server.next(null);
            } catch (InterruptedException e) {
                break;
            }
            try {
                take(c);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "tcp: cannot take {0} from {1}: {2}", c.peer(), c.remote(), e.toString());
                c.releaseAdmission(); // its place, if take failed before the tunnel had it (idempotent)
                c.close("the server could not take it");
            }
        }
    }

    private void take(TcpConnection c) throws IOException {
        String cn = c.peer();
        Peer p = peers.get(cn);
        if (p != null) {
            if (p.outgoing) { // we dial it too: one tunnel per pair is enough, ours
                c.releaseAdmission(); // a hold, if it was admitted before our dial began
                c.close("we have a tunnel to you already");
                return;
            }
            p.inbox.queue.add(c);
            return;
        }
        Peer np = new Peer(cn, false, c.remote());
        np.cert = c.peerCertificate();
        String refusal = null;
        synchronized (placesLock) {
            if (!slots.take(cn)) { // its hold lapsed (a handshake longer than two timeouts) and others came meanwhile
                refusedFull.inc();
                LOG.log(Level.WARNING, "tcp: refusing {0} from {1}: {2} clients already (max clients)", cn, c.remote(), slots.taken());
                refusal = "the server is full";
            } else if (peers.putIfAbsent(cn, np) != null) { // we started dialling it meanwhile: ours is kept
                slots.removed(cn); // (only this took its place: a CN is in peers once, and only this thread adds clients)
                refusal = "we have a tunnel to you already";
            }
        }
        if (refusal != null) {
            c.close(refusal);
            return;
        }
        Tun tun = null;
        TcpTunnel t = null;
        try {
            tun = events.tunFor(cn, c.remote(), false);
            if (tun == null) {
                forget(np);
                c.close("refused");
                return;
            }
            t = new TcpTunnel(tun, np.inbox, c, np).sessionLifetime(options.sessionLifetime());
        } catch (IOException | RuntimeException e) {
            forget(np);
            if (t != null)
                t.close();
            else if (tun != null)
                tun.close();
            throw e;
        }
        if (!np.establish(t)) { // hung up meanwhile
            forget(np);
            t.close();
        }
    }

    @Override
    public String protocol() {
        return protocol;
    }

    @Override
    public InetSocketAddress localAddress() {
        return server == null ? null : server.localAddress();
    }

    @Override
    public void dial(InetSocketAddress address, String peerCn) {
        if (peerCn == null) {
            toDial.add(new Peer(ANY_CN, true, address)); // the spawner's threads dial from the transport's namespace
            return;
        }
        Peer p = new Peer(peerCn, true, address);
        if (peers.putIfAbsent(peerCn, p) != null)
            return; // a tunnel with it exists (either way)
        toDial.add(p);
    }

    /**
     * A dial to whoever answers at {@code address} (any CN of the network): one authenticated
     * connection names the server, then it is dialled as a named peer (tunnels are kept by peer
     * name). Retried with the dial backoff until it answers or the transport closes.
     */
    private void identifyThenDial(InetSocketAddress address) {
        long backoff = 500;
        while (running) {
            TcpEndpoint e = null;
            try {
                e = TcpEndpoint.dial(address, dtls(null), options.handshakeTimeout());
                String cn = re6st.pki.Certificates.cn(e.first(options.handshakeTimeout()).peerCertificate());
                LOG.log(Level.DEBUG, "tcp: {0} is {1}", address, cn);
                e.close();
                if (running) // (the server saw a client come and go: its tunnel is taken over by the named dial's)
                    dial(address, cn);
                return;
            } catch (InterruptedException ie) {
                return;
            } catch (IOException | RuntimeException ex) {
                events.failed(null, address, ex instanceof IOException io ? io : new IOException(ex.toString(), ex));
            } finally {
                if (e != null)
                    e.close();
            }
            try {
                Thread.sleep(backoff); // backoff between attempts, not synchronisation
            } catch (InterruptedException ie) {
                return;
            }
            backoff = Math.min(2 * backoff, 30_000);
        }
    }

    /** Until the first authenticated connection (backoff 0.5 s doubling to 30 s); then the tunnel re-dials by itself. */
    private void dialLoop(Peer p) {
        long backoff = 500;
        while (running && peers.get(p.cn) == p) {
            TcpEndpoint e = null;
            Tun tun = null;
            try {
                e = TcpEndpoint.dial(p.remote, dtls(p.cn), options.handshakeTimeout());
                TcpConnection first = e.first(options.handshakeTimeout());
                p.cert = first.peerCertificate();
                tun = events.tunFor(p.cn, p.remote, true);
                if (tun == null) {
                    e.close();
                    forget(p);
                    return;
                }
                p.dialler = e;
                TcpTunnel t = new TcpTunnel(tun, e, first, p).sessionLifetime(options.sessionLifetime());
                if (!p.establish(t))
                    t.close(); // hung up meanwhile (closes the endpoint and the TUN)
                return;
            } catch (InterruptedException ie) {
                if (e != null)
                    e.close();
                closeQuietly(tun);
                return;
            } catch (IOException | RuntimeException ex) {
                if (e != null)
                    e.close();
                closeQuietly(tun);
                events.failed(p.cn, p.remote, ex instanceof IOException io ? io : new IOException(ex.toString(), ex));
            }
            try {
                Thread.sleep(backoff); // backoff between attempts, not synchronisation
            } catch (InterruptedException ie) {
                return;
            }
            backoff = Math.min(2 * backoff, 30_000);
        }
    }

    private static void closeQuietly(Tun tun) {
        if (tun == null)
            return;
        try {
            tun.close();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "tcp: closing {0}: {1}", tun.name(), e.getMessage());
        }
    }

    @Override
    public void redial() {
        for (Peer p : peers.values()) {
            TcpTunnel t = p.tunnel;
            if (p.outgoing && t != null)
                t.reconnect("the underlay changed: connecting again");
        }
    }

    @Override
    public void hangUp(String peerCn) {
        Peer p = peers.get(peerCn);
        if (p != null && forget(p))
            p.close();
    }

    @Override
    public void hangUpOutgoing(String peerCn) {
        Peer p = peers.get(peerCn);
        if (p != null && p.outgoing && forget(p))
            p.close();
    }

    @Override
    public void setCredentials(Credentials c) {
        me = c;
        if (server != null)
            server.setCredentials(c); // handshakes from now on, and its connections re-checked
        for (Peer p : peers.values()) {
            TcpEndpoint d = p.dialler;
            if (d != null)
                d.setCredentials(c);
        }
        recheck(c);
    }

    /**
     * Removes the tunnels whose peer certificate (of its latest authentication) is now revoked or
     * expired, whichever side dialled: a server we dial that the network revokes does not close its
     * end itself (its own config may not say so yet), so we must; the node decides later whether to
     * dial anyone again.
     */
    private void recheck(Credentials c) {
        Date now = new Date();
        for (Peer p : new ArrayList<>(peers.values())) {
            X509Certificate cert = p.certificate();
            if (cert == null)
                continue;
            try {
                PeerVerifier.verify(cert, c, null, now);
            } catch (CertificateRefusedException e) {
                LOG.log(Level.WARNING, "tcp: closing the tunnel with {0}: {1}", p.cn, e.getMessage());
                if (forget(p))
                    p.close();
            }
        }
    }

    /** Each second: peers that dialled us and stayed without a connection too long are removed; expired certificates closed. */
    private void expire() {
        while (running) {
            try {
                Thread.sleep(1000); // a periodic check, not synchronisation
            } catch (InterruptedException e) {
                return;
            }
            try {
                expireOnce(System.nanoTime());
            } catch (RuntimeException e) { // one bad turn (a listener's bug) must not end the checks
                janitorFailures.survived("expiry check", e);
            }
        }
    }

    /** Removes clients without a connection for expire-after, and peers whose certificate is no longer valid. */
    private void expireOnce(long now) {
        for (Peer p : new ArrayList<>(peers.values())) {
            long since = p.downSince;
            if (!p.outgoing && since != 0 && now - since >= options.expireAfter().toNanos()) {
                LOG.log(Level.INFO, "tcp: {0} has not connected again for {1} s: its tunnel is removed", p.cn,
                        options.expireAfter().toSeconds());
                if (forget(p))
                    p.close();
            }
        }
        recheck(me); // notAfter passes too
    }

    /** Sessions renewed so far by the tunnels now open (for tests and metrics). */
    public long sessionRenewals() {
        long n = 0;
        for (Peer p : peers.values()) {
            TcpTunnel t = p.tunnel;
            if (t != null)
                n += t.renewals.getCount();
        }
        return n;
    }

    @Override
    public List<TunnelInfo> tunnels() {
        List<TunnelInfo> out = new ArrayList<>();
        for (Peer p : peers.values())
            if (p.tunnel != null)
                out.add(p.info());
        return out;
    }

    @Override
    public Blackholes blackholes() {
        return blackholes;
    }

    @Override
    public List<TunnelStats> stats() {
        List<TunnelStats> out = new ArrayList<>();
        for (Peer p : peers.values()) {
            TcpTunnel t = p.tunnel;
            if (t != null)
                out.add(TunnelStats.of(p.info(), t.connection().authenticatedAt(), t.session(), t.counters()));
        }
        return out;
    }

    @Override
    public void close() {
        running = false;
        dispatcher.interrupt();
        janitor.interrupt();
        spawner.interrupt();
        for (Thread t : identifying)
            t.interrupt();
        for (Peer p : new ArrayList<>(peers.values()))
            if (forget(p))
                p.close();
        if (server != null)
            server.close();
    }
}
