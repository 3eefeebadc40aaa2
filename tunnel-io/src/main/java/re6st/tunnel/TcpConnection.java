package re6st.tunnel;

import static re6st.tunnel.handshake.StreamDatagramTransport.HEADER;
import static re6st.tunnel.handshake.StreamDatagramTransport.MAX_FRAME;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import re6st.tunnel.handshake.StreamDatagramTransport;

/**
 * One TCP connection of the TCP transport (see {@link TcpTunnel} for the framing), as a Netty
 * handler on the connection's event loop. It splits the byte stream into frames without
 * allocating: a frame that lies whole in what one read returned is handed over as a view of
 * Netty's receive buffer; one cut by a read boundary is completed in a carry buffer (allocated
 * once per connection). A frame length of 0 or above {@link StreamDatagramTransport#MAX_FRAME}
 * is a protocol error: the connection is closed, logged and counted.
 *
 * <p>First the frames go to the handshake ({@link #authenticate}, on the caller's thread, over
 * a {@link StreamDatagramTransport}); once the tunnel takes the connection ({@link #startData}),
 * to the data path, beginning with any frame that came right after the handshake.
 */
public final class TcpConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = System.getLogger("re6st.tunnel");
    /** Handshake frames that may wait before reading stops (a flight is a handful). */
    static final int HANDSHAKE_QUEUE = 64;

    /** Receives the data frames, on the event loop. */
    interface Frames {
        /** One frame's payload, {@code payload[position, limit)}; only valid during the call. */
        void frame(TcpConnection c, ByteBuffer payload, long now);

        /** The end of what one wake-up of the event loop read: flush, answer, act on liveness. */
        void readComplete(TcpConnection c);

        /** The connection ended (EOF, reset, or closed by us for {@code why}). */
        void closed(TcpConnection c, String why);
    }

    private final Channel channel;
    private final InetSocketAddress remote;
    private final String label;
    private final TcpCounters counters;
    private final StreamDatagramTransport handshake;
    // event loop only
    private ByteBuffer carry, carryView; // a frame cut by a read boundary; allocated on first need
    private Frames data;
    private boolean dead, inactive;
    private volatile String closeReason;
    // set once authenticated
    private volatile TcpEndpoint.Authenticated authenticated;
    private volatile long handshakeNanos, authenticatedAt;
    private final long openedAt = System.nanoTime();
    private volatile long lastRead = openedAt;

    TcpConnection(Channel channel, InetSocketAddress remote, String label, TcpCounters counters) {
        this.channel = channel;
        this.remote = remote;
        this.label = label;
        this.counters = counters;
        this.handshake = new StreamDatagramTransport(
                frame -> channel.writeAndFlush(Unpooled.wrappedBuffer(frame)), // a lost write shows as EOF
                HANDSHAKE_QUEUE, () -> channel.config().setAutoRead(true));
    }

    public Channel channel() {
        return channel;
    }

    /** The peer's address and port. */
    public InetSocketAddress remote() {
        return remote;
    }

    /** The session agreed by the handshake (null before). */
    public TunnelSession session() {
        TcpEndpoint.Authenticated a = authenticated;
        return a == null ? null : a.session();
    }

    /** The authenticated peer's name (its certificate's CN), null before the handshake. */
    public String peer() {
        TcpEndpoint.Authenticated a = authenticated;
        return a == null ? null : a.peer();
    }

    /** The authenticated peer's certificate (null before the handshake, or without certificates). */
    public java.security.cert.X509Certificate peerCertificate() {
        TcpEndpoint.Authenticated a = authenticated;
        return a == null ? null : a.certificate();
    }

    public long handshakeNanos() {
        return handshakeNanos;
    }

    /** When the handshake completed (System.nanoTime). */
    long authenticatedAt() {
        return authenticatedAt;
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    /** Why the connection ended, or null while it is open. */
    public String closeReason() {
        return closeReason;
    }

    /** When the peer last sent bytes (System.nanoTime), or when the connection was accepted. */
    public long lastRead() {
        return lastRead;
    }

    /** Closes the connection, {@code why} is what the logs will say. Any thread. */
    public void close(String why) {
        if (closeReason == null)
            closeReason = why;
        io.netty.channel.ChannelFuture f = channel.close();
        // Off every Netty event loop (a loop must never wait for another), wait (bounded) until the
        // close ran: the writes queued before it (a fatal alert) are on the wire by then, even if
        // the process exits right after.
        if (!(Thread.currentThread() instanceof io.netty.util.concurrent.FastThreadLocalThread))
            f.awaitUninterruptibly(1, java.util.concurrent.TimeUnit.SECONDS);
    }

    /**
     * Runs the handshake over this connection on the calling thread. On failure the connection
     * is closed (after any alert was written) and the exception says why.
     */
    void authenticate(TcpEndpoint.Authenticator auth, boolean client) throws IOException {
        long t0 = System.nanoTime();
        try {
            TcpEndpoint.Authenticated a = auth.authenticate(handshake, client);
            if (a == null || a.session() == null)
                throw new IOException("the handshake gave no session");
            authenticatedAt = System.nanoTime();
            handshakeNanos = authenticatedAt - t0;
            authenticated = a;
        } catch (IOException | RuntimeException e) {
            counters.handshakeFailures.inc();
            close("handshake failed: " + e.getMessage());
            throw e;
        }
        if (!channel.isActive())
            throw new IOException("the connection closed right after the handshake: " + closeReason);
    }

    boolean authenticated() {
        return authenticated != null;
    }

    /**
     * The peer gets no tunnel of this connection after all (dropped before or at its hand-over):
     * what the server's admission reserved for it (a place among max clients) is given back now,
     * not when it lapses. Nothing before the handshake; only the first call counts.
     */
    void releaseAdmission() {
        TcpEndpoint.Authenticated a = authenticated;
        if (a != null && a.admitted() != null)
            a.admitted().release();
    }

    /** Hands the connection to the data path (call on the event loop, once authenticated). */
    void startData(Frames frames) {
        if (authenticated == null)
            throw new IllegalStateException("not authenticated");
        data = frames;
        long now = System.nanoTime();
        handshake.drainTo(p -> frames.frame(this, p, now)); // data that came right after the handshake
        frames.readComplete(this);
        if (inactive)
            frames.closed(this, closeReason);
        else
            channel.config().setAutoRead(true);
    }

    // ---- Netty --------------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            if (!dead) {
                counters.reads.inc();
                lastRead = System.nanoTime();
                parse(in);
            }
        } finally {
            in.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (data != null && !dead)
            data.readComplete(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (closeReason == null) {
            String m = cause.getMessage();
            closeReason = m != null && m.contains("reset") ? "reset by the peer" : "error: " + cause;
        }
        dead = true;
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (closeReason == null)
            closeReason = "closed by the peer (EOF)";
        dead = inactive = true;
        handshake.closed(closeReason);
        if (data != null)
            data.closed(this, closeReason);
    }

    // ---- framing ------------------------------------------------------------------------------

    private void parse(ByteBuf in) {
        long now = System.nanoTime();
        if (carry != null && carry.position() > 0 && !completeCarried(in, now))
            return;
        boolean single = in.nioBufferCount() == 1;
        while (!dead) {
            int readable = in.readableBytes();
            if (readable < HEADER)
                break;
            int at = in.readerIndex();
            int len = in.getUnsignedShort(at);
            if (!StreamDatagramTransport.validLength(len)) {
                protocolError(len);
                return;
            }
            if (readable < HEADER + len)
                break;
            if (single) { // a view of the receive buffer: no copy
                deliver(in.internalNioBuffer(at + HEADER, len), now);
            } else { // a composite buffer (not from a socket read): copy
                ensureCarry();
                in.getBytes(at + HEADER, carryView.clear().limit(len));
                deliver(carryView.flip(), now);
            }
            in.readerIndex(at + HEADER + len);
        }
        int rest = in.readableBytes();
        if (!dead && rest > 0) { // the start of a frame the next read completes
            ensureCarry();
            carry.clear().limit(rest);
            in.readBytes(carry);
            carry.limit(carry.capacity());
        }
    }

    private void ensureCarry() {
        if (carry == null) {
            carry = ByteBuffer.allocateDirect(HEADER + MAX_FRAME);
            carryView = carry.duplicate();
        }
    }

    /** Completes the carried frame from {@code in}; false when {@code in} is used up (or an error). */
    private boolean completeCarried(ByteBuf in, long now) {
        if (carry.position() < HEADER) {
            if (!in.isReadable())
                return false;
            carry.put(in.readByte());
        }
        int len = carry.getShort(0) & 0xffff;
        if (!StreamDatagramTransport.validLength(len)) {
            protocolError(len);
            return false;
        }
        int need = HEADER + len - carry.position();
        int take = Math.min(need, in.readableBytes());
        carry.limit(carry.position() + take);
        in.readBytes(carry);
        carry.limit(carry.capacity());
        if (take < need)
            return false;
        carry.clear();
        deliver(carryView.clear().position(HEADER).limit(HEADER + len), now);
        return !dead;
    }

    private void deliver(ByteBuffer payload, long now) {
        if (data != null)
            data.frame(this, payload, now);
        else if (!handshake.deliver(payload))
            channel.config().setAutoRead(false); // the handshake is behind: let TCP push back
    }

    private void protocolError(int len) {
        counters.framingErrors.inc();
        LOG.log(Level.WARNING, "{0}: frame of length {1} from {2} (valid: 1..{3}): protocol error, closing the connection",
                label, Integer.toString(len), remote, Integer.toString(MAX_FRAME));
        if (closeReason == null)
            closeReason = "protocol error (frame length " + len + ")";
        dead = true;
        channel.close();
    }

    @Override
    public String toString() {
        return "TCP connection with " + remote + (peer() != null ? " (" + peer() + ")" : "");
    }
}
