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
    final ControlServer.Core core = new ControlServer.Core() {
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
            clients.add(this);
            c.connect(UnixDomainSocketAddress.of(dir.resolve("babeld.sock")));
            in = new BufferedReader(Channels.newReader(c, StandardCharsets.UTF_8));
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
}
