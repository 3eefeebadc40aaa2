package re6st.node.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import re6st.cli.CommandFailure;
import re6st.cli.Launcher;
import re6st.node.NodeStatus;
import re6st.node.TunnelCuts;
import re6st.node.bench.BabelRoute;
import re6st.node.bench.FailoverPlan;
import re6st.node.bench.FailoverReport;
import re6st.node.bench.ProbeLog;
import re6st.node.bench.RouteGet;

/** {@code re6st bench}: measurements on the live network. */
@Command(name = "re6st bench", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = "Measures how the node on this host behaves on the live network.", subcommands = BenchCommand.Failover.class)
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        Launcher.main(new BenchCommand(), args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return CommandFailure.USAGE;
    }

    /**
     * {@code re6st bench failover}: probes an overlay address every 10 ms, cuts the tunnel carrying
     * the probes through the node's control socket ({@code blackhole}, bounded: the node lifts it by
     * itself at the end), and reports the interruption, the path taken meanwhile and the return.
     */
    @Command(name = "failover", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
            description = {"Measures a failover on the live network: pings --to ADDRESS (an overlay address of another node) every 10 ms, "
                    + "finds the tunnel the kernel sends the pings into, and blackholes that tunnel for --duration seconds: the node "
                    + "drops everything it sends and receives on it (data, Babel, liveness), as a WAN path that fell silent. Then it "
                    + "reports the interruption (the longest gap between replies), the first hop used during the cut, and when the "
                    + "original path was used again after the tunnel was restored.",
                "This disturbs the network for everyone whose traffic uses that tunnel, for at most --duration seconds, and it is "
                    + "reversible: the tunnel is restored at the end, on Ctrl-C or any exit, and by the node itself at the bound even "
                    + "if this command is killed (re6st status shows a warning while a tunnel is blackholed).",
                "It refuses (and touches nothing) when ADDRESS has no other route than through that tunnel. As root, on the node: "
                    + "it uses the node's control socket RUN/babeld.sock, ping (iputils) and ip (iproute2)."},
            footer = {"", "Examples:", "  re6st bench failover --to 2001:db8:42:7::1", "  re6st bench failover --to 2001:db8:42:7::1 --duration 30 --json"})
    public static final class Failover implements Callable<Integer> {
        /** Probes sent before the cut: the path must answer before it can be measured. */
        static final int WARM_UP_REPLIES = 20;
        static final long POLL_MS = 50;

        @Option(names = "--to", required = true, paramLabel = "ADDRESS", description = "The overlay address to probe (another node's).")
        String target;

        @Option(names = "--duration", paramLabel = "S", defaultValue = "10",
                description = "How long the tunnel is cut, 1 to " + TunnelCuts.MAX_SECONDS + " s (default: ${DEFAULT-VALUE}).")
        int duration;

        @Option(names = "--return-wait", paramLabel = "S", defaultValue = "60",
                description = "After the restore, how long to wait for the original path to be used again (default: ${DEFAULT-VALUE}).")
        int returnWait;

        @Mixin
        ControlSocket control = new ControlSocket();

        @Option(names = "--json", description = "Print the report as JSON (one line), for scripts.")
        boolean json;

        @Spec
        CommandSpec spec;

        private volatile boolean cut;
        private volatile Process ping;

        @Override
        public Integer call() throws Exception {
            if (duration < 1 || duration > TunnelCuts.MAX_SECONDS)
                throw CommandFailure.usage("--duration " + duration + ": 1 to " + TunnelCuts.MAX_SECONDS + " s");
            if (returnWait < 0 || returnWait > 600)
                throw CommandFailure.usage("--return-wait " + returnWait + ": 0 to 600 s");
            try {
                re6st.net.Ipv6Address.parse(target);
            } catch (RuntimeException e) {
                throw CommandFailure.usage("--to " + target + ": not an IPv6 address (give the overlay address of another node)");
            }
            if (new com.sun.security.auth.module.UnixSystem().getUid() != 0)
                throw CommandFailure.failed("it runs as root: it uses the node's control socket (mode 0600) "
                        + "and pings every 10 ms");
            JsonNode status = NodeStatus.parse(control.ask("status"));
            FailoverPlan plan;
            try {
                plan = FailoverPlan.decide(target, status, routeGet(), BabelRoute.parseAll(control.ask("routes " + target)));
            } catch (IllegalArgumentException e) {
                throw CommandFailure.failed(e.getMessage());
            }
            var out = spec.commandLine().getOut();
            if (!json) {
                out.printf(Locale.ROOT, "probing %s every 10 ms through %s; other routes: %s%n", target, plan.ifname() + " to " + plan.peer(),
                        String.join(", ", plan.alternatives().stream().map(r -> FailoverPlan.describe(status, r.ifname()) + " (metric "
                                + r.metric() + ")").toList()));
                out.flush();
            }
            Thread restoreOnExit = new Thread(() -> { // Ctrl-C, SIGTERM: the cut and the probes end with us
                restore(plan.ifname());
                Process p = ping;
                if (p != null)
                    p.destroy();
            }, "bench-restore");
            Runtime.getRuntime().addShutdownHook(restoreOnExit);
            ProbeLog log = new ProbeLog();
            long pingStarted = nowMicros();
            Thread reader = startPing(log);
            try {
                if (!log.awaitReplies(WARM_UP_REPLIES, 5_000))
                    throw CommandFailure.failed(target + " does not answer pings (" + log.replies().size() + " replies in 5 s) before the cut: "
                            + "nothing to measure; is it up, and does it answer ICMPv6 echo?");
                long cutAt = nowMicros();
                cut = true; // before asking: an exit while the node cuts must restore
                control.ask("blackhole " + plan.ifname() + " " + duration + " re6st bench failover to " + target
                        + " (pid " + ProcessHandle.current().pid() + ")");
                String newHop = null;
                long newHopAt = -1, end = cutAt + duration * 1_000_000L;
                while (nowMicros() < end) {
                    RouteGet h = routeGetOrNull();
                    if (newHop == null && h != null && h.dev() != null && !h.dev().equals(plan.ifname())) {
                        newHopAt = nowMicros();
                        newHop = FailoverPlan.describe(status, h.dev());
                    }
                    Thread.sleep(Math.max(1, Math.min(POLL_MS, (end - nowMicros()) / 1000)));
                }
                restore(plan.ifname());
                long restoredAt = nowMicros(), backAt = -1;
                for (long until = restoredAt + returnWait * 1_000_000L; nowMicros() < until; Thread.sleep(POLL_MS)) {
                    RouteGet h = routeGetOrNull();
                    if (h != null && plan.ifname().equals(h.dev())) {
                        backAt = nowMicros();
                        break;
                    }
                }
                long stopAt = nowMicros();
                stopPing(reader);
                ProbeLog.Gap gap = log.longestGap(cutAt, stopAt);
                FailoverReport r = new FailoverReport(target, plan.ifname() + " to " + plan.peer(), duration,
                        gap == null ? -1 : gap.micros() / 1e6, gap == null ? -1 : rel(gap.fromMicros(), cutAt), gap == null ? -1 : rel(gap.toMicros(), cutAt),
                        newHop, newHop == null ? -1 : rel(newHopAt, cutAt), rel(restoredAt, cutAt), backAt < 0 ? -1 : rel(backAt, cutAt),
                        log.sent(), log.answered(), log.sent() == 0 ? 0 : (stopAt - pingStarted) / 1e3 / log.sent());
                out.print(json ? r.json() + "\n" : r.text());
                out.flush();
                return 0;
            } finally {
                restore(plan.ifname());
                stopPing(reader);
                try {
                    Runtime.getRuntime().removeShutdownHook(restoreOnExit);
                } catch (IllegalStateException e) {
                    // exiting: the hook runs
                }
            }
        }

        private static double rel(long micros, long cutAt) {
            return (micros - cutAt) / 1e6;
        }

        /** Wall clock in microseconds: the clock of ping's -D timestamps. */
        private static long nowMicros() {
            java.time.Instant i = java.time.Instant.now();
            return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
        }

        /** Lifts the cut if this run set it (once; at the end, on an error and in the shutdown hook). */
        private synchronized void restore(String ifname) {
            if (!cut)
                return;
            cut = false;
            try {
                control.ask("unblackhole " + ifname);
            } catch (CommandFailure e) {
                if (!e.getMessage().startsWith("unblackhole: no blackholed tunnel")) // the node lifted it at the bound already
                    System.err.println("re6st bench failover: restoring " + ifname + ": " + e.getMessage()
                            + " (the node restores it by itself at the bound)");
            } catch (IOException e) {
                System.err.println("re6st bench failover: restoring " + ifname + ": " + e + " (the node restores it by itself at the bound)");
            }
        }

        /**
         * iputils ping rather than a socket of ours: ICMPv6 echo needs a raw or ping socket, which the JDK does not
         * offer; ping's {@code -D} stamps each reply when it arrives, so the reader's own delays do not count.
         * {@code -i 0.009}: iputils 20221126 asked for 0.01 sends one every 18.6 ms (300 probes to ::1 took 5.58 s
         * here), asked for 0.009 one every 9.3 ms; the report gives the interval it kept.
         */
        private Thread startPing(ProbeLog log) throws IOException {
            try {
                ping = new ProcessBuilder("ping", "-6", "-n", "-D", "-O", "-i", "0.009", "-W", "1", target).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw CommandFailure.failed("cannot run ping (" + e.getMessage() + "): install iputils-ping");
            }
            Process p = ping;
            Thread t = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = in.readLine()) != null; )
                        log.accept(l);
                } catch (IOException e) {
                    // ping ended
                }
            }, "bench-ping");
            t.setDaemon(true);
            t.start();
            return t;
        }

        /** SIGINT: ping prints its summary (probes sent and answered) and exits. */
        private void stopPing(Thread reader) throws InterruptedException {
            Process p = ping;
            if (p == null || !p.isAlive()) {
                reader.join(2000);
                return;
            }
            try {
                new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor(2, TimeUnit.SECONDS);
            } catch (IOException e) {
                // below
            }
            if (!p.waitFor(2, TimeUnit.SECONDS))
                p.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
            reader.join(2000);
        }

        private RouteGet routeGet() throws IOException, InterruptedException {
            Process p;
            try {
                p = new ProcessBuilder("ip", "-6", "route", "get", target).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw CommandFailure.failed("cannot run ip (" + e.getMessage() + "): install iproute2");
            }
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS))
                p.destroyForcibly();
            try {
                if (p.exitValue() != 0)
                    throw new IllegalArgumentException(text.strip());
                return RouteGet.parse(text);
            } catch (IllegalArgumentException e) {
                throw CommandFailure.failed("no route to " + target + " (ip -6 route get: " + e.getMessage() + "): is it in the network, "
                        + "and does the node route it yet (re6st status)?");
            }
        }

        private RouteGet routeGetOrNull() throws InterruptedException {
            try {
                return routeGet();
            } catch (IOException | CommandFailure e) {
                return null; // no route for a moment: the failover is in progress
            }
        }
    }
}
