package re6st.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import re6st.jni.ErrnoException;
import re6st.jni.PacketBatch;
import re6st.jni.Tun;

/**
 * Packet round trip through a real TUN device: write {@value #BATCH} IPv4 ICMP echo requests,
 * then read the {@value #BATCH} echo replies the kernel sends back out of the device (see
 * {@link TunNamespace}). Scores are nanoseconds per packet (one request written plus one reply
 * read), for three ways of crossing from Java to the kernel:
 * <ul>
 * <li>{@code jniBatch}: {@link Tun#writeBatch} / {@link Tun#readBatch}, one JNI call per batch;
 * <li>{@code jniSingle}: {@link Tun#write} / {@link Tun#read}, one JNI call per packet;
 * <li>{@code jna}: libc write/read through JNA direct mapping on the same descriptor.
 * </ul>
 * Needs root. Run with {@code benchmarks/run-tun-bench.sh}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TunRoundTripBenchmark {
    static final int BATCH = 32;
    static final int SLOT = 2048;
    /** How long to wait for a reply before declaring that replies stopped. */
    static final long REPLY_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(1);

    @State(Scope.Benchmark)
    public static class Device {
        TunNamespace net;
        Tun tun;
        int fd;
        /** The requests, precomputed once, one per slot. */
        PacketBatch requests;
        /** Replies for the batch reader. */
        PacketBatch replies;
        /** Reply buffer for the one-packet readers. */
        ByteBuffer reply;
        Pointer[] requestPointers;
        Pointer replyPointer;
        long waits;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            net = TunNamespace.create();
            try {
                tun = net.tun();
                fd = tun.fd();
                requests = new PacketBatch(BATCH, SLOT);
                for (int i = 0; i < BATCH; i++) {
                    IcmpEcho.writeRequest(requests.buffer(), requests.offset(i),
                            TunNamespace.PEER_ADDRESS, TunNamespace.DEVICE_ADDRESS, i + 1);
                    requests.setLength(i, IcmpEcho.LENGTH);
                }
                requests.setCount(BATCH);
                replies = new PacketBatch(BATCH, SLOT);
                reply = ByteBuffer.allocateDirect(SLOT);
                Pointer base = Native.getDirectBufferPointer(requests.buffer());
                requestPointers = new Pointer[BATCH];
                for (int i = 0; i < BATCH; i++)
                    requestPointers[i] = base.share(requests.offset(i));
                replyPointer = Native.getDirectBufferPointer(reply);
                checkRoundTrip();
            } catch (Throwable e) {
                net.close();
                throw e;
            }
        }

        /** Drains stray packets, then checks one request gets its reply. */
        private void checkRoundTrip() throws Exception {
            while (tun.read(reply, 0, SLOT) >= 0) {
                // discard
            }
            if (tun.write(requests.buffer(), 0, requests.length(0)) != IcmpEcho.LENGTH)
                throw new IllegalStateException("could not write an echo request to " + net.device());
            long deadline = System.nanoTime() + 2 * REPLY_TIMEOUT_NANOS;
            while (true) {
                int n = tun.read(reply, 0, SLOT);
                if (n >= 0) {
                    if (IcmpEcho.isEchoReply(reply, 0, n))
                        break;
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || (tun.await(Tun.READABLE, left) & Tun.READABLE) == 0)
                    throw new IllegalStateException("no echo reply from " + net.namespace.name() + " through "
                            + net.device() + "; " + net.diagnostics());
            }
            waits = 0;
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            if (waits > 0)
                System.out.println("r6bench: waited for readiness " + waits + " times");
            net.close();
        }

        /** Waits until replies are readable, or fails the benchmark. */
        void awaitReplies(int got) throws ErrnoException {
            waits++;
            int ready = tun.await(Tun.READABLE, REPLY_TIMEOUT_NANOS);
            if ((ready & Tun.READABLE) == 0)
                throw new IllegalStateException("echo replies stopped: " + got + " of " + BATCH
                        + " within " + TimeUnit.NANOSECONDS.toMillis(REPLY_TIMEOUT_NANOS) + " ms (poll: 0x"
                        + Integer.toHexString(ready) + "); " + net.diagnostics());
        }

        /** Waits until the device takes packets again, or fails the benchmark. */
        void awaitWritable(int sent) throws ErrnoException {
            waits++;
            int ready = tun.await(Tun.WRITABLE, REPLY_TIMEOUT_NANOS);
            if ((ready & Tun.WRITABLE) == 0)
                throw new IllegalStateException("TUN write blocked after " + sent + " of " + BATCH
                        + " requests (poll: 0x" + Integer.toHexString(ready) + ")");
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int jniBatch(Device d) throws ErrnoException {
        Tun tun = d.tun;
        PacketBatch requests = d.requests, replies = d.replies;
        ByteBuffer rx = replies.buffer();
        int sent = 0;
        while (sent < BATCH) {
            int n = tun.writeBatch(requests, sent, BATCH - sent);
            if (n == 0)
                d.awaitWritable(sent);
            sent += n;
        }
        int got = 0;
        while (got < BATCH) {
            int n = tun.readBatch(replies);
            if (n == 0) {
                d.awaitReplies(got);
                continue;
            }
            for (int i = 0; i < n; i++)
                if (IcmpEcho.isEchoReply(rx, replies.offset(i), replies.length(i)))
                    got++;
        }
        return got;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int jniSingle(Device d) throws ErrnoException {
        Tun tun = d.tun;
        PacketBatch requests = d.requests;
        ByteBuffer tx = requests.buffer(), rx = d.reply;
        for (int i = 0; i < BATCH; i++) {
            while (tun.write(tx, requests.offset(i), requests.length(i)) < 0)
                d.awaitWritable(i);
        }
        int got = 0;
        while (got < BATCH) {
            int n = tun.read(rx, 0, SLOT);
            if (n < 0) {
                d.awaitReplies(got);
                continue;
            }
            if (IcmpEcho.isEchoReply(rx, 0, n))
                got++;
        }
        return got;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int jna(Device d) throws ErrnoException {
        int fd = d.fd;
        Pointer[] tx = d.requestPointers;
        Pointer rxPointer = d.replyPointer;
        ByteBuffer rx = d.reply;
        for (int i = 0; i < BATCH; i++) {
            while (JnaLibc.write(fd, tx[i], IcmpEcho.LENGTH) < 0) {
                int err = JnaLibc.errno();
                if (err == JnaLibc.EAGAIN)
                    d.awaitWritable(i);
                else if (err != JnaLibc.EINTR)
                    throw new IllegalStateException("write(tun) failed: errno " + err);
            }
        }
        int got = 0;
        while (got < BATCH) {
            long n = JnaLibc.read(fd, rxPointer, SLOT);
            if (n < 0) {
                int err = JnaLibc.errno();
                if (err == JnaLibc.EAGAIN)
                    d.awaitReplies(got);
                else if (err != JnaLibc.EINTR)
                    throw new IllegalStateException("read(tun) failed: errno " + err);
                continue;
            }
            if (IcmpEcho.isEchoReply(rx, 0, (int) n))
                got++;
        }
        return got;
    }
}
