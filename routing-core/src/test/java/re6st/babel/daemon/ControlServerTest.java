package re6st.babel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.BufferedReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import re6st.babel.mac.MacPolicy;
import re6st.babel.message.Addr;

/** The control socket itself (a Unix socket, no kernel, no root): what goes in as bytes, what comes back, and its threads. */
class ControlServerTest {
    /** A router of one interface. */
    static final ControlCommands.Router ROUTER = new ControlCommands.Router() {
        public Collection<String> dump() {
            return List.of("interface lo up true");
        }

        public String metrics() {
            return "";
        }

        public String routesTo(Addr a) {
            return "";
        }

        public void setCostMultiplier(String ifname, Addr neighbour, int multiplier) {}

        public void setMacPolicy(String ifname, MacPolicy policy) {}
    };

    /** The core's part: router-id 1, an empty state, the per-step hooks kept. */
    final List<Runnable> afterEachStep = new ArrayList<>();
    final DaemonStats stats = new DaemonStats();
    final ControlServer.Core core = new ControlServer.Core() {
        public DaemonStats stats() {
            return stats;
        }

        public long routerId() {
            return 1;
        }

        public Map<String, String> snapshotOnCoreThread(long now) {
            return Map.of();
        }

        public void afterEachStep(Runnable r) {
            afterEachStep.add(r);
        }
    };

    @TempDir
    Path dir;
    ControlServer server;
    final List<Client> clients = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        server = new ControlServer(ROUTER, core, 0, dir.resolve("babeld.sock").toString(), false, k -> null);
        server.extend("status", () -> "{}");
    }

    @AfterEach
    void close() throws Exception {
        for (Client c : clients)
            c.close();
        server.close();
    }

    /** A client past the greeting; every read waits 10 s at most (then fails the test). */
    final class Client implements AutoCloseable {
        final SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        final ExecutorService reader = Executors.newSingleThreadExecutor();
        final BufferedReader in;

        Client() throws Exception {
            this(true);
        }

        /** @param greeted read the greeting up to its ok */
        Client(boolean greeted) throws Exception {
            clients.add(this);
            c.connect(UnixDomainSocketAddress.of(dir.resolve("babeld.sock")));
            in = new BufferedReader(Channels.newReader(c, StandardCharsets.UTF_8));
            if (!greeted)
                return;
            assertEquals("BABEL 1.0", line());
            while (!"ok".equals(line()))
                ;
        }

        void send(byte[] b) throws Exception {
            ByteBuffer bb = ByteBuffer.wrap(b);
            while (bb.hasRemaining())
                c.write(bb);
        }

        void send(String s) throws Exception {
            send(s.getBytes(StandardCharsets.UTF_8));
        }

        /** The next line; null when the server closed the connection. */
        String line() throws Exception {
            return reader.submit(in::readLine).get(10, TimeUnit.SECONDS);
        }

        List<String> lines(int n) throws Exception {
            List<String> l = new ArrayList<>();
            for (int i = 0; i < n; i++)
                l.add(line());
            return l;
        }

        @Override
        public void close() throws Exception {
            c.close();
            reader.shutdownNow();
        }
    }

    @Test
    void aMalformedByteIsBadAndTheLinesAroundItAreAnswered() throws Exception { // babeld 1.12.1 answers bad to "\xff\n"
        Client c = new Client();
        c.send(new byte[] {'d', 'u', 'm', 'p', '\n', 's', 't', 'a', 't', 'u', 's', '\n', (byte) 0xff, '\n', 'd', 'u', 'm', 'p', '\n'});
        assertEquals(List.of("add interface lo up true", "ok", "{}", "ok", "bad", "add interface lo up true", "ok"), c.lines(7));
        c.send(new byte[] {(byte) 0xc3, '\n', (byte) 0xe2, (byte) 0x82, '\n', 's', 't', 'a', 't', 'u', 's', (byte) 0xc0, (byte) 0x80, '\n'}); // cut short, overlong
        assertEquals(List.of("bad", "bad", "bad"), c.lines(3));
        c.send("st\u00e4tus\nquit\n"); // a whole character is no malformed one: a word we do not know
        assertEquals("bad", c.line());
        assertNull(c.line(), "quit");
    }

    @Test
    void anUnterminatedLastLineIsNotActedOn() throws Exception { // babeld 1.12.1: "quit" or "dump" without '\n', then EOF: nothing
        Client c = new Client();
        c.send("dump\nstatus");
        assertEquals(List.of("add interface lo up true", "ok"), c.lines(2));
        c.c.shutdownOutput();
        assertNull(c.line(), "the connection ends with no answer to 'status'");
    }

    @Test
    void atMost40ClientsAtOnceTheNextIsToldAndCounted() throws Exception {
        List<Client> in = new ArrayList<>();
        for (int i = 0; i < ControlServer.MAX_CLIENTS; i++)
            in.add(new Client()); // greeted: each holds its slot
        Client over = new Client(false);
        assertEquals("no too many connections", over.line());
        assertNull(over.line(), "and closed");
        assertEquals(1, stats.count("babel.control.connections_refused"));
        assertEquals("# TYPE babel_control_connections_refused counter\nbabel_control_connections_refused 1", stats.prometheus().lines()
                .filter(l -> l.contains("babel_control_connections_refused")).collect(java.util.stream.Collectors.joining("\n")));
        in.get(0).send("quit\n");
        assertNull(in.get(0).line());
        Client again = new Client(); // its slot is free once its connection has ended
        again.send("status\n");
        assertEquals(List.of("{}", "ok"), again.lines(2));
        assertEquals(1, stats.count("babel.control.connections_refused"));
    }

    /** The live threads named {@code name}. */
    static List<Thread> threads(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name) && t.isAlive()).toList();
    }

    @Test
    void aMonitorsWriterEndsOnUnmonitorAndOnDisconnect() throws Exception {
        List<Thread> before = threads("babel-monitor");
        Client c = new Client();
        for (String end : List.of("unmonitor\n", "")) {
            c.send("monitor\ndump\n"); // the dump answered: the monitor's writer has started (lines are served in order)
            assertEquals(List.of("add interface lo up true", "ok", "add interface lo up true", "ok"), c.lines(4));
            List<Thread> pump = new ArrayList<>(threads("babel-monitor"));
            pump.removeAll(before);
            assertEquals(1, pump.size(), pump.toString());
            if (end.isEmpty()) {
                c.close(); // the client goes, with no change for its monitor to write
            } else {
                c.send(end);
                assertEquals("ok", c.line());
            }
            pump.get(0).join(10_000);
            assertEquals(false, pump.get(0).isAlive(), "the writer ended after " + (end.isEmpty() ? "the disconnect" : end.trim()));
        }
    }
}
