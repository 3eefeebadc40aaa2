package re6st.tunnel;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

import re6st.jni.ErrnoException;
import re6st.jni.Netlink;
import re6st.jni.PacketBatch;
import re6st.jni.Tun;
import re6st.tunnel.data.DataPacket;

/**
 * A running tunnel: a TUN device and a UDP socket joined by a {@link TunnelSession}. Two
 * threads: TUN -> seal -> UDP (batched TUN reads), and UDP -> open -> TUN plus the liveness
 * timer. When liveness says the path is dead the TUN interface is set down (routing sees an
 * interface loss at once) and up again when the path heals. The peer's address follows the
 * last authentic packet (NAT rebinding, roaming). Buffers are allocated once per tunnel.
 */
public final class UdpTunnel implements AutoCloseable {
    private static final Logger LOG = System.getLogger("re6st.tunnel");

    /** Told about liveness changes, on the underlay thread. */
    public interface Listener {
        void up(UdpTunnel t);

        void down(UdpTunnel t);

        Listener NONE = new Listener() {
            @Override
            public void up(UdpTunnel t) {}

            @Override
            public void down(UdpTunnel t) {}
        };
    }

    private final Tun tun;
    private final DatagramChannel udp;
    private final TunnelSession session;
    private final Listener listener;
    private final Netlink netlink;
    private final int tunIndex;
    private final Selector selector;
    private volatile SocketAddress peer;
    private volatile boolean running = true;
    private final Thread tunThread, udpThread;
    public volatile long packetsIn, packetsOut, dropped, tunDrops;

    /**
     * Starts a tunnel. Call from a thread in the tunnel's network namespace (TUN, socket and
     * netlink must all be there). {@code peer} may be null on the accepting side: it is learned
     * from the first authentic packet.
     */
    public UdpTunnel(Tun tun, DatagramChannel udp, SocketAddress peer, TunnelSession session, Listener listener)
            throws IOException {
        this.tun = tun;
        this.udp = udp;
        this.peer = peer;
        this.session = session;
        this.listener = listener;
        this.netlink = Netlink.open();
        this.tunIndex = netlink.index(tun.name());
        keepAddressesWhenDown(tun.name());
        tun.setNonBlocking(true);
        udp.configureBlocking(false);
        // Bursts from the TUN side outrun one receive loop: deep socket buffers avoid drops.
        udp.setOption(java.net.StandardSocketOptions.SO_SNDBUF, 4 << 20);
        udp.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4 << 20);
        selector = Selector.open();
        udp.register(selector, SelectionKey.OP_READ);
        tunThread = new Thread(this::tunLoop, "tunnel-tun-" + tun.name());
        udpThread = new Thread(this::udpLoop, "tunnel-udp-" + tun.name());
        tunThread.setDaemon(true);
        udpThread.setDaemon(true);
        tunThread.start();
        udpThread.start();
    }

    public TunnelSession session() {
        return session;
    }

    public Tun tun() {
        return tun;
    }

    public SocketAddress peer() {
        return peer;
    }

    private void tunLoop() {
        int mtu = 65535;
        PacketBatch batch = new PacketBatch(32, mtu);
        ByteBuffer out = ByteBuffer.allocateDirect(mtu + DataPacket.OVERHEAD);
        try {
            while (running) {
                if ((tun.await(Tun.READABLE, 200_000_000L) & Tun.READABLE) == 0)
                    continue;
                int n = tun.readBatch(batch);
                SocketAddress to = peer;
                for (int i = 0; i < n; i++) {
                    if (to == null)
                        break; // nobody to send to yet (accepting side before the first packet)
                    ByteBuffer in = batch.buffer().duplicate();
                    in.position(batch.offset(i)).limit(batch.offset(i) + batch.length(i));
                    out.clear();
                    session.fromTun(in, out);
                    out.flip();
                    // Non-blocking socket (the underlay thread selects on it): when the send
                    // buffer is full, wait briefly rather than drop (bounded).
                    for (int tries = 0; udp.send(out, to) == 0 && tries < 1000; tries++)
                        Thread.onSpinWait();
                    packetsOut++;
                }
            }
        } catch (IOException e) {
            if (running)
                LOG.log(Level.WARNING, "tunnel {0}: TUN side stopped: {1}", tun.name(), e.getMessage());
        }
    }

    private void udpLoop() {
        ByteBuffer in = ByteBuffer.allocateDirect(65536);
        ByteBuffer inner = ByteBuffer.allocateDirect(65536);
        ByteBuffer reply = ByteBuffer.allocateDirect(256);
        try {
            while (running) {
                long now = System.nanoTime();
                long wait = Math.max(1, (session.liveness().nextCheck(now) - now) / 1_000_000L);
                selector.select(Math.min(wait, 200));
                selector.selectedKeys().clear();
                for (int i = 0; i < 256; i++) { // bounded burst, then the timer gets its turn
                    in.clear();
                    SocketAddress from = udp.receive(in);
                    if (from == null)
                        break;
                    in.flip();
                    inner.clear();
                    TunnelSession.Kind k = session.fromUnderlay(in, inner, System.nanoTime());
                    if (k == TunnelSession.Kind.DROPPED) {
                        dropped++;
                        continue;
                    }
                    peer = from; // authentic: follow the peer's current address
                    packetsIn++;
                    if (k == TunnelSession.Kind.DATA) {
                        inner.flip();
                        try {
                            tun.write(inner, 0, inner.limit());
                        } catch (ErrnoException e) {
                            tunDrops++; // EIO while the interface is down, EINVAL for a bad packet: drop it
                        }
                    }
                    sendReplies(reply);
                }
                session.tick(System.nanoTime());
                sendReplies(reply);
                transition();
            }
        } catch (IOException e) {
            if (running)
                LOG.log(Level.WARNING, "tunnel {0}: underlay side stopped: {1}", tun.name(), e.getMessage());
        }
    }

    private void sendReplies(ByteBuffer reply) throws IOException {
        SocketAddress to = peer;
        while (session.replyPending()) {
            reply.clear();
            session.takeReply(reply);
            reply.flip();
            if (to != null)
                udp.send(reply, to);
        }
    }

    private void transition() {
        Liveness.Action a = session.takeTransition();
        if (a == Liveness.Action.NOTHING)
            return;
        boolean up = a == Liveness.Action.WENT_UP;
        LOG.log(Level.INFO, "tunnel {0} to {1} is {2}", tun.name(), peer, up ? "up again" : "down (no answer for 1 s)");
        try {
            netlink.setUp(tunIndex, up);
        } catch (ErrnoException e) {
            LOG.log(Level.WARNING, "tunnel {0}: cannot set the interface {1}: {2}", tun.name(), up ? "up" : "down", e.getMessage());
        }
        if (up)
            listener.up(this);
        else
            listener.down(this);
    }

    /**
     * Linux removes an interface's IPv6 addresses when it goes down (keep_addr_on_down = 0):
     * a tunnel that goes down for a blackhole must come back with its addresses, so keep them.
     * Written through /proc of the calling thread's namespace.
     */
    static void keepAddressesWhenDown(String ifname) {
        java.nio.file.Path p = java.nio.file.Path.of("/proc/sys/net/ipv6/conf", ifname, "keep_addr_on_down");
        try {
            java.nio.file.Files.writeString(p, "1");
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot set {0}: {1} (addresses will be lost when the tunnel goes down)", p, e.getMessage());
        }
    }

    /** Convenience: a UDP socket bound to {@code local} (in the calling thread's namespace). */
    public static DatagramChannel bind(InetSocketAddress local) throws IOException {
        DatagramChannel ch = DatagramChannel.open();
        ch.bind(local);
        return ch;
    }

    @Override
    public void close() throws IOException {
        running = false;
        tun.wakeup();
        selector.wakeup();
        try {
            tunThread.join(2000);
            udpThread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        udp.close();
        selector.close();
        netlink.close();
        tun.close();
    }
}
