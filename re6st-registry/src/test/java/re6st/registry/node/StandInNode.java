package re6st.registry.node;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The co-located node's side of the registry's datagrams, as the original re6stnet node behaves
 * (tunnel.py handlePeerEvent for '::1', _processPacket): our node daemon does not exist yet and
 * the original cannot be installed here, so this stands in for it. Each known node answers code 1
 * with its addresses, 4 with its version, 5 with "n cn..."; unknown nodes are silent (a relayed
 * question that gets no answer). Code 0 messages are recorded.
 */
public final class StandInNode implements AutoCloseable {
    public record Info(String addresses, String version, String tunnels) {}

    public final Map<String, Info> nodes = new ConcurrentHashMap<>();
    public final LinkedBlockingQueue<String> newVersions = new LinkedBlockingQueue<>();
    /** Extra datagrams sent before each answer (stale or malformed replies the registry must skip). */
    public final LinkedBlockingQueue<byte[]> noise = new LinkedBlockingQueue<>();
    /** Questions received, by prefix. */
    public final Map<String, java.util.concurrent.atomic.AtomicInteger> questions = new ConcurrentHashMap<>();
    private volatile IOException failure;
    private final DatagramSocket socket;
    private final Thread thread;

    public StandInNode() throws IOException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("::1"), 0));
        thread = new Thread(this::serve, "stand-in-node");
        thread.setDaemon(true);
        thread.start();
    }

    public int port() {
        return socket.getLocalPort();
    }

    private void serve() {
        byte[] buf = new byte[65536];
        while (!socket.isClosed()) {
            DatagramPacket d = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(d);
                String m = new String(d.getData(), 0, d.getLength(), StandardCharsets.ISO_8859_1);
                int nul = m.indexOf('\0');
                if (nul < 0 || nul + 1 >= m.length())
                    continue;
                String prefix = m.substring(0, nul);
                int code = m.charAt(nul + 1);
                questions.computeIfAbsent(prefix, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
                if (code == 0) {
                    newVersions.add(prefix);
                    continue;
                }
                Info i = nodes.get(prefix);
                String answer = i == null ? null : switch (code) {
                    case 1 -> i.addresses;
                    case 4 -> i.version;
                    case 5 -> i.tunnels;
                    default -> null;
                };
                for (byte[] n; (n = noise.poll()) != null; )
                    socket.send(new DatagramPacket(n, n.length, d.getSocketAddress()));
                if (answer == null || answer.isEmpty())
                    continue; // the node forwards only non-empty answers
                byte[] out = (prefix + "\0" + (char) code + answer).getBytes(StandardCharsets.UTF_8);
                socket.send(new DatagramPacket(out, out.length, d.getSocketAddress()));
            } catch (SocketException e) {
                return; // closed
            } catch (IOException e) {
                failure = e; // reported by close(): a test must not pass on a stand-in that stopped answering
                return;
            }
        }
    }

    @Override
    public void close() {
        socket.close();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure != null)
            throw new java.io.UncheckedIOException("the stand-in node failed", failure);
    }
}
