package re6st.tunnel.handshake;

import java.io.IOException;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

import org.bouncycastle.tls.DatagramTransport;

/**
 * BouncyCastle's {@link DatagramTransport} over a {@link DatagramChannel} connected to the peer,
 * for the handshake only. Receives wait at most the time BC asks for ({@code -1} on timeout, so
 * BC retransmits). An ICMP port-unreachable (peer not listening yet) counts as a lost datagram.
 *
 * <p>The channel is switched to non-blocking mode while the transport is in use; {@link #close()}
 * releases the selector and restores the original mode, but does not close the channel: the same
 * socket then carries the data channel.
 */
public final class UdpDatagramTransport implements DatagramTransport, java.io.Closeable {
    /** Datagrams we send: fits the IPv6 minimum MTU (1280 - 40 - 8), BC fragments handshake messages to it. */
    public static final int DEFAULT_SEND_LIMIT = 1232;
    public static final int DEFAULT_RECEIVE_LIMIT = 1500;

    private final DatagramChannel channel;
    private final Selector selector;
    private final boolean wasBlocking;
    private final int sendLimit, receiveLimit;
    private long sent, received;

    public UdpDatagramTransport(DatagramChannel connected) throws IOException {
        this(connected, DEFAULT_SEND_LIMIT, DEFAULT_RECEIVE_LIMIT);
    }

    public UdpDatagramTransport(DatagramChannel connected, int sendLimit, int receiveLimit) throws IOException {
        if (!connected.isConnected())
            throw new IllegalArgumentException("the channel must be connected to the peer");
        this.channel = connected;
        this.sendLimit = sendLimit;
        this.receiveLimit = receiveLimit;
        this.wasBlocking = connected.isBlocking();
        this.selector = Selector.open();
        connected.configureBlocking(false);
        connected.register(selector, SelectionKey.OP_READ);
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
        ByteBuffer b = ByteBuffer.wrap(buf, off, len);
        while (true) {
            try {
                int n = channel.read(b);
                if (n > 0) {
                    received++;
                    return n;
                }
            } catch (PortUnreachableException e) {
                // the peer's port is closed (for now): as if the datagram was lost
            }
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0)
                return -1;
            selector.select(left);
            selector.selectedKeys().clear();
        }
    }

    @Override
    public void send(byte[] buf, int off, int len) throws IOException {
        if (len > sendLimit)
            throw new IOException("datagram of " + len + " bytes exceeds the send limit " + sendLimit);
        try {
            channel.write(ByteBuffer.wrap(buf, off, len));
            sent++;
        } catch (PortUnreachableException e) {
            // lost; BC retransmits
        }
    }

    /** Datagrams sent and received through this transport (for tests and metrics). */
    public long sent() {
        return sent;
    }

    public long received() {
        return received;
    }

    @Override
    public void close() throws IOException {
        selector.close(); // deregisters the channel
        if (wasBlocking && channel.isOpen())
            channel.configureBlocking(true);
    }
}
