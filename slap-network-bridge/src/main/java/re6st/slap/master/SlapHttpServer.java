package re6st.slap.master;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import re6st.slap.master.MasterModel.InstanceRequest;
import re6st.slap.master.MasterModel.Placed;
import re6st.slap.xml.PythonOrder;
import re6st.slap.xml.XmlMarshaller;
import re6st.slap.xml.XmlMarshallerException;
import re6st.slap.xml.XmlUnmarshaller;
import re6st.slap.xml.XmlValue;

/**
 * The master's HTTP front: slapproxy's endpoints (slap-protocol.md, "Endpoints") on a
 * {@link SlapMaster}. GET calls take the query string, POST calls an
 * {@code application/x-www-form-urlencoded} body; a field {@code None} is empty. Answers are
 * xml_marshaller documents or slapproxy's short words ({@code done}, {@code OK}); errors are
 * {@link SlapException}'s status with a one-line reason (404 not found or nothing free, 400
 * malformed, 403 not allowed, 405 wrong method, 409 contradiction, 413 too big, 500 the database
 * failed), each counted ({@code slap_master_errors_<status>}) and changing nothing.
 *
 * <p>Who may call: addresses in the allow list only (slapproxy has no authentication; on an
 * overlay, the operator says which prefixes are members). Limits: request line 8 KiB, headers
 * 16 KiB, body {@link #MAX_BODY} (an xml_marshaller document, URL-encoded), 30 s to send a
 * request, {@link #MAX_CONNECTIONS} connections; work runs on a bounded pool (SQLite serialises
 * the writes anyway).
 */
public final class SlapHttpServer implements AutoCloseable {
    private static final Logger LOG = System.getLogger("re6st.slap.master.http");
    /** The largest body: a 1 MiB document, URL-encoded (up to 3 bytes per byte). */
    public static final int MAX_BODY = 3 * XmlUnmarshaller.MAX_BYTES + 4096;
    public static final int MAX_CONNECTIONS = 256;
    public static final int MAX_FIELDS = 64;

    private final SlapMaster master;
    private final AllowList allow;
    private final MetricRegistry metrics;
    private final ExecutorService workers;
    private final List<Channel> channels = new ArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private EventLoopGroup group;

    public SlapHttpServer(SlapMaster master, AllowList allow, MetricRegistry metrics, int workerThreads) {
        this.master = master;
        this.allow = allow;
        this.metrics = metrics;
        this.workers = new ThreadPoolExecutor(workerThreads, workerThreads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1024), r -> {
            Thread t = new Thread(r, "slap-master");
            t.setDaemon(true);
            return t;
        });
    }

    /** Listens on each address ({@code [::]:PORT} takes IPv4 too where the kernel maps it). Returns the bound addresses. */
    public synchronized List<InetSocketAddress> start(List<InetSocketAddress> addresses) throws IOException {
        boolean epoll = Epoll.isAvailable();
        group = new MultiThreadIoEventLoopGroup(2, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        ServerBootstrap b = new ServerBootstrap().group(group)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(30), new HttpServerCodec(8192, 16384, 8192),
                                new HttpObjectAggregator(MAX_BODY), new Handler());
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
        private boolean counted;
        // touched on the channel's event loop only
        private final java.util.ArrayDeque<java.util.function.Supplier<Result>> queue = new java.util.ArrayDeque<>();
        private final java.util.ArrayDeque<Boolean> keepAlives = new java.util.ArrayDeque<>();
        private boolean working;

        /** Runs the oldest waiting request on a worker, answers it on the event loop, then the next. */
        private void next(ChannelHandlerContext ctx) {
            java.util.function.Supplier<Result> job = queue.poll();
            if (job == null) {
                working = false;
                ctx.channel().config().setAutoRead(true);
                return;
            }
            boolean keepAlive = keepAlives.poll();
            working = true;
            try {
                workers.execute(() -> {
                    Result r = job.get();
                    ctx.executor().execute(() -> {
                        respond(ctx, r, keepAlive);
                        if (keepAlive)
                            next(ctx);
                    });
                });
            } catch (RejectedExecutionException e) {
                queue.clear();
                keepAlives.clear();
                respond(ctx, new Result(HttpResponseStatus.SERVICE_UNAVAILABLE, text("busy, retry")), false);
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            counted = connections.incrementAndGet() <= MAX_CONNECTIONS;
            if (!counted) {
                connections.decrementAndGet();
                metrics.counter("slap.master.connections.refused").inc();
            }
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (counted)
                connections.decrementAndGet();
            super.channelInactive(ctx);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            boolean keepAlive = HttpUtil.isKeepAlive(req) && counted;
            if (!counted) {
                respond(ctx, new Result(HttpResponseStatus.SERVICE_UNAVAILABLE, text("too many connections, retry")), false);
                return;
            }
            if (!req.decoderResult().isSuccess()) {
                Throwable why = req.decoderResult().cause();
                metrics.counter("slap.master.errors.400").inc();
                respond(ctx, new Result(why instanceof TooLongFrameException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                        : HttpResponseStatus.BAD_REQUEST, text("malformed or oversized request")), false);
                return;
            }
            InetAddress client = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
            String verb = req.method().name(), uri = req.uri(), type = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
            byte[] body = new byte[req.content().readableBytes()];
            req.content().getBytes(req.content().readerIndex(), body);
            // one request at a time per connection, in order: pipelined requests are answered in the order they came,
            // and a connection with requests waiting is not read further (it cannot fill the workers' queue)
            queue.add(() -> handle(verb, uri, type, body, client));
            keepAlives.add(keepAlive);
            if (queue.size() > 1)
                ctx.channel().config().setAutoRead(false);
            if (!working)
                next(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof TooLongFrameException || cause.getCause() instanceof TooLongFrameException) {
                respond(ctx, new Result(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, text("request body over " + MAX_BODY + " bytes")), false);
                return;
            }
            if (!(cause instanceof io.netty.handler.timeout.ReadTimeoutException))
                LOG.log(Level.DEBUG, "connection from {0}: {1}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    /** A response: status and body (text/plain for words and errors, xml for documents). */
    public record Result(HttpResponseStatus status, byte[] body, boolean xml) {
        Result(HttpResponseStatus status, byte[] body) {
            this(status, body, false);
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    static byte[] text(String s) {
        return (s + "\n").getBytes(StandardCharsets.UTF_8);
    }

    static void respond(ChannelHandlerContext ctx, Result r, boolean keepAlive) {
        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(), Unpooled.wrappedBuffer(r.body()));
        resp.headers().set(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        resp.headers().set(HttpHeaderNames.CONTENT_TYPE, r.xml() ? "text/xml; charset=utf-8" : "text/plain; charset=utf-8");
        if (!keepAlive) {
            resp.headers().set(HttpHeaderNames.CONNECTION, "close");
            ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
        } else
            ctx.writeAndFlush(resp);
    }

    // ---- dispatch, without Netty ------------------------------------------------------------

    private enum Verb { GET, POST }

    private interface Endpoint {
        Object call(Map<String, String> f) throws SlapException, XmlMarshallerException;
    }

    private record Declared(Verb verb, Endpoint endpoint) {
    }

    private final Map<String, Declared> endpoints = declare();

    private Map<String, Declared> declare() {
        Map<String, Declared> m = new LinkedHashMap<>();
        Endpoint info = f -> SlapDocuments.computer(master.computerInformation(f.get("computer_id")));
        m.put("getFullComputerInformation", new Declared(Verb.GET, info));
        m.put("getComputerInformation", new Declared(Verb.GET, info));
        m.put("registerComputerPartition", new Declared(Verb.GET,
                f -> SlapDocuments.partition(master.partition(f.get("computer_reference"), f.get("computer_partition_reference")))));
        m.put("getComputerPartitionCertificate", new Declared(Verb.GET, f -> {
            master.partition(f.get("computer_id"), f.get("computer_partition_id"));
            return XmlValue.Dict.ofStrings(Map.of("certificate", new XmlValue.Str(""), "key", new XmlValue.Str("")));
        }));
        m.put("requestComputerPartition", new Declared(Verb.POST, this::request));
        m.put("setComputerPartitionConnectionXml", new Declared(Verb.POST, f -> {
            Map<String, String> conn = new LinkedHashMap<>();
            for (Map.Entry<String, XmlValue> e : SlapDocuments.stringKeyed(xml(f, "connection_xml"), "connection_xml").entrySet())
                conn.put(e.getKey(), PythonOrder.str(e.getValue()));
            master.setConnection(f.get("computer_id"), f.get("computer_partition_id"), conn, f.get("slave_reference"));
            return "done";
        }));
        m.put("supplySupply", new Declared(Verb.POST, f -> master.supply(f.get("url"), f.get("computer_id"), f.get("state"))));
        m.put("loadComputerConfigurationFromXML", new Declared(Verb.POST, f -> {
            master.loadComputer(SlapDocuments.computerConfig(xml(f, "xml")));
            return "done";
        }));
        for (String[] s : new String[][] {{"buildingSoftwareRelease", "building"}, {"availableSoftwareRelease", "available"},
                {"softwareReleaseError", "error"}})
            m.put(s[0], new Declared(Verb.POST, f -> {
                master.softwareReport(f.get("url"), f.get("computer_id"), s[1], f.get("error_log"));
                return "OK";
            }));
        m.put("destroyedSoftwareRelease", new Declared(Verb.POST, f -> {
            master.destroyedSoftware(f.get("url"), f.get("computer_id"));
            return "OK";
        }));
        for (String[] s : new String[][] {{"startedComputerPartition", "started"}, {"stoppedComputerPartition", "stopped"},
                {"softwareInstanceError", "error"}})
            m.put(s[0], new Declared(Verb.POST, f -> {
                master.partitionReport(f.get("computer_id"), f.get("computer_partition_id"), s[1], f.get("error_log"));
                return "OK";
            }));
        m.put("destroyedComputerPartition", new Declared(Verb.POST, f -> {
            master.destroyed(f.get("computer_id"), f.get("computer_partition_id"));
            return "OK";
        }));
        m.put("softwareInstanceBang", new Declared(Verb.POST, f -> {
            master.bang(f.get("computer_id"), f.get("computer_partition_id"), f.getOrDefault("message", ""));
            return "OK";
        }));
        m.put("softwareInstanceRename", new Declared(Verb.POST, f -> {
            master.rename(f.get("computer_id"), f.get("computer_partition_id"), f.get("new_name"));
            return "done";
        }));
        m.put("re6st/instances", new Declared(Verb.GET, f -> {
            List<XmlValue> out = new ArrayList<>();
            for (MasterModel.Partition p : master.instances())
                out.add(SlapDocuments.instanceSummary(p));
            return new XmlValue.ListV(out);
        }));
        m.put("re6st/instance", new Declared(Verb.GET, f -> SlapDocuments.instanceSummary(master.instance(f.get("title")))));
        m.put("re6st/computers", new Declared(Verb.GET, f -> {
            List<XmlValue> out = new ArrayList<>();
            for (MasterModel.Computer c : master.computers())
                out.add(SlapDocuments.computerSummary(c, master.partitionsOf(c.reference()), master.softwareList(c.reference())));
            return new XmlValue.ListV(out);
        }));
        m.put("useComputer", new Declared(Verb.POST, f -> "Ignored"));
        m.put("computerBang", new Declared(Verb.POST, f -> new XmlValue.Str("")));
        return m;
    }

    private Object request(Map<String, String> f) throws SlapException {
        Map<String, XmlValue> params = SlapDocuments.stringKeyed(xmlOr(f, "partition_parameter_xml"), "partition_parameter_xml");
        Map<String, String> filter = new LinkedHashMap<>();
        for (Map.Entry<String, XmlValue> e : SlapDocuments.stringKeyed(xmlOr(f, "filter_xml"), "filter_xml").entrySet())
            filter.put(e.getKey(), PythonOrder.str(e.getValue()));
        XmlValue state = xmlOr(f, "state");
        String st = state instanceof XmlValue.Str s ? s.value() : null;
        if (st == null && !(state instanceof XmlValue.None))
            throw SlapException.badRequest("state is not a string");
        XmlValue shared = xmlOr(f, "shared_xml");
        boolean isShared = shared instanceof XmlValue.Bool b ? b.value() : shared instanceof XmlValue.Int i && i.value().signum() != 0;
        Placed p = master.request(new InstanceRequest(f.get("software_release"), f.get("software_type"), f.get("partition_reference"),
                f.get("computer_id"), f.get("computer_partition_id"), params, filter, st, isShared));
        try {
            return SlapDocuments.instance(p);
        } catch (XmlMarshallerException e) {
            throw new IllegalStateException(e);
        }
    }

    private static XmlValue xml(Map<String, String> f, String field) throws SlapException {
        String v = f.get(field);
        if (v == null)
            throw SlapException.badRequest("missing " + field);
        return decode(v, field);
    }

    /** An optional xml_marshaller field: absent is None. */
    private static XmlValue xmlOr(Map<String, String> f, String field) throws SlapException {
        String v = f.get(field);
        return v == null ? XmlValue.None.NONE : decode(v, field);
    }

    private static XmlValue decode(String v, String field) throws SlapException {
        try {
            return XmlUnmarshaller.decode(v.getBytes(StandardCharsets.UTF_8));
        } catch (XmlMarshallerException e) {
            throw SlapException.badRequest(field + ": " + e.getMessage());
        }
    }

    /** The whole dispatch: method and path, allow list, fields, call, errors to statuses. */
    public Result handle(String verb, String uri, String contentType, byte[] body, InetAddress client) {
        String name = "?";
        try {
            if (!allow.allows(client)) {
                metrics.counter("slap.master.errors.403").inc();
                LOG.log(Level.INFO, "refused {0}: not in the allow list {1}", client.getHostAddress(), allow);
                return new Result(HttpResponseStatus.FORBIDDEN, text(client.getHostAddress() + " may not use this master (allowed: " + allow
                        + "; see --allow)"));
            }
            QueryStringDecoder q = new QueryStringDecoder(uri, StandardCharsets.UTF_8, true, MAX_FIELDS);
            String path = q.path();
            name = path.startsWith("/") ? path.substring(1) : path;
            Declared d = endpoints.get(name);
            if (d == null)
                throw new SlapException(SlapException.Kind.NOT_FOUND, "no endpoint " + abbreviate(path));
            Map<String, String> fields;
            if (d.verb() == Verb.GET) {
                if (!"GET".equals(verb) && !"HEAD".equals(verb))
                    return methodNotAllowed(name, "GET");
                fields = fields(q.parameters());
            } else {
                if (!"POST".equals(verb))
                    return methodNotAllowed(name, "POST");
                if (contentType != null && !contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/x-www-form-urlencoded"))
                    throw SlapException.badRequest(name + ": the body must be application/x-www-form-urlencoded, not " + abbreviate(contentType));
                fields = fields(new QueryStringDecoder(new String(body, StandardCharsets.UTF_8), StandardCharsets.UTF_8, false, MAX_FIELDS)
                        .parameters());
                for (Map.Entry<String, String> e : fields(q.parameters()).entrySet())
                    fields.putIfAbsent(e.getKey(), e.getValue());
            }
            Object out;
            try (Timer.Context t = metrics.timer("slap.master." + name).time()) {
                out = d.endpoint().call(fields);
            }
            if (out instanceof XmlValue v)
                return new Result(HttpResponseStatus.OK, XmlMarshaller.encode(v), true);
            return new Result(HttpResponseStatus.OK, String.valueOf(out).getBytes(StandardCharsets.UTF_8));
        } catch (SlapException e) {
            metrics.counter("slap.master.errors." + e.status()).inc();
            LOG.log(e.status() == 404 ? Level.DEBUG : Level.INFO, "{0} from {1}: {2} {3}", name, client.getHostAddress(), e.status(), e.getMessage());
            return new Result(HttpResponseStatus.valueOf(e.status()), text(e.getMessage()));
        } catch (IllegalArgumentException e) { // a malformed %-escape, too many fields
            metrics.counter("slap.master.errors.400").inc();
            return new Result(HttpResponseStatus.BAD_REQUEST, text(name + ": malformed fields: " + e.getMessage()));
        } catch (XmlMarshallerException | RuntimeException e) {
            metrics.counter("slap.master.errors.500").inc();
            LOG.log(Level.ERROR, name + " from " + client.getHostAddress() + " failed", e);
            return new Result(HttpResponseStatus.INTERNAL_SERVER_ERROR, text("internal error: " + e.getMessage()));
        }
    }

    private Result methodNotAllowed(String name, String verb) {
        metrics.counter("slap.master.errors.405").inc();
        return new Result(HttpResponseStatus.METHOD_NOT_ALLOWED, text(name + " is called with " + verb));
    }

    /** One value per field (the first); {@code None} is empty, as the slap client sends Python's None. */
    private static Map<String, String> fields(Map<String, List<String>> params) throws SlapException {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : params.entrySet()) {
            if (e.getValue().size() > 1)
                throw SlapException.badRequest("field " + abbreviate(e.getKey()) + " given " + e.getValue().size() + " times");
            String v = e.getValue().isEmpty() ? "" : e.getValue().get(0);
            for (String t : new String[] {e.getKey(), v})
                for (int k = 0; k < t.length();) {
                    int c = t.codePointAt(k);
                    k += Character.charCount(c);
                    if (!XmlUnmarshaller.isXmlChar(c)) // it could be stored but never written back in a document
                        throw SlapException.badRequest(String.format("field %s holds U+%04X, which XML cannot carry", abbreviate(e.getKey()), c));
                }
            if (!"None".equals(v))
                out.put(e.getKey(), v);
        }
        return out;
    }

    static String abbreviate(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        StringBuilder b = new StringBuilder();
        t.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f)
                b.append('?');
            else
                b.appendCodePoint(c);
        });
        return b.toString();
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
