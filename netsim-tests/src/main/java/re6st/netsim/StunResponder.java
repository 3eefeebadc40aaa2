package re6st.netsim;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A minimal STUN server (RFC 5389 Binding) in a test namespace: each Binding request is answered,
 * from the port it came to, with a Binding success response carrying the request's transaction
 * id and the sender's address as XOR-MAPPED-ADDRESS (IPv4). CHANGE-REQUEST is ignored (answering
 * from where it was asked is what a NAT-free path shows). {@link MiniUpnpd} needs it: miniupnpd
 * learns its external address by STUN when its WAN address is in a reserved range (the underlay's
 * 198.18.0.0/15 is) and refuses to forward ports otherwise.
 */
public final class StunResponder implements AutoCloseable {
    public static final int PORT = 3478;
    private static final int MAGIC_COOKIE = 0x2112A442;

    private final DatagramSocket socket;
    private final Thread thread;
    private final AtomicLong answered = new AtomicLong();
    private volatile Throwable died;

    private StunResponder(DatagramSocket socket) {
        this.socket = socket;
        this.thread = new Thread(this::serve, "stun-" + socket.getLocalSocketAddress());
        thread.setDaemon(true);
        thread.start();
    }

    /** Listens on {@code address}:3478 in {@code ns}; closed with the test net. */
    public static StunResponder start(Namespace ns, String address) throws Exception {
        DatagramSocket s = ns.call(() -> new DatagramSocket(new InetSocketAddress(address, PORT)));
        StunResponder r = new StunResponder(s);
        ns.net().own(r);
        return r;
    }

    /** Binding requests answered so far. */
    public long answered() {
        return answered.get();
    }

    private void serve() {
        byte[] buf = new byte[1500];
        try {
            while (!socket.isClosed()) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                byte[] reply = answer(p);
                if (reply != null) {
                    socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
                    answered.incrementAndGet();
                }
            }
        } catch (IOException e) {
            if (!socket.isClosed())
                died = e;
        }
    }

    /** The Binding success response to {@code p}, or null if it is no IPv4 Binding request. */
    static byte[] answer(DatagramPacket p) {
        ByteBuffer in = ByteBuffer.wrap(p.getData(), p.getOffset(), p.getLength());
        if (p.getLength() < 20 || in.getShort(p.getOffset()) != 0x0001 || in.getInt(p.getOffset() + 4) != MAGIC_COOKIE
                || !(p.getAddress() instanceof Inet4Address))
            return null;
        ByteBuffer out = ByteBuffer.allocate(32);
        out.putShort((short) 0x0101).putShort((short) 12).putInt(MAGIC_COOKIE).put(p.getData(), p.getOffset() + 8, 12);
        out.putShort((short) 0x0020).putShort((short) 8).put((byte) 0).put((byte) 1) // XOR-MAPPED-ADDRESS, family IPv4
           .putShort((short) (p.getPort() ^ (MAGIC_COOKIE >>> 16)))
           .putInt(ByteBuffer.wrap(p.getAddress().getAddress()).getInt() ^ MAGIC_COOKIE);
        return out.array();
    }

    @Override
    public void close() throws Exception {
        socket.close();
        thread.join(5_000);
        if (died != null)
            throw new IOException("the STUN responder died", died);
    }
}
