package re6st.babel.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;

/**
 * Coverage-guided fuzzing of {@link PacketDecoder} with Jazzer: for any bytes, decoding returns
 * or throws {@link MalformedPacketException}, and only for a bad header. Anything else escaping
 * (IndexOutOfBounds, IllegalArgument from a record, NullPointer...) is a finding.
 *
 * <p>Under {@code mvn verify} the surefire configuration of this module sets JAZZER_FUZZ=1, so
 * this fuzzes for {@code maxDuration} and stops; with JAZZER_FUZZ empty it replays only the seeds
 * in {@code src/test/resources/re6st/babel/wire/PacketDecoderFuzzTestInputs/decode} (regression
 * mode). A crash found while fuzzing is saved in that directory and replayed from then on.
 */
class PacketDecoderFuzzTest {
    private static final Addr SOURCE = Addr.parse("fe80::1");

    @FuzzTest(maxDuration = "5s")
    void decode(byte[] data) {
        DecodedPacket p;
        try {
            p = PacketDecoder.decode(data, 0, data.length, SOURCE);
        } catch (MalformedPacketException e) {
            assertTrue(data.length < 4 || data[0] != 42 || data[1] != 2, e.getMessage());
            return;
        }
        assertTrue(p.macCoveredLength() >= 4 && p.macCoveredLength() <= data.length);
        for (DecodeIssue i : p.issues())
            assertTrue(i.offset() >= 0 && i.offset() < Math.max(data.length, 4), i.toString());
        for (Message m : p.body())
            if (m instanceof Message.Update u && u.prefix() != null)
                assertEquals(u.prefix().isV4(), u.nextHop() == null || u.nextHop().isV4(), u.toString());
    }
}
