package re6st.bench;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataKey;
import re6st.tunnel.data.DataPacket;

/**
 * The tunnel data channel's crypto alone: AES-256-GCM seal and open of one inner packet, ns per
 * packet (Gbit/s = size * 8 / ns). Direct buffers, as the TUN path uses.
 * {@code java -jar benchmarks/target/benchmarks.jar DataChannelBenchmark -prof gc}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DataChannelBenchmark {
    @Param({"1400"})
    int size;

    @Param({"direct", "heap"})
    String buffers;

    private DataChannel a, b;
    private ByteBuffer inner, sealed, opened;
    private ByteBuffer[] packets;
    private int next;

    @Setup
    public void setUp() {
        byte[] k1 = new byte[32], k2 = new byte[32];
        new Random(1).nextBytes(k1);
        new Random(2).nextBytes(k2);
        DataKey ab = new DataKey(k1, new byte[] {1, 2, 3, 4}, 0), ba = new DataKey(k2, new byte[] {5, 6, 7, 8}, 0);
        a = new DataChannel(ab, ba);
        b = new DataChannel(ba, ab);
        inner = alloc(size);
        sealed = alloc(size + DataPacket.OVERHEAD);
        opened = alloc(size + 64);
        // Distinct packets to open (the replay window refuses a packet twice), reused in a ring:
        // after the first lap they are replays (refused before decryption cost? no: after), so
        // keep the ring larger than one measurement's packet count at ~1 us each.
        packets = new ByteBuffer[1 << 16];
        for (int i = 0; i < packets.length; i++) {
            ByteBuffer p = alloc(size + DataPacket.OVERHEAD);
            inner.clear();
            a.seal(inner, p);
            packets[i] = p.flip();
        }
    }

    private ByteBuffer alloc(int n) {
        return buffers.equals("direct") ? ByteBuffer.allocateDirect(n) : ByteBuffer.allocate(n);
    }

    @Benchmark
    public int seal() {
        inner.clear();
        sealed.clear();
        return a.seal(inner, sealed);
    }

    @Benchmark
    public int open() {
        ByteBuffer p = packets[next++ & (packets.length - 1)];
        p.position(0);
        opened.clear();
        return b.open(p, opened); // after 2^20 calls replays are dropped: keep runs short
    }
}
