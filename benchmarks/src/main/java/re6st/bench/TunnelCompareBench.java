package re6st.bench;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import re6st.jni.Libc;
import re6st.netsim.Cmd;
import re6st.netsim.Iperf;
import re6st.netsim.Namespace;
import re6st.netsim.NsProcess;
import re6st.netsim.ProcStats;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;

/**
 * BENCHMARKS.md section 1, side by side in one run: iperf3 (TCP, one stream) from namespace A to
 * namespace B over a veth pair (198.18.0.1/24 - 198.18.0.2/24), through
 * <ol>
 * <li>the raw veth (no tunnel),</li>
 * <li>OpenVPN 2.6 (UDP, TLS with EC certificates of a throwaway CA, AES-256-GCM, as the original
 * re6st runs it; the userspace data plane: {@code --disable-dco}),</li>
 * <li>wireguard-go (userspace WireGuard, set up with {@code wg}),</li>
 * <li>ours: {@code re6st tunnel} (DTLS handshake with openssl-made RSA certificates, as the
 * registry issues them; AES-256-GCM data channel).</li>
 * </ol>
 * Runs are interleaved (raw, openvpn, wireguard-go, ours, raw, ...) so drift on this shared
 * machine hits all paths alike. For each path: median Gbit/s and spread, ratio to OpenVPN, CPU
 * seconds per GB moved (both tunnel endpoints, from {@code /proc/PID/stat}) and the larger
 * endpoint RSS. A baseline that does not come up is reported as "failed: reason"; the others
 * still run. Everything (namespaces, links, processes) goes when the {@link TestNet} closes,
 * also on failure or Ctrl-C.
 *
 * <p>{@code sudo benchmarks/run-tunnel-bench.sh [SECONDS [RUNS]]}, or
 * {@code sudo java -cp benchmarks/target/benchmarks.jar re6st.bench.TunnelCompareBench [SECONDS [RUNS]]}.
 * The tunnel JVMs get {@code $RE6ST_JAVA_OPTS}, as with {@code ./re6st tunnel}.
 */
public final class TunnelCompareBench {
    static final String A_UNDER = "198.18.0.1", B_UNDER = "198.18.0.2";
    static final int OVPN_PORT = 1194, OURS_PORT = 1195, WG_PORT = 51820;
    static final int WARMUP_SECONDS = 2;
    /** The JVM options ./re6st gives a tunnel (jvm_defaults in the launcher); $RE6ST_JAVA_OPTS comes after them. */
    static final String TUNNEL_JVM_DEFAULTS = "-XX:+UseSerialGC -Xms16m -Xmx96m -XX:MaxDirectMemorySize=64m";
    static final Duration UP_TIMEOUT = Duration.ofSeconds(60), OURS_UP_TIMEOUT = Duration.ofSeconds(120),
            PING_TIMEOUT = Duration.ofSeconds(20);

    /** One measured iperf3 run through a path. */
    record Run(double gbits, long bytes, double cpuSeconds, long rssMax) {
        double cpuPerGb() {
            return cpuSeconds / (bytes / 1e9);
        }
    }

    /** A path under test: how to bring it up and where iperf3 goes. */
    abstract static class Candidate {
        final String name;
        final String target;
        final List<NsProcess> processes = new ArrayList<>();
        final List<Run> runs = new ArrayList<>();
        final List<String> runErrors = new ArrayList<>();
        String failure;

        Candidate(String name, String target) {
            this.name = name;
            this.target = target;
        }

        /** Starts the processes (without waiting long). */
        void start() throws Exception {}

        /** Bounded wait until traffic passes. */
        void awaitUp() throws Exception {}

        boolean tunnel() {
            return !processes.isEmpty();
        }
    }

    private final int seconds, runs;
    private final TestNet net;
    private final Namespace a, b;
    private final Path pki;

    private TunnelCompareBench(int seconds, int runs, TestNet net) throws Exception {
        this.seconds = seconds;
        this.runs = runs;
        this.net = net;
        this.a = net.namespace("a");
        this.b = net.namespace("b");
        this.pki = Files.createDirectories(net.logDir().resolve("pki"));
    }

    public static void main(String[] args) throws Exception {
        if (!Libc.isRoot()) {
            System.err.println("TunnelCompareBench: needs root (namespaces, TUN devices); run: sudo benchmarks/run-tunnel-bench.sh");
            System.exit(1);
        }
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        if (seconds < 1 || runs < 1) {
            System.err.println("usage: TunnelCompareBench [SECONDS>=1 [RUNS>=1]]");
            System.exit(2);
        }
        List<String> missing = new ArrayList<>();
        for (String[] t : new String[][] {{"ip", "iproute2"}, {"iperf3", "iperf3"}, {"openssl", "openssl"}, {"ping", "iputils-ping"}})
            if (re6st.netsim.Prerequisites.which(t[0]) == null)
                missing.add(t[0] + " (Debian package " + t[1] + ")");
        if (!missing.isEmpty()) {
            System.err.println("TunnelCompareBench: missing " + String.join(", ", missing));
            System.exit(1);
        }
        Path logRoot = Path.of(System.getProperty("re6st.netsim.logdir", Files.createTempDirectory("r6tuncmp").toString()));
        try (TestNet net = TestNet.create("tuncmp", logRoot)) {
            System.out.println("logs and throwaway certificates: " + net.logDir());
            new TunnelCompareBench(seconds, runs, net).run();
        }
    }

    private void run() throws Exception {
        net.veth(a, "veth0", b, "veth0");
        a.addAddress("veth0", A_UNDER + "/24");
        b.addAddress("veth0", B_UNDER + "/24");
        Wait.until("underlay pings", Duration.ofSeconds(10), () -> a.pings(B_UNDER));

        List<Candidate> paths = List.of(new Candidate("raw veth", B_UNDER) {}, openvpn(), wireguard(), ours());
        // Start everything first (the JVMs of ours take longest), then wait for each in turn.
        for (Candidate p : paths)
            attempt(p, "start", p::start);
        for (Candidate p : paths)
            attempt(p, "up", p::awaitUp);
        for (Candidate p : paths)
            System.out.printf(Locale.ROOT, "%-14s %s%n", p.name, p.failure == null ? "up, iperf3 to " + p.target : "FAILED: " + p.failure);

        NsProcess server = Iperf.server(b);
        // A short unmeasured run through each path first: the JIT of our tunnel's JVMs compiles the
        // data path, socket buffers and TCP windows grow, as in a tunnel that has been up for a while.
        for (Candidate p : paths) {
            if (p.failure != null)
                continue;
            Cmd.Result w = a.exec(Duration.ofSeconds(WARMUP_SECONDS + 40), "iperf3", "-c", p.target, "-t", Integer.toString(WARMUP_SECONDS),
                    "--connect-timeout", "5000");
            if (!w.ok()) {
                p.failure = "warm-up iperf3 failed: " + firstLine(w.output());
                System.out.printf(Locale.ROOT, "%-14s FAILED: %s%n", p.name, p.failure);
                for (NsProcess t : p.processes)
                    t.close();
                server.close();
                server = Iperf.server(b);
            }
        }
        for (int r = 1; r <= runs; r++) {
            for (Candidate p : paths) {
                if (p.failure != null)
                    continue;
                try {
                    Run m = measure(p);
                    p.runs.add(m);
                    System.out.printf(Locale.ROOT, "run %d/%d %-14s %7.3f Gbit/s%s%n", r, runs, p.name, m.gbits,
                            p.tunnel() ? String.format(Locale.ROOT, "  cpu %6.2f s/GB  rss %5.1f MiB", m.cpuPerGb(), m.rssMax / 1048576.0) : "");
                } catch (RuntimeException | AssertionError e) {
                    String why = firstLine(e.getMessage());
                    p.runErrors.add(why);
                    System.out.printf(Locale.ROOT, "run %d/%d %-14s failed: %s%n", r, runs, p.name, why);
                    // The server may still hold the broken test: a fresh one for the next path.
                    server.close();
                    server = Iperf.server(b);
                }
            }
        }
        server.close();
        report(paths);
    }

    // ------------------------------------------------------------------ paths

    private Candidate openvpn() {
        return new Candidate("OpenVPN", "10.90.0.2") {
            NsProcess pa, pb;

            @Override
            void start() {
                requireBinary("openvpn", "openvpn");
                String ca = pki + "/ovpn-ca";
                openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", ca + ".key",
                        "-out", ca + ".crt", "-days", "30", "-subj", "/CN=ovpn-ca");
                for (String n : new String[] {"ovpn-a", "ovpn-b"})
                    issue(ca, pki + "/" + n, n, "ec");
                List<String> common = List.of("openvpn", "--dev", "tun", "--proto", "udp", "--port", Integer.toString(OVPN_PORT),
                        "--ca", ca + ".crt", "--data-ciphers", "AES-256-GCM", "--disable-dco", "--verb", "3");
                pb = b.start("openvpn", concat(common, "--tls-server", "--dh", "none", "--local", B_UNDER, "--cert", pki + "/ovpn-b.crt", "--key",
                        pki + "/ovpn-b.key", "--ifconfig", "10.90.0.2", "10.90.0.1"));
                processes.add(pb);
                pa = a.start("openvpn", concat(common, "--tls-client", "--local", A_UNDER, "--remote", B_UNDER,
                        "--verify-x509-name", "ovpn-b", "name", "--cert", pki + "/ovpn-a.crt", "--key", pki + "/ovpn-a.key",
                        "--ifconfig", "10.90.0.1", "10.90.0.2"));
                processes.add(pa);
            }

            @Override
            void awaitUp() {
                awaitLog(pa, "Initialization Sequence Completed", UP_TIMEOUT);
                awaitLog(pb, "Initialization Sequence Completed", UP_TIMEOUT);
                awaitPing(this, "10.90.0.2");
            }
        };
    }

    private Candidate wireguard() {
        // Interface names distinct between A and B and between concurrent runs: the UAPI socket
        // directory /var/run/wireguard is not per namespace.
        long pid = ProcessHandle.current().pid() % 1_000_000;
        String ifA = "wga" + pid, ifB = "wgb" + pid;
        return new Candidate("wireguard-go", "10.91.0.2") {
            NsProcess pa, pb;

            @Override
            void start() {
                requireBinary("wireguard-go", "wireguard-go");
                requireBinary("wg", "wireguard-tools");
                for (String n : new String[] {"wg-a", "wg-b"})
                    Cmd.run("sh", "-c", "umask 077 && wg genkey > " + pki + "/" + n + ".key && wg pubkey < " + pki + "/" + n
                            + ".key > " + pki + "/" + n + ".pub");
                // -f: stays in the foreground (no fork), so the NsProcess is wireguard-go itself.
                pb = b.start("wireguard-go", "env", "WG_PROCESS_FOREGROUND=1", "wireguard-go", "-f", ifB);
                processes.add(pb);
                pa = a.start("wireguard-go", "env", "WG_PROCESS_FOREGROUND=1", "wireguard-go", "-f", ifA);
                processes.add(pa);
            }

            @Override
            void awaitUp() throws Exception {
                String pubA = Files.readString(pki.resolve("wg-a.pub")).strip(), pubB = Files.readString(pki.resolve("wg-b.pub")).strip();
                configure(a, pa, ifA, "wg-a", "10.91.0.1", pubB, B_UNDER, "10.91.0.2");
                configure(b, pb, ifB, "wg-b", "10.91.0.2", pubA, A_UNDER, "10.91.0.1");
                awaitPing(this, "10.91.0.2");
            }

            private void configure(Namespace ns, NsProcess p, String ifname, String key, String address, String peerPub,
                    String peerUnderlay, String peerAddress) {
                Wait.until(ifname + " and its UAPI socket exist in " + ns.label(), UP_TIMEOUT, () -> {
                    alive(p);
                    return Files.exists(Path.of("/var/run/wireguard/" + ifname + ".sock"))
                            && ns.exec(Duration.ofSeconds(5), "ip", "link", "show", ifname).ok();
                });
                ns.run("wg", "set", ifname, "listen-port", Integer.toString(WG_PORT), "private-key", pki + "/" + key + ".key",
                        "peer", peerPub, "endpoint", peerUnderlay + ":" + WG_PORT, "allowed-ips", peerAddress + "/32");
                ns.addAddress(ifname, address + "/24");
                ns.up(ifname);
            }
        };
    }

    private Candidate ours() {
        return new Candidate("ours", "fd00:90::2") {
            NsProcess pa, pb;

            @Override
            void start() {
                String ca = pki + "/r6-ca";
                openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca + ".key", "-out", ca + ".crt", "-days", "30",
                        "-subj", "/CN=r6-ca");
                issue(ca, pki + "/r6-a", "1/16", "rsa:2048");
                issue(ca, pki + "/r6-b", "2/16", "rsa:2048");
                List<String> java = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
                java.addAll(Arrays.asList(TUNNEL_JVM_DEFAULTS.split(" ")));
                String opts = System.getenv("RE6ST_JAVA_OPTS");
                if (opts != null && !opts.isBlank())
                    java.addAll(Arrays.asList(opts.trim().split("\\s+")));
                java.addAll(List.of("-cp", System.getProperty("java.class.path"), "re6st.tunnel.cli.TunnelCommand", "--ca", ca + ".crt"));
                pb = b.start("re6st-tunnel", concat(java, "--listen", Integer.toString(OURS_PORT), "--cert", pki + "/r6-b.crt", "--key",
                        pki + "/r6-b.key", "--ifname", "re6st0", "--address", "fd00:90::2/64"));
                processes.add(pb);
                pa = a.start("re6st-tunnel", concat(java, "--connect", B_UNDER + ":" + OURS_PORT, "--peer-cn", "2/16", "--cert",
                        pki + "/r6-a.crt", "--key", pki + "/r6-a.key", "--ifname", "re6st0", "--address", "fd00:90::1/64"));
                processes.add(pa);
            }

            @Override
            void awaitUp() {
                awaitLog(pa, "tunnel up:", OURS_UP_TIMEOUT);
                awaitLog(pb, "tunnel up:", OURS_UP_TIMEOUT);
                awaitPing(this, "fd00:90::2");
            }
        };
    }

    // ------------------------------------------------------------ measuring

    private static final Pattern SUM_RECEIVED = Pattern.compile("\"sum_received\"\\s*:\\s*\\{([^}]*)\\}");
    private static final Pattern BYTES = Pattern.compile("\"bytes\"\\s*:\\s*(\\d+)");
    private static final Pattern BPS = Pattern.compile("\"bits_per_second\"\\s*:\\s*([-+\\d.eE]+)");
    private static final Pattern ERROR = Pattern.compile("\"error\"\\s*:\\s*\"([^\"]*)\"");

    private Run measure(Candidate p) {
        for (NsProcess t : p.processes)
            alive(t);
        double cpu0 = cpu(p);
        Cmd.Result r = a.exec(Duration.ofSeconds(seconds + 40), "iperf3", "-c", p.target, "-t", Integer.toString(seconds), "--json",
                "--connect-timeout", "5000");
        double cpu1 = cpu(p);
        String out = r.output();
        Matcher e = ERROR.matcher(out);
        if (e.find())
            throw new IllegalStateException("iperf3: " + e.group(1));
        Matcher s = SUM_RECEIVED.matcher(out);
        if (!r.ok() || !s.find())
            throw new IllegalStateException("iperf3 exit " + r.exit() + ": " + firstLine(out));
        Matcher bytes = BYTES.matcher(s.group(1)), bps = BPS.matcher(s.group(1));
        if (!bytes.find() || !bps.find())
            throw new IllegalStateException("iperf3: no receiver summary");
        long rss = 0;
        for (NsProcess t : p.processes)
            rss = Math.max(rss, ProcStats.rssBytes(t.pid()));
        return new Run(Double.parseDouble(bps.group(1)) / 1e9, Long.parseLong(bytes.group(1)), cpu1 - cpu0, rss);
    }

    private static double cpu(Candidate p) {
        double s = 0;
        for (NsProcess t : p.processes)
            s += ProcStats.cpuSeconds(t.pid());
        return s;
    }

    // ------------------------------------------------------------ reporting

    private void report(List<Candidate> paths) {
        Double ovpn = null;
        for (Candidate p : paths)
            if (p.name.equals("OpenVPN") && !p.runs.isEmpty())
                ovpn = median(p.runs.stream().mapToDouble(Run::gbits).toArray());
        String ovpnVersion = firstLine(Cmd.exec(Duration.ofSeconds(10), "openvpn", "--version").output());
        String wgVersion = firstLine(Cmd.exec(Duration.ofSeconds(10), "wireguard-go", "--version").output());
        String kernel = Cmd.exec(Duration.ofSeconds(10), "uname", "-r").output().strip();
        String iperfVersion = firstLine(Cmd.exec(Duration.ofSeconds(10), "iperf3", "--version").output());

        System.out.println();
        System.out.printf(Locale.ROOT, "Tunnel throughput, iperf3 TCP 1 stream A -> B over a veth pair, %d s x %d runs interleaved "
                + "(BENCHMARKS.md section 1)%n%n", seconds, runs);
        System.out.println("| path | Gbit/s (median) | spread (min-max) | vs OpenVPN | CPU s per GB (both ends) | RSS MiB (larger end) |");
        System.out.println("|---|---|---|---|---|---|");
        List<String> notes = new ArrayList<>();
        for (Candidate p : paths) {
            String label = switch (p.name) {
                case "OpenVPN" -> "OpenVPN (UDP, AES-256-GCM, userspace)";
                case "wireguard-go" -> "wireguard-go";
                case "ours" -> "ours (`re6st tunnel`)";
                default -> p.name;
            };
            if (p.failure != null || p.runs.isEmpty()) {
                String why = p.failure != null ? p.failure : "every run failed: " + p.runErrors.get(0);
                System.out.printf(Locale.ROOT, "| %s | failed: %s | | | | |%n", label, why.replace('|', '/'));
                continue;
            }
            double[] g = p.runs.stream().mapToDouble(Run::gbits).toArray();
            double med = median(g);
            String ratio = ovpn == null ? "-" : String.format(Locale.ROOT, "%.2fx", med / ovpn);
            String cpu = p.tunnel() ? String.format(Locale.ROOT, "%.1f", median(p.runs.stream().mapToDouble(Run::cpuPerGb).toArray())) : "-";
            String rss = p.tunnel() ? String.format(Locale.ROOT, "%.0f", p.runs.stream().mapToLong(Run::rssMax).max().getAsLong() / 1048576.0)
                    : "-";
            System.out.printf(Locale.ROOT, "| %s | %.3f | %.3f-%.3f | %s | %s | %s |%n", label, med, Arrays.stream(g).min().getAsDouble(),
                    Arrays.stream(g).max().getAsDouble(), ratio, cpu, rss);
            if (!p.runErrors.isEmpty())
                notes.add(p.name + ": " + p.runErrors.size() + " of " + runs + " runs failed (" + p.runErrors.get(0) + ")");
        }
        System.out.println();
        for (String n : notes)
            System.out.println("Note: " + n);
        System.out.printf(Locale.ROOT, "Machine: nproc %d, kernel %s, %s; %s; %s; Java %s. CPU = utime+stime of both tunnel processes "
                + "during the run / GB received by iperf3 (median of runs); RSS = VmRSS after each run, largest seen.%n",
                Runtime.getRuntime().availableProcessors(), kernel, ovpnVersion.isEmpty() ? "openvpn: not installed" : ovpnVersion,
                wgVersion.isEmpty() ? "wireguard-go: not installed" : wgVersion, iperfVersion, System.getProperty("java.version"));
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    // ------------------------------------------------------------ helpers

    private interface Step {
        void run() throws Exception;
    }

    /** Runs a setup step of {@code p}; a failure marks the path failed instead of ending the benchmark. */
    private static void attempt(Candidate p, String what, Step step) {
        if (p.failure != null)
            return;
        try {
            step.run();
        } catch (Exception | AssertionError e) {
            p.failure = firstLine(e.getMessage() == null ? e.toString() : e.getMessage());
            System.err.println(p.name + ": " + what + " failed: " + e.getMessage());
            for (NsProcess t : p.processes) {
                System.err.println("  log of " + t.name() + " (" + t.logFile() + "), last lines:");
                System.err.println(lastLines(t.log(), 8).indent(4));
            }
            // Stop what it started now, so it does not load the machine during the other paths' runs.
            for (NsProcess t : p.processes)
                t.close();
        }
    }

    private static void awaitLog(NsProcess p, String text, Duration timeout) {
        Wait.until(p.name() + " logs '" + text + "'", timeout, () -> {
            if (p.log().contains(text))
                return true;
            alive(p);
            return false;
        });
    }

    private void awaitPing(Candidate p, String address) {
        Wait.until("a ping through " + p.name + " to " + address, PING_TIMEOUT, () -> {
            for (NsProcess t : p.processes)
                alive(t);
            return a.pings(address);
        });
    }

    private static void alive(NsProcess p) {
        if (!p.isAlive())
            throw new IllegalStateException(p.name() + " exited (" + p.process().exitValue() + "): " + lastLines(p.log(), 3).replace("\n", " / "));
    }

    private static void requireBinary(String bin, String debianPackage) {
        if (re6st.netsim.Prerequisites.which(bin) == null)
            throw new IllegalStateException(bin + " not found (install the Debian package " + debianPackage + ")");
    }

    static void openssl(String... args) {
        List<String> c = new ArrayList<>(List.of("openssl"));
        c.addAll(List.of(args));
        Cmd.run(c.toArray(String[]::new));
    }

    /** Key and certificate {@code base}.key/.crt with CN {@code cn}, issued by {@code ca}.crt/.key. */
    static void issue(String ca, String base, String cn, String keyType) {
        List<String> req = new ArrayList<>(List.of("req", "-newkey", keyType));
        if (keyType.equals("ec"))
            req.addAll(List.of("-pkeyopt", "ec_paramgen_curve:prime256v1"));
        req.addAll(List.of("-nodes", "-keyout", base + ".key", "-out", base + ".csr", "-subj", "/CN=" + cn.replace("/", "\\/")));
        openssl(req.toArray(String[]::new));
        openssl("x509", "-req", "-in", base + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key", "-CAcreateserial", "-out",
                base + ".crt", "-days", "30");
    }

    private static String[] concat(List<String> head, String... tail) {
        List<String> c = new ArrayList<>(head);
        c.addAll(List.of(tail));
        return c.toArray(String[]::new);
    }

    static String firstLine(String s) {
        if (s == null)
            return "";
        String t = s.strip();
        int i = t.indexOf('\n');
        t = i < 0 ? t : t.substring(0, i);
        return t.length() > 200 ? t.substring(0, 197) + "..." : t;
    }

    private static String lastLines(String s, int n) {
        List<String> l = Cmd.lines(s);
        return String.join("\n", l.subList(Math.max(0, l.size() - n), l.size()));
    }
}
