package re6st.registry.node;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongSupplier;

import re6st.net.NodePrefix;
import re6st.peer.LocalDatagram;
import re6st.peer.PeerCode;
import re6st.peer.Topology;

/**
 * The registry's datagrams to its co-located node, as the original: one UDP socket on
 * {@code ::1} sends {@code <binary prefix> NUL <code byte> [payload]} to the node's port
 * ({@code [::1]:326}). The node answers for itself when the prefix is its own, else relays the
 * question to that peer over the peer protocol (code | 0x80) and forwards the peer's non-empty
 * answer back in the same form. Codes: 0 new network version, 1 address, 4 version string,
 * 5 topology. The node replies to the last address that wrote to it, so calls are serialised.
 */
public final class NodeChannel implements AutoCloseable {
    public static final int DEFAULT_PORT = 326;
    /** versions and topology end after this much time in all, however chatty the node. */
    static final long MAX_WALK_MILLIS = 60_000;

    private final DatagramSocket socket;
    private final InetSocketAddress node;
    private final long quietMillis;
    private final LongSupplier nanoTime;
    private final byte[] receiveBuffer = new byte[1 << 16];
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock(true);

    /** Replies one node is given before it counts as silent; versions/topology end after this much silence. */
    public NodeChannel(int port, long quietMillis) throws IOException {
        this(new InetSocketAddress(InetAddress.getByName("::1"), port), quietMillis, System::nanoTime);
    }

    NodeChannel(InetSocketAddress node, long quietMillis, LongSupplier nanoTime) throws IOException {
        this.node = node;
        this.quietMillis = quietMillis;
        this.nanoTime = nanoTime;
        this.socket = new DatagramSocket(new InetSocketAddress(node.getAddress(), 0)); // source ::1: the node only obeys loopback
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /**
     * Fire and forget (code 0: new version, which gets no answer). Not serialised with the
     * questions: sending is thread-safe, and a version announcement must not wait behind a long
     * topology walk.
     */
    public void send(String prefix, int code) throws IOException {
        sendLocked(prefix, code);
    }

    private void sendLocked(String prefix, int code) throws IOException {
        byte[] m = LocalDatagram.request(prefix, code).encode();
        socket.send(new DatagramPacket(m, m.length, node));
    }

    /**
     * Asks {@code prefix} one question; the answer's payload, or empty after {@code quietMillis}
     * without it. Questions are asked one at a time (the node answers to the last asker); a caller
     * that waits longer than {@code quietMillis} for its turn gives up (empty), so a silent node
     * costs each RPC at most twice the quiet time instead of queueing every caller behind it.
     */
    public Optional<String> ask(String prefix, int code) throws IOException {
        try {
            if (!lock.tryLock(quietMillis, java.util.concurrent.TimeUnit.MILLISECONDS))
                return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        try {
            drain(); // answers to earlier questions that came too late
            sendLocked(prefix, code);
            long deadline = nanoTime.getAsLong() + quietMillis * 1_000_000;
            for (Reply r; (r = receive(deadline)) != null; )
                if (r.code == code && r.prefix.equals(prefix))
                    return Optional.of(r.payload);
            return Optional.empty();
        } finally {
            lock.unlock();
        }
    }

    /** Code 4 to every prefix; collects answers until {@code quietMillis} pass without one. Silent nodes map to null. */
    public Map<String, String> versions(Set<String> prefixes) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (prefixes.isEmpty())
            return out;
        lock.lock();
        try {
            return versionsLocked(prefixes, out);
        } finally {
            lock.unlock();
        }
    }

    private Map<String, String> versionsLocked(Set<String> prefixes, Map<String, String> out) throws IOException {
        drain();
        for (String p : prefixes) {
            out.put(p, null);
            sendLocked(p, PeerCode.VERSION);
        }
        long end = nanoTime.getAsLong() + MAX_WALK_MILLIS * 1_000_000;
        for (Reply r; (r = receive(Math.min(end, nanoTime.getAsLong() + quietMillis * 1_000_000))) != null; )
            if (r.code == PeerCode.VERSION && out.containsKey(r.prefix))
                out.put(r.prefix, r.payload);
        return out;
    }

    /**
     * Breadth-first over code 5 answers ({@code "<n> cn..."}: the first n are the node's outgoing
     * tunnels, the rest its incoming ones), from {@code root}; ends after {@code quietMillis} of
     * silence with nothing left to ask, or after {@code maxNodes} questions.
     */
    public Map<String, Set<String>> topology(String root, int maxNodes) throws IOException {
        lock.lock();
        try {
            return topologyLocked(root, maxNodes);
        } finally {
            lock.unlock();
        }
    }

    private Map<String, Set<String>> topologyLocked(String root, int maxNodes) throws IOException {
        drain();
        Deque<String> toAsk = new ArrayDeque<>(java.util.List.of(new NodePrefix(root).cn()));
        Map<String, Set<String>> graph = new HashMap<>();
        Set<String> asked = new LinkedHashSet<>();
        long end = nanoTime.getAsLong() + MAX_WALK_MILLIS * 1_000_000;
        while (true) {
            while (!toAsk.isEmpty() && asked.size() < maxNodes) {
                String cn = toAsk.poll();
                if (asked.add(cn))
                    sendLocked(NodePrefix.parseCn(cn).bits(), PeerCode.TOPOLOGY);
            }
            Reply r = receive(Math.min(end, nanoTime.getAsLong() + quietMillis * 1_000_000));
            if (r == null)
                break;
            if (r.code != PeerCode.TOPOLOGY || r.payload.isEmpty())
                continue;
            String from = new NodePrefix(r.prefix).cn();
            Topology t = Topology.parse(r.payload);
            if (t == null || t.outgoing().contains(from) || t.incoming().contains(from))
                continue;
            graph.computeIfAbsent(from, k -> new TreeSet<>()).addAll(t.outgoing());
            for (String c : t.incoming())
                graph.computeIfAbsent(c, k -> new TreeSet<>()).add(from);
            for (java.util.List<String> l : java.util.List.of(t.outgoing(), t.incoming()))
                for (String c : l)
                    if (!asked.contains(c))
                        toAsk.add(c);
            graph.computeIfAbsent("", k -> new TreeSet<>()).add(from);
        }
        return graph;
    }

    private record Reply(String prefix, int code, String payload) {}

    /** The next well-formed reply, or null at the deadline. */
    private Reply receive(long deadlineNanos) throws IOException {
        while (true) {
            long left = (deadlineNanos - nanoTime.getAsLong()) / 1_000_000;
            if (left <= 0)
                return null;
            socket.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
            DatagramPacket d = new DatagramPacket(receiveBuffer, receiveBuffer.length);
            try {
                socket.receive(d);
            } catch (SocketTimeoutException e) {
                return null;
            }
            Reply r = parse(d);
            if (r != null)
                return r;
        }
    }

    private Reply parse(DatagramPacket d) {
        if (!d.getAddress().equals(node.getAddress()) || d.getPort() != node.getPort())
            return null;
        LocalDatagram m = LocalDatagram.decode(d.getData(), d.getOffset(), d.getLength());
        return m == null ? null : new Reply(m.prefix(), m.code(), m.text());
    }

    private void drain() throws IOException {
        socket.setSoTimeout(1);
        DatagramPacket d = new DatagramPacket(receiveBuffer, receiveBuffer.length);
        for (int i = 0; i < 10_000; i++) {
            try {
                socket.receive(d);
            } catch (SocketTimeoutException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
