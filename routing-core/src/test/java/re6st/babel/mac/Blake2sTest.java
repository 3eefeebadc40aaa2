package re6st.babel.mac;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;

import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.junit.jupiter.api.Test;

/** Our allocation-free keyed BLAKE2s against BouncyCastle's, the reference. */
class Blake2sTest {
    @Test
    void matchesBouncyCastleForEveryKeyLengthAndAcrossBlockBoundaries() {
        SplittableRandom r = new SplittableRandom(7);
        for (int outLength : new int[] {16, 32, 1}) {
            for (int keyLength = 1; keyLength <= 32; keyLength++) {
                byte[] key = new byte[keyLength];
                r.nextBytes(key);
                Blake2s ours = new Blake2s(key, outLength); // reused for every length: reset after each digest
                for (int len : new int[] {0, 1, 36, 63, 64, 65, 100, 127, 128, 129, 1500}) {
                    byte[] data = new byte[len];
                    r.nextBytes(data);
                    int cut = r.nextInt(len + 1); // fed in two pieces, as the pseudo-header then the packet
                    ours.update(data, 0, cut);
                    ours.update(data, cut, len - cut);
                    byte[] got = new byte[outLength + 3];
                    ours.doFinal(got, 3);

                    Blake2sDigest bc = new Blake2sDigest(key, outLength, null, null);
                    bc.update(data, 0, len);
                    byte[] want = new byte[outLength];
                    bc.doFinal(want, 0);
                    assertArrayEquals(want, java.util.Arrays.copyOfRange(got, 3, 3 + outLength),
                            "key " + keyLength + " bytes, data " + len + " bytes (cut at " + cut + "), output " + outLength);
                }
            }
        }
    }

    @Test
    void keysAndOutputsOutsideTheAlgorithmAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Blake2s(new byte[0], 16));
        assertThrows(IllegalArgumentException.class, () -> new Blake2s(new byte[33], 16));
        assertThrows(IllegalArgumentException.class, () -> new Blake2s(new byte[16], 33));
    }
}
