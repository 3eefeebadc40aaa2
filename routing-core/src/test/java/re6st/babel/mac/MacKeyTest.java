package re6st.babel.mac;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.Random;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.junit.jupiter.api.Test;

class MacKeyTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] NONE = new byte[0];

    private static byte[] range(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++)
            b[i] = (byte) i;
        return b;
    }

    @Test
    void hmacSha256MatchesTheJdkForEveryKeyLengthBabeldAllows() throws Exception {
        Random r = new Random(1);
        for (int keyLen : new int[] {1, 5, 20, 32, 63, 64}) {
            for (int dataLen : new int[] {0, 1, 40, 64, 1000}) {
                byte[] key = new byte[keyLen], prefix = new byte[36], data = new byte[dataLen + 10];
                r.nextBytes(key);
                r.nextBytes(prefix);
                r.nextBytes(data);
                Mac jdk = Mac.getInstance("HmacSHA256");
                jdk.init(new SecretKeySpec(key, "HmacSHA256"));
                jdk.update(prefix);
                jdk.update(data, 3, dataLen);
                byte[] ours = new MacKey("k", MacAlgorithm.HMAC_SHA256, key).compute(prefix, data, 3, dataLen);
                assertArrayEquals(jdk.doFinal(), ours, "key " + keyLen + " data " + dataLen);
                assertEquals(32, ours.length);
            }
        }
    }

    @Test
    void hmacSha256Rfc4231TestCase2() {
        MacKey k = new MacKey("jefe", MacAlgorithm.HMAC_SHA256, "Jefe".getBytes());
        byte[] data = "what do ya want for nothing?".getBytes();
        assertEquals("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                HEX.formatHex(k.compute(NONE, data, 0, data.length)));
    }

    /** BouncyCastle's keyed BLAKE2s against the official KAT (blake2s-kat.txt, key 00..1f). */
    @Test
    void bouncyCastleKeyedBlake2sMatchesTheOfficialKat() {
        String[][] kat = {
                {"", "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"},
                {"00", "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1"},
        };
        for (String[] v : kat) {
            byte[] in = HEX.parseHex(v[0]);
            Blake2sDigest d = new Blake2sDigest(range(32), 32, null, null);
            d.update(in, 0, in.length);
            byte[] out = new byte[32];
            d.doFinal(out, 0);
            assertEquals(v[1], HEX.formatHex(out));
        }
    }

    /**
     * BLAKE2s-128 (digest length 16 is in the parameter block, so it is not a truncation of the
     * 32-byte KAT); expected values from Python's hashlib.blake2s(data, key=..., digest_size=16).
     */
    @Test
    void blake2s128MatchesPythonHashlib() {
        assertEquals("9536f9b267655743dee97b8a670f9f53", blake(range(32), NONE, NONE));
        assertEquals("f1efa90d2547036841ecd3627fafbc36", blake(range(32), NONE, range(64)));
        assertEquals("da5b50d8f2073c6d2bc49dc3f556bde3", blake("kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk".getBytes(), NONE, "abc".getBytes()));
        assertEquals("3a4881fe11ada539e18e1e1b462650ca", blake(new byte[] {1}, NONE, "abc".getBytes()));
        // prefix and packet are one stream
        assertEquals(blake(range(32), NONE, range(64)), blake(range(32), range(36), sub(range(64), 36)));
    }

    private static byte[] sub(byte[] b, int from) {
        byte[] s = new byte[b.length - from];
        System.arraycopy(b, from, s, 0, s.length);
        return s;
    }

    private static String blake(byte[] key, byte[] prefix, byte[] data) {
        byte[] out = new MacKey("b", MacAlgorithm.BLAKE2S_128, key).compute(prefix, data, 0, data.length);
        assertEquals(16, out.length);
        return HEX.formatHex(out);
    }

    @Test
    void keyLengthsFollowBabeld() {
        new MacKey("a", MacAlgorithm.HMAC_SHA256, new byte[64]);
        new MacKey("a", MacAlgorithm.BLAKE2S_128, new byte[32]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MacKey("a", MacAlgorithm.HMAC_SHA256, new byte[65]));
        assertTrue(e.getMessage().contains("65 bytes, expected 1 to 64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MacKey("b", MacAlgorithm.BLAKE2S_128, new byte[33]));
        assertTrue(e.getMessage().contains("expected 1 to 32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MacKey("c", MacAlgorithm.BLAKE2S_128, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new MacKey("", MacAlgorithm.BLAKE2S_128, new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> new MacKey("a b", MacAlgorithm.BLAKE2S_128, new byte[1]));
    }

    @Test
    void fromHexParsesAndNeverEchoesTheSecret() {
        MacKey k = MacKey.fromHex("k1", MacAlgorithm.parse("blake2s128"), "00FF10");
        assertArrayEquals(new byte[] {0, (byte) 0xff, 0x10}, k.value());
        assertFalse(k.toString().contains("ff"), k.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MacKey.fromHex("k1", MacAlgorithm.HMAC_SHA256, "secret0"));
        assertFalse(e.getMessage().contains("secret0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MacKey.fromHex("k1", MacAlgorithm.HMAC_SHA256, "abc"));
        assertEquals(MacAlgorithm.HMAC_SHA256, MacAlgorithm.parse("HMAC-SHA256"));
        assertThrows(IllegalArgumentException.class, () -> MacAlgorithm.parse("md5"));
    }

    @Test
    void samePacketDifferentKeysDiffer() {
        byte[] data = range(100);
        byte[] a = new MacKey("a", MacAlgorithm.HMAC_SHA256, new byte[] {1}).compute(range(36), data, 0, 100);
        byte[] b = new MacKey("b", MacAlgorithm.HMAC_SHA256, new byte[] {2}).compute(range(36), data, 0, 100);
        assertFalse(java.util.Arrays.equals(a, b));
        // zero-padding: a key and the same key with trailing zeros are the same HMAC key
        byte[] c = new MacKey("c", MacAlgorithm.HMAC_SHA256, new byte[] {1, 0, 0}).compute(range(36), data, 0, 100);
        assertArrayEquals(a, c);
    }
}
