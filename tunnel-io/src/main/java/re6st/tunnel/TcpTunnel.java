package re6st.tunnel;

import static re6st.tunnel.handshake.StreamDatagramTransport.HEADER;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.EpollTcpInfo;
import io.netty.util.concurrent.ScheduledFuture;
import re6st.jni.ErrnoException;
import re6st.jni.Netlink;
import re6st.jni.Tun;
import re6st.tunnel.data.DataPacket;
import re6st.tunnel.handshake.StreamDatagramTransport;

/**
 * A running tunnel over TCP, the fallback where UDP is blocked: a TUN device and a TCP
 * connection to the peer ({@link TcpEndpoint}), joined by a {@link TunnelSession} exactly as
 * {@link UdpTunnel} joins a TUN and a UDP socket: same data channel, same liveness, same
 * counters, same TUN side ({@link TunPump}) and receiving side ({@link TunSink}).
 *
 * <h2>Framing</h2>
 * The connection carries datagrams, each exactly the bytes a UDP datagram of the UDP transport
 * would carry (a DTLS handshake record, or a sealed data-channel packet), each preceded by its
 * length, as OpenVPN does over TCP:
 * <pre>
 *   frame = length (2 bytes, big-endian, 1..65507) | datagram (length bytes)
 * </pre>
 * The handshake (DTLS 1.2, {@link re6st.tunnel.handshake.DtlsHandshake}) runs first over these
 * frames ({@link StreamDatagramTransport}; no cookie round: the TCP handshake proved the
 * client's address); data follows on the same connection. A length of 0 or above 65507 (the
 * largest UDP payload, {@link StreamDatagramTransport#MAX_FRAME}) is a protocol error: the
 * connection is closed with a log line and counted ({@link TcpCounters#framingErrors}).
 *
 * <h2>Threads and buffers</h2>
 * <ul>
 * <li>TUN -> TCP ({@link TunPump}'s thread): a batch read from the TUN is cut into segments,
 * each sealed as one frame into a send buffer, frames contiguous; the buffer is handed to
 * Netty with one write-and-flush per batch (one {@code writev} on the socket). The send
 * buffers are a ring of {@link #RING} direct buffers allocated once; a buffer is reused when
 * Netty has written and released it, so the TUN side waits (TCP back-pressure) when the
 * connection cannot take more. Per batch: one Netty promise (and Netty's recycled write task).
 * <li>TCP -> TUN (the event loop): each read is split into frames in place
 * ({@link TcpConnection}), each frame opened into {@link TunSink}'s batch, the batch written
 * to the TUN when the read is done. The liveness timer, probes and echoes run here too.
 * </ul>
 * Frames never interleave: every write to the socket, batches from the TUN thread and probes
 * or echoes from the event loop, goes through the one event loop, each as whole frames.
 * Nothing is allocated per packet (a probe or an echo takes a small pooled buffer).
 *
 * <h2>Liveness and broken connections</h2>
 * As over UDP ({@link Liveness}): when sent data or a keepalive gets no answer, probes follow
 * and when they go unanswered too (about 0.3 s after the last packet under traffic) the TUN
 * interface goes down, and up again when the peer answers. Our probes wait behind our data in
 * the kernel's send buffer, so while up the peer's kernel acknowledging our bytes (TCP_INFO, read
 * at each liveness tick) counts as a packet from the peer ({@link Liveness#acknowledged}): a
 * send buffer holding more than 0.3 s of data is no down. When the connection breaks (EOF, reset) the tunnel logs it and
 * keeps its TUN: the dialling side reconnects with backoff (0.5 s doubling to 10 s) and
 * handshakes again, the listening side accepts the same peer (same CN) again, a new connection
 * replacing the old one. Each new connection brings a fresh session (keys, counters, replay
 * window); the interface comes up with it if it had gone down. Within a connection, the session
 * is renewed by new handshakes ({@link #sessionLifetime}): their DTLS records are frames like the
 * data's, told apart by their first byte (20..25; data is 0x01).
 */
public final class TcpTunnel implements AutoCloseable {
    private static final Logger LOG = System.getLogger("re6st.tunnel");

    /** Told about liveness changes, on the event loop. */
    public interface Listener {
        void up(TcpTunnel t);

        void down(TcpTunnel t);

        /** We dialled, and the peer says our connection comes from {@code ours} (its {@link ObservedAddress}). */
        default void observed(TcpTunnel t, java.net.InetSocketAddress ours) {}

        Listener NONE = new Listener() {
            @Override
            public void up(TcpTunnel t) {}

            @Override
            public void down(TcpTunnel t) {}
        };
    }

    /** Send buffers: at most this many batches are queued in Netty or being written. */
    static final int RING = 4;
    /** One send buffer: a TUN batch of 64 KiB super-packets, cut and sealed, fits (a bigger one is flushed in parts). */
    static final int BUFFER = TunPump.TUN_BATCH * (TunPump.MAX_PACKET + 8192);
    /** A probe or an echo, framed. */
    private static final int REPLY = 128;

    private final Tun tun;
    private volatile java.security.cert.X509Certificate peerCertificate;
    private final ConnectionSource endpoint;
    private final Listener listener;
    private final Netlink netlink;
    private final int tunIndex;
    private final int slot;
    private final String name;
    private final String peerName; // the CN of the first peer: later connections must have it too
    private final EventLoop loop;
    private final TunnelCounters counters = new TunnelCounters();
    private final TcpOutbox outbox = new TcpOutbox();
    private final Receiver receiver = new Receiver();
    private final Runnable tickTask = this::tick;
    private final Thread supervisor;
    private volatile boolean running = true;
    // event loop only
    private Link link;
    private volatile boolean up = true; // written on the event loop only
    private ScheduledFuture<?> timer;
    private final ByteBuffer discard = ByteBuffer.allocate(REPLY);
    // the supervisor's (and the constructor's), under pumpLock
    private final Object pumpLock = new Object();
    private TunPump pump;
    private volatile TcpConnection current;

    /** The receiving side of one connection (event loop). */
    private static final class Link {
        final TcpConnection conn;
        final TunnelSession session;
        final TunSink sink;

        Link(TcpConnection conn, TunSink sink) {
            this.conn = conn;
            this.session = conn.session();
            this.sink = sink;
        }
    }

    /**
     * Starts a tunnel on {@code first}, a connection {@code endpoint} authenticated, and keeps
     * it going over the endpoint's later connections. Call from a thread in the tunnel's network
     * namespace (TUN, netlink and the sockets of reconnections belong to it). {@code tun} must be
     * opened with {@link TunDevice#open}. The tunnel owns the endpoint and closes it.
     */
    public TcpTunnel(Tun tun, TcpEndpoint endpoint, TcpConnection first, Listener listener) throws IOException {
        this(tun, (ConnectionSource) endpoint, first, listener);
    }

    /** As the public constructor, with the later connections from {@code source} (one peer's, on a shared server). */
    TcpTunnel(Tun tun, ConnectionSource endpoint, TcpConnection first, Listener listener) throws IOException {
        if (first.session() == null)
            throw new IllegalArgumentException("the first connection is not authenticated");
        this.tun = tun;
        this.endpoint = endpoint;
        this.listener = listener;
        this.name = tun.name();
        this.peerName = first.peer();
        this.loop = first.channel().eventLoop();
        this.netlink = Netlink.open();
        try {
            TunDevice.Attached at = TunDevice.attach(netlink, tun);
            this.tunIndex = at.index();
            this.slot = at.slot();
            netlink.setUp(tunIndex, true); // established: the interface is up (as UdpEndpoint does), down only for liveness
        } catch (IOException | RuntimeException e) {
            netlink.close();
            throw e;
        }
        this.peerCertificate = first.peerCertificate();
        switchTo(first);
        supervisor = new Thread(this::supervise, "tunnel-tcp-" + name);
        supervisor.setDaemon(true);
        supervisor.start();
    }

    public Tun tun() {
        return tun;
    }

    /**
     * The peer's certificate of its latest authentication (a new connection or a renewed session):
     * what a new CRL is checked against. Null with fixed keys.
     */
    public java.security.cert.X509Certificate peerCertificate() {
        return peerCertificate;
    }

    /** The session of the current connection. */
    public TunnelSession session() {
        return current.session();
    }

    /** The current connection (it may have just broken). */
    public TcpConnection connection() {
        return current;
    }

    public TunnelCounters counters() {
        return counters;
    }

    public TcpCounters tcpCounters() {
        return endpoint.counters();
    }

    /** Whether liveness considers the tunnel up (the TUN interface is up). */
    public boolean isUp() {
        return up;
    }

    // ---- connections --------------------------------------------------------------------------

    /** Waits for the endpoint's next connection, over and over (the supervisor thread). */
    private void supervise() {
        while (running) {
            TcpConnection next;
            try {
                next = endpoint.next(current);
            } catch (InterruptedException e) {
                break;
            }
            if (!running) {
                next.close("the tunnel is closing");
                break;
            }
            if (!peerName.equals(next.peer())) {
                endpoint.counters().refusedPeer.inc();
                LOG.log(Level.WARNING, "tunnel {0}: refusing {1} from {2}: this tunnel is with {3}", name, next.peer(),
                        next.remote(), peerName);
                next.close("another peer than the tunnel's");
                continue;
            }
            try {
                switchTo(next);
            } catch (RuntimeException e) {
                if (running)
                    LOG.log(Level.WARNING, "tunnel {0}: cannot take the new connection: {1}", name, e.toString());
                next.close("the tunnel could not take it");
                continue;
            }
            LOG.log(Level.INFO, "tunnel {0}: connected again to {1} at {2} (handshake {3} ms)", name, next.peer(), next.remote(),
                    Long.toString(next.handshakeNanos() / 1_000_000));
        }
    }

    /**
     * Moves the tunnel to connection {@code c}: the TUN side stops, the receive side switches,
     * the TUN side starts again. Not while {@link #close} runs (the lock), nor after it.
     */
    private void switchTo(TcpConnection c) {
        synchronized (pumpLock) {
            if (!running)
                throw new IllegalStateException("the tunnel is closed");
            outbox.retarget(null); // a TUN side waiting for the old connection gives up
            if (pump != null)
                pump.stop();
            loop.submit(() -> install(c)).syncUninterruptibly();
            current = c;
            outbox.retarget(c);
            pump = new TunPump(tun, c.session(), outbox, counters, slot);
            pump.start();
        }
    }

    /** Event loop: the receive side of {@code c} replaces the old connection's. */
    private void install(TcpConnection c) {
        Link old = link;
        if (old != null) {
            flush(old);
            if (old.conn.isOpen())
                old.conn.close("replaced by a new connection from " + c.remote());
        }
        if (c.peerCertificate() != null)
            peerCertificate = c.peerCertificate();
        link = new Link(c, new TunSink(tun, c.session(), counters, slot));
        Renewal r = renewing;
        if (r != null) {
            r.transport.closed("the connection was replaced");
            renewing = null;
        }
        keysSince = nextRenewal = System.nanoTime();
        keySerial = c.session().keySerial();
        c.session().liveness().dataPathStarted(System.nanoTime()); // the TUN set-up after the handshake is not silence
        if (!endpoint.isDialing())
            c.session().observe(c.remote(), System.nanoTime()); // tell the dialler where its connection comes from (ObservedAddress)
        c.startData(receiver);
        if (!up)
            setUp(true);
        if (timer == null)
            timer = loop.schedule(tickTask, 1, TimeUnit.MILLISECONDS);
    }

    // ---- TCP -> TUN (event loop) ----------------------------------------------------------

    private final class Receiver implements TcpConnection.Frames {
        private boolean authentic;

        @Override
        public void frame(TcpConnection c, ByteBuffer payload, long now) {
            Link l = link;
            if (l == null || l.conn != c)
                return;
            int type = payload.remaining() > 0 ? payload.get(payload.position()) & 0xff : -1;
            if (type >= 20 && type <= 25) { // a DTLS record: a session renewal's handshake
                renewalRecord(l, payload, now);
                return;
            }
            try {
                authentic |= l.sink.accept(payload, now);
            } catch (ErrnoException e) {
                tunFailed(e);
            }
        }

        @Override
        public void readComplete(TcpConnection c) {
            Link l = link;
            if (l == null || l.conn != c)
                return;
            flush(l);
            if (authentic) {
                authentic = false;
                sendReplies(l);
            }
            transition(l);
            observed(l);
        }

        @Override
        public void closed(TcpConnection c, String why) {
            Link l = link;
            Renewal r = renewing;
            if (r != null && r.link.conn == c)
                r.transport.closed(why); // its thread ends now
            if (l == null || l.conn != c || !running)
                return;
            flush(l);
            endpoint.counters().disconnects.inc();
            LOG.log(Level.WARNING, "tunnel {0}: connection to {1} at {2} lost: {3}; {4}", name, c.peer(), c.remote(), why,
                    endpoint.isDialing() ? "reconnecting" : "waiting for the peer to connect again");
        }
    }

    private void flush(Link l) {
        try {
            l.sink.flush();
        } catch (ErrnoException e) {
            tunFailed(e);
        }
    }

    private void tunFailed(ErrnoException e) {
        if (running)
            LOG.log(Level.WARNING, "tunnel {0}: writing to the TUN failed: {1}", name, e.getMessage());
    }

    /** The liveness timer (event loop): probes, down when they go unanswered ({@link Liveness}). */
    private void tick() {
        timer = null;
        if (!running)
            return;
        Link l = link;
        long now = System.nanoTime();
        long wait = 200_000_000L;
        if (l != null) {
            acknowledgements(l, now);
            l.session.tick(now);
            if (lifetimeNs > 0)
                renewalTimers(l, now);
            sendReplies(l);
            transition(l);
            observed(l);
            wait = Math.max(1_000_000L, Math.min(wait, l.session.liveness().nextCheck(now) - now));
        }
        timer = loop.schedule(tickTask, wait, TimeUnit.NANOSECONDS);
    }

    private final EpollTcpInfo tcpInfo = new EpollTcpInfo(); // the event loop's
    private long reportedAck = Long.MIN_VALUE;
    /** TCP_INFO gives the last ACK's age in ms of jiffies (up to 10 ms steps): a time this much later is a new ACK, not rounding. */
    private static final long ACK_RESOLUTION_NS = 20_000_000L;

    /**
     * The peer's kernel acknowledging our bytes proves the path while our probes wait behind our
     * data in the send buffer ({@link Liveness#acknowledged}): not while the kernel retransmits on
     * timeout (a dead path) or probes a zero window (a peer that stopped reading).
     */
    private void acknowledgements(Link l, long now) {
        if (!(l.conn.channel() instanceof EpollSocketChannel ch) || !ch.isActive())
            return;
        try {
            ch.tcpInfo(tcpInfo);
        } catch (RuntimeException e) { // closed meanwhile: the connection's own handling tells
            return;
        }
        long at = now - tcpInfo.lastAckRecv() * 1_000_000L;
        if (tcpInfo.retransmits() == 0 && tcpInfo.probes() == 0 && (reportedAck == Long.MIN_VALUE || at - reportedAck > ACK_RESOLUTION_NS)) {
            reportedAck = at; // (the same ACK read again comes out a few ms later or earlier: it would restart the probe series)
            l.session.liveness().acknowledged(at);
        }
    }

    /** Sends the waiting probe or echo as frames (event loop; lost if the connection is down). */
    private void sendReplies(Link l) {
        if (!l.session.replyPending())
            return;
        Channel ch = l.conn.channel();
        boolean open = ch.isActive();
        while (l.session.replyPending()) {
            if (!open) {
                discard.clear();
                l.session.takeReply(discard);
                continue;
            }
            ByteBuf b = ch.alloc().directBuffer(REPLY);
            ByteBuffer v = b.internalNioBuffer(0, REPLY);
            v.position(v.position() + HEADER);
            int n = l.session.takeReply(v);
            if (n <= 0) {
                b.release();
                continue;
            }
            b.setShort(0, n).writerIndex(HEADER + n);
            ch.write(b, ch.voidPromise());
            counters.packetsOut.inc();
            counters.bytesOut.inc(n);
        }
        if (open)
            ch.flush();
    }

    /** The peer's address on the current connection (null before the first). */
    public java.net.InetSocketAddress remote() {
        TcpConnection c = current;
        return c == null ? null : c.remote();
    }

    /** We dialled: the peer told us the address it sees us at (event loop). */
    private void observed(Link l) {
        java.net.InetSocketAddress a = l.session.takeObserved();
        if (a != null && endpoint.isDialing())
            listener.observed(this, a);
    }

    /**
     * The underlay changed under us (an address of this host went away, the default route moved): a tunnel we dialled
     * closes its connection now and connects again from the address the kernel picks now, instead of waiting for its
     * liveness to fail. A tunnel the peer dialled is left alone (only the peer can connect again).
     */
    public void reconnect(String why) {
        TcpConnection c = current;
        if (c != null && endpoint.isDialing() && c.isOpen())
            c.close(why);
    }

    private void transition(Link l) {
        Liveness.Action a = l.session.takeTransition();
        if (a == Liveness.Action.WENT_UP)
            setUp(true);
        else if (a == Liveness.Action.WENT_DOWN)
            setUp(false);
    }

    private void setUp(boolean nowUp) {
        if (nowUp == up)
            return;
        up = nowUp;
        TcpConnection c = link == null ? null : link.conn;
        LOG.log(Level.INFO, "tunnel {0} to {1} is {2}", name, c == null ? peerName : c.remote(),
                nowUp ? "up again" : "down (probes unanswered)");
        try {
            netlink.setUp(tunIndex, nowUp);
        } catch (ErrnoException e) {
            LOG.log(Level.WARNING, "tunnel {0}: cannot set the interface {1}: {2}", name, nowUp ? "up" : "down", e.getMessage());
        }
        if (nowUp)
            listener.up(this);
        else
            listener.down(this);
    }

    // ---- TUN -> TCP (the TUN side's thread) -------------------------------------------------

    /**
     * Seals frames contiguously into one of {@link #RING} send buffers and hands it to Netty
     * once per batch. A buffer is Netty's from the write until Netty releases it (written, or
     * the connection closed); the TUN side waits for the next one to come back.
     */
    private final class TcpOutbox implements Outbox {
        final ByteBuffer[] memory = new ByteBuffer[RING];
        final ByteBuf[] buffers = new ByteBuf[RING];
        final Object returned = new Object();
        final ChannelFutureListener onWritten = f -> {
            synchronized (returned) {
                returned.notifyAll();
            }
        };
        volatile TcpConnection target;
        // the TUN side's thread
        int next;
        ByteBuf buf;
        ByteBuffer out;
        TcpConnection using;
        int frames;
        long bytes;

        TcpOutbox() {
            for (int i = 0; i < RING; i++) {
                memory[i] = ByteBuffer.allocateDirect(BUFFER);
                buffers[i] = Unpooled.wrappedBuffer(memory[i]); // shares the memory; we hold one reference for good
            }
        }

        void retarget(TcpConnection c) {
            target = c;
            synchronized (returned) {
                returned.notifyAll();
            }
        }

        @Override
        public void add(TunnelSession s, ByteBuffer view, int off, int len) {
            TcpConnection t = target;
            if (t == null || !t.isOpen() || t.session() != s) { // between connections: nowhere to send
                counters.dropSend.inc();
                return;
            }
            if (buf != null && (using != t || out.remaining() < HEADER + len + DataPacket.OVERHEAD))
                send();
            if (buf == null && !take(t)) {
                counters.dropSend.inc();
                return;
            }
            int at = out.position();
            out.position(at + HEADER);
            view.clear().position(off).limit(off + len);
            int n = s.fromTun(view, out);
            out.putShort(at, (short) n);
            frames++;
            bytes += n;
        }

        @Override
        public void flush() {
            if (buf != null)
                send();
        }

        /** Hands the current buffer to Netty: one write and flush, whole frames. */
        private void send() {
            ByteBuf b = buf;
            int len = out.position();
            TcpConnection t = using;
            buf = null;
            out = null;
            using = null;
            if (frames == 0)
                return; // never handed over: still ours
            Channel ch = t.channel();
            b.setIndex(0, len).retain();
            ch.writeAndFlush(b, ch.newPromise().addListener(onWritten));
            endpoint.counters().writes.inc();
            counters.packetsOut.inc(frames);
            counters.bytesOut.inc(bytes);
            frames = 0;
            bytes = 0;
        }

        /** Takes the next buffer of the ring, waiting until Netty gave it back; false if {@code t} is no longer the target. */
        private boolean take(TcpConnection t) {
            ByteBuf b = buffers[next];
            if (b.refCnt() > 1) {
                synchronized (returned) {
                    while (b.refCnt() > 1) {
                        if (target != t || !t.isOpen())
                            return false;
                        try {
                            returned.wait(100);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return false;
                        }
                    }
                }
            }
            buf = b;
            out = memory[next];
            out.clear();
            using = t;
            next = (next + 1) % RING;
            return true;
        }
    }

    // ---- session renewal ------------------------------------------------------------------------

    /**
     * Renews the session within {@code lifetime} (0: never), as {@link UdpEndpoint} does over
     * UDP: the dialling side runs a new DTLS handshake over the same connection from 90% of the
     * lifetime on (its records are frames like the data's, told apart by their first byte), the
     * listening side answers it; the new keys wait in the {@link TunnelSession} until both ends
     * hold them ({@link TunnelSession#renew}), so nothing is lost. A session not renewed by its
     * lifetime plus the handshake timeout closes its connection (the dialling side reconnects).
     * Needs the endpoint's authenticator to be {@link TcpEndpoint.Dtls}; call once, before traffic matters.
     */
    public TcpTunnel sessionLifetime(java.time.Duration lifetime) {
        if (!(endpoint.authenticator() instanceof TcpEndpoint.Dtls))
            throw new IllegalStateException("renewing sessions needs the DTLS authenticator (TcpEndpoint.Dtls)");
        lifetimeNs = lifetime.toNanos();
        return this;
    }

    /** Renewals completed (handshakes whose keys went to the session) and failed. */
    public final com.codahale.metrics.Counter renewals = new com.codahale.metrics.Counter(),
            renewalsFailed = new com.codahale.metrics.Counter(),
            /** DTLS records that came outside a renewal (or beyond one's queue): dropped */
            renewalRecordsDropped = new com.codahale.metrics.Counter();

    private volatile long lifetimeNs;
    private volatile Renewal renewing; // written on the event loop
    private long keysSince, keySerial, nextRenewal, renewalBackoffNs; // event loop

    /** A renewal handshake over the link's connection, on a thread of its own. */
    private final class Renewal implements Runnable {
        final Link link;
        final boolean client;
        final StreamDatagramTransport transport;
        volatile boolean full;

        Renewal(Link link, boolean client) {
            this.link = link;
            this.client = client;
            Channel ch = link.conn.channel();
            this.transport = new StreamDatagramTransport(frame -> ch.writeAndFlush(Unpooled.wrappedBuffer(frame)),
                    TcpConnection.HANDSHAKE_QUEUE, () -> full = false);
        }

        @Override
        public void run() {
            try {
                re6st.tunnel.handshake.SessionKeys k = ((TcpEndpoint.Dtls) endpoint.authenticator()).renewal(transport, client, peerName);
                if (!k.peerCn().equals(peerName)) { // (the server refuses another CN in the handshake already)
                    k.schedule().destroy();
                    throw new IOException("the renewal authenticated " + k.peerCn() + ", not " + peerName);
                }
                loop.execute(() -> renewed(this, k));
            } catch (IOException | RuntimeException e) {
                try {
                    loop.execute(() -> renewalFailed(this, e));
                } catch (java.util.concurrent.RejectedExecutionException closing) {
                    // the tunnel is closing
                }
            }
        }
    }

    /** Event loop: a DTLS record on the data connection goes to the renewal in progress, or starts one (listening side). */
    private void renewalRecord(Link l, ByteBuffer record, long now) {
        Renewal r = renewing;
        if (r == null && lifetimeNs > 0 && !endpoint.isDialing() && UdpEndpoint.isClientHello(record) && now - nextRenewal >= 0) {
            r = startRenewal(l, false);
            nextRenewal = now + 1_000_000_000L; // a peer renews once in a while, not in a loop
        }
        if (r == null || r.link != l || r.full) {
            renewalRecordsDropped.inc();
            return;
        }
        if (!r.transport.deliver(record))
            r.full = true; // the handshake is behind: what comes next is dropped (DTLS retransmits)
    }

    private Renewal startRenewal(Link l, boolean client) {
        Renewal r = new Renewal(l, client);
        renewing = r;
        Thread t = new Thread(r, "tunnel-tcp-renewal-" + name);
        t.setDaemon(true);
        t.start();
        return r;
    }

    /** Event loop: the dialling side renews when due; either side closes a session past its lifetime. */
    private void renewalTimers(Link l, long now) {
        TunnelSession s = l.session;
        if (s.keySerial() != keySerial) { // the keys changed over
            keySerial = s.keySerial();
            keysSince = now;
        }
        long age = now - keysSince, timeout = ((TcpEndpoint.Dtls) endpoint.authenticator()).timeout().toNanos();
        if (age >= lifetimeNs + timeout) {
            LOG.log(Level.WARNING, "tunnel {0}: session {1} s old, not renewed within its lifetime: closing the connection", name,
                    Long.toString(age / 1_000_000_000L));
            l.conn.close("session not renewed within its lifetime");
            return;
        }
        if (s.renewalPending() && now - s.renewalPendingSince() >= timeout) {
            s.abandonRenewal();
            renewalsFailed.inc();
        }
        if (endpoint.isDialing() && renewing == null && !s.renewalPending() && age >= lifetimeNs / 10 * 9 && now - nextRenewal >= 0
                && up)
            startRenewal(l, true);
    }

    private void renewed(Renewal r, re6st.tunnel.handshake.SessionKeys k) {
        if (renewing == r)
            renewing = null;
        Link l = link;
        if (l != r.link) {
            k.schedule().destroy();
            return;
        }
        long now = System.nanoTime();
        if (l.session.renew(k.schedule(), now) == TunnelSession.Renewal.TAG_IN_USE) {
            nextRenewal = now; // handshake again
            return;
        }
        renewalBackoffNs = 0;
        renewals.inc();
        if (k.peer() != null)
            peerCertificate = k.peer();
        LOG.log(Level.INFO, "tunnel {0} to {1}: session renewed; the keys change over once both ends hold them", name, peerName);
    }

    private void renewalFailed(Renewal r, Exception e) {
        if (renewing == r)
            renewing = null;
        renewalsFailed.inc();
        long now = System.nanoTime();
        renewalBackoffNs = Math.min(Math.max(2 * renewalBackoffNs, 500_000_000L), 30_000_000_000L);
        nextRenewal = now + renewalBackoffNs;
        LOG.log(Level.WARNING, "tunnel {0}: renewing the session with {1} failed: {2}", name, peerName, e.getMessage());
        if (e instanceof re6st.tunnel.handshake.CertificateRefusedException c
                && c.reason() != re6st.tunnel.handshake.CertificateRefusedException.Reason.OTHER_CA
                && c.reason() != re6st.tunnel.handshake.CertificateRefusedException.Reason.MALFORMED && r.link == link)
            r.link.conn.close("renewing the session refused the peer: " + e.getMessage());
    }

    // ---- life cycle -----------------------------------------------------------------------

    @Override
    public void close() throws IOException {
        if (!running)
            return;
        running = false;
        supervisor.interrupt();
        synchronized (pumpLock) {
            outbox.retarget(null);
            if (pump != null)
                pump.stop();
        }
        try {
            loop.submit(() -> {
                if (timer != null)
                    timer.cancel(false);
                timer = null;
                Link l = link;
                link = null;
                if (l != null)
                    l.conn.close("the tunnel is closing");
            }).await(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the event loop is gone already
        }
        endpoint.close();
        try {
            supervisor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        netlink.close();
        tun.close();
    }

    @Override
    public String toString() {
        return "TCP tunnel " + name + " with " + peerName;
    }
}
