package re6st.babel.daemon;

import java.io.IOException;
import java.io.Reader;
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
 * arguments, {@link #extendWritable} (the node's {@code blackhole}). What each line is answered is
 * {@link ControlCommands}; this is the socket, who may write, and the monitors. At most
 * {@link #MAX_CLIENTS} clients at once (as babeld); one more is answered {@code no too many connections}
 * and closed. A monitor's writer thread ends with {@code unmonitor} or the client.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger LOG = System.getLogger("re6st.babel.control");

    /**
     * The most clients connected at once (babeld's MAX_LOCAL_SOCKETS): each has a thread, and a
     * read-only socket is open to every local user. One more is answered one line,
     * {@code no too many connections}, and closed (counted: {@code babel_control_connections_refused}).
     */
    public static final int MAX_CLIENTS = 40;

    private final Core daemon;
    private final java.util.concurrent.Semaphore clients = new java.util.concurrent.Semaphore(MAX_CLIENTS);
    private final ServerSocketChannel server;
    private final boolean readWrite;
    private final java.nio.file.attribute.UserPrincipal socketOwner;
    private final ControlCommands commands;
    private final Path unixPath;
    private final List<Monitor> monitors = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;
    private Map<String, String> last = Map.of();
    private long lastMonitorRun;

    /** What the server needs of the daemon beside the commands' {@link ControlCommands.Router} (a test gives its own). */
    interface Core {
        /** For the greeting ({@code my-id}). */
        long routerId() throws Exception;

        /** On the core thread: the state as {@code dump} shows it, by key (the monitors diff it). */
        Map<String, String> snapshotOnCoreThread(long now);

        /** Runs {@code r} on the core thread after every step. */
        void afterEachStep(Runnable r);

        /** Where the refused connections are counted. */
        DaemonStats stats();
    }

    /** A monitoring client: lines to write, produced on the core thread, until {@link #end}. */
    private static final class Monitor {
        /** Wakes the pump to end (compared by identity). */
        private static final String END = new String("end");
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>(100_000);
        volatile boolean ended;

        /** Unmonitor or disconnect (no longer in {@link #monitors}): the pump drops what is queued and ends. */
        void end() {
            ended = true;
            lines.clear();
            lines.offer(END);
        }
    }

    /**
     * Answers {@code command} (a word babeld does not use) with what {@code answer} returns, followed
     * by {@code ok}; {@code no} when it fails. The node's {@code status} (JSON on one line) is one.
     */
    public void extend(String command, Callable<String> answer) {
        commands.extend(command, answer);
    }

    /**
     * Answers {@code command ARGS...} with what {@code c} returns, then {@code ok}; only to a client
     * that may change the router (read-write socket, our user or root): others get {@code no not allowed}.
     */
    public void extendWritable(String command, ControlCommands.Command c) {
        commands.extendWritable(command, c);
    }

    /** Listens on {@code ::1 port} (port > 0) or on the Unix socket {@code path}. */
    public ControlServer(BabelDaemon daemon, int port, String path, boolean readWrite,
            java.util.function.Function<String, MacKey> keys) throws IOException {
        this(router(daemon), new Core() {
            public long routerId() throws Exception {
                return daemon.call(core -> core.routerId());
            }

            public Map<String, String> snapshotOnCoreThread(long now) {
                return daemon.snapshotOnCoreThread(now);
            }

            public void afterEachStep(Runnable r) {
                daemon.afterEachStep(r);
            }

            public DaemonStats stats() {
                return daemon.stats();
            }
        }, port, path, readWrite, keys);
    }

    /** The same on any {@code router} and {@code daemon} (tests: no kernel, no root). */
    ControlServer(ControlCommands.Router router, Core daemon, int port, String path, boolean readWrite,
            java.util.function.Function<String, MacKey> keys) throws IOException {
        this.daemon = daemon;
        this.readWrite = readWrite;
        this.commands = new ControlCommands(router, readWrite, keys);
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
                if (!clients.tryAcquire()) {
                    refuse(c);
                    continue;
                }
                Thread t = new Thread(() -> serve(c), "babel-control-client"); // serve releases the slot
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (running)
                    LOG.log(Level.WARNING, "control socket: {0}", e.getMessage());
            }
        }
    }

    /** Over {@link #MAX_CLIENTS}: one line and the door; counted. */
    private void refuse(SocketChannel c) {
        daemon.stats().controlRefused.inc();
        LOG.log(Level.DEBUG, "control socket: a client refused, {0} connected already", MAX_CLIENTS);
        try (c) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap("no too many connections\n".getBytes(StandardCharsets.US_ASCII));
            c.configureBlocking(false); // a client that reads nothing cannot hold the accept loop (24 bytes fit a new socket's buffer)
            c.write(b);
        } catch (IOException e) {
            // gone already
        }
    }

    /** One client, on its own thread, holding one of the {@link #MAX_CLIENTS} slots until its connection is done. */
    private void serve(SocketChannel c) {
        boolean released = false;
        try (c; Reader in = ControlCommands.decoding(c);
             Writer out = Channels.newWriter(c, StandardCharsets.UTF_8)) {
            try {
                serve(c, in, out);
            } finally {
                released = true;
                clients.release(); // before c closes: a client that saw its connection end may connect again at once
            }
        } catch (Exception e) {
            LOG.log(Level.DEBUG, "control client gone: {0}", e.getMessage());
        } finally {
            if (!released)
                clients.release();
        }
    }

    private void serve(SocketChannel c, Reader in, Writer out) throws Exception {
        Monitor mon = null;
        try {
            boolean writable = writable(c);
            String client = client(c);
            long id = daemon.routerId();
            out.write("BABEL 1.0\nversion re6st-babel\nhost " + hostname() + "\nmy-id " + RouterId.format(id) + "\nok\n");
            out.flush();
            for (String line; (line = ControlCommands.readLine(in)) != null; ) {
                String reply = commands.answer(line, writable, client);
                if (reply == null)
                    return; // quit
                // A monitoring client's change lines are written by its pump thread: one writer at a time.
                synchronized (out) {
                    out.write(reply);
                    out.flush();
                }
                List<String> w = ControlCommands.words(line);
                String command = w.isEmpty() || !reply.endsWith("ok\n") ? "" : w.get(0);
                if (command.equals("monitor") && mon == null) {
                    Monitor m = new Monitor();
                    mon = m;
                    monitors.add(m);
                    Thread writer = new Thread(() -> pump(m, out, c), "babel-monitor");
                    writer.setDaemon(true);
                    writer.start();
                } else if (command.equals("unmonitor") && mon != null) {
                    monitors.remove(mon);
                    mon.end();
                    mon = null;
                }
            }
        } finally {
            if (mon != null) {
                monitors.remove(mon);
                mon.end();
            }
        }
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

    /** The daemon as the commands see it: its core, on the core thread. */
    private static ControlCommands.Router router(BabelDaemon daemon) {
        return new ControlCommands.Router() {
            public java.util.Collection<String> dump() throws Exception {
                return daemon.call(core -> ControlDump.snapshot(core, System.nanoTime())).values();
            }

            public String metrics() {
                return daemon.stats().prometheus();
            }

            public String routesTo(Addr a) throws Exception {
                return daemon.call(core -> ControlDump.routesTo(core, a, System.nanoTime()));
            }

            public void setCostMultiplier(String ifname, Addr neighbour, int multiplier) throws Exception {
                daemon.call(core -> {
                    core.setCostMultiplier(ifname, neighbour, multiplier, System.nanoTime());
                    return null;
                });
            }

            public void setMacPolicy(String ifname, MacPolicy policy) throws Exception {
                daemon.setMacPolicy(ifname, policy);
            }
        };
    }

    /** A monitor's writer thread: ends on unmonitor or disconnect ({@link Monitor#end}) or a failed write. */
    private static void pump(Monitor m, Writer out, SocketChannel c) {
        try {
            while (c.isOpen()) {
                String l = m.lines.take();
                if (m.ended)
                    return;
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
