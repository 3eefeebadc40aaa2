package re6st.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer on a datagram arriving on {@code [::1]:326}: it decodes to null or to a datagram that
 * encodes back to exactly the same bytes, at any offset and length (out-of-range ones are null);
 * nothing may escape.
 */
class LocalDatagramFuzzTest {
    @FuzzTest(maxDuration = "5s")
    void localDatagram(byte[] input) {
        LocalDatagram d = LocalDatagram.decode(input, 0, input.length);
        if (d != null)
            assertArrayEquals(input, d.encode());
        int off = input.length == 0 ? 0 : input[0];
        LocalDatagram shifted = LocalDatagram.decode(input, off, Integer.MAX_VALUE - Math.max(off, 0) + 1);
        assertNull(shifted, "a length past the array is refused");
    }
}
