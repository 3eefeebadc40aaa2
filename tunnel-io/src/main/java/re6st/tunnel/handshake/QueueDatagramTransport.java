package re6st.tunnel.handshake;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.tls.DatagramTransport;

import re6st.jni.SockAddr;
import re6st.jni.UdpSocket;

/**
 * A handshake's {@link DatagramTransport} on a socket shared by many peers: the socket's
 * receiving thread routes this peer's handshake datagrams into {@link #offer} (a bounded
 * queue: a flood is dropped, not buffered), BouncyCastle reads them from the handshake's own
 * thread; sends go straight to the peer's address on the shared socket.
 */
public final class QueueDatagramTransport implements DatagramTransport {
    private final UdpSocket socket;
    private final SockAddr peer;
    private final BlockingQueue<byte[]> inbox = new ArrayBlockingQueue<>(64);
    private final ByteBuffer out = ByteBuffer.allocateDirect(UdpDatagramTransport.DEFAULT_SEND_LIMIT);
    private volatile boolean closed;
    private volatile long lastOffered = System.nanoTime();
    private static final byte[] CLOSED = new byte[0];

    public QueueDatagramTransport(UdpSocket socket, SockAddr peer) {
        this.socket = socket;
        this.peer = new SockAddr().copyFrom(peer);
    }

    /** From the receiving thread: one datagram of this peer's handshake. False if the queue is full (dropped). */
    public boolean offer(ByteBuffer datagram) {
        byte[] b = new byte[datagram.remaining()];
        datagram.get(b);
        lastOffered = System.nanoTime();
        return inbox.offer(b);
    }

    /** Records waiting to be read. */
    public int pending() {
        return inbox.size();
    }

    /** When the peer last sent a record here (System.nanoTime), or when this transport was made. */
    public long lastOffered() {
        return lastOffered;
    }

    @Override
    public int getReceiveLimit() {
        return UdpDatagramTransport.DEFAULT_RECEIVE_LIMIT;
    }

    @Override
    public int getSendLimit() {
        return UdpDatagramTransport.DEFAULT_SEND_LIMIT;
    }

    @Override
    public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
        if (closed)
            throw new IOException("handshake transport closed");
        byte[] d;
        try {
            d = waitMillis <= 0 ? inbox.poll() : inbox.poll(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("handshake interrupted");
        }
        if (d == null)
            return -1;
        if (closed)
            throw new IOException("handshake transport closed");
        int n = Math.min(len, d.length);
        System.arraycopy(d, 0, buf, off, n);
        return n;
    }

    @Override
    public synchronized void send(byte[] buf, int off, int len) throws IOException {
        if (len > out.capacity())
            throw new IOException("datagram of " + len + " bytes exceeds the send limit " + out.capacity());
        out.clear();
        out.put(buf, off, len);
        socket.send(out, 0, len, 0, peer); // lost if it fails: DTLS retransmits
    }

    @Override
    public void close() {
        closed = true;
        inbox.clear();
        inbox.offer(CLOSED); // wakes a handshake waiting in receive: it ends now, not at its timeout
    }
}
