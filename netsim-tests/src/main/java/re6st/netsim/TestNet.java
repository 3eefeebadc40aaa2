package re6st.netsim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import re6st.jni.ErrnoException;

/**
 * A test network on this machine: namespaces ("hosts"), veth pairs, bridges ("LANs"), emulated
 * WAN links, NAT routers and processes, all removed by {@link #close} in reverse order, also
 * when a test fails, and by a shutdown hook when the JVM is interrupted. Names carry the owner's
 * pid ({@code r6t<pid>-<n>-<label>}), so namespaces left by a killed run are recognised and
 * removed when the next run starts ({@link #removeStale}).
 *
 * <p>Addresses used by tests must stay inside 198.18.0.0/15, 2001:db8::/32 or fd00::/8.
 */
public final class TestNet implements AutoCloseable {
    static final String PREFIX = "r6t";
    private static final Pattern OURS = Pattern.compile("^" + PREFIX + "(\\d+)-.*");
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final Set<TestNet> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile boolean staleChecked;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (TestNet n : LIVE)
                n.close();
        }, "testnet-cleanup"));
    }

    private final String tag;
    private final Path logDir;
    private final Deque<AutoCloseable> owned = new ArrayDeque<>();
    private final List<Namespace> namespaces = new ArrayList<>();
    private long seed = 1;
    private boolean closed;

    private TestNet(String label, Path logRoot) {
        this.tag = PREFIX + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
        try {
            this.logDir = Files.createDirectories(logRoot.resolve(tag + "-" + label));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LIVE.add(this);
    }

    /** A new empty network; its process logs go to {@code target/netsim/<tag>-<label>/}. */
    public static TestNet create(String label) {
        return create(label, Path.of(System.getProperty("re6st.netsim.logdir", "target/netsim")));
    }

    public static TestNet create(String label, Path logRoot) {
        if (!staleChecked) {
            removeStale();
            staleChecked = true;
        }
        return new TestNet(label, logRoot);
    }

    public Path logDir() {
        return logDir;
    }

    /** Seed for the WAN emulators' random loss/jitter (default 1): runs are reproducible. */
    public TestNet seed(long s) {
        this.seed = s;
        return this;
    }

    // ------------------------------------------------------------- building

    /** A new namespace with loopback up and IPv6 DAD off (addresses usable at once). */
    public synchronized Namespace namespace(String label) {
        String name = tag + "-" + label;
        Cmd.run("ip", "netns", "add", name);
        Namespace ns = new Namespace(this, name, label);
        owned.push(() -> deleteNamespace(name));
        namespaces.add(ns);
        ns.ip("link", "set", "lo", "up");
        ns.sysctl("net.ipv6.conf.all.accept_dad", "0");
        ns.sysctl("net.ipv6.conf.default.accept_dad", "0");
        return ns;
    }

    /** A NAT router namespace: masquerades what leaves by {@code outsideIf} (create that link next). */
    public synchronized NatRouter natRouter(String label, String outsideIf) {
        Namespace ns = namespace(label);
        return new NatRouter(ns, outsideIf);
    }

    /** A veth pair: {@code ifA} in {@code a}, {@code ifB} in {@code b}, both up. */
    public void veth(Namespace a, String ifA, Namespace b, String ifB) {
        Cmd.run("ip", "link", "add", ifA, "netns", a.name(), "type", "veth", "peer", "name", ifB, "netns", b.name());
        a.up(ifA);
        b.up(ifB);
    }

    /** A LAN: a bridge in its own namespace; join hosts with {@link #attach}. */
    public Namespace lan(String label) {
        Namespace ns = namespace(label);
        ns.ip("link", "add", "br0", "type", "bridge");
        ns.up("br0");
        return ns;
    }

    /** Plugs {@code host} into {@code lan} with interface {@code ifname} on the host side. */
    public void attach(Namespace host, String ifname, Namespace lan) {
        String port = "p" + SEQ.incrementAndGet();
        veth(host, ifname, lan, port);
        lan.ip("link", "set", port, "master", "br0");
    }

    /** An emulated WAN link; see {@link WanLink}. */
    public synchronized WanLink wan(String name, Namespace a, String ifA, Namespace b, String ifB, LinkParams params) {
        try {
            WanLink w = new WanLink(name, a, ifA, b, ifB, params, seed++);
            owned.push(w);
            return w;
        } catch (ErrnoException e) {
            throw new UncheckedIOException("cannot create WAN link " + name, e);
        }
    }

    /** Closes {@code c} with this network (before the namespaces it lives in go). */
    public synchronized void own(AutoCloseable c) {
        if (closed)
            throw new IllegalStateException("test network already closed");
        owned.push(c);
    }

    public List<Namespace> namespaces() {
        return List.copyOf(namespaces);
    }

    // ------------------------------------------------------------- cleanup

    /** Stops every process, emulator and namespace, newest first. Never throws. */
    @Override
    public synchronized void close() {
        if (closed)
            return;
        closed = true;
        while (!owned.isEmpty()) {
            try {
                owned.pop().close();
            } catch (Exception e) {
                System.err.println("netsim: cleanup of " + tag + ": " + e.getMessage());
            }
        }
        LIVE.remove(this);
    }

    private static void deleteNamespace(String name) {
        // Kill anything still running inside (children of children, daemons), then delete.
        Cmd.Result pids = Cmd.exec(Duration.ofSeconds(10), "ip", "netns", "pids", name);
        if (pids.ok())
            for (String p : Cmd.lines(pids.output()))
                Cmd.exec(Duration.ofSeconds(5), "kill", "-9", p);
        Cmd.exec(Duration.ofSeconds(10), "ip", "netns", "del", name).check();
    }

    /** Namespaces of ours (by name) that exist now. */
    public static List<String> existingNamespaces() {
        List<String> out = new ArrayList<>();
        Cmd.Result r = Cmd.exec(Duration.ofSeconds(10), "ip", "netns", "list");
        for (String line : Cmd.lines(r.output())) {
            String name = line.split("\\s+")[0];
            if (name.startsWith(PREFIX))
                out.add(name);
        }
        return out;
    }

    /** Removes namespaces left by test processes that no longer run. Returns their names. */
    public static List<String> removeStale() {
        List<String> removed = new ArrayList<>();
        for (String name : existingNamespaces()) {
            Matcher m = OURS.matcher(name);
            if (!m.matches())
                continue;
            long pid = Long.parseLong(m.group(1));
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                continue;
            try {
                deleteNamespace(name);
                removed.add(name);
            } catch (RuntimeException e) {
                System.err.println("netsim: cannot remove stale namespace " + name + ": " + e.getMessage());
            }
        }
        if (!removed.isEmpty())
            System.err.println("netsim: removed " + removed.size() + " namespace(s) left by a killed run: " + removed);
        return removed;
    }

    @Override
    public String toString() {
        return tag;
    }
}
