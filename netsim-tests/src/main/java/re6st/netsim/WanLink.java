package re6st.netsim;

import java.util.concurrent.atomic.AtomicInteger;

import re6st.jni.ErrnoException;
import re6st.jni.Tun;

/**
 * An emulated WAN link between two namespaces (the kernel here has no netem): a TAP device in
 * each namespace, and in this process one thread per direction passing frames from one TAP to
 * the other through {@link WanPipe} (delay, jitter, loss, rate, blackhole). The interfaces stay
 * up whatever the link does, like a real ISP path: a blackhole gives no link-down signal.
 */
public final class WanLink implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();

    public enum Direction { A_TO_B, B_TO_A, BOTH }

    private final String name;
    private final Tun tapA, tapB;
    private final WanPipe ab, ba;
    private final Thread tab, tba;
    private volatile boolean closed;

    WanLink(String name, Namespace a, String ifA, Namespace b, String ifB, LinkParams params, long seed) throws ErrnoException {
        this.name = name;
        String tmp = "r6w" + ProcessHandle.current().pid() % 100000 + "x" + SEQ.incrementAndGet() % 1000;
        Tun ta = null, tb = null;
        try {
            ta = Tun.open(tmp + "a", Tun.Mode.TAP, 0);
            tb = Tun.open(tmp + "b", Tun.Mode.TAP, 0);
            ta.setNonBlocking(true);
            tb.setNonBlocking(true);
            move(ta.name(), a, ifA);
            move(tb.name(), b, ifB);
        } catch (ErrnoException | RuntimeException e) {
            if (ta != null)
                ta.close();
            if (tb != null)
                tb.close();
            throw e;
        }
        this.tapA = ta;
        this.tapB = tb;
        this.ab = new WanPipe(name + " " + a.label() + "->" + b.label(), ta, tb, params, seed);
        this.ba = new WanPipe(name + " " + b.label() + "->" + a.label(), tb, ta, params, seed * 31 + 7);
        this.tab = start(ab, "wan-" + name + "-ab");
        this.tba = start(ba, "wan-" + name + "-ba");
    }

    private static void move(String tap, Namespace ns, String ifname) {
        Cmd.run("ip", "link", "set", "dev", tap, "netns", ns.name());
        ns.ip("link", "set", "dev", tap, "name", ifname);
        ns.ip("link", "set", "dev", ifname, "mtu", "1500", "up");
    }

    private static Thread start(WanPipe p, String name) {
        Thread t = new Thread(p, name);
        t.setDaemon(true);
        t.setPriority(Thread.MAX_PRIORITY);
        t.start();
        return t;
    }

    public String name() {
        return name;
    }

    /** Changes one or both directions now. */
    public void set(Direction d, LinkParams p) {
        if (d != Direction.B_TO_A)
            ab.set(p);
        if (d != Direction.A_TO_B)
            ba.set(p);
    }

    public void set(LinkParams p) {
        set(Direction.BOTH, p);
    }

    /** Drops everything both ways (true) or restores the previous behaviour (false). */
    public void blackhole(boolean on) {
        ab.set(ab.params().withBlackhole(on));
        ba.set(ba.params().withBlackhole(on));
    }

    /** Decides, frame by frame, which frames the emulator drops (a test's precise fault: "the server's final flight, once"). */
    @FunctionalInterface
    public interface FrameFilter {
        /** {@code frame[off, off + len)} is an Ethernet frame (read it, do not keep it); true drops it. Runs on the pipe's thread. */
        boolean drop(java.nio.ByteBuffer frame, int off, int len);
    }

    /** Drops the frames {@code f} picks in direction {@code d} (null: no filter), counted in {@link #filtered}. */
    public void filter(Direction d, FrameFilter f) {
        if (d != Direction.B_TO_A)
            ab.filter(f);
        if (d != Direction.A_TO_B)
            ba.filter(f);
    }

    /** Frames a {@link FrameFilter} dropped in direction {@code d} (BOTH: the sum). */
    public long filtered(Direction d) {
        return (d != Direction.B_TO_A ? ab.filtered.get() : 0) + (d != Direction.A_TO_B ? ba.filtered.get() : 0);
    }

    public LinkParams params(Direction d) {
        return d == Direction.B_TO_A ? ba.params() : ab.params();
    }

    /** Frames delivered A->B plus B->A. */
    public long forwarded() {
        return ab.forwarded.get() + ba.forwarded.get();
    }

    /** Frames delivered in direction {@code d} (BOTH: the sum). */
    public long forwarded(Direction d) {
        return (d != Direction.B_TO_A ? ab.forwarded.get() : 0) + (d != Direction.A_TO_B ? ba.forwarded.get() : 0);
    }

    /** Frames dropped by the random loss model in direction {@code d} (BOTH: the sum). */
    public long lost(Direction d) {
        return (d != Direction.B_TO_A ? ab.lost.get() : 0) + (d != Direction.A_TO_B ? ba.lost.get() : 0);
    }

    public long dropped() {
        return ab.lost.get() + ba.lost.get() + ab.blackholed.get() + ba.blackholed.get() + ab.queueDrops.get()
                + ba.queueDrops.get();
    }

    /** Throws if a pipe thread died (it should never). */
    public void checkHealthy() {
        for (WanPipe p : new WanPipe[] {ab, ba})
            if (p.failure != null)
                throw new IllegalStateException("WAN emulator " + p + " failed", p.failure);
    }

    @Override
    public void close() {
        if (closed)
            return;
        closed = true;
        ab.stop();
        ba.stop();
        try {
            tab.join(2000);
            tba.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            tapA.close();
        } catch (ErrnoException e) {
            // nothing more to do: the device goes with the descriptor or the namespace
        }
        try {
            tapB.close();
        } catch (ErrnoException e) {
            // same
        }
    }

    @Override
    public String toString() {
        return ab + "; " + ba;
    }
}
