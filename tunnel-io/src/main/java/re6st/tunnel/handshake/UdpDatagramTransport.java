package re6st.tunnel.handshake;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import org.bouncycastle.tls.DatagramTransport;

import re6st.jni.SockAddr;
import re6st.jni.Tun;
import re6st.jni.UdpSocket;

/**
 * BouncyCastle's {@link DatagramTransport} over a {@link UdpSocket}, to one peer, for the
 * handshake only. Receives wait at most the time BC asks for ({@code -1} on timeout, so BC
 * retransmits); datagrams from other addresses are ignored (counted), and an ICMP error (peer
 * not listening yet) counts as a lost datagram. Datagrams the kernel coalesced (UDP GRO) are
 * handed over one by one. {@link #close()} does not close the socket: it then carries the data
 * channel.
 */
public final class UdpDatagramTransport implements DatagramTransport, java.io.Closeable {
    /** Datagrams we send: fits the IPv6 minimum MTU (1280 - 40 - 8), BC fragments handshake messages to it. */
    public static final int DEFAULT_SEND_LIMIT = 1232;
    public static final int DEFAULT_RECEIVE_LIMIT = 1500;

    private final UdpSocket socket;
    private final SockAddr peer;
    private final int sendLimit, receiveLimit;
    private final ByteBuffer in = ByteBuffer.allocateDirect(65536), out = ByteBuffer.allocateDirect(65536);
    private final SockAddr from = new SockAddr();
    private int pendingOff, pendingEnd, pendingSeg;
    private long sent, received, strangers;

    public UdpDatagramTransport(UdpSocket socket, InetSocketAddress peer) {
        this(socket, SockAddr.of(peer), DEFAULT_SEND_LIMIT, DEFAULT_RECEIVE_LIMIT);
    }

    public UdpDatagramTransport(UdpSocket socket, SockAddr peer, int sendLimit, int receiveLimit) {
        this.socket = socket;
        this.peer = new SockAddr().copyFrom(peer);
        this.sendLimit = sendLimit;
        this.receiveLimit = receiveLimit;
    }

    @Override
    public int getReceiveLimit() {
        return receiveLimit;
    }

    @Override
    public int getSendLimit() {
        return sendLimit;
    }

    @Override
    public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
        long deadline = System.nanoTime() + waitMillis * 1_000_000L;
        while (true) {
            if (pendingOff < pendingEnd) { // the rest of a coalesced burst
                int n = Math.min(pendingSeg, pendingEnd - pendingOff);
                in.get(pendingOff, buf, off, Math.min(n, len));
                pendingOff += n;
                received++;
                return Math.min(n, len);
            }
            int n = socket.receive(in, 0, in.capacity(), from);
            if (n > 0) {
                if (!from.sameAs(peer)) {
                    strangers++;
                    continue;
                }
                int seg = socket.lastSegment();
                pendingSeg = seg > 0 ? seg : n;
                pendingOff = 0;
                pendingEnd = n;
                continue;
            }
            if (n == 0 || n != UdpSocket.EAGAIN)
                continue; // empty datagram, or an ICMP error (the peer's port is closed for now): lost
            long left = deadline - System.nanoTime();
            if (left <= 0)
                return -1;
            socket.await(Tun.READABLE, left);
        }
    }

    @Override
    public void send(byte[] buf, int off, int len) throws IOException {
        if (len > sendLimit)
            throw new IOException("datagram of " + len + " bytes exceeds the send limit " + sendLimit);
        out.clear();
        out.put(buf, off, len);
        int r = socket.send(out, 0, len, 0, peer);
        if (r >= 0)
            sent++;
        // otherwise lost (unreachable, buffer full): BC retransmits
    }

    /** Datagrams sent and received through this transport (for tests and metrics). */
    public long sent() {
        return sent;
    }

    public long received() {
        return received;
    }

    /** Datagrams from other addresses, ignored. */
    public long strangers() {
        return strangers;
    }

    @Override
    public void close() {
        // the socket stays open: it carries the data channel
    }
}
