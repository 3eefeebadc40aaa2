package re6st.node.peer;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import re6st.cli.LoopFailures;
import re6st.net.Ipv6Address;
import re6st.peer.PeerPacket;
import re6st.tunnel.handshake.Credentials;

/**
 * The peer protocol's I/O: one IPv6 UDP socket (normally {@code [::]:326}) and one thread that
 * receives datagrams, drives the {@link PeerService}, sends what it returns, forgets peers whose
 * certificate expired, and runs the node's requests, which other threads queue through the
 * methods below. The service is only ever touched by that thread; its {@link PeerService.Node}
 * callbacks run there too. A datagram, request or callback that throws is survived and
 * counted ({@link LoopFailures}); a socket that fails ends the loop and is reported
 * ({@link #onLoopDeath}).
 */
public final class PeerSocket implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PeerSocket.class.getName());
    /** The loop wakes at least this often, so that a clock jump cannot delay the expiry of certificates for long. */
    private static final long MAX_WAIT_MS = 60_000;
    /** Datagrams handled per wake-up before the queued requests get their turn. */
    private static final int BATCH = 64;

    /** A request of the node, run on the loop thread. */
    private interface Request {
        List<PeerDatagram> run(PeerService s, long epochMs, long monoMs);
    }

    private final PeerService service;
    private final LongSupplier epochClock, monoClock;
    private final DatagramChannel channel;
    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Request> requests = new ConcurrentLinkedQueue<>();
    private final LoopFailures failures = new LoopFailures(LOG, "peer protocol");
    private final ByteBuffer buffer = ByteBuffer.allocate(PeerPacket.MAX_DATAGRAM);
    private volatile boolean running = true;
    private volatile Consumer<Throwable> onLoopDeath = e -> { };
    // What other threads read: published by the loop after each datagram or request.
    private volatile Map<String, Long> drops = Map.of();
    private volatile long accepted, unforwarded, evicted, sendFailures;

    /**
     * Binds {@code bind} ({@code [::]:326} on a node; port 0 in tests) and starts the loop.
     *
     * @param epochMs     epoch milliseconds (System::currentTimeMillis; certificates are checked against it)
     * @param monotonicMs monotonic milliseconds (System.nanoTime() / 1e6; rate limits, liveness): a step of the
     *                    system clock must not silence hellos or end sessions
     */
    public PeerSocket(PeerService service, InetSocketAddress bind, LongSupplier epochMs, LongSupplier monotonicMs) throws IOException {
        this.service = service;
        this.epochClock = epochMs;
        this.monoClock = monotonicMs;
        this.channel = DatagramChannel.open(StandardProtocolFamily.INET6);
        try {
            channel.bind(bind);
            channel.configureBlocking(false);
            this.selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw new IOException("cannot open the peer-protocol socket on " + bind + ": " + e.getMessage(), e);
        }
        this.thread = new Thread(this::loop, "peer-protocol-" + port());
        thread.setDaemon(true);
        thread.start();
    }

    /** The bound port. */
    public int port() {
        try {
            return ((InetSocketAddress) channel.getLocalAddress()).getPort();
        } catch (IOException e) {
            throw new IllegalStateException("the peer-protocol socket is closed", e);
        }
    }

    /** Sends code {@code code} with {@code body} to {@code prefix} (without a session: a handshake only, the message is lost). */
    public void send(String prefix, int code, byte[] body) {
        service.checkPrefix(prefix);
        if (code < 0 || code > 255)
            throw new IllegalArgumentException("code " + code + " outside 0..255");
        byte[] b = body.clone();
        submit((s, epoch, mono) -> s.send(prefix, code, b, mono));
    }

    /** Handshakes with {@code prefix} if there is no session (the node's null send to the registry's node). */
    public void keepSession(String prefix) {
        service.checkPrefix(prefix);
        submit((s, epoch, mono) -> s.keepSession(prefix, mono));
    }

    /** Our version to the neighbours that lack it, after a config change: {@link PeerService#floodVersion}. */
    public void floodVersion(Collection<String> neighbours) {
        List<String> n = List.copyOf(neighbours);
        n.forEach(service::checkPrefix);
        submit((s, epoch, mono) -> s.floodVersion(n, mono));
    }

    /** The version of the network config the node now holds. */
    public void setVersion(byte[] version) {
        byte[] v = version.clone();
        submit((s, epoch, mono) -> {
            s.setVersion(v);
            return List.of();
        });
    }

    /** New credentials (CRL, renewed certificate). */
    public void setCredentials(Credentials c) {
        submit((s, epoch, mono) -> {
            s.setCredentials(c, epoch);
            return List.of();
        });
    }

    private void submit(Request r) {
        if (!running)
            throw new IllegalStateException("the peer-protocol socket is closed");
        requests.add(r);
        selector.wakeup();
    }

    private void loop() {
        try {
            while (running) {
                long now = epochClock.getAsLong(), next = service.nextExpiry();
                if (next <= now)
                    service.expire(now);
                selector.select(Math.max(1, Math.min(MAX_WAIT_MS, next - now)));
                selector.selectedKeys().clear();
                for (Request r; (r = requests.poll()) != null; )
                    handle("a request of the node", r);
                for (int i = 0; i < BATCH && running; i++) {
                    buffer.clear();
                    InetSocketAddress from = (InetSocketAddress) channel.receive(buffer);
                    if (from == null)
                        break;
                    buffer.flip();
                    byte[] data = new byte[buffer.remaining()];
                    buffer.get(data);
                    PeerDatagram d = new PeerDatagram(ipv6(from.getAddress()), from.getPort(), data);
                    handle("a datagram from " + from, (s, epoch, mono) -> s.receive(d, epoch, mono));
                }
            }
        } catch (Throwable e) { // the socket or the selector failed, or an Error: the node has no peer protocol any more
            if (running) {
                LOG.log(Level.ERROR, "peer protocol stopped: " + e, e);
                onLoopDeath.accept(e);
            }
        }
    }

    private void handle(String what, Request r) throws IOException {
        List<PeerDatagram> out = List.of();
        try {
            out = r.run(service, epochClock.getAsLong(), monoClock.getAsLong());
        } catch (RuntimeException e) {
            failures.survived(what, e);
        }
        // Published before the answers leave: whoever got an answer sees its datagram counted.
        drops = service.drops();
        accepted = service.accepted();
        unforwarded = service.unforwarded();
        evicted = service.evicted();
        for (PeerDatagram d : out)
            transmit(d);
    }

    private void transmit(PeerDatagram d) throws IOException {
        InetSocketAddress to = new InetSocketAddress(InetAddress.getByAddress(d.address().toBytes()), d.port());
        try {
            if (channel.send(ByteBuffer.wrap(d.data()), to) == 0)
                sendFailures++; // the socket buffer is full: lost, as any datagram may be
        } catch (IOException e) {
            // No route (the peer's prefix is not routed yet) is common: the caller asks again later.
            sendFailures++;
            LOG.log(Level.DEBUG, () -> "peer protocol: cannot send to " + to + ": " + e.getMessage());
        }
    }

    /** A source as the service sees it: IPv4 (from a dual-stack socket) as ::ffff:a.b.c.d; the scope of a link-local address dropped (it is outside any network anyway). */
    static Ipv6Address ipv6(InetAddress a) {
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            byte[] m = new byte[16];
            m[10] = m[11] = (byte) 0xff;
            System.arraycopy(b, 0, m, 12, 4);
            b = m;
        }
        return Ipv6Address.ofBytes(b);
    }

    /** Who is told when the loop dies (the socket failed): the node should exit so that it is restarted. Default: logged only. */
    public void onLoopDeath(Consumer<Throwable> handler) {
        onLoopDeath = handler;
    }

    /** Refused datagrams by reason ({@link PeerService#drops}). */
    public Map<String, Long> drops() {
        return drops;
    }

    public long accepted() {
        return accepted;
    }

    public long unforwarded() {
        return unforwarded;
    }

    /** Peer records without a certificate forgotten to make room ({@link PeerService#evicted}). */
    public long evicted() {
        return evicted;
    }

    /** Datagrams the kernel would not take (no route, full buffer). */
    public long sendFailures() {
        return sendFailures;
    }

    /** Datagrams, requests and callbacks that threw (bugs), survived by the loop. */
    public long failures() {
        return failures.count();
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            selector.close();
            channel.close();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "closing the peer-protocol socket: " + e);
        }
    }
}
