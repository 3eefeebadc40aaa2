package re6st.netsim;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Failover probe of BENCHMARKS.md section 2: a client in one namespace sends a numbered UDP
 * datagram every {@code interval} to an echo server in another and records when replies come
 * back. The longest gap between two replies is the interruption a user would have seen.
 */
public final class UdpProbe implements AutoCloseable {
    private static final int MAX_REPLIES = 1 << 20;

    private final DatagramSocket server, client;
    private final Thread echo, sender, receiver;
    private final long[] replyTimes = new long[MAX_REPLIES];
    /** Round-trip time of reply i (nanoseconds). */
    private final long[] replyRtts = new long[MAX_REPLIES];
    /** When probe k was sent, at k mod MAX_REPLIES. */
    private final long[] sendTimes = new long[MAX_REPLIES];
    private final long startNanos = System.nanoTime();
    private volatile int replies;
    private volatile long sent, highestReplied = -1;
    private volatile boolean running = true;

    private UdpProbe(DatagramSocket server, DatagramSocket client, InetSocketAddress target, Duration interval) {
        this.server = server;
        this.client = client;
        echo = daemon("probe-echo", this::echoLoop);
        receiver = daemon("probe-rx", this::receiveLoop);
        sender = daemon("probe-tx", () -> sendLoop(target, interval.toNanos()));
    }

    /** Starts echoing in {@code serverNs} on {@code serverAddr:port} and probing from {@code clientNs}. */
    public static UdpProbe start(Namespace clientNs, Namespace serverNs, String serverAddr, int port, Duration interval)
            throws Exception {
        InetSocketAddress target = new InetSocketAddress(serverAddr, port);
        DatagramSocket s = serverNs.call(() -> new DatagramSocket(target));
        DatagramSocket c;
        try {
            c = clientNs.call(() -> new DatagramSocket());
        } catch (Exception e) {
            s.close();
            throw e;
        }
        UdpProbe p = new UdpProbe(s, c, target, interval);
        clientNs.net().own(p);
        return p;
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void echoLoop() {
        DatagramPacket p = new DatagramPacket(new byte[64], 64);
        while (running) {
            try {
                server.receive(p);
                server.send(p);
            } catch (IOException e) {
                if (!running)
                    return;
            }
        }
    }

    private void sendLoop(InetSocketAddress target, long intervalNanos) {
        byte[] b = new byte[16];
        ByteBuffer bb = ByteBuffer.wrap(b);
        DatagramPacket p = new DatagramPacket(b, b.length, target);
        long next = System.nanoTime();
        while (running) {
            bb.putLong(0, sent);
            sendTimes[(int) (sent % MAX_REPLIES)] = System.nanoTime();
            try {
                client.send(p);
            } catch (IOException e) {
                // unreachable for now (no route): a lost probe, like a lost ping
            }
            sent++;
            next += intervalNanos;
            long wait = next - System.nanoTime();
            if (wait > 0)
                LockSupport.parkNanos(wait);
        }
    }

    private void receiveLoop() {
        DatagramPacket p = new DatagramPacket(new byte[64], 64);
        try {
            client.setSoTimeout(200);
        } catch (SocketException e) {
            return;
        }
        while (running) {
            try {
                client.receive(p);
                int n = replies;
                if (n < MAX_REPLIES) {
                    long now = System.nanoTime();
                    replyTimes[n] = now;
                    long seq = p.getLength() >= 8 ? ByteBuffer.wrap(p.getData(), 0, 8).getLong() : -1;
                    replyRtts[n] = seq >= 0 && seq < sent ? now - sendTimes[(int) (seq % MAX_REPLIES)] : -1;
                    replies = n + 1;
                }
                // after replies: lost() reads this first, so it never counts an answered probe as lost
                if (p.getLength() >= 8)
                    highestReplied = Math.max(highestReplied, ByteBuffer.wrap(p.getData(), 0, 8).getLong());
            } catch (SocketTimeoutException e) {
                // nothing came back in 200 ms: keep listening
            } catch (IOException e) {
                if (!running)
                    return;
            }
        }
    }

    public long sent() {
        return sent;
    }

    public int received() {
        return replies;
    }

    /**
     * Probes that got no reply although a later one did: lost, not merely in flight (the echo
     * never duplicates, so this is the highest probe number answered + 1 - the replies).
     */
    public long lost() {
        long highest = highestReplied;
        return highest + 1 - replies;
    }

    /** Longest time without a reply, from the first reply to now (or to the last reply if {@code untilNow} is false). */
    public Duration longestGap(boolean untilNow) {
        int n = replies;
        long worst = 0;
        for (int i = 1; i < n; i++)
            worst = Math.max(worst, replyTimes[i] - replyTimes[i - 1]);
        if (untilNow && n > 0)
            worst = Math.max(worst, System.nanoTime() - replyTimes[n - 1]);
        return Duration.ofNanos(worst);
    }

    /** One reply: when it came (nanoTime) and its round-trip time (ns; -1 if unknown). */
    public record Reply(long at, long rtt) {}

    /** The replies that came in {@code [from, to)} (nanoTime), in order. */
    public java.util.List<Reply> replies(long from, long to) {
        int n = replies;
        java.util.List<Reply> out = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++)
            if (replyTimes[i] >= from && replyTimes[i] < to)
                out.add(new Reply(replyTimes[i], replyRtts[i]));
        return out;
    }

    /** Longest time without a reply between {@code from} and {@code to} (nanoTime), the window's ends counting as replies. */
    public Duration longestGap(long from, long to) {
        long last = from, worst = 0;
        for (Reply r : replies(from, to)) {
            worst = Math.max(worst, r.at() - last);
            last = r.at();
        }
        return Duration.ofNanos(Math.max(worst, to - last));
    }

    /** Time since the probe started until the first reply (null if none yet). */
    public Duration firstReply() {
        return replies == 0 ? null : Duration.ofNanos(replyTimes[0] - startNanos);
    }

    @Override
    public void close() {
        running = false;
        server.close();
        client.close();
        for (Thread t : new Thread[] {echo, sender, receiver}) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
