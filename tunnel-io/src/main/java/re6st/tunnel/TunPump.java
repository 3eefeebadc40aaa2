package re6st.tunnel;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;

import re6st.jni.Offload;
import re6st.jni.PacketBatch;
import re6st.jni.Tun;

/**
 * The TUN side of a tunnel, on its own thread: reads batches from the TUN (TSO super-packets
 * of up to 64 KiB), cuts them into segments that fit the tunnel ({@link Offload#split}), seals
 * each into the transport's {@link Outbox} and flushes once per batch. Buffers are allocated
 * once; nothing per packet.
 */
final class TunPump implements Runnable {
    private static final Logger LOG = System.getLogger("re6st.tunnel");
    /** Packets read from the TUN per batch (each up to 64 KiB with TSO). */
    static final int TUN_BATCH = 8;
    static final int MAX_PACKET = 65535;

    private final Tun tun;
    private final TunnelSession session;
    private final Outbox outbox;
    private final TunnelCounters counters;
    private final int slot;
    private volatile boolean running = true;
    private final Thread thread;

    TunPump(Tun tun, TunnelSession session, Outbox outbox, TunnelCounters counters, int slot) {
        TunDevice.requireOffloads(tun);
        this.tun = tun;
        this.session = session;
        this.outbox = outbox;
        this.counters = counters;
        this.slot = slot;
        this.thread = new Thread(this, "tunnel-tun-" + tun.name());
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    @Override
    public void run() {
        PacketBatch batch = new PacketBatch(TUN_BATCH, MAX_PACKET + Offload.VNET_HDR_LEN);
        ByteBuffer segs = ByteBuffer.allocateDirect(Offload.MAX_SEGMENTS * slot);
        int[] segLens = new int[Offload.MAX_SEGMENTS];
        ByteBuffer buf = batch.buffer();
        ByteBuffer fromBatch = buf.duplicate(), fromSegs = segs.duplicate(); // reusable views
        try {
            while (running) {
                if ((tun.await(Tun.READABLE, 200_000_000L) & Tun.READABLE) == 0)
                    continue;
                int n = tun.readBatch(batch);
                if (session.isCut()) { // read (the TUN must not fill up) and dropped: a silent path, sent as far as
                    session.droppedByCut(n); // the session knows, so that its liveness probes at once as under a real cut
                    if (n > 0)
                        session.dataSent(System.nanoTime());
                    continue;
                }
                long now = System.nanoTime();
                session.maybeRekey(now);
                for (int i = 0; i < n; i++) {
                    int off = batch.offset(i), len = batch.length(i);
                    int r = Offload.split(buf, off, len, segs, 0, slot, segLens);
                    if (r == 0) {
                        outbox.add(session, fromBatch, off + Offload.VNET_HDR_LEN, len - Offload.VNET_HDR_LEN);
                    } else if (r > 0) {
                        for (int j = 0; j < r; j++)
                            outbox.add(session, fromSegs, j * slot, segLens[j]);
                    } else {
                        counters.dropMalformedTun.inc();
                    }
                }
                outbox.flush();
                if (n > 0)
                    session.dataSent(now); // after the sends: the liveness waits for an answer
            }
        } catch (IOException | RuntimeException e) {
            if (running)
                LOG.log(Level.WARNING, "tunnel {0}: TUN side stopped: {1}", tun.name(), e.toString());
        }
    }

    /** Stops the thread (waits at most 2 s); the TUN stays open. */
    void stop() {
        running = false;
        try {
            tun.wakeup();
            thread.join(2000);
        } catch (IOException e) {
            // closing anyway
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
