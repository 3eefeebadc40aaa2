package re6st.tunnel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Supplier;

import re6st.jni.SockAddr;
import re6st.jni.Tun;
import re6st.jni.UdpSocket;
import re6st.tunnel.data.DataPacket;

/**
 * The UDP {@link Outbox}: seals packets one after the other into one buffer and sends each run
 * of equal-sized datagrams (the last may be shorter) with one {@code sendmsg} (UDP GSO), to the
 * peer's current address. {@link #send} is also how the receiving thread sends probes and
 * echoes (the socket takes sends from several threads).
 */
final class UdpOutbox implements Outbox {
    private final UdpSocket udp;
    private final Supplier<SockAddr> peer;
    private final TunnelCounters counters;
    private final ByteBuffer out = ByteBuffer.allocateDirect(UdpSocket.MAX_PAYLOAD + TunPump.MAX_PACKET);
    private int segment, count;
    private TunnelSession session; // of the packets in the buffer: told about EMSGSIZE
    private boolean closed; // the last datagram was shorter than the others: the run must end

    /** @param peer the peer's current address (null: nobody to send to yet, packets are dropped) */
    UdpOutbox(UdpSocket udp, Supplier<SockAddr> peer, TunnelCounters counters) {
        this.udp = udp;
        this.peer = peer;
        this.counters = counters;
    }

    @Override
    public void add(TunnelSession s, ByteBuffer view, int off, int len) throws IOException {
        int sealed = len + DataPacket.OVERHEAD;
        if (count > 0 && (closed || sealed > segment || count == UdpSocket.MAX_SEGMENTS
                || out.position() + sealed > UdpSocket.MAX_PAYLOAD))
            flush();
        if (count == 0)
            segment = sealed;
        else if (sealed < segment)
            closed = true;
        view.clear().position(off).limit(off + len);
        s.fromTun(view, out);
        session = s;
        count++;
    }

    @Override
    public void flush() throws IOException {
        if (count == 0)
            return;
        int len = out.position();
        SockAddr to = peer.get();
        if (to != null)
            send(udp, out, len, count > 1 ? segment : 0, to, count, counters, session);
        out.clear();
        count = 0;
        closed = false;
    }

    /**
     * Sends {@code buf[0, len)} ({@code datagrams} of {@code segment} bytes, or one), counting the
     * outcome. EMSGSIZE (bigger than the path MTU the kernel learnt from ICMP) is reported to
     * {@code session}'s path-MTU logic, which lowers the tunnel MTU.
     */
    static void send(UdpSocket udp, ByteBuffer buf, int len, int segment, SockAddr to, int datagrams, TunnelCounters counters,
            TunnelSession session) throws IOException {
        for (int tries = 0; ; tries++) {
            int r = udp.send(buf, 0, len, segment, to);
            if (r >= 0) {
                counters.udpSends.inc();
                counters.packetsOut.inc(datagrams);
                counters.bytesOut.inc(len);
                return;
            }
            if (r == UdpSocket.EAGAIN && tries < 100) { // socket buffer full: wait (bounded) rather than drop
                udp.await(Tun.WRITABLE, 10_000_000L);
                continue;
            }
            if (r == UdpSocket.EMSGSIZE) {
                counters.dropMtu.inc(datagrams);
                if (session != null) {
                    session.reportTooBig(segment > 0 ? segment : len, 0);
                    udp.wakeup(); // the underlay thread applies the new MTU now
                }
            } else
                counters.dropSend.inc(datagrams);
            return;
        }
    }
}
