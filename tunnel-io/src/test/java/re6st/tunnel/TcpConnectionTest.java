package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataKey;

/**
 * The TCP transport's framing (2-byte big-endian length, then the datagram), on Netty's
 * embedded channel: frames cut anywhere by read boundaries come out whole and in order; a
 * length of 0 or above 65507 closes the connection and is counted; frames that arrive between
 * the handshake and the tunnel taking the connection are not lost.
 */
class TcpConnectionTest {

    static DataKey key(int seed) {
        byte[] k = new byte[32];
        new Random(seed).nextBytes(k);
        return new DataKey(k, new byte[] {(byte) seed, 0, 0, 1}, 0);
    }

    /** Collects the frames the data path receives. */
    static final class Collect implements TcpConnection.Frames {
        final List<byte[]> frames = new ArrayList<>();
        int readCompletes;
        String closed;

        @Override
        public void frame(TcpConnection c, ByteBuffer payload, long now) {
            byte[] b = new byte[payload.remaining()];
            payload.get(b);
            frames.add(b);
        }

        @Override
        public void readComplete(TcpConnection c) {
            readCompletes++;
        }

        @Override
        public void closed(TcpConnection c, String why) {
            closed = why;
        }
    }

    record Setup(EmbeddedChannel ch, TcpConnection conn, TcpCounters counters, Collect got) {}

    /** A connection whose handshake is a no-op (fixed keys), handed to the data path at once if {@code start}. */
    static Setup setup(boolean start) throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        TcpCounters counters = new TcpCounters();
        TcpConnection c = new TcpConnection(ch, new InetSocketAddress("198.18.0.1", 1194), "test", counters);
        ch.pipeline().addLast(c);
        c.authenticate((t, client) -> new TcpEndpoint.Authenticated(
                new TunnelSession(new DataChannel(key(1), key(2)), Liveness.defaults(System.nanoTime())), "1/16"), true);
        Collect got = new Collect();
        if (start)
            c.startData(got);
        return new Setup(ch, c, counters, got);
    }

    static byte[] stream(List<byte[]> frames) {
        ByteBuffer b = ByteBuffer.allocate(frames.stream().mapToInt(f -> f.length + 2).sum());
        for (byte[] f : frames)
            b.putShort((short) f.length).put(f);
        return b.array();
    }

    static List<byte[]> randomFrames(Random r, int n) {
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int len = switch (i % 4) {
                case 0 -> 1;
                case 1 -> 1 + r.nextInt(100);
                case 2 -> 1400 + r.nextInt(100);
                default -> i == 3 ? 65507 : 1 + r.nextInt(9000);
            };
            byte[] f = new byte[len];
            r.nextBytes(f);
            frames.add(f);
        }
        return frames;
    }

    static void assertFrames(List<byte[]> want, List<byte[]> got) {
        assertEquals(want.size(), got.size(), "frames received");
        for (int i = 0; i < want.size(); i++)
            assertTrue(java.util.Arrays.equals(want.get(i), got.get(i)), "frame " + i + " intact");
    }

    @Test
    void framesCutAnywhereComeOutWholeAndInOrder() throws Exception {
        Random r = new Random(7);
        List<byte[]> frames = randomFrames(r, 40);
        byte[] all = stream(frames);
        for (int round = 0; round < 20; round++) {
            Setup s = setup(true);
            int max = round == 0 ? 1 : round == 1 ? 2 : 1 + r.nextInt(round < 10 ? 3000 : 100_000);
            for (int off = 0; off < all.length; ) {
                int n = Math.min(all.length - off, 1 + r.nextInt(max));
                s.ch.writeInbound(Unpooled.wrappedBuffer(all, off, n));
                off += n;
            }
            assertFrames(frames, s.got.frames);
            assertTrue(s.ch.isActive());
            assertEquals(0, s.counters.framingErrors.getCount());
            s.ch.finishAndReleaseAll();
        }
    }

    @Test
    void zeroLengthIsAProtocolError() throws Exception {
        Setup s = setup(true);
        s.ch.writeInbound(Unpooled.wrappedBuffer(stream(List.of(new byte[] {1, 2, 3})), new byte[] {0, 0, 9, 9, 9},
                stream(List.of(new byte[] {4}))));
        assertEquals(1, s.got.frames.size(), "only the frame before the bad length");
        assertFalse(s.ch.isActive(), "the connection is closed");
        assertEquals(1, s.counters.framingErrors.getCount());
        assertTrue(s.got.closed.contains("protocol error (frame length 0)"), s.got.closed);
    }

    @Test
    void tooLongIsAProtocolErrorEvenWhenItsLengthIsCut() throws Exception {
        Setup s = setup(true);
        s.ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0xff})); // a length cut by a read boundary
        assertTrue(s.ch.isActive());
        s.ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0xe4, 0})); // 0xffe4 = 65508
        assertFalse(s.ch.isActive());
        assertEquals(1, s.counters.framingErrors.getCount());
        assertTrue(s.got.frames.isEmpty());
    }

    @Test
    void framesBeforeTheTunnelTakesTheConnectionAreKept() throws Exception {
        Setup s = setup(false);
        List<byte[]> frames = randomFrames(new Random(3), 6);
        s.ch.writeInbound(Unpooled.wrappedBuffer(stream(frames)));
        assertTrue(s.got.frames.isEmpty());
        s.conn.startData(s.got);
        assertFrames(frames, s.got.frames);
        List<byte[]> more = randomFrames(new Random(4), 3);
        s.ch.writeInbound(Unpooled.wrappedBuffer(stream(more)));
        assertEquals(9, s.got.frames.size());
    }

    @Test
    void endOfStreamIsReported() throws Exception {
        Setup s = setup(true);
        s.ch.close();
        assertEquals("closed by the peer (EOF)", s.got.closed);
    }

    @Test
    void handshakeFramesAreWrittenWithTheirLength() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        TcpConnection c = new TcpConnection(ch, new InetSocketAddress("198.18.0.1", 1194), "test", new TcpCounters());
        ch.pipeline().addLast(c);
        c.authenticate((t, client) -> {
            t.send(new byte[] {22, 1, 2}, 0, 3);
            return new TcpEndpoint.Authenticated(
                    new TunnelSession(new DataChannel(key(1), key(2)), Liveness.defaults(System.nanoTime())), "1/16");
        }, true);
        ch.runPendingTasks();
        ByteBuf out = ch.readOutbound();
        byte[] b = new byte[out.readableBytes()];
        out.readBytes(b);
        out.release();
        assertTrue(java.util.Arrays.equals(new byte[] {0, 3, 22, 1, 2}, b));
    }
}
