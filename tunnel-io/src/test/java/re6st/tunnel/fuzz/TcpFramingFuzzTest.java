package re6st.tunnel.fuzz;

import static java.lang.invoke.MethodType.methodType;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import com.code_intelligence.jazzer.junit.FuzzTest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import re6st.tunnel.Liveness;
import re6st.tunnel.TcpConnection;
import re6st.tunnel.TcpCounters;
import re6st.tunnel.TcpEndpoint;
import re6st.tunnel.TunnelSession;
import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataKey;
import re6st.tunnel.handshake.StreamDatagramTransport;

/**
 * Jazzer on the TCP transport's frame parser ({@link TcpConnection}, on Netty's embedded
 * channel): what a peer (or anyone on the path of a plain TCP connection) sends, cut into
 * reads wherever the fuzzer likes. Against a reference reading of the stream (2-byte
 * big-endian length, 1..65507, then the datagram), after every read: exactly the frames the
 * bytes so far complete have come out, whole and in order, none past a bad length; a bad
 * length has closed the connection and is counted once; no exception was swallowed by the
 * pipeline; every buffer handed in is released, and Netty's leak detector, tracking every
 * buffer, finds no leak.
 *
 * <p>Input: {@code start}, {@code k}, {@code pad} (2 bytes, big-endian), {@code k} read
 * descriptors, then the stream's bytes, with {@code pad} filler bytes inserted after the first
 * two (the first frame's length): so that small inputs reach frames up to 65507 bytes, and
 * what follows them. A descriptor's top 2 bits choose the buffer (heap, direct from the
 * default allocator, pooled direct, composite of two parts); bit 5 set, the event loop reads
 * on in the same wake-up (else readComplete and the loop's pending tasks follow the read); the
 * low 5 bits {@code s} give the read's length ({@code s} below 24, else {@code 2^(s-16)}:
 * 256..32768; cut at the end of the stream; 0 is an empty read). What the descriptors leave is
 * the last read; the last read ends its wake-up. The tunnel takes the connection
 * ({@code startData}, a task of the event loop) between wake-ups, the first time from read
 * number {@code start} on, or after the last read: frames before it wait in the handshake's
 * queue.
 */
class TcpFramingFuzzTest {
    private static final int MAX_FRAME = 65_507; // the specification, not the code's constant
    private static final InetSocketAddress REMOTE = new InetSocketAddress("198.18.0.1", 1194);
    /** Leaks Netty's detector reported (it finds them when a leaked buffer was collected). */
    private static final ConcurrentLinkedQueue<String> LEAKS = new ConcurrentLinkedQueue<>();
    /** TcpConnection logs each framing error: thousands of lines a second here (kept: JUL holds loggers weakly). */
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger("re6st.tunnel");
    private static java.util.logging.Level logLevel;

    static {
        // Before any ByteBuf class is initialised (the fuzz execution gives this class a JVM of its
        // own): every allocated buffer is tracked (sampling interval 1), as PARANOID does, and the
        // reports are kept for the assertion. Level SIMPLE (Netty's default): PARANOID's stack
        // trace at every access halved the fuzzer's speed, for nothing more than a better report.
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
                return new ResourceLeakDetector<T>(resource, 1) {
                    @Override
                    protected boolean needReport() {
                        return true;
                    }

                    @Override
                    protected void reportTracedLeak(String type, String records) {
                        LEAKS.add(type + " leaked:" + records);
                        super.reportTracedLeak(type, records);
                    }

                    @Override
                    protected void reportUntracedLeak(String type) {
                        LEAKS.add(type + " leaked");
                        super.reportUntracedLeak(type);
                    }
                };
            }
        });
    }

    // TcpConnection's constructor and data-path hooks are package-private (its users are
    // TcpEndpoint and TcpTunnel); fuzz targets live in re6st.tunnel.fuzz, so reach them here.
    private static final MethodHandle NEW_CONNECTION, AUTHENTICATE, START_DATA;
    private static final Class<?> FRAMES;
    private static final TunnelSession SESSION;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(TcpConnection.class, MethodHandles.lookup());
            NEW_CONNECTION = l.findConstructor(TcpConnection.class,
                    methodType(void.class, Channel.class, InetSocketAddress.class, String.class, TcpCounters.class));
            AUTHENTICATE = l.findVirtual(TcpConnection.class, "authenticate",
                    methodType(void.class, TcpEndpoint.Authenticator.class, boolean.class));
            FRAMES = l.findClass(TcpConnection.class.getName() + "$Frames");
            START_DATA = l.findVirtual(TcpConnection.class, "startData", methodType(void.class, FRAMES));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        byte[] k1 = new byte[32], k2 = new byte[32];
        new Random(1).nextBytes(k1);
        new Random(2).nextBytes(k2);
        SESSION = new TunnelSession(new DataChannel(new DataKey(k1, new byte[4], 0), new DataKey(k2, new byte[4], 0)),
                Liveness.defaults(0));
    }

    /** The data path's side: what it was handed, and anything it was handed when it should not have been. */
    private static final class Recorder {
        final TcpCounters counters;
        final List<byte[]> frames = new ArrayList<>();
        String closed, violation;
        TcpConnection connection;
        boolean starting; // in startData: the frames that waited for it (read before any error)

        Recorder(TcpCounters counters) {
            this.counters = counters;
        }

        Object proxy() {
            return Proxy.newProxyInstance(FRAMES.getClassLoader(), new Class<?>[] {FRAMES}, (p, m, args) -> {
                switch (m.getName()) {
                    case "frame" -> {
                        check(args[0], "a frame");
                        ByteBuffer payload = (ByteBuffer) args[1];
                        byte[] b = new byte[payload.remaining()];
                        payload.get(b);
                        frames.add(b);
                    }
                    case "readComplete" -> check(args[0], "readComplete");
                    case "closed" -> {
                        check(args[0], "closed");
                        closed = (String) args[1];
                    }
                    case "hashCode" -> {
                        return System.identityHashCode(p);
                    }
                    case "equals" -> {
                        return p == args[0];
                    }
                    case "toString" -> {
                        return "recorder";
                    }
                    default -> throw new AssertionError(m.toString());
                }
                return null;
            });
        }

        // an assertion thrown here would be caught by the pipeline: keep the first for later
        private void check(Object c, String what) {
            if (violation != null)
                return;
            if (c != connection)
                violation = what + " for another connection";
            else if (closed != null)
                violation = what + " after closed(" + closed + ")";
            else if (!starting && !what.equals("closed") && counters.framingErrors.getCount() > 0)
                violation = what + " after a framing error";
        }
    }

    @BeforeAll
    static void quiet() {
        logLevel = LOG.getLevel();
        LOG.setLevel(java.util.logging.Level.OFF);
    }

    @AfterAll
    static void loud() {
        LOG.setLevel(logLevel);
    }

    @FuzzTest(maxDuration = "5s")
    void stream(byte[] input) throws Throwable {
        if (input.length < 4)
            return;
        int start = input[0] & 0xff, k = input[1] & 0xff, pad = (input[2] & 0xff) << 8 | input[3] & 0xff;
        int cutsEnd = Math.min(input.length, 4 + k), at = Math.min(input.length, cutsEnd + 2);
        byte[] cuts = Arrays.copyOfRange(input, 4, cutsEnd);
        byte[] stream = new byte[input.length - cutsEnd + pad];
        System.arraycopy(input, cutsEnd, stream, 0, at - cutsEnd);
        for (int i = 0; i < pad; i++)
            stream[at - cutsEnd + i] = (byte) (i * 31 + 7);
        System.arraycopy(input, at, stream, at - cutsEnd + pad, input.length - at);

        // The reference: frames as (offset, length), and where a bad length ends (-1: none).
        List<int[]> want = new ArrayList<>();
        int errorEnd = -1, errorLength = -1;
        for (int off = 0; stream.length - off >= 2; ) {
            int len = (stream[off] & 0xff) << 8 | stream[off + 1] & 0xff;
            if (len < 1 || len > MAX_FRAME) {
                errorEnd = off + 2;
                errorLength = len;
                break;
            }
            if (stream.length - off - 2 < len)
                break;
            want.add(new int[] {off + 2, len});
            off += 2 + len;
        }

        // The reads.
        List<int[]> reads = new ArrayList<>(); // offset, length, buffer kind, 1 if the wake-up goes on
        int pos = 0;
        for (byte d : cuts) {
            int s = d & 0x1f;
            int n = Math.min(stream.length - pos, s < 24 ? s : 1 << (s - 16));
            reads.add(new int[] {pos, n, (d & 0xff) >>> 6, (d >>> 5) & 1});
            pos += n;
        }
        if (pos < stream.length)
            reads.add(new int[] {pos, stream.length - pos, 0, 0});
        if (!reads.isEmpty())
            reads.get(reads.size() - 1)[3] = 0;

        EmbeddedChannel ch = new EmbeddedChannel();
        TcpCounters counters = new TcpCounters();
        TcpConnection c = (TcpConnection) NEW_CONNECTION.invoke((Channel) ch, REMOTE, "fuzz", counters);
        ch.pipeline().addLast(c);
        ChannelHandlerContext ctx = ch.pipeline().context(c);
        StreamDatagramTransport[] handshake = new StreamDatagramTransport[1];
        AUTHENTICATE.invoke(c, (TcpEndpoint.Authenticator) (t, client) -> {
            handshake[0] = (StreamDatagramTransport) t;
            return new TcpEndpoint.Authenticated(SESSION, "fuzz");
        }, true);
        Recorder rec = new Recorder(counters);
        rec.connection = c;
        Object frames = rec.proxy();
        boolean started = false;

        int fed = 0, complete = 0; // bytes read so far, frames they complete
        for (int r = 0; r <= reads.size(); r++) {
            boolean betweenWakeUps = r == 0 || reads.get(r - 1)[3] == 0;
            if (!started && betweenWakeUps && (r >= start || r == reads.size())) {
                rec.starting = true;
                START_DATA.invoke(c, frames);
                rec.starting = false;
                started = true;
            }
            if (r == reads.size())
                break;
            int[] read = reads.get(r);
            List<ByteBuf> parts = new ArrayList<>();
            ByteBuf buf = buffer(read[2], stream, read[0], read[1], parts);
            if (ch.isOpen())
                ch.pipeline().fireChannelRead(buf);
            else // the embedded channel deregistered and removed the handler as it closed: what a real
                c.channelRead(ctx, buf); // event loop might still hand it (its channelInactive comes later)
            if (read[3] == 0) { // the end of the wake-up
                if (ch.isOpen())
                    ch.pipeline().fireChannelReadComplete();
                else
                    c.channelReadComplete(ctx);
                ch.runPendingTasks();
                ch.checkException(); // what reached the end of the pipeline
            }
            for (ByteBuf b : parts)
                assertEquals(0, b.refCnt(), "read " + r + ": a buffer was not released");
            assertTrue(ch.inboundMessages().isEmpty(), "read " + r + ": data went past the parser");
            fed += read[1];

            // after each read, exactly the frames the bytes so far complete, none past a bad length
            boolean error = errorEnd >= 0 && fed >= errorEnd;
            while (complete < want.size() && want.get(complete)[0] + want.get(complete)[1] <= fed)
                complete++;
            assertNull(rec.violation, "read " + r);
            assertEquals(complete, started ? rec.frames.size() : handshake[0].received(), "read " + r + ": frames out");
            assertEquals(error ? 1 : 0, counters.framingErrors.getCount(), "read " + r + ": framing errors");
            assertEquals(!error, ch.isOpen(), "read " + r + ": connection open");
            assertEquals(error ? "protocol error (frame length " + errorLength + ")" : null, c.closeReason(),
                    "read " + r + ": close reason");
        }

        ch.checkException();
        assertEquals(want.size(), rec.frames.size(), "frames");
        for (int i = 0; i < want.size(); i++) {
            int[] f = want.get(i);
            assertArrayEquals(Arrays.copyOfRange(stream, f[0], f[0] + f[1]), rec.frames.get(i), "frame " + i);
        }
        if (errorEnd >= 0) {
            assertEquals(c.closeReason(), rec.closed, "the data path is told why the connection closed");
        } else {
            assertNull(rec.closed);
            ch.close();
            assertEquals("closed by the peer (EOF)", rec.closed);
        }
        assertNull(rec.violation);
        assertEquals(errorEnd >= 0 ? 1 : 0, counters.framingErrors.getCount(), "framing errors");
        assertFalse(ch.finishAndReleaseAll(), "nothing passes the parser, nothing is written");
        assertNull(LEAKS.peek(), "a buffer leaked (found now, maybe from an earlier input)");
    }

    /** {@code stream[off, off + n)} in a buffer of {@code kind}; {@code parts} gets every buffer to be released. */
    private static ByteBuf buffer(int kind, byte[] stream, int off, int n, List<ByteBuf> parts) {
        ByteBuf b;
        switch (kind) {
            case 1 -> b = ByteBufAllocator.DEFAULT.directBuffer(Math.max(n, 1)).writeBytes(stream, off, n);
            case 2 -> b = PooledByteBufAllocator.DEFAULT.directBuffer(Math.max(n, 1)).writeBytes(stream, off, n);
            case 3 -> {
                int half = n / 2;
                ByteBuf a = Unpooled.directBuffer(Math.max(half, 1)).writeBytes(stream, off, half);
                ByteBuf z = heap(stream, off + half, n - half);
                parts.add(a);
                parts.add(z);
                CompositeByteBuf cb = Unpooled.compositeBuffer(2);
                cb.addComponents(true, a, z);
                b = cb;
            }
            default -> b = heap(stream, off, n);
        }
        parts.add(b);
        return b;
    }

    /** A view of {@code stream[off, off + n)} (as TcpConnectionTest reads), or a fresh empty buffer (not the shared one). */
    private static ByteBuf heap(byte[] stream, int off, int n) {
        return n == 0 ? Unpooled.buffer(1) : Unpooled.wrappedBuffer(stream, off, n);
    }
}
