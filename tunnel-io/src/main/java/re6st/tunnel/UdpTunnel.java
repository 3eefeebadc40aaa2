package re6st.tunnel;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import re6st.jni.ErrnoException;
import re6st.jni.Netlink;
import re6st.jni.Offload;
import re6st.jni.SockAddr;
import re6st.jni.Tun;
import re6st.jni.UdpSocket;
import re6st.tunnel.data.DataPacket;

/**
 * A running tunnel: a TUN device and a UDP socket joined by a {@link TunnelSession}. Two
 * threads, each batching its system calls:
 * <ul>
 * <li>TUN -> seal -> UDP: the TUN has TSO offloads ({@link Offload}), so one read brings up to
 * 64 KiB of a TCP stream; it is cut into segments that fit the tunnel MTU, each sealed into one
 * send buffer, and sent with one {@code sendmsg} (UDP GSO) per run of equal-sized datagrams.
 * <li>UDP -> open -> TUN: one {@code recvmsg} returns a burst of the peer's datagrams (UDP GRO);
 * each is opened into a batch, and the batch is written to the TUN with TCP segments of one flow
 * glued back into super-packets. The liveness timer runs on this thread too.
 * </ul>
 * When liveness says the path is dead the TUN interface is set down (routing sees an interface
 * loss at once) and up again when the path heals. The peer's address follows the last authentic
 * packet (NAT rebinding). Buffers are allocated once per tunnel; nothing per packet.
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

    static final int MAX_PACKET = TunPump.MAX_PACKET;

    private final Tun tun;
    private final UdpSocket udp;
    private final TunnelSession session;
    private final Listener listener;
    private final Netlink netlink;
    private final int tunIndex;
    private final int slot;
    /** The peer's current address; written by the underlay thread only, read by both. */
    private volatile SockAddr peer;
    private volatile boolean running = true;
    private final Thread udpThread;
    private final TunPump pump;
    private final TunSink sink;
    private final TunnelCounters counters = new TunnelCounters();

    /**
     * Starts a tunnel. Call from a thread in the tunnel's network namespace (TUN, socket and
     * netlink must all be there). {@code tun} must be opened with {@link TunDevice#open}. {@code peer}
     * may be null on the accepting side: it is learned from the first authentic packet.
     */
    public UdpTunnel(Tun tun, UdpSocket udp, InetSocketAddress peer, TunnelSession session, Listener listener)
            throws IOException {
        this.tun = tun;
        this.udp = udp;
        this.peer = peer == null ? null : SockAddr.of(udp.mapped(peer));
        this.session = session;
        this.listener = listener;
        this.netlink = Netlink.open();
        TunDevice.Attached at = TunDevice.attach(netlink, tun);
        this.tunIndex = at.index();
        this.slot = at.slot();
        udp.setBuffers(4 << 20, 4 << 20); // bursts outrun one receive loop: deep buffers avoid drops
        if (!udp.enableGro())
            LOG.log(Level.INFO, "tunnel {0}: the kernel has no UDP GRO: one receive per datagram", tun.name());
        sink = new TunSink(tun, session, counters, slot);
        pump = new TunPump(tun, session, new UdpOutbox(udp, () -> this.peer, counters), counters, slot);
        udpThread = new Thread(this::udpLoop, "tunnel-udp-" + tun.name());
        udpThread.setDaemon(true);
        pump.start();
        udpThread.start();
    }

    public TunnelSession session() {
        return session;
    }

    public Tun tun() {
        return tun;
    }

    /** The peer's current address (allocates), or null before the first authentic packet. */
    public InetSocketAddress peer() {
        SockAddr p = peer;
        return p == null ? null : p.toInetSocketAddress();
    }

    public TunnelCounters counters() {
        return counters;
    }

    // ---- UDP -> TUN ------------------------------------------------------------------------

    private void udpLoop() {
        ByteBuffer in = ByteBuffer.allocateDirect(MAX_PACKET + 1);
        ByteBuffer dgram = in.duplicate(); // reusable view
        ByteBuffer reply = ByteBuffer.allocateDirect(TunPump.MAX_PACKET + DataPacket.OVERHEAD); // padded MTU probes too
        SockAddr from = new SockAddr();
        try {
            while (running) {
                long now = System.nanoTime();
                long wait = Math.max(1_000_000L, session.liveness().nextCheck(now) - now);
                udp.await(Tun.READABLE, Math.min(wait, 200_000_000L));
                for (int burst = 0; burst < 256; burst++) { // bounded, then the timer gets its turn
                    int n = udp.receive(in, 0, MAX_PACKET + 1, from);
                    if (n < 0) {
                        if (n == UdpSocket.EAGAIN)
                            break;
                        continue; // an ICMP error reported on the socket: liveness will tell
                    }
                    counters.udpReceives.inc();
                    int seg = udp.lastSegment();
                    if (seg <= 0)
                        seg = n;
                    boolean authentic = false;
                    long t = System.nanoTime();
                    for (int off = 0; off < n; off += seg) {
                        dgram.clear().position(off).limit(Math.min(n, off + seg));
                        authentic |= sink.accept(dgram, t);
                    }
                    if (authentic) {
                        SockAddr p = peer;
                        if (p == null || !p.sameAs(from))
                            peer = new SockAddr().copyFrom(from); // roaming or first contact: rare, may allocate
                        sendReplies(reply);
                    }
                }
                sink.flush();
                session.tick(System.nanoTime());
                sendReplies(reply);
                transition();
            }
        } catch (IOException | RuntimeException e) {
            if (running)
                LOG.log(Level.WARNING, "tunnel {0}: underlay side stopped: {1}", tun.name(), e.toString());
        }
    }

    private void sendReplies(ByteBuffer reply) throws IOException {
        SockAddr to = peer;
        while (session.replyPending()) {
            reply.clear();
            int len = session.takeReply(reply);
            if (to != null && len > 0)
                UdpOutbox.send(udp, reply, len, 0, to, 1, counters, session);
        }
    }

    private void transition() {
        applyMtu();
        Liveness.Action a = session.takeTransition();
        if (a == Liveness.Action.NOTHING)
            return;
        boolean up = a == Liveness.Action.WENT_UP;
        LOG.log(Level.INFO, "tunnel {0} to {1} is {2}", tun.name(), peer, up ? "up again" : "down (probes unanswered)");
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

    private void applyMtu() {
        int m = session.takeMtuChange();
        if (m == 0)
            return;
        LOG.log(Level.INFO, "tunnel {0}: path MTU probing sets the MTU to {1}", tun.name(), Integer.toString(m));
        try {
            netlink.setMtu(tunIndex, m);
        } catch (ErrnoException e) {
            LOG.log(Level.WARNING, "tunnel {0}: cannot set the MTU to {1}: {2}", tun.name(), m, e.getMessage());
        }
    }

    /** Convenience: a UDP socket bound to {@code local} (in the calling thread's namespace), DF set. */
    public static UdpSocket bind(InetSocketAddress local) throws IOException {
        return UdpSocket.bind(local);
    }

    @Override
    public void close() throws IOException {
        running = false;
        pump.stop();
        udp.wakeup();
        try {
            udpThread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        udp.close();
        netlink.close();
        tun.close();
    }
}
