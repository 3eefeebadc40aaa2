package re6st.tunnel.handshake;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.function.Consumer;

import org.bouncycastle.tls.DatagramTransport;

/**
 * BouncyCastle's {@link DatagramTransport} over a byte stream (the TCP transport), for the
 * handshake only. A stream carries datagrams as frames: a 2-byte big-endian length
 * ({@link #HEADER}), then that many bytes (1..{@link #MAX_FRAME}), exactly what a UDP datagram
 * would carry, as OpenVPN does over TCP. DTLS runs over it unchanged: the stream neither loses
 * nor reorders, so BouncyCastle's retransmissions (if a flight is slow to be answered) only
 * arrive as duplicates, which DTLS discards.
 *
 * <p>The stream's I/O is someone else's: the reading side splits the stream into frames and
 * hands each payload to {@link #deliver} (at most {@code capacity} frames wait; {@code deliver}
 * says when to stop reading, and {@code onRoom} is called when the handshake took some),
 * {@link #closed} when the stream ended; {@link #send} writes a whole frame through
 * {@link FrameOutput}. Frames the peer sent after its last handshake message (the first data
 * packets) stay queued: {@link #drainTo} hands them to the data path in order.
 */
public final class StreamDatagramTransport implements DatagramTransport, java.io.Closeable {
    /** Length prefix of a frame: 2 bytes, big-endian. */
    public static final int HEADER = 2;
    /** Largest frame payload: the largest UDP payload (IPv4), so a frame carries what a datagram can. */
    public static final int MAX_FRAME = 65507;
    /** DTLS records we send and accept: big enough that handshake messages (certificates) need no fragmenting. */
    public static final int DEFAULT_LIMIT = 16384 + 1024;

    /** Writes one frame (header included) to the stream, in order with every other frame. */
    @FunctionalInterface
    public interface FrameOutput {
        void write(byte[] frame) throws IOException;
    }

    private final FrameOutput out;
    private final int capacity;
    private final Runnable onRoom;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private String closed; // why the stream ended, null while open
    private boolean full;
    private long sent, received;

    /**
     * @param capacity frames that may wait for the handshake (a flight is a handful; more means
     *                 the reader should stop reading until the handshake takes some)
     * @param onRoom   called (on the handshake's thread) when the queue had been full and has room again
     */
    public StreamDatagramTransport(FrameOutput out, int capacity, Runnable onRoom) {
        if (capacity < 1)
            throw new IllegalArgumentException("capacity must be positive");
        this.out = out;
        this.capacity = capacity;
        this.onRoom = onRoom;
    }

    /** Writes the 2-byte length of a frame at {@code at} (absolute). */
    public static void putHeader(ByteBuffer b, int at, int length) {
        if (length < 1 || length > MAX_FRAME)
            throw new IllegalArgumentException("frame length " + length + " outside 1.." + MAX_FRAME);
        b.putShort(at, (short) length);
    }

    /** True when {@code length} (read from a frame header) is a valid frame length. */
    public static boolean validLength(int length) {
        return length >= 1 && length <= MAX_FRAME;
    }

    /**
     * The reader's side: one received frame's payload ({@code payload[position, limit)}, copied).
     * Returns false when the queue is full: the reader should stop reading until {@code onRoom}.
     */
    public synchronized boolean deliver(ByteBuffer payload) {
        byte[] f = new byte[payload.remaining()];
        payload.get(f);
        queue.addLast(f);
        received++;
        notifyAll();
        full = queue.size() >= capacity;
        return !full;
    }

    /** The reader's side: the stream ended ({@code why}: EOF, reset, closed by us...). */
    public synchronized void closed(String why) {
        if (closed == null)
            closed = why;
        notifyAll();
    }

    /** Hands the frames not taken by the handshake to {@code dataPath}, in order, and forgets them. */
    public void drainTo(Consumer<ByteBuffer> dataPath) {
        while (true) {
            byte[] f;
            synchronized (this) {
                f = queue.pollFirst();
            }
            if (f == null)
                return;
            dataPath.accept(ByteBuffer.wrap(f));
        }
    }

    @Override
    public int getReceiveLimit() {
        return DEFAULT_LIMIT;
    }

    @Override
    public int getSendLimit() {
        return DEFAULT_LIMIT;
    }

    @Override
    public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
        byte[] f;
        boolean room = false;
        synchronized (this) {
            long deadline = System.nanoTime() + waitMillis * 1_000_000L;
            while (queue.isEmpty()) {
                if (closed != null)
                    throw new EOFException("the connection closed during the handshake: " + closed);
                long left = deadline - System.nanoTime();
                if (left <= 0)
                    return -1;
                try {
                    wait(Math.max(1, left / 1_000_000L));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("handshake interrupted");
                }
            }
            f = queue.pollFirst();
            if (full && queue.size() < capacity / 2 + 1) {
                full = false;
                room = true;
            }
        }
        if (room && onRoom != null)
            onRoom.run();
        int n = Math.min(f.length, len); // a longer record is cut: DTLS discards it
        System.arraycopy(f, 0, buf, off, n);
        return n;
    }

    @Override
    public void send(byte[] buf, int off, int len) throws IOException {
        if (len > DEFAULT_LIMIT)
            throw new IOException("datagram of " + len + " bytes exceeds the send limit " + DEFAULT_LIMIT);
        synchronized (this) {
            if (closed != null)
                throw new EOFException("the connection closed during the handshake: " + closed);
        }
        byte[] frame = new byte[HEADER + len];
        putHeader(ByteBuffer.wrap(frame), 0, len);
        System.arraycopy(buf, off, frame, HEADER, len);
        out.write(frame);
        synchronized (this) {
            sent++;
        }
    }

    /** Frames sent and received through this transport (for tests and metrics). */
    public synchronized long sent() {
        return sent;
    }

    public synchronized long received() {
        return received;
    }

    @Override
    public void close() {
        // the stream stays open: it carries the data channel
    }
}
