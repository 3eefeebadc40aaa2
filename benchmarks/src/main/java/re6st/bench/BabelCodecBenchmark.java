package re6st.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Message.Update;
import re6st.babel.wire.DecodedPacket;
import re6st.babel.wire.MalformedPacketException;
import re6st.babel.wire.Packet;
import re6st.babel.wire.PacketDecoder;
import re6st.babel.wire.PacketEncoder;
import re6st.babel.wire.TlvReader;

import static re6st.bench.BabelFixtures.*;

/**
 * Babel codec cost per TLV for one full-update packet: {@value #UPDATES} IPv6 /64 Updates from
 * {@value #ORIGINS} origins, sorted by router-id as a full update is, which the encoder lays out as
 * {@value #TLVS} TLVs ({@value #ORIGINS} Router-Id + {@value #UPDATES} Update, prefixes compressed
 * against the previous one), about 600 bytes.
 * <ul>
 * <li>{@code encode}: the prebuilt message list into one reused {@link PacketEncoder}
 *     (reset, add each, finish);
 * <li>{@code decode}: {@link PacketDecoder#decode} of the prebuilt datagram into records.
 * </ul>
 * Scores are ns per TLV ({@value #TLVS}); per Update multiply by {@value #TLVS}/{@value #UPDATES}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(BabelCodecBenchmark.TLVS)
public class BabelCodecBenchmark {
    static final int UPDATES = 40;
    static final int ORIGINS = 4;
    static final int TLVS = UPDATES + ORIGINS;

    @State(Scope.Thread)
    public static class Codec {
        List<Message> messages;
        PacketEncoder encoder;
        byte[] packet;
        Addr self;

        @Setup(Level.Trial)
        public void setUp() throws MalformedPacketException {
            self = ownAddress(0);
            messages = new ArrayList<>(UPDATES);
            for (int i = 0; i < UPDATES; i++) {
                int dest = i * 0x9E3779B1; // spread destinations: realistic prefix compression
                long origin = 0x0200_0000_0000_0000L | (i / (UPDATES / ORIGINS));
                messages.add(new Update(prefix(dest), null, origin, self, 1000 + i, 96 * (1 + i % 5), UPDATE_INTERVAL_CS));
            }
            encoder = new PacketEncoder(PacketEncoder.maxSizeForMtu(1500), 0, self);
            for (Message m : messages)
                if (!encoder.add(m))
                    throw new IllegalStateException("packet full");
            encoder.finish();
            packet = encoder.toByteArray();
            DecodedPacket d = PacketDecoder.decode(packet, self);
            if (!d.body().equals(messages) || !d.issues().isEmpty())
                throw new IllegalStateException("round trip failed: " + d);
            int tlvs = 0;
            TlvReader r = Packet.parse(packet).body();
            while (r.next())
                tlvs++;
            if (tlvs != TLVS)
                throw new IllegalStateException(tlvs + " TLVs, expected " + TLVS);
            System.out.printf("%n[codec] packet of %d bytes, %d TLVs%n", packet.length, tlvs);
        }
    }

    @Benchmark
    public int encode(Codec s) {
        PacketEncoder e = s.encoder;
        e.reset();
        List<Message> l = s.messages;
        for (int i = 0, n = l.size(); i < n; i++)
            if (!e.add(l.get(i)))
                throw new IllegalStateException("packet full");
        return e.finish();
    }

    @Benchmark
    public DecodedPacket decode(Codec s) throws MalformedPacketException {
        return PacketDecoder.decode(s.packet, s.self);
    }
}
