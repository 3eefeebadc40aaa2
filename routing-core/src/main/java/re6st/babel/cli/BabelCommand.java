package re6st.babel.cli;

import java.net.NetworkInterface;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import re6st.cli.CommandFailure;
import re6st.cli.Daemon;
import re6st.cli.Launcher;
import re6st.babel.config.BabelConfig;
import re6st.babel.config.ConfigException;
import re6st.babel.config.ControlSocket;
import re6st.babel.daemon.BabelDaemon;
import re6st.babel.daemon.BabelSocket;
import re6st.babel.daemon.ControlServer;
import re6st.babel.message.Addr;

/**
 * {@code re6st babel}: our Babel router alone on kernel interfaces, a drop-in peer for babeld,
 * configured with babeld's own options and statement language.
 */
@Command(name = "re6st babel", sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Runs the Babel routing protocol (RFC 8966, with RTT-based metrics of RFC 9616 and source-specific "
                + "routes of RFC 9079) on the given interfaces, like babeld and interoperable with Debian's babeld "
                + "1.12.1: same options, same configuration statements, same local control interface.",
            "",
            "Supported statements (-C or in -c files): router-id, random-id, interface IF [type wired|tunnel] "
                + "[hello-interval S] [update-interval S] [rxcost N] [enable-timestamps true|false] [rtt-min MS] "
                + "[rtt-max MS] [max-rtt-penalty N] [rtt-decay N] [key ID], default ..., key id ID type "
                + "blake2s128|hmac-sha256 value HEX, redistribute [ip P [eq|le|ge N]] [proto N] [local] [if IF] "
                + "[allow|deny|metric N], smoothing-half-life S, export-table N, import-table N, local-port N, "
                + "local-path P. An unknown statement is an error naming it."},
        footer = {"", "Example (as babeld would be started):",
            "  re6st babel -S /var/lib/re6st/babel.state -G /run/re6st/babel.sock \\",
            "    -C 'redistribute ip 2001:db8:42::/48 le 64' \\",
            "    -C 'default type tunnel hello-interval 1' veth0"})
public final class BabelCommand implements Callable<Integer>, Launcher.Verbosity {
    @Parameters(paramLabel = "IFACE", description = "Interfaces to run Babel on (in addition to 'interface' statements).")
    List<String> interfaces = new ArrayList<>();

    @Option(names = "-C", paramLabel = "STATEMENT", description = "A configuration statement (repeatable).")
    List<String> statements = new ArrayList<>();

    @Option(names = "-c", paramLabel = "FILE", description = "A configuration file (repeatable).")
    List<Path> files = new ArrayList<>();

    @Option(names = "-S", paramLabel = "STATEFILE", description = "Where our seqno survives restarts.")
    Path stateFile;

    @Option(names = "-I", paramLabel = "PIDFILE", description = "Write our pid here (removed at exit).")
    Path pidFile;

    @Option(names = "-G", paramLabel = "PORT|PATH", description = "Read-write local control interface: a TCP port on ::1, or a Unix socket path.")
    String controlRw;

    @Option(names = "-g", paramLabel = "PORT|PATH", description = "Read-only local control interface.")
    String controlRo;

    @Option(names = "-h", paramLabel = "SECONDS", description = "Default hello interval (babeld's -h; default 4).")
    Double hello;

    @Option(names = "-p", paramLabel = "PORT", description = "UDP port (default 6696).")
    Integer port;

    @Option(names = {"-v", "--verbose"}, description = "On failure, print the stack trace too.")
    boolean verbose;

    // -h is babeld's hello interval, so help is --help only.
    @Option(names = "--help", usageHelp = true, description = "Show this help and exit.")
    boolean help;

    public static void main(String[] args) {
        Launcher.main(new BabelCommand(), args);
    }

    @Override
    public boolean verbose() {
        return verbose;
    }

    @Override
    public Integer call() throws Exception {
        List<String> all = new ArrayList<>();
        if (hello != null)
            all.add("default hello-interval " + hello);
        all.addAll(statements);
        BabelConfig cfg;
        try {
            cfg = BabelConfig.parse(all, files);
        } catch (ConfigException e) {
            throw CommandFailure.usage(e.getMessage());
        } catch (java.io.IOException e) { // a -c file missing or unreadable
            throw CommandFailure.usage("-c", e);
        }
        if (port != null)
            port("-p", String.valueOf(port));
        ControlSocket cs = controlRw != null ? socket("-G", controlRw, true) : controlRo != null ? socket("-g", controlRo, false)
                : cfg.controlSocket().orElse(null);
        Set<String> names = new LinkedHashSet<>(cfg.interfaceNames());
        names.addAll(interfaces);
        if (names.isEmpty())
            throw CommandFailure.usage("no interface given (name them as arguments or with 'interface IF' statements)");
        for (String name : names) // sysfs, not NetworkInterface: the JDK lists a link only once it has an address (a
            // veth just made has not yet its link-local one: seen as a flaky "no interface" in CI)
            if (!java.nio.file.Files.isDirectory(java.nio.file.Path.of("/sys/class/net", name)) || name.contains("/"))
                throw CommandFailure.usage("no interface " + name + " on this machine ('ip link' lists them)");
        long routerId = cfg.routerId().isPresent() ? cfg.routerId().getAsLong() : defaultRouterId(names.iterator().next());
        BabelDaemon.Options opts = BabelDaemon.Options.from(cfg, names, routerId).withOverrides(stateFile, pidFile, port);
        BabelDaemon daemon = new BabelDaemon(opts);
        daemon.onLoopDeath((loop, why) -> Daemon.die("re6st babel", "babel " + loop, why));
        try {
            daemon.start();
        } catch (java.io.IOException e) { // the process exits: nothing of the daemon is left to close
            throw e instanceof java.nio.file.FileSystemException ? CommandFailure.failed(e) // -S or -I: the path says it
                    : CommandFailure.failed("cannot start on " + String.join(", ", names) + " (UDP port " + opts.port() + ")", e);
        }
        ControlServer control = null;
        if (cs != null)
            try {
                control = new ControlServer(daemon, cs.port(), cs.path(), cs.readWrite(), cfg.keys()::get);
            } catch (java.io.IOException e) {
                daemon.close();
                throw CommandFailure.failed("cannot open the control socket (" + (controlRw != null ? "-G " + controlRw
                        : controlRo != null ? "-g " + controlRo : "local-path/local-port") + ")", e);
            }
        List<AutoCloseable> opened = new ArrayList<>(List.of(daemon::close)); // closed last to first
        if (control != null)
            opened.add(control);
        Daemon.runUntilTerminated("re6st babel", opened);
        return 0;
    }

    private static ControlSocket socket(String option, String s, boolean rw) {
        return s.matches("\\d+") ? new ControlSocket(port(option, s), null, rw) : new ControlSocket(0, s, rw);
    }

    private static int port(String option, String s) {
        try {
            int p = Integer.parseInt(s);
            if (p > 0 && p <= 65535)
                return p;
        } catch (NumberFormatException e) {
            // said below
        }
        throw CommandFailure.usage(option + ": '" + s + "' is not a port number (1-65535)");
    }

    /** Like babeld: the EUI-64 of the first interface (the low 64 bits of its link-local address). */
    static long defaultRouterId(String ifname) throws Exception {
        Addr ll = BabelSocket.linkLocal(NetworkInterface.getByName(ifname));
        if (ll == null)
            throw CommandFailure.usage(ifname + " has no link-local address to derive a router-id from: bring it up, or give -C 'router-id ...'");
        return ll.lo();
    }
}
