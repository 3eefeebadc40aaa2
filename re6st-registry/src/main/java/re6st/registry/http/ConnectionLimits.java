package re6st.registry.http;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;

/**
 * What connections can hold of the registry's HTTP server, so that many or slow connections
 * (slowloris) cannot keep it:
 * <ul>
 * <li>each request must arrive whole within {@code requestTimeout} of the connection opening or
 * of the previous response (a client that trickles its headers, or idles between requests, is
 * closed and counted in {@code registry.connections.timed_out});
 * <li>at most {@code maxConnections} connections are served at once. One more is refused: its
 * request is read (under the same deadline) and answered 503 with the reason, then closed, and
 * counted in {@code registry.connections.refused}. Answering before the request has arrived
 * would close a socket with unread data, which resets it: the client would see an error, not
 * the 503. Refused connections being read are capped too (a quarter of the cap, at least 16);
 * beyond, a connection is closed at once, counted as well.
 * </ul>
 * One instance per server: {@link #admit} decides per accepted connection, {@link #deadline()}
 * and {@link #refusal()} give the per-connection handlers.
 */
public final class ConnectionLimits {
    /**
     * @param requestTimeout how long a whole request may take to arrive
     * @param maxConnections how many connections are served at once
     */
    public record Settings(Duration requestTimeout, int maxConnections) {
        public static final int DEFAULT_MAX_CONNECTIONS = 512;

        public Settings(Duration requestTimeout) {
            this(requestTimeout, DEFAULT_MAX_CONNECTIONS);
        }

        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(10), DEFAULT_MAX_CONNECTIONS);
        }
    }

    private final Settings settings;
    private final AtomicInteger open = new AtomicInteger(), refusing = new AtomicInteger();
    private final int maxRefusing;
    private final Counter timedOut, refused;

    public ConnectionLimits(Settings settings, MetricRegistry metrics) {
        if (settings.requestTimeout().isNegative() || settings.requestTimeout().isZero())
            throw new IllegalArgumentException("the request timeout must be positive: " + settings);
        if (settings.maxConnections() < 1)
            throw new IllegalArgumentException("the connection cap must be positive: " + settings);
        this.settings = settings;
        this.maxRefusing = Math.max(16, settings.maxConnections() / 4);
        this.timedOut = metrics.counter("registry.connections.timed_out");
        this.refused = metrics.counter("registry.connections.refused");
        metrics.gauge("registry.connections.open", () -> open::get);
    }

    /**
     * For an accepted connection, before its pipeline is built: true if it is served (counted open
     * until it closes); false if it is over the cap: give it {@link #refusal()} instead of the RPC
     * handler (or it is closed already, when too many refusals are under way).
     */
    public boolean admit(Channel ch) {
        if (open.incrementAndGet() <= settings.maxConnections()) {
            ch.closeFuture().addListener(f -> open.decrementAndGet());
            return true;
        }
        open.decrementAndGet();
        refused.inc();
        if (refusing.incrementAndGet() > maxRefusing) {
            refusing.decrementAndGet();
            ch.close();
            return false;
        }
        ch.closeFuture().addListener(f -> refusing.decrementAndGet());
        return false;
    }

    /** Answers a connection over the cap: its request gets a 503 with the reason, then the connection is closed. */
    public ChannelHandler refusal() {
        return new SimpleChannelInboundHandler<FullHttpRequest>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                RpcServer.respond(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, ("the registry is serving its maximum of "
                        + settings.maxConnections() + " connections (--max-connections): retry later\n").getBytes(StandardCharsets.UTF_8),
                        null, false);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        };
    }

    /** The request deadline of one connection: after the HTTP aggregator (it sees whole requests), before the answering handler. */
    public ChannelDuplexHandler deadline() {
        return new Deadline();
    }

    private final class Deadline extends ChannelDuplexHandler {
        private ScheduledFuture<?> deadline;

        // An accepted channel may already be active when the initializer adds us: channelActive does not reach us then
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (ctx.channel().isActive())
                arm(ctx);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            if (deadline == null)
                arm(ctx);
            super.channelActive(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (msg instanceof FullHttpRequest && deadline != null) { // a whole request arrived in time
                deadline.cancel(false);
                deadline = null;
            }
            super.channelRead(ctx, msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            super.write(ctx, msg, promise);
            if (deadline == null && ctx.channel().isActive())
                arm(ctx); // the next request (keep-alive) has as long again
        }

        private void arm(ChannelHandlerContext ctx) {
            deadline = ctx.executor().schedule(() -> {
                timedOut.inc();
                ctx.close();
            }, settings.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (deadline != null)
                deadline.cancel(false);
            super.channelInactive(ctx);
        }
    }
}
