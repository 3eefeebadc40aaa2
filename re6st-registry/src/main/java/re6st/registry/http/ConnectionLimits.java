package re6st.registry.http;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
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
import re6st.registry.limit.SourceAddress;
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
 * <li>at most {@code maxConnections} connections are served at once, and at most
 * {@code maxPerSource} from one source network (an IPv6 /64, an IPv4 address; not counted for
 * the admin origins, where a reverse proxy brings everyone's connections), so that one host
 * cannot take every place. One more is refused: its request is read (under the same deadline)
 * and answered 503 with the reason, then closed, and counted in
 * {@code registry.connections.refused} (and {@code .source} when the per-source cap refused it).
 * Answering before the request has arrived would close a socket with unread data, which resets
 * it: the client would see an error, not the 503. Refused connections being read are capped too
 * (a quarter of the cap, at least 16); beyond, a connection is closed at once, counted as well.
 * </ul>
 * One instance per server: {@link #admit} decides per accepted connection and gives its last
 * handler; {@link #deadline()} gives the request deadline.
 */
public final class ConnectionLimits {
    /**
     * @param requestTimeout how long a whole request may take to arrive
     * @param maxConnections how many connections are served at once
     * @param maxPerSource   how many of them from one source network
     */
    public record Settings(Duration requestTimeout, int maxConnections, int maxPerSource) {
        public static final int DEFAULT_MAX_CONNECTIONS = 512, DEFAULT_MAX_PER_SOURCE = 32;
        /**
         * Requests one connection may carry (keep-alive): the connection closes after the answer to
         * the last one. Without it, one cheap request every few seconds would hold a place for ever
         * (the deadline is re-armed by each answer); real clients make a handful of calls.
         */
        public static final int MAX_REQUESTS_PER_CONNECTION = 100;

        public Settings(Duration requestTimeout) {
            this(requestTimeout, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PER_SOURCE);
        }

        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(10));
        }
    }

    private final Settings settings;
    private final Set<InetAddress> exempt;
    private final AtomicInteger open = new AtomicInteger(), refusing = new AtomicInteger();
    private final ConcurrentHashMap<String, Integer> perSource = new ConcurrentHashMap<>(); // at most maxConnections keys
    private final int maxRefusing;
    private final Counter timedOut, refused, refusedPerSource;

    /** @param exempt addresses whose connections the per-source cap does not count (the admin origins, reverse proxies among them) */
    public ConnectionLimits(Settings settings, MetricRegistry metrics, Set<InetAddress> exempt) {
        if (settings.requestTimeout().isNegative() || settings.requestTimeout().isZero())
            throw new IllegalArgumentException("the request timeout must be positive: " + settings);
        if (settings.maxConnections() < 1 || settings.maxPerSource() < 1)
            throw new IllegalArgumentException("the connection caps must be positive: " + settings);
        this.settings = settings;
        this.exempt = Set.copyOf(exempt);
        this.maxRefusing = Math.max(16, settings.maxConnections() / 4);
        this.timedOut = metrics.counter("registry.connections.timed_out");
        this.refused = metrics.counter("registry.connections.refused");
        this.refusedPerSource = metrics.counter("registry.connections.refused.source");
        metrics.gauge("registry.connections.open", () -> open::get);
    }

    /**
     * For an accepted connection, before its pipeline is built: the handler that ends its
     * pipeline. {@code served} when it is admitted (counted open until it closes); a refusal (503)
     * when it is over a cap (or it is closed already, when too many refusals are under way).
     */
    public ChannelHandler admit(Channel ch, Supplier<ChannelHandler> served) {
        SourceAddress peer = SourceAddress.of(((InetSocketAddress) ch.remoteAddress()).getAddress(), List.of(), exempt);
        String source = peer.exempt() ? null : peer.key();
        String why;
        // the source's count first, then the total: whoever sees the total (the open gauge) include a connection sees
        // its source's count include it too (connections are admitted on several event-loop threads at once)
        if (source != null && perSource.merge(source, 1, Integer::sum) > settings.maxPerSource()) {
            release(source);
            refusedPerSource.inc();
            why = source + " already has " + settings.maxPerSource() + " connections open (--max-connections-per-source)";
        } else if (open.incrementAndGet() > settings.maxConnections()) {
            open.decrementAndGet();
            if (source != null)
                release(source);
            why = "the registry is serving its maximum of " + settings.maxConnections() + " connections (--max-connections)";
        } else {
            ch.closeFuture().addListener(f -> {
                open.decrementAndGet();
                if (source != null)
                    release(source);
            });
            return served.get();
        }
        refused.inc();
        if (refusing.incrementAndGet() > maxRefusing)
            ch.close();
        ch.closeFuture().addListener(f -> refusing.decrementAndGet());
        return refusal(why + ": retry later\n");
    }

    private void release(String source) {
        perSource.computeIfPresent(source, (k, n) -> n == 1 ? null : n - 1);
    }

    /** Answers a connection over a cap: its request gets a 503 with the reason, then the connection is closed. */
    private static ChannelHandler refusal(String reason) {
        byte[] body = reason.getBytes(StandardCharsets.UTF_8);
        return new SimpleChannelInboundHandler<FullHttpRequest>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                RpcServer.respond(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, body, null, false);
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
        private int answered;

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
            if (msg instanceof io.netty.handler.codec.http.HttpResponse && ++answered >= Settings.MAX_REQUESTS_PER_CONNECTION) {
                promise = promise.unvoid();
                promise.addListener(io.netty.channel.ChannelFutureListener.CLOSE); // its last answer: no place held for ever
            }
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
