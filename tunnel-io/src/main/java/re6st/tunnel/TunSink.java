package re6st.tunnel;

import java.nio.ByteBuffer;

import re6st.jni.ErrnoException;
import re6st.jni.Offload;
import re6st.jni.PacketBatch;
import re6st.jni.Tun;

/**
 * The receiving side of a tunnel: opens datagrams from the underlay into a batch and writes
 * the batch to the TUN with TCP segments of a flow glued back into super-packets
 * ({@link Offload#writeCoalesced}). Control packets (probes, echoes) are handled by the session.
 * Used by the underlay's receiving thread only; allocates nothing per packet.
 */
final class TunSink {
    static final int RX_BATCH = 64;

    private final Tun tun;
    private final TunnelSession session;
    private final TunnelCounters counters;
    private final PacketBatch rx;
    private final ByteBuffer inner;
    private final int slot;
    private int pending;

    TunSink(Tun tun, TunnelSession session, TunnelCounters counters, int slot) {
        this.tun = tun;
        this.session = session;
        this.counters = counters;
        this.slot = slot;
        this.rx = new PacketBatch(RX_BATCH, slot);
        this.inner = rx.buffer().duplicate();
    }

    /**
     * Opens one datagram ({@code dgram[position, limit)}). Returns false when it was dropped
     * (not authentic, replayed, malformed: counted by the data channel).
     */
    boolean accept(ByteBuffer dgram, long now) throws ErrnoException {
        if (pending == RX_BATCH)
            flush();
        int len = dgram.remaining();
        int start = rx.offset(pending);
        inner.clear().position(start).limit(start + slot);
        TunnelSession.Kind k = session.fromUnderlay(dgram, inner, now);
        if (k == TunnelSession.Kind.DROPPED)
            return false;
        counters.packetsIn.inc();
        counters.bytesIn.inc(len);
        if (k == TunnelSession.Kind.DATA) {
            rx.setLength(pending, inner.position() - start);
            pending++;
        }
        return true;
    }

    /** Writes the opened packets to the TUN. */
    void flush() throws ErrnoException {
        if (pending == 0)
            return;
        long r = Offload.writeCoalesced(tun, rx, pending);
        pending = 0;
        counters.tunWrites.inc((int) r);
        counters.dropTun.inc(r >>> 32);
    }
}
