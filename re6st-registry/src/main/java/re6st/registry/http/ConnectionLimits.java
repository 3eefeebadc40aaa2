package re6st.registry.http;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;

/**
 * What one connection can hold of the registry's HTTP server, so that slow connections
 * (slowloris) cannot keep it: each request must arrive whole within {@code requestTimeout} of the
 * connection opening or of the previous response (a client that trickles its headers, or idles
 * between requests, is closed and counted). One instance per server; {@link #deadline()} gives
 * the per-connection part. (Caps on connections in all and per source are still to come.)
 */
public final class ConnectionLimits {
    /** @param requestTimeout how long a whole request may take to arrive */
    public record Settings(Duration requestTimeout) {
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(10));
        }
    }

    private final Settings settings;
    private final AtomicInteger open = new AtomicInteger();
    private final Counter timedOut;

    public ConnectionLimits(Settings settings, MetricRegistry metrics) {
        if (settings.requestTimeout().isNegative() || settings.requestTimeout().isZero())
            throw new IllegalArgumentException("the request timeout must be positive: " + settings);
        this.settings = settings;
        this.timedOut = metrics.counter("registry.connections.timed_out");
        metrics.gauge("registry.connections.open", () -> open::get);
    }

    /** The request deadline of one connection: after the HTTP aggregator (it sees whole requests), before the answering handler. */
    public ChannelDuplexHandler deadline() {
        return new Deadline();
    }

    private final class Deadline extends ChannelDuplexHandler {
        private ScheduledFuture<?> deadline;

        private boolean counted;

        // An accepted channel may already be active when the initializer adds us: channelActive does not reach us then
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (ctx.channel().isActive())
                arm(ctx);
            if (!counted) {
                counted = true;
                open.incrementAndGet();
            }
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
            if (counted) {
                counted = false;
                open.decrementAndGet();
            }
            super.channelInactive(ctx);
        }
    }
}
