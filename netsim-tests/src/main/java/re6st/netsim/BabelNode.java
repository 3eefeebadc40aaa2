package re6st.netsim;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;


/**
 * A Babel router in a test namespace: Debian's babeld or ours ({@code re6st babel}, in its own
 * JVM), started with the same options, read through the same local control interface.
 */
public final class BabelNode implements AutoCloseable {
    public enum Kind { BABELD, OURS }

    public final Kind kind;
    public final Namespace ns;
    public final String routerId;
    final Path dir;
    final Path control;
    NsProcess process;
    private final List<String> args;

    private BabelNode(Kind kind, Namespace ns, int id, List<String> statements) throws IOException {
        this.kind = kind;
        this.ns = ns;
        this.routerId = String.format("02:00:00:00:00:00:00:%02x", id);
        this.dir = Files.createDirectories(ns.net().logDir().resolve(ns.label() + "-babel"));
        this.control = dir.resolve("control.sock");
        List<String> a = new ArrayList<>();
        a.add("-I");
        a.add(dir.resolve("pid").toString());
        a.add("-S");
        a.add(dir.resolve("state").toString());
        for (String s : List.of("router-id " + routerId, "smoothing-half-life 0", "local-path-readwrite " + control)) {
            a.add("-C");
            a.add(s);
        }
        for (String s : statements) {
            a.add("-C");
            a.add(s);
        }
        this.args = a;
    }

    /** babeld, configured by statements (interfaces named with 'interface IF ...'). */
    public static BabelNode babeld(Namespace ns, int id, List<String> statements) throws IOException {
        BabelNode n = new BabelNode(Kind.BABELD, ns, id, statements);
        n.start();
        return n;
    }

    /** Our router, with the same statements. */
    public static BabelNode ours(Namespace ns, int id, List<String> statements) throws IOException {
        BabelNode n = new BabelNode(Kind.OURS, ns, id, statements);
        n.start();
        return n;
    }

    /** The control socket (babeld's local interface). */
    public Path controlPath() {
        return control;
    }

    /** The process's output so far. */
    public String log() {
        return process.log();
    }

    public void start() {
        List<String> cmd = new ArrayList<>();
        if (kind == Kind.BABELD) {
            cmd.add("babeld");
        } else {
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("re6st.babel.cli.BabelCommand");
        }
        cmd.addAll(args);
        process = ns.start(kind == Kind.BABELD ? "babeld" : "re6st-babel", cmd.toArray(String[]::new));
        Wait.until(this + " control socket is up", Duration.ofSeconds(30), () -> {
            if (!process.isAlive())
                throw new AssertionError(this + " exited:\n" + process.log());
            return Files.exists(control) && tryDump() != null;
        });
    }

    /** The lines of a {@code dump} (after the greeting), or null if the router does not answer. */
    public List<String> tryDump() {
        return tryRequest("dump");
    }

    /** The reply lines of a multi-line request (up to "ok"); fails if the router does not answer. */
    public List<String> request(String request) {
        List<String> r = tryRequest(request);
        if (r == null)
            throw new AssertionError(this + " does not answer on its control socket:\n" + process.log());
        return r;
    }

    private List<String> tryRequest(String request) {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(control));
            BufferedReader in = new BufferedReader(Channels.newReader(c, StandardCharsets.UTF_8));
            Writer out = Channels.newWriter(c, StandardCharsets.UTF_8);
            for (String l; (l = in.readLine()) != null && !l.equals("ok"); ) { } // greeting
            out.write(request + "\n");
            out.flush();
            List<String> lines = new ArrayList<>();
            for (String l; (l = in.readLine()) != null && !l.equals("ok"); )
                lines.add(l);
            out.write("quit\n");
            out.flush();
            return lines;
        } catch (IOException e) {
            return null;
        }
    }

    /** Sends one request on the control socket; returns the reply line ("ok", "no ...", "bad"). */
    public String command(String request) throws IOException {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(control));
            BufferedReader in = new BufferedReader(Channels.newReader(c, StandardCharsets.UTF_8));
            Writer out = Channels.newWriter(c, StandardCharsets.UTF_8);
            for (String l; (l = in.readLine()) != null && !l.equals("ok"); ) { } // greeting
            out.write(request + "\n");
            out.flush();
            String reply = in.readLine();
            out.write("quit\n");
            out.flush();
            return reply;
        }
    }

    public List<String> dump() {
        List<String> d = tryDump();
        if (d == null)
            throw new AssertionError(this + " does not answer on its control socket:\n" + process.log());
        return d;
    }

    private static final Pattern NEIGHBOUR = Pattern.compile("add neighbour \\S+ address (\\S+) if (\\S+) .* cost (\\d+)");
    private static final Pattern RTT = Pattern.compile(" rtt (\\d+\\.\\d+) ");

    /** A counter or gauge of our daemon's {@code metrics} request ({@code babel_mac_dropped}), or -1 if absent. */
    public long metric(String name) {
        for (String l : request("metrics"))
            if (l.startsWith(name + " "))
                return Long.parseLong(l.substring(name.length() + 1).trim());
        return -1;
    }

    /** Cost of our neighbour on {@code ifname} from the dump, or -1 if none. */
    public int neighbourCost(String ifname) {
        for (String l : dump()) {
            Matcher m = NEIGHBOUR.matcher(l);
            if (m.find() && m.group(2).equals(ifname))
                return Integer.parseInt(m.group(3));
        }
        return -1;
    }

    /** RTT in ms to the neighbour on {@code ifname}, or NaN. */
    public double neighbourRtt(String ifname) {
        for (String l : dump()) {
            Matcher m = NEIGHBOUR.matcher(l);
            if (m.find() && m.group(2).equals(ifname)) {
                Matcher r = RTT.matcher(l);
                return r.find() ? Double.parseDouble(r.group(1)) : Double.NaN;
            }
        }
        return Double.NaN;
    }

    /** The installed route line for {@code prefix} in the dump, or null. */
    public String installedRoute(String prefix) {
        for (String l : dump())
            if (l.startsWith("add route ") && l.contains(" prefix " + prefix + " ") && l.contains(" installed yes"))
                return l;
        return null;
    }

    /** The kernel's IPv6 routes of protocol babel (42) in this namespace, as {@code ip -6 route} prints them. */
    public String kernelRoutes() {
        return ns.ip("-6", "route", "show", "proto", "42").output();
    }

    public void kill() {
        process.signal("KILL");
        process.waitFor(Duration.ofSeconds(5));
    }

    public void stop() {
        process.signal("TERM");
        if (process.waitFor(Duration.ofSeconds(10)) == null)
            throw new AssertionError(this + " did not stop on SIGTERM:\n" + process.log());
    }

    @Override
    public void close() {
        process.close();
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase() + "@" + ns.label();
    }
}
