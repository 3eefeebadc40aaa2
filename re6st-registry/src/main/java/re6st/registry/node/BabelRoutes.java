package re6st.registry.node;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import re6st.net.Ipv6Prefix;
import re6st.net.Network;

/**
 * The node prefixes a Babel router routes, read from its local interface (babeld's
 * {@code local-path} socket, {@code -G /path}; our {@code re6st babel -G} offers the same): connect,
 * wait for the greeting's {@code ok}, send {@code dump}, read lines up to the next {@code ok}.
 * A route counts when it is installed, not source-specific, and inside the network but longer
 * than it; its prefix is given relative to the network.
 */
public final class BabelRoutes {
    private static final int MAX_BYTES = 16 << 20; // a dump of ~100k routes; more is not a Babel router

    private BabelRoutes() {
    }

    /** Asks the router at {@code socket}; throws if it does not answer a whole dump within {@code timeout}. */
    public static Set<String> read(Path socket, Network network, Duration timeout) throws IOException {
        return nodePrefixes(dump(socket, timeout), network);
    }

    /** The dump's lines (greeting excluded). */
    static List<String> dump(Path socket, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX); Selector sel = Selector.open()) {
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new IOException("cannot connect to the Babel router's socket " + socket + ": " + e.getMessage(), e);
            }
            ch.configureBlocking(false);
            ch.register(sel, SelectionKey.OP_READ);
            LineReader in = new LineReader(ch, sel, deadline, socket);
            String first = in.line();
            if (!first.startsWith("BABEL "))
                throw new IOException(socket + " is not a Babel local interface (it said '" + abbreviate(first) + "')");
            while (!in.line().equals("ok")) {
                // version, host, my-id
            }
            ByteBuffer request = ByteBuffer.wrap("dump\n".getBytes(StandardCharsets.US_ASCII));
            while (request.hasRemaining())
                ch.write(request); // 5 bytes into an empty socket buffer
            List<String> lines = new ArrayList<>();
            for (String l; !(l = in.line()).equals("ok"); ) {
                if (l.equals("bad") || l.startsWith("no"))
                    throw new IOException(socket + " refused 'dump': " + abbreviate(l));
                lines.add(l);
            }
            return lines;
        }
    }

    /**
     * Installed, reachable (a retraction stays installed with metric 65535 until flushed), non-source-specific routes
     * inside {@code network} and longer than it, as binary node prefixes.
     */
    static Set<String> nodePrefixes(List<String> dump, Network network) {
        Set<String> out = new TreeSet<>();
        String net = network.bits();
        for (String l : dump) {
            if (!l.startsWith("add route ") || !l.contains(" installed yes"))
                continue;
            String[] w = l.split(" ");
            String dst = word(w, "prefix"), src = word(w, "from"), metric = word(w, "metric");
            if (dst == null || (src != null && !src.endsWith("/0")) || unreachable(metric))
                continue;
            try {
                Ipv6Prefix p = Ipv6Prefix.parse(dst);
                String bits = p.bits();
                if (bits.length() > net.length() && bits.startsWith(net))
                    out.add(bits.substring(net.length()));
            } catch (IllegalArgumentException e) {
                // an IPv4 route or something we do not read: not a node of this network
            }
        }
        return out;
    }

    private static boolean unreachable(String metric) {
        try {
            return metric != null && Integer.parseInt(metric) >= 0xFFFF;
        } catch (NumberFormatException e) {
            return false; // a dump we do not fully read: the route counts, as before
        }
    }

    private static String word(String[] w, String key) {
        for (int i = 0; i + 1 < w.length; i++)
            if (w[i].equals(key))
                return w[i + 1];
        return null;
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    /** Lines from a non-blocking channel, each wait bounded by one deadline. */
    private static final class LineReader {
        private final SocketChannel ch;
        private final Selector sel;
        private final long deadline;
        private final Path socket;
        private final ByteBuffer buf = ByteBuffer.allocate(64 << 10);
        private final StringBuilder line = new StringBuilder();
        private long total;

        LineReader(SocketChannel ch, Selector sel, long deadline, Path socket) {
            this.ch = ch;
            this.sel = sel;
            this.deadline = deadline;
            this.socket = socket;
            buf.flip();
        }

        String line() throws IOException {
            while (true) {
                while (buf.hasRemaining()) {
                    char c = (char) (buf.get() & 0xff);
                    if (c == '\n') {
                        String s = line.toString();
                        line.setLength(0);
                        return s;
                    }
                    line.append(c);
                }
                buf.clear();
                int n;
                while ((n = ch.read(buf)) == 0) {
                    long left = (deadline - System.nanoTime()) / 1_000_000;
                    if (left <= 0)
                        throw new IOException("the Babel router at " + socket + " did not answer in time");
                    sel.select(left);
                    sel.selectedKeys().clear();
                }
                if (n < 0)
                    throw new IOException("the Babel router at " + socket + " closed the connection");
                total += n;
                if (total > MAX_BYTES)
                    throw new IOException("the Babel router at " + socket + " sent more than " + MAX_BYTES + " bytes");
                buf.flip();
            }
        }
    }
}
