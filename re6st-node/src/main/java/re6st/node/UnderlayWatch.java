package re6st.node;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Supplier;

import re6st.jni.ErrnoException;
import re6st.jni.NetlinkEvent;
import re6st.jni.NetlinkMonitor;

/**
 * Roaming: watches this host's underlay (its addresses, its default routes) through the kernel's
 * netlink announcements, and says what changed when it does (a laptop moved to another network,
 * DHCP gave a new address, the default route moved). The node then redials its tunnels at once
 * instead of waiting for their liveness to fail, and its advertised addresses follow (they are
 * computed at each code-1 answer). Changes come in bursts ({@code ip addr del} then {@code add},
 * DHCP's several steps): the state is read again {@link #SETTLE_MS} after the first announcement,
 * and reported only if it differs from the last one reported.
 */
final class UnderlayWatch implements AutoCloseable {
    private static final Logger LOG = System.getLogger("re6st.node");
    /** After an announcement, the state is read again this much later (the rest of the burst comes meanwhile). */
    static final long SETTLE_MS = 200;
    /** Babel's own routes (proto 42): never the underlay's. */
    static final int PROTO_BABEL = 42;

    /** The underlay as the node sees it: its addresses peers may reach, and its default routes. */
    record Snapshot(Set<String> addresses, Set<String> defaultRoutes) {
        Snapshot {
            addresses = new TreeSet<>(addresses);
            defaultRoutes = new TreeSet<>(defaultRoutes);
        }

        /** What changed from {@code before} to this, in words; null if nothing. */
        String changesFrom(Snapshot before) {
            StringBuilder b = new StringBuilder();
            diff(b, "address", before.addresses, addresses);
            diff(b, "default route", before.defaultRoutes, defaultRoutes);
            return b.length() == 0 ? null : b.toString();
        }

        private static void diff(StringBuilder b, String what, Set<String> before, Set<String> now) {
            for (String s : before)
                if (!now.contains(s))
                    b.append(b.length() == 0 ? "" : ", ").append(what).append(' ').append(s).append(" gone");
            for (String s : now)
                if (!before.contains(s))
                    b.append(b.length() == 0 ? "" : ", ").append("new ").append(what).append(' ').append(s);
        }
    }

    private final NetlinkMonitor monitor;
    private final Supplier<Snapshot> read;
    private final Consumer<String> changed;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long changes;

    /** Starts watching in the calling thread's network namespace; {@code changed} is told (on the watch's thread) what changed. */
    UnderlayWatch(Supplier<Snapshot> read, Consumer<String> changed) throws ErrnoException {
        this.monitor = NetlinkMonitor.open();
        this.read = read;
        this.changed = changed;
        Snapshot first;
        try {
            first = read.get();
        } catch (RuntimeException e) {
            monitor.close(); // not leaked by a failed start
            throw e;
        }
        this.thread = new Thread(() -> loop(first), "node-underlay-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /** Whether an announcement may change the underlay (Babel's routes, our tunnels' link-local addresses are filtered by the snapshot). */
    static boolean relevant(NetlinkEvent e) {
        return e instanceof NetlinkEvent.AddressChanged || e instanceof NetlinkEvent.Overflow
                || e instanceof NetlinkEvent.RouteChanged r && r.route().dst().length() == 0 && r.route().protocol() != PROTO_BABEL;
    }

    private void loop(Snapshot last) {
        long due = Long.MAX_VALUE;
        boolean[] seen = new boolean[1];
        while (running) {
            try {
                long now = System.nanoTime() / 1_000_000;
                long wait = due == Long.MAX_VALUE ? 1_000 : Math.max(0, due - now);
                seen[0] = false;
                monitor.poll(wait * 1_000_000L, e -> seen[0] |= relevant(e));
                now = System.nanoTime() / 1_000_000;
                if (seen[0] && due == Long.MAX_VALUE)
                    due = now + SETTLE_MS;
                if (now >= due) {
                    due = Long.MAX_VALUE;
                    Snapshot s = read.get();
                    String what = s.changesFrom(last);
                    last = s;
                    if (what != null) {
                        changes++;
                        changed.accept(what);
                    }
                }
            } catch (ErrnoException | RuntimeException e) {
                if (!running)
                    return;
                LOG.log(Level.WARNING, "watching the underlay: {0}", e.toString());
                due = System.nanoTime() / 1_000_000 + 1_000; // read the state again in a second
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000_000L); // a backoff, not a synchronisation
            }
        }
    }

    /** Changes reported so far. */
    long changes() {
        return changes;
    }

    @Override
    public void close() {
        running = false;
        try {
            monitor.wakeup();
        } catch (ErrnoException e) {
            // closed
        }
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            monitor.close();
        } catch (ErrnoException e) {
            // gone anyway
        }
    }
}
