package re6st.netsim.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import re6st.jni.Libc;
import re6st.netsim.LinkParams;
import re6st.netsim.Namespace;
import re6st.netsim.NatRouter;
import re6st.netsim.Ping;
import re6st.netsim.TestNet;
import re6st.netsim.UdpProbe;
import re6st.netsim.Wait;
import re6st.netsim.WanLink;

/**
 * {@code re6st demo}: the network the overlay will run on, built on this machine. Today
 * (foundation stage) it builds the sites, the emulated ISP links and a NAT, measures them and
 * shows what a broken ISP path does without rerouting. As the registry, tunnels and Babel land,
 * this demo grows into the full scenario of ARCHITECTURE.md.
 */
@Command(name = "re6st demo", mixinStandardHelpOptions = true, sortOptions = false,
        usageHelpAutoWidth = true, versionProvider = Version.class,
        description = {
            "Builds a small Internet in Linux network namespaces on this machine: sites behind emulated "
                + "WAN links with different delays (one behind NAT), measures every path, breaks one ISP path "
                + "(blackhole: packets vanish, the link stays up) and reports how long traffic was interrupted, "
                + "then removes everything. Needs root.",
            "",
            "Today the overlay itself (registry, encrypted tunnels, Babel) is not built yet: the interruption "
                + "shown is what happens WITHOUT rerouting. The full demo enrols nodes and reroutes around the "
                + "cut as those components land."},
        footer = {"", "Example: sudo ./re6st demo --cut 3"})
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--cut", paramLabel = "SECONDS", description = "How long the broken path stays broken (default: ${DEFAULT-VALUE}).")
    double cutSeconds = 2;

    @Option(names = "--pings", paramLabel = "N", description = "Pings per pair when measuring paths (default: ${DEFAULT-VALUE}).")
    int pings = 5;

    @Option(names = "--hold", description = "Keep the network up after the demo until Ctrl-C, to explore it with 'ip netns exec'.")
    boolean hold;

    @Option(names = "--logdir", paramLabel = "DIR", description = "Where process logs go (default: a temporary directory).")
    Path logDir;

    private final PrintStream out = System.out;

    /** A site: its namespace, its address on its ISP link, and the one-way delay to the core. */
    record Site(String name, Namespace ns, String address, int delayMs, boolean natted) {}

    public static void main(String[] args) {
        System.exit(new CommandLine(new DemoCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (!Libc.isRoot()) {
            System.err.println("re6st demo: needs root to create network namespaces, TAP devices and routes"
                    + " (running as uid " + Libc.geteuid() + ").\n"
                    + "Run it as root (sudo ./re6st demo). The in-process simulator, which needs no root, arrives"
                    + " with the Babel routing core.");
            return 1;
        }
        if (cutSeconds <= 0 || cutSeconds > 600 || pings < 1 || pings > 1000) {
            System.err.println("re6st demo: --cut must be in (0, 600] seconds and --pings in 1..1000");
            return 2;
        }
        Path logs = logDir != null ? Files.createDirectories(logDir) : Files.createTempDirectory("re6st-demo");
        long t0 = System.nanoTime();
        try (TestNet net = TestNet.create("demo", logs)) {
            out.println("== Building the network (namespaces " + net + "-*, logs in " + net.logDir() + ")");
            Namespace core = net.namespace("core");
            core.forwarding();
            List<Site> sites = new ArrayList<>();
            List<WanLink> links = new ArrayList<>();
            int[] delays = {5, 10, 25, 40};
            String[] names = {"registry", "node1", "node2", "node3"};
            for (int i = 0; i < names.length; i++) {
                int k = i + 1;
                boolean natted = names[i].equals("node3");
                Namespace ns = net.namespace(names[i]);
                String coreSide = "198.18." + k + ".1";
                if (natted) {
                    // node3 sits in a home LAN behind a NAT router; only the router has an ISP link.
                    NatRouter home = net.natRouter("home3", "wan0");
                    links.add(net.wan("isp" + k, home.namespace(), "wan0", core, "isp" + k, LinkParams.delayMillis(delays[i])));
                    home.namespace().addAddress("wan0", "198.18." + k + ".2/24");
                    core.addAddress("isp" + k, coreSide + "/24");
                    home.namespace().route("default", "via", coreSide);
                    net.veth(ns, "eth0", home.namespace(), "lan0");
                    home.namespace().addAddress("lan0", "198.18.10" + k + ".1/24");
                    ns.addAddress("eth0", "198.18.10" + k + ".2/24");
                    ns.route("default", "via", "198.18.10" + k + ".1");
                    sites.add(new Site(names[i], ns, "198.18.10" + k + ".2", delays[i], true));
                    out.printf(Locale.ROOT, "   %-9s behind NAT router home3, ISP link %d ms one way%n", names[i], delays[i]);
                } else {
                    links.add(net.wan("isp" + k, ns, "wan0", core, "isp" + k, LinkParams.delayMillis(delays[i])));
                    ns.addAddress("wan0", "198.18." + k + ".2/24");
                    core.addAddress("isp" + k, coreSide + "/24");
                    ns.route("default", "via", coreSide);
                    sites.add(new Site(names[i], ns, "198.18." + k + ".2", delays[i], false));
                    out.printf(Locale.ROOT, "   %-9s %-15s ISP link %d ms one way%n", names[i], "198.18." + k + ".2", delays[i]);
                }
            }
            for (Site s : sites)
                Wait.until(s.name + " reaches the core", Duration.ofSeconds(15), () -> s.ns.pings("198.18.1.1"));

            out.println();
            out.println("== Every path, measured (" + pings + " pings each; expected RTT = 2 x (delay a + delay b))");
            out.printf(Locale.ROOT, "   %-9s -> %-9s %9s %9s %6s%n", "from", "to", "expected", "measured", "loss");
            for (int i = 0; i < sites.size(); i++) {
                for (int j = 0; j < sites.size(); j++) {
                    Site a = sites.get(i), b = sites.get(j);
                    if (i == j || b.natted)
                        continue; // nobody can dial into the NAT'd site: that is why re6st tunnels are client-initiated
                    Ping.Result r = Ping.run(a.ns, b.address, pings, Duration.ofMillis(20));
                    out.printf(Locale.ROOT, "   %-9s -> %-9s %6d ms %6.1f ms %5.0f%%%n", a.name, b.name,
                            2 * (a.delayMs + b.delayMs), r.avg(), 100 * r.lossRatio());
                }
            }
            out.println("   (node3 is behind NAT: it can reach everyone, nobody can open a connection to it)");

            out.println();
            Site a = sites.get(1), b = sites.get(2);
            WanLink broken = links.get(1);
            out.printf(Locale.ROOT, "== Breaking %s's ISP path for %.1f s (blackhole: no link-down signal), probing %s -> %s every 10 ms%n",
                    a.name, cutSeconds, a.name, b.name);
            try (UdpProbe probe = UdpProbe.start(a.ns, b.ns, b.address, 9000, Duration.ofMillis(10))) {
                Wait.until("probe replies", Duration.ofSeconds(10), () -> probe.received() >= 20);
                broken.blackhole(true);
                long cut = System.nanoTime();
                CountDownLatch never = new CountDownLatch(1);
                never.await((long) (cutSeconds * 1000), java.util.concurrent.TimeUnit.MILLISECONDS); // the outage itself
                broken.blackhole(false);
                double cutFor = (System.nanoTime() - cut) / 1e9;
                int before = probe.received();
                Wait.until("probe replies after healing", Duration.ofSeconds(15), () -> probe.received() >= before + 20);
                out.printf(Locale.ROOT, "   path broken for %.2f s; longest gap in replies: %.3f s; %d probes sent, %d answered%n",
                        cutFor, probe.longestGap(false).toNanos() / 1e9, probe.sent(), probe.received());
                out.println("   Without rerouting, traffic stops for as long as the ISP path is broken. re6st's answer:");
                out.println("   tunnels to ~10 peers, Babel with RTT metrics, liveness probes that detect the cut in");
                out.println("   under a second and route around it (coming with the routing-core and tunnel-io issues).");
            }
            for (WanLink l : links)
                l.checkHealthy();
            if (hold) {
                out.println();
                out.println("== Holding the network up; explore with e.g. 'ip netns exec " + a.ns.name()
                        + " ping " + b.address + "'. Ctrl-C removes it.");
                new CountDownLatch(1).await();
            }
            out.println();
            out.printf(Locale.ROOT, "== Done in %.1f s; removing every namespace, link and process.%n", (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }
}
