package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import re6st.babel.BabelRouter;
import re6st.babel.Effects;
import re6st.babel.KernelRoute;
import re6st.babel.daemon.ControlCommands;
import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.tunnel.Blackholes;
import re6st.tunnel.TunnelInfo;

/**
 * The node's control socket without the socket: the router's commands with the node's
 * {@code blackhole} and {@code unblackhole} (as {@code NodeDaemon} adds them, through {@link CutBounds}
 * on a {@link Timer} that runs its tasks when the test says: {@link #advance}) over two live tunnels,
 * on a clock in ms.
 */
final class ControlLines {
    final AtomicLong clock = new AtomicLong(1_000_000);
    final Blackholes udp = new Blackholes(), tcp = new Blackholes();
    final List<TunnelInfo> tunnels = List.of(
            new TunnelInfo("3/16", "re6st-1", new InetSocketAddress("198.18.0.3", 326), true, "udp", true),
            new TunnelInfo("4/16", "re6st-2", new InetSocketAddress("198.18.0.4", 326), false, "tcp", true));
    final TunnelCuts cuts = new TunnelCuts(() -> tunnels, () -> List.of(udp, tcp), clock::get);
    final BabelRouter router = new BabelRouter(0x0200_0000_0000_0001L, 1, 0, new SplittableRandom(7), new Effects() {
        public void send(String ifname, Addr dest, Message m) {}

        public void install(KernelRoute r) {}

        public void uninstall(KernelRoute r) {}
    });
    final Timer timer = new Timer();
    final CutBounds bounds = new CutBounds(cuts, timer, clock::get);
    final ControlCommands commands = new ControlCommands(ControlCommands.Router.of(router, () -> clock.get() * 1_000_000), true, k -> null);

    ControlLines() {
        commands.extendWritable("blackhole", bounds::blackhole);
        commands.extendWritable("unblackhole", cuts::unblackhole);
    }

    /** A scheduler on {@link #clock}: a task runs in {@link #advance}, once the clock has reached its time. */
    final class Timer implements CutBounds.Scheduler {
        private record Task(long atMs, long order, FutureTask<?> task) {}

        private final List<Task> tasks = new ArrayList<>();
        private long order;

        @Override
        public synchronized Future<?> schedule(Runnable task, long delayMs) {
            assertTrue(delayMs >= 0, "delay " + delayMs);
            FutureTask<?> f = new FutureTask<>(task, null);
            tasks.add(new Task(clock.get() + delayMs, order++, f));
            return f;
        }

        /** The tasks waiting (not cancelled nor run). */
        synchronized long pending() {
            return tasks.stream().filter(t -> !t.task().isDone()).count();
        }

        /** Moves the clock {@code ms} on, running each task (those they schedule too) at its time, in order. */
        void advance(long ms) {
            long end = clock.get() + ms;
            while (true) {
                Task next;
                synchronized (this) {
                    tasks.removeIf(t -> t.task().isDone());
                    next = tasks.stream().filter(t -> t.atMs() - end <= 0)
                            .min(Comparator.comparingLong(Task::atMs).thenComparingLong(Task::order)).orElse(null);
                    if (next == null)
                        break;
                    tasks.remove(next);
                }
                clock.set(Math.max(clock.get(), next.atMs()));
                next.task().run();
            }
            clock.set(end);
        }
    }

    /** The reply to {@code line} from a client that may change the router. */
    String ask(String line) {
        return commands.answer(line, true, "user root");
    }

    /**
     * Lines ending with a newline, no carriage return, the last "ok" (and no refusal before it) or
     * the only one "bad", "no" or "no REASON"; no longer than the line and a screenful.
     */
    static void assertWellFormed(String line, String reply) {
        assertNotNull(reply, line);
        assertTrue(reply.endsWith("\n"), reply);
        assertFalse(reply.contains("\r"), reply);
        assertTrue(reply.length() <= line.length() + 2000, "reply of " + reply.length() + " characters to " + line.length());
        String[] lines = reply.split("\n", -1);
        String last = lines[lines.length - 2];
        if (last.equals("ok")) {
            for (int i = 0; i < lines.length - 2; i++)
                assertFalse(lines[i].equals("ok") || lines[i].equals("bad") || lines[i].equals("no") || lines[i].startsWith("no "), reply);
        } else {
            assertEquals(2, lines.length, "one line: " + reply);
            assertTrue(last.equals("bad") || last.equals("no") || last.startsWith("no ") && !last.substring(3).isBlank(), reply);
        }
    }

    /** Every cut is of a live tunnel, ends within 300 s, and is set on every transport (and nothing else is). */
    void assertCutsAreBoundedAndOfLiveTunnels() {
        Set<String> cns = cuts.active().stream().map(TunnelCuts.Cut::peerCn).collect(Collectors.toSet());
        for (TunnelCuts.Cut c : cuts.active()) {
            assertTrue(tunnels.stream().anyMatch(t -> t.peerCn().equals(c.peerCn()) && t.ifname().equals(c.ifname())), c.toString());
            long left = c.untilMs() - clock.get();
            assertTrue(left > 0 && left <= TunnelCuts.MAX_SECONDS * 1000L, c + " ends in " + left + " ms");
        }
        assertEquals(cns, udp.cut());
        assertEquals(cns, tcp.cut());
    }
}
