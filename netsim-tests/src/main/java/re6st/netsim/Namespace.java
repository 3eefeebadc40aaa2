package re6st.netsim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import re6st.jni.NetNs;

/**
 * A network namespace of a {@link TestNet} (a "host"). Setup goes through {@code ip} and
 * {@code sysctl}, the tools an administrator would use, so tests of our own netlink code
 * compare against an independent implementation.
 */
public class Namespace {
    private final TestNet net;
    private final String name;
    private final String label;

    Namespace(TestNet net, String name, String label) {
        this.net = net;
        this.name = name;
        this.label = label;
    }

    /** The system-wide name ({@code ip netns list}). */
    public String name() {
        return name;
    }

    /** The short name given by the test. */
    public String label() {
        return label;
    }

    public TestNet net() {
        return net;
    }

    /** Runs a command inside, requiring success. */
    public Cmd.Result run(String... command) {
        return Cmd.run(wrap(command));
    }

    /** Runs a command inside within {@code timeout}; the caller inspects the result. */
    public Cmd.Result exec(Duration timeout, String... command) {
        return Cmd.exec(timeout, wrap(command));
    }

    /** {@code ip -n NS ARGS...}, requiring success. */
    public Cmd.Result ip(String... args) {
        String[] c = new String[args.length + 3];
        c[0] = "ip";
        c[1] = "-n";
        c[2] = name;
        System.arraycopy(args, 0, c, 3, args.length);
        return Cmd.run(c);
    }

    /** Starts a long-running process inside; its output goes to {@code <logdir>/<label>-<logName>.log}. */
    public NsProcess start(String logName, String... command) {
        List<String> cmd = List.of(wrap(command));
        Path log = net.logDir().resolve(label + "-" + logName + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        try {
            NsProcess p = new NsProcess(label + "/" + logName, cmd, Cmd.start(pb), log);
            net.own(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", cmd), e);
        }
    }

    /** Sets a sysctl inside (e.g. {@code net.ipv6.conf.all.forwarding}, "1"). */
    public void sysctl(String key, String value) {
        run("sysctl", "-q", "-w", key + "=" + value);
    }

    public String sysctl(String key) {
        return run("sysctl", "-n", key).output().strip();
    }

    /** Turns on IPv4 and IPv6 forwarding (a router). */
    public void forwarding() {
        sysctl("net.ipv4.ip_forward", "1");
        sysctl("net.ipv6.conf.all.forwarding", "1");
    }

    public void addAddress(String ifname, String prefix) {
        if (prefix.indexOf(':') >= 0)
            ip("-6", "addr", "add", prefix, "dev", ifname, "nodad");
        else
            ip("addr", "add", prefix, "dev", ifname);
    }

    public void up(String ifname) {
        ip("link", "set", ifname, "up");
    }

    /** {@code ip route add ARGS...} (add "-6" handling by passing an IPv6 prefix). */
    public void route(String... args) {
        List<String> a = new ArrayList<>();
        if (args.length > 0 && args[0].indexOf(':') >= 0)
            a.add("-6");
        a.add("route");
        a.add("add");
        a.addAll(List.of(args));
        ip(a.toArray(String[]::new));
    }

    /** Runs Java code on a thread inside this namespace (sockets, TUNs, netlink opened there stay there). */
    public <T> T call(Callable<T> task) throws Exception {
        return NetNs.call(name, task);
    }

    /** True when {@code ping} reaches {@code address} from here within a second. */
    public boolean pings(String address) {
        return exec(Duration.ofSeconds(3), "ping", "-n", "-q", "-c", "1", "-W", "1", address).ok();
    }

    private String[] wrap(String... command) {
        String[] c = new String[command.length + 4];
        c[0] = "ip";
        c[1] = "netns";
        c[2] = "exec";
        c[3] = name;
        System.arraycopy(command, 0, c, 4, command.length);
        return c;
    }

    @Override
    public String toString() {
        return name;
    }
}
