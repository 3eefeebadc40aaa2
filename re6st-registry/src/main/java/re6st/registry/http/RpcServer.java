package re6st.registry.http;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.ReadTimeoutHandler;
import re6st.registry.limit.SourceAddress;

/**
 * The registry's HTTP front: {@code GET /<method>?<query>} dispatched to declared RPCs, with the
 * original's rules (registry-protocol.md "Transport"):
 * <ul>
 * <li>GET only; only declared methods; strict query parsing ({@link QueryString}); an unknown or
 * missing parameter, a bad HMAC: 400. A result: 200 with Content-Length and no Content-Type;
 * no result: 204; deliberate errors ({@link RpcException}): their status; anything else: 500
 * (logged, the client sees no detail).
 * <li>{@link Kind#AUTHENTICATED} methods (those with a {@code cn}): the {@code Re6stHMAC} header
 * is checked by the {@link Authenticator} over the path and query as received; the response
 * carries the HMAC of its body with the key the authenticator gives back.
 * <li>{@link Kind#PRIVATE} (admin) methods: only from an authorised origin; when
 * {@code X-Forwarded-For} is present, every address in it must be authorised too; else 403.
 * </ul>
 * Requests are parsed on Netty's event loop (native epoll when available, IPv4 and IPv6) and
 * run on a bounded worker pool (RPCs touch the database and do RSA work); oversized requests
 * are refused by the codec (request line 4 KiB, headers 8 KiB, body 64 KiB) with a 4xx.
 */
public final class RpcServer implements AutoCloseable {
    private static final Logger LOG = System.getLogger("re6st.registry.http");
    static final String HMAC_HEADER = "Re6stHMAC";

    public enum Kind { PUBLIC, AUTHENTICATED, PRIVATE }

    /**
     * One call as the method sees it. {@code params} holds every declared parameter (defaults filled in);
     * {@code source} is whom the abuse limits count it against ({@link SourceAddress}).
     */
    public record Request(String method, Map<String, String> params, InetAddress client, List<String> forwardedFor,
            String host, String userAgent, SourceAddress source) {
        public String param(String name) {
            return params.get(name);
        }
    }

    /** An RPC. Returns the body, or null / empty for "no result" (204). */
    @FunctionalInterface
    public interface Method {
        byte[] call(Request request) throws RpcException, IOException;
    }

    /** Checks authenticated calls (the HMAC key chain) and gives the key for the response's HMAC. */
    public interface Authenticator {
        /**
         * @param cn the caller's binary prefix, @param pathWithQuery as received, @param hmac the
         * Re6stHMAC header (null if absent). Returns the key to sign the response body with.
         * Throws 401 for an unknown session, 400 for a bad HMAC.
         */
        byte[] authenticate(String cn, String pathWithQuery, String hmac) throws RpcException;

        /** The response header value for {@code body} with {@code key}. */
        String sign(byte[] key, byte[] body);
    }

    /** A declared parameter; {@code defaultValue} null = required. */
    public record Param(String name, String defaultValue) {
        public static Param required(String name) {
            return new Param(name, null);
        }

        public static Param optional(String name, String defaultValue) {
            return new Param(name, defaultValue);
        }
    }

    private record Declared(String name, List<Param> params, Kind kind, Method method, Timer timer) {}

    private final Map<String, Declared> methods = new LinkedHashMap<>();
    private final Authenticator authenticator;
    private final Set<InetAddress> authorizedOrigins;
    private final MetricRegistry metrics;
    private final ExecutorService workers;
    private final List<Channel> channels = new ArrayList<>();
    private EventLoopGroup group;
    private final ConnectionLimits limits;

    /**
     * @param authorizedOrigins addresses allowed to call {@link Kind#PRIVATE} methods (the
     *        original's default is 127.0.0.1 and ::1)
     */
    public RpcServer(Authenticator authenticator, Set<InetAddress> authorizedOrigins, MetricRegistry metrics, int workerThreads) {
        this(authenticator, authorizedOrigins, metrics, workerThreads, ConnectionLimits.Settings.defaults());
    }

    /** @param limits how long a request may take to arrive ({@link ConnectionLimits}) */
    public RpcServer(Authenticator authenticator, Set<InetAddress> authorizedOrigins, MetricRegistry metrics, int workerThreads,
            ConnectionLimits.Settings limits) {
        this.authenticator = authenticator;
        this.authorizedOrigins = Set.copyOf(authorizedOrigins);
        this.limits = new ConnectionLimits(limits, metrics, this.authorizedOrigins);
        this.metrics = metrics;
        this.workers = new java.util.concurrent.ThreadPoolExecutor(workerThreads, workerThreads, 60, TimeUnit.SECONDS,
                new java.util.concurrent.ArrayBlockingQueue<>(1024), r -> {
                    Thread t = new Thread(r, "registry-rpc");
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Declares an RPC (before {@link #start}). An authenticated method has a {@code cn} parameter. */
    public RpcServer declare(String name, Kind kind, Method method, Param... params) {
        List<Param> list = List.of(params);
        boolean hasCn = list.stream().anyMatch(p -> p.name().equals("cn"));
        if ((kind == Kind.AUTHENTICATED) != hasCn)
            throw new IllegalArgumentException(name + ": authenticated methods, and only they, take a cn");
        if (methods.putIfAbsent(name, new Declared(name, list, kind, method, metrics.timer("registry.rpc." + name))) != null)
            throw new IllegalArgumentException("method " + name + " declared twice");
        return this;
    }

    /** Listens on each address (e.g. 0.0.0.0:80 and [::]:80). Returns the bound addresses. */
    public synchronized List<InetSocketAddress> start(List<InetSocketAddress> addresses) throws IOException {
        boolean epoll = Epoll.isAvailable();
        group = new MultiThreadIoEventLoopGroup(2, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        ServerBootstrap b = new ServerBootstrap().group(group)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // over --max-connections, the request is still read (answering before it, then closing, makes the
                        // client's kernel see a reset, and the client an error instead of the 503) and refused
                        ch.pipeline().addLast(new ReadTimeoutHandler(60), new HttpServerCodec(4096, 8192, 8192),
                                new HttpObjectAggregator(65536), limits.deadline(), limits.admit(ch, Handler::new));
                    }
                });
        List<InetSocketAddress> bound = new ArrayList<>();
        try {
            for (InetSocketAddress a : addresses) {
                Channel c = b.bind(a).syncUninterruptibly().channel();
                channels.add(c);
                bound.add((InetSocketAddress) c.localAddress());
            }
        } catch (RuntimeException e) {
            close();
            throw new IOException("cannot listen on " + addresses + ": " + e.getMessage(), e);
        }
        return bound;
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            if (!req.decoderResult().isSuccess()) { // too long a line or headers: the codec said so
                respond(ctx, HttpResponseStatus.BAD_REQUEST, "malformed or oversized request\n".getBytes(), null, false);
                return;
            }
            InetAddress client = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
            // every X-Forwarded-For line: a proxy that appends its own line must not hide the client's (forged) one
            List<String> xffLines = req.headers().getAll("X-Forwarded-For");
            String uri = req.uri(), forwarded = xffLines.isEmpty() ? null : String.join(",", xffLines),
                    host = req.headers().get(HttpHeaderNames.HOST),
                    agent = req.headers().get(HttpHeaderNames.USER_AGENT), hmac = req.headers().get(HMAC_HEADER);
            HttpMethod verb = req.method();
            int bodyLength = req.content().readableBytes();
            try {
                workers.execute(() -> {
                    Result r = handle(verb, uri, bodyLength, client, forwarded, host, agent, hmac);
                    ctx.executor().execute(() -> respond(ctx, r.status(), r.body(), r.hmac(), keepAlive));
                });
            } catch (RejectedExecutionException e) {
                respond(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "busy, retry\n".getBytes(), null, false);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!(cause instanceof io.netty.handler.timeout.ReadTimeoutException))
                LOG.log(Level.DEBUG, "connection from {0}: {1}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    record Result(HttpResponseStatus status, byte[] body, String hmac) {}

    /** The whole dispatch, without Netty: parse, check, call, map errors. */
    Result handle(HttpMethod verb, String uri, int bodyLength, InetAddress client, String forwarded, String host, String agent,
            String hmac) {
        String name = "?";
        try {
            if (!HttpMethod.GET.equals(verb))
                throw RpcException.badRequest("only GET is served");
            if (bodyLength > 0)
                throw RpcException.badRequest("a GET has no body");
            int q = uri.indexOf('?');
            String path = q < 0 ? uri : uri.substring(0, q), query = q < 0 ? "" : uri.substring(q + 1);
            if (!path.startsWith("/") || path.indexOf('/', 1) >= 0)
                throw RpcException.badRequest("unknown method " + QueryString.abbreviate(path));
            name = path.substring(1);
            Declared m = methods.get(name);
            if (m == null)
                throw RpcException.badRequest("unknown method '" + QueryString.abbreviate(name) + "'");
            Map<String, String> given = QueryString.parse(query);
            Map<String, String> params = new LinkedHashMap<>();
            for (Param p : m.params()) {
                String v = given.remove(p.name());
                if (v == null && p.defaultValue() == null)
                    throw RpcException.badRequest(name + ": missing parameter '" + p.name() + "'");
                params.put(p.name(), v != null ? v : p.defaultValue());
            }
            if (!given.isEmpty())
                throw RpcException.badRequest(name + ": unexpected parameter '" + QueryString.abbreviate(given.keySet().iterator().next()) + "'");
            List<String> xff = forwardedFor(forwarded);
            if (m.kind() == Kind.PRIVATE && !authorized(client, xff))
                throw RpcException.forbidden(name + " is an admin call: origin " + client.getHostAddress()
                        + (xff.isEmpty() ? "" : " (forwarded for " + xff + ")") + " is not authorised");
            byte[] responseKey = null;
            if (m.kind() == Kind.AUTHENTICATED)
                responseKey = authenticator.authenticate(params.get("cn"), uri, hmac);
            byte[] body;
            try (Timer.Context t = m.timer().time()) {
                body = m.method().call(new Request(name, params, client, xff, host, agent, SourceAddress.of(client, xff, authorizedOrigins)));
            }
            if (body == null || body.length == 0)
                return new Result(HttpResponseStatus.NO_CONTENT, new byte[0], responseKey != null ? authenticator.sign(responseKey, new byte[0]) : null);
            return new Result(HttpResponseStatus.OK, body, responseKey != null ? authenticator.sign(responseKey, body) : null);
        } catch (RpcException e) {
            metrics.counter("registry.rpc.errors." + e.status()).inc();
            // 401 is normal after a restart; 429s come in floods (counted in the metrics): neither may fill the log
            LOG.log(e.status() == 401 || e.status() == 429 ? Level.DEBUG : Level.INFO, "{0} from {1}: {2} {3}", name, client.getHostAddress(), e.status(), e.getMessage());
            return new Result(HttpResponseStatus.valueOf(e.status()), (e.getMessage() + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8), null);
        } catch (IOException | RuntimeException e) {
            metrics.counter("registry.rpc.errors.500").inc();
            LOG.log(Level.ERROR, name + " from " + client.getHostAddress() + " failed", e);
            return new Result(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error\n".getBytes(), null);
        }
    }

    /** Only IP literals count (a header value is never looked up in the DNS: "1.2.3.999" would be); IPv4-mapped is IPv4. */
    private boolean authorized(InetAddress client, List<String> forwardedFor) {
        if (!authorizedOrigins.contains(SourceAddress.normalize(client)))
            return false;
        for (String f : forwardedFor) {
            InetAddress a = SourceAddress.literal(f);
            if (a == null || !authorizedOrigins.contains(a)) // not an address: not authorised
                return false;
        }
        return true;
    }

    static List<String> forwardedFor(String header) {
        List<String> out = new ArrayList<>();
        if (header == null)
            return out;
        for (String s : header.split(","))
            if (!s.isBlank())
                out.add(s.trim());
        return out;
    }

    static void respond(ChannelHandlerContext ctx, HttpResponseStatus status, byte[] body, String hmac, boolean keepAlive) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length); // no Content-Type, as the original
        if (hmac != null)
            r.headers().set(HMAC_HEADER, hmac);
        if (!keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, "close");
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(r);
        }
    }

    @Override
    public synchronized void close() {
        for (Channel c : channels)
            c.close().syncUninterruptibly();
        channels.clear();
        if (group != null)
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownNow();
    }
}
