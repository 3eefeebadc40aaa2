package re6st.netsim;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import re6st.jni.ErrnoException;
import re6st.jni.Libc;
import re6st.jni.Tun;

/**
 * One direction of a {@link WanLink}: a thread reads Ethernet frames from one TAP, decides
 * their fate (loss, blackhole, queue overflow), stamps each with its departure time (rate
 * limit, then delay + jitter) and writes it to the other TAP when due. Frames wait in a ring
 * of fixed slots: nothing is allocated per frame. Timing uses ppoll with nanosecond timeouts,
 * so delays are accurate to a few tens of microseconds on an idle machine.
 */
final class WanPipe implements Runnable {
    static final int SLOT = 2048;      // an Ethernet frame of a 1500-byte MTU link, with room
    static final int RING = 4096;      // frames in flight (delay x rate) plus queued
    private static final int FULL_FRAME = 1514;

    private final Tun from;
    private final Tun to;
    private final String name;
    private final ByteBuffer ring = ByteBuffer.allocateDirect(SLOT * RING);
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(SLOT); // frames we drop
    private final int[] length = new int[RING];
    private final long[] due = new long[RING];
    private final SplittableRandom random;
    private volatile LinkParams params;
    private volatile WanLink.FrameFilter filter; // null: none
    private volatile boolean running = true;
    private int head, count;
    private long lastDue, lastTxEnd;

    final AtomicLong forwarded = new AtomicLong(), lost = new AtomicLong(), blackholed = new AtomicLong(),
            queueDrops = new AtomicLong(), oversize = new AtomicLong(), filtered = new AtomicLong();
    volatile Throwable failure;

    WanPipe(String name, Tun from, Tun to, LinkParams params, long seed) {
        this.name = name;
        this.from = from;
        this.to = to;
        this.params = params;
        this.random = new SplittableRandom(seed);
    }

    void set(LinkParams p) {
        params = p;
    }

    void filter(WanLink.FrameFilter f) {
        filter = f;
    }

    LinkParams params() {
        return params;
    }

    void stop() {
        running = false;
        try {
            from.wakeup();
        } catch (ErrnoException e) {
            // already closed: the loop ends anyway
        }
    }

    @Override
    public void run() {
        Libc.setTimerSlackNanos(1000); // wake within ~1 us of a frame's due time, not 50 us
        try {
            while (running) {
                long now = System.nanoTime();
                deliverDue(now);
                long wait = count > 0 ? Math.max(0, due[head] - now) : 100_000_000L;
                int ready = from.await(Tun.READABLE, wait);
                if ((ready & Tun.READABLE) != 0)
                    receive(System.nanoTime());
            }
        } catch (Throwable e) {
            if (running)
                failure = e;
        }
    }

    private void deliverDue(long now) throws ErrnoException {
        while (count > 0 && due[head] - now <= 0) {
            int n = to.write(ring, head * SLOT, length[head]);
            if (n >= 0)
                forwarded.incrementAndGet();
            else
                queueDrops.incrementAndGet(); // the receiving side's queue is full
            head = (head + 1) % RING;
            count--;
        }
    }

    /** Reads every waiting frame (bounded by the ring) and schedules or drops each. */
    private void receive(long now) throws ErrnoException {
        LinkParams p = params;
        for (int i = 0; i < RING; i++) {
            boolean ringFull = count == RING;
            int slot = (head + count) % RING;
            int n = ringFull ? from.read(scratch, 0, SLOT) : from.read(ring, slot * SLOT, SLOT);
            if (n < 0)
                return;
            if (n >= SLOT) {
                oversize.incrementAndGet();
                continue;
            }
            if (p.blackhole()) {
                blackholed.incrementAndGet();
                continue;
            }
            WanLink.FrameFilter f = filter;
            if (f != null && f.drop(ringFull ? scratch : ring, ringFull ? 0 : slot * SLOT, n)) {
                filtered.incrementAndGet();
                continue;
            }
            if (p.loss() > 0 && random.nextDouble() < p.loss()) {
                lost.incrementAndGet();
                continue;
            }
            if (ringFull) {
                queueDrops.incrementAndGet();
                continue;
            }
            long leave = now; // when the frame has been serialised onto the wire
            if (p.rateBitsPerSecond() > 0) {
                long frameTime = n * 8L * 1_000_000_000L / p.rateBitsPerSecond();
                long backlog = lastTxEnd - now;
                long maxBacklog = p.queuePackets() * (FULL_FRAME * 8L * 1_000_000_000L / p.rateBitsPerSecond());
                if (backlog > maxBacklog) {
                    queueDrops.incrementAndGet();
                    continue;
                }
                leave = Math.max(now, lastTxEnd) + frameTime;
                lastTxEnd = leave;
            }
            long d = p.delay().toNanos();
            long j = p.jitter().toNanos();
            if (j > 0)
                d = Math.max(0, d + random.nextLong(-j, j + 1));
            long t = leave + d;
            if (count > 0 && t - lastDue < 0)
                t = lastDue; // keep order, like a wire
            lastDue = t;
            length[slot] = n;
            due[slot] = t;
            count++;
        }
    }

    @Override
    public String toString() {
        return name + ": " + params + ", forwarded " + forwarded + ", lost " + lost + ", blackholed " + blackholed
                + ", queue drops " + queueDrops;
    }
}
