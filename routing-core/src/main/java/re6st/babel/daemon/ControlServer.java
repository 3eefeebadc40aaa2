package re6st.babel.daemon;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

import re6st.babel.RouterId;
import re6st.babel.message.Addr;
import re6st.babel.mac.MacKey;
import re6st.babel.mac.MacPolicy;

/**
 * babeld's local control interface ({@code -G}): a TCP port on ::1 or a Unix socket. Speaks
 * babeld's protocol ({@code dump}, {@code monitor}, {@code unmonitor}, {@code quit}, replies
 * {@code ok}/{@code no}/{@code bad}) with the same line formats, so tools and tests read our
 * router like babeld. Extensions: {@code metrics} (Prometheus text format), and, read-write only,
 * {@code cost-multiplier IF NEIGHBOUR N} and {@code mac-policy IF sign K [accept K] [accept-bad B]};
 * {@code routes ADDRESS} (the routes whose prefix holds ADDRESS, with their feasibility); its owner
 * adds more with {@link #extend} (the node's {@code status}) and, read-write only and with
 * arguments, {@link #extendWritable} (the node's {@code blackhole}).
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger LOG = System.getLogger("re6st.babel.control");

    private final BabelDaemon daemon;
    private final ServerSocketChannel server;
    private final boolean readWrite;
    private final java.nio.file.attribute.UserPrincipal socketOwner;
    private final java.util.function.Function<String, MacKey> keys;
    private final Path unixPath;
    private final List<Monitor> monitors = new CopyOnWriteArrayList<>();
    private final Map<String, Callable<String>> extensions = new ConcurrentHashMap<>();
    private final Map<String, Command> writableExtensions = new ConcurrentHashMap<>();
    private volatile boolean running = true;
    private Map<String, String> last = Map.of();
    private long lastMonitorRun;

    /** A monitoring client: lines to write, produced on the core thread. */
    private static final class Monitor {
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>(100_000);
    }

    /**
     * Answers {@code command} (a word babeld does not use) with what {@code answer} returns, followed
     * by {@code ok}; {@code no} when it fails. The node's {@code status} (JSON on one line) is one.
     */
    public void extend(String command, Callable<String> answer) {
        extensions.put(command, answer);
    }

    /** A command that changes something: its words after the command's, and who asks. */
    public interface Command {
        /**
         * Does it and returns the answer (lines, maybe none). An {@link IllegalArgumentException}
         * (bad input: the command must then have changed nothing) is answered {@code no MESSAGE}.
         */
        String run(List<String> args, String client) throws Exception;
    }

    /**
     * Answers {@code command ARGS...} with what {@code c} returns, then {@code ok}; only to a client
     * that may change the router (read-write socket, our user or root): others get {@code no not allowed}.
     */
    public void extendWritable(String command, Command c) {
        writableExtensions.put(command, c);
    }

    private String writableExtension(String[] w, boolean writable, String client) {
        Command c = writableExtensions.get(w[0]);
        if (!writable)
            return readWrite ? "no not allowed: only the router's own user may change it\n" : "no read-only control socket\n";
        try {
            String a = c.run(List.of(w).subList(1, w.length), client);
            return a.isEmpty() || a.endsWith("\n") ? a + "ok\n" : a + "\nok\n";
        } catch (IllegalArgumentException e) {
            return "no " + e.getMessage().replace('\n', ' ') + "\n";
        } catch (Exception e) {
            LOG.log(Level.WARNING, "control socket: {0} failed: {1}", w[0], e.toString());
            return "no " + w[0] + " failed (see the node's log)\n";
        }
    }

    private String extension(String command) {
        Callable<String> answer = extensions.get(command);
        if (answer == null)
            return "bad\n";
        try {
            String a = answer.call();
            return a.isEmpty() || a.endsWith("\n") ? a + "ok\n" : a + "\nok\n";
        } catch (Exception e) {
            LOG.log(Level.WARNING, "control socket: {0} failed: {1}", command, e.toString());
            return "no\n";
        }
    }

    /** Listens on {@code ::1 port} (port > 0) or on the Unix socket {@code path}. */
    public ControlServer(BabelDaemon daemon, int port, String path, boolean readWrite,
            java.util.function.Function<String, MacKey> keys) throws IOException {
        this.daemon = daemon;
        this.keys = keys;
        this.readWrite = readWrite;
        SocketAddress addr;
        if (path != null) {
            unixPath = Path.of(path);
            Files.deleteIfExists(unixPath);
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            addr = UnixDomainSocketAddress.of(unixPath);
        } else {
            unixPath = null;
            server = ServerSocketChannel.open(StandardProtocolFamily.INET6);
            addr = new InetSocketAddress(InetAddress.getByName("::1"), port);
        }
        server.bind(addr);
        socketOwner = unixPath != null ? Files.getOwner(unixPath) : null; // we made it: our effective user
        if (unixPath != null) // read-write: the owner only (as babeld's local-path-readwrite should be); read-only: anyone may look
            Files.setPosixFilePermissions(unixPath, java.nio.file.attribute.PosixFilePermissions.fromString(readWrite ? "rw-------" : "rw-rw-rw-"));
        else if (readWrite)
            LOG.log(Level.WARNING, "read-write control socket on TCP [::1]:{0}: any local user (a SlapOS partition too) can change "
                    + "this router's costs and MAC keys; prefer a Unix socket path", Integer.toString(port));
        Thread t = new Thread(this::acceptLoop, "babel-control");
        t.setDaemon(true);
        t.start();
        daemon.afterEachStep(this::runMonitors);
    }

    private void acceptLoop() {
        while (running) {
            try {
                SocketChannel c = server.accept();
                Thread t = new Thread(() -> serve(c), "babel-control-client");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (running)
                    LOG.log(Level.WARNING, "control socket: {0}", e.getMessage());
            }
        }
    }

    private void serve(SocketChannel c) {
        Monitor mon = null;
        try (c; BufferedReader in = new BufferedReader(Channels.newReader(c, StandardCharsets.UTF_8));
             Writer out = Channels.newWriter(c, StandardCharsets.UTF_8)) {
            boolean writable = writable(c);
            String client = client(c);
            long id = daemon.call(core -> core.routerId());
            out.write("BABEL 1.0\nversion re6st-babel\nhost " + hostname() + "\nmy-id " + RouterId.format(id) + "\nok\n");
            out.flush();
            for (String line; (line = in.readLine()) != null; ) {
                String[] w = line.trim().split("\\s+");
                if (w[0].equals("quit"))
                    return;
                String reply = switch (w[0]) {
                    case "dump", "monitor" -> dumpText();
                    case "unmonitor" -> "ok\n";
                    case "cost-multiplier" -> costMultiplier(w, writable) + "\n";
                    case "mac-policy" -> macPolicy(w, writable) + "\n";
                    case "metrics" -> daemon.stats().prometheus() + "ok\n";
                    case "routes" -> routes(w);
                    case "" -> "";
                    default -> writableExtensions.containsKey(w[0]) ? writableExtension(w, writable, client) : extension(w[0]);
                };
                // A monitoring client's change lines are written by its pump thread: one writer at a time.
                synchronized (out) {
                    out.write(reply);
                    out.flush();
                }
                if (w[0].equals("monitor") && mon == null) {
                    Monitor m = new Monitor();
                    mon = m;
                    monitors.add(m);
                    Thread writer = new Thread(() -> pump(m, out, c), "babel-monitor");
                    writer.setDaemon(true);
                    writer.start();
                } else if (w[0].equals("unmonitor") && mon != null) {
                    monitors.remove(mon);
                    mon = null;
                }
            }
        } catch (Exception e) {
            LOG.log(Level.DEBUG, "control client gone: {0}", e.getMessage());
        } finally {
            if (mon != null)
                monitors.remove(mon);
        }
    }

    /** {@code routes ADDRESS}: the routes whose prefix holds it, with their feasibility ({@link ControlDump#routesTo}). */
    private String routes(String[] w) throws Exception {
        if (w.length != 2)
            return "no usage: routes ADDRESS\n";
        Addr a;
        try {
            a = Addr.parse(w[1]);
        } catch (RuntimeException e) {
            return "no not an address: " + w[1] + "\n";
        }
        return daemon.call(core -> ControlDump.routesTo(core, a, System.nanoTime())) + "ok\n";
    }

    /** Who is on the other end, for the log of what it changes: {@code uid N} over a Unix socket, else the TCP address. */
    private String client(SocketChannel c) {
        try {
            if (unixPath == null)
                return String.valueOf(c.getRemoteAddress());
            return "user " + c.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user().getName();
        } catch (IOException | UnsupportedOperationException e) {
            return "unknown client";
        }
    }

    /** The whole state as {@code add} lines, then {@code ok}. */
    private String dumpText() throws Exception {
        StringBuilder b = new StringBuilder();
        for (String l : daemon.call(core -> ControlDump.snapshot(core, System.nanoTime())).values())
            b.append("add ").append(l).append('\n');
        return b.append("ok\n").toString();
    }

    /**
     * Whether the client of {@code c} may change the router: a read-write socket, and over a Unix
     * socket a client of our own user or root (the socket's mode already says so; this holds even
     * if someone loosens it).
     */
    private boolean writable(SocketChannel c) {
        if (!readWrite)
            return false;
        if (unixPath == null)
            return true;
        try { // principals compare by uid (a uid without a passwd entry too)
            java.nio.file.attribute.UserPrincipal peer = c.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user();
            java.nio.file.attribute.UserPrincipalLookupService users = unixPath.getFileSystem().getUserPrincipalLookupService();
            return peer.equals(socketOwner) || peer.equals(users.lookupPrincipalByName("root"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private String costMultiplier(String[] w, boolean writable) {
        if (!writable)
            return readWrite ? "no not allowed: only the router's own user may change it" : "no read-only control socket";
        if (w.length != 4)
            return "no usage: cost-multiplier IF NEIGHBOUR-LINK-LOCAL N";
        try {
            Addr n = Addr.parse(w[2]);
            int m = Integer.parseInt(w[3]);
            daemon.call(core -> {
                core.setCostMultiplier(w[1], n, m, System.nanoTime());
                return null;
            });
            return "ok";
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return "no " + cause.getMessage();
        }
    }

    /** {@code mac-policy IF sign K[,K] [accept K[,K]] [accept-bad true|false]}: key ids from the configuration. */
    private String macPolicy(String[] w, boolean writable) {
        if (!writable)
            return readWrite ? "no not allowed: only the router's own user may change it" : "no read-only control socket";
        try {
            if (w.length < 4 || !w[2].equals("sign"))
                return "no usage: mac-policy IF sign K[,K...] [accept K[,K...]] [accept-bad true|false]";
            List<MacKey> sign = keyList(w[3]);
            List<MacKey> accept = List.of();
            boolean bad = false;
            for (int i = 4; i + 1 < w.length; i += 2) {
                switch (w[i]) {
                    case "accept" -> accept = keyList(w[i + 1]);
                    case "accept-bad" -> bad = Boolean.parseBoolean(w[i + 1]);
                    default -> throw new IllegalArgumentException("unknown word '" + w[i] + "'");
                }
            }
            daemon.setMacPolicy(w[1], new MacPolicy(sign, accept, bad));
            return "ok";
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return "no " + cause.getMessage();
        }
    }

    private List<MacKey> keyList(String ids) {
        List<MacKey> l = new java.util.ArrayList<>();
        for (String id : ids.split(",")) {
            MacKey k = keys.apply(id);
            if (k == null)
                throw new IllegalArgumentException("no key '" + id + "' (define it with a 'key id ...' statement)");
            l.add(k);
        }
        return l;
    }

    private static void pump(Monitor m, Writer out, SocketChannel c) {
        try {
            while (c.isOpen()) {
                String l = m.lines.take();
                synchronized (out) {
                    out.write(l);
                    out.write('\n');
                    if (m.lines.isEmpty())
                        out.flush();
                }
            }
        } catch (Exception e) {
            // client gone
        }
    }

    /** On the core thread: diff the state against the last snapshot, at most every 100 ms. */
    private void runMonitors() {
        if (monitors.isEmpty())
            return;
        long now = System.nanoTime();
        if (now - lastMonitorRun < 100_000_000L)
            return;
        lastMonitorRun = now;
        Map<String, String> snap = daemon.snapshotOnCoreThread(now);
        for (Map.Entry<String, String> e : snap.entrySet()) {
            String old = last.get(e.getKey());
            if (old == null)
                broadcast("add " + e.getValue());
            else if (!old.equals(e.getValue()))
                broadcast("change " + e.getValue());
        }
        for (Map.Entry<String, String> e : last.entrySet())
            if (!snap.containsKey(e.getKey()))
                broadcast("flush " + e.getValue());
        last = snap;
    }

    private void broadcast(String line) {
        for (Monitor m : monitors)
            m.lines.offer(line);
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    @Override
    public void close() throws IOException {
        running = false;
        server.close();
        if (unixPath != null)
            Files.deleteIfExists(unixPath);
    }
}
