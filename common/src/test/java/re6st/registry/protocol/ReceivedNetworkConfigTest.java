package re6st.registry.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import re6st.pki.CaSigner;
import re6st.pki.Rsa;
import re6st.registry.protocol.ReceivedNetworkConfig.InvalidConfigException;

class ReceivedNetworkConfigTest {
    static KeyPair ca, node, other;
    static CaSigner signer;

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        ca = g.generateKeyPair();
        node = g.generateKeyPair();
        other = g.generateKeyPair();
        signer = new CaSigner() {
            public PublicKey publicKey() {
                return ca.getPublic();
            }

            public byte[] sign(byte[] data) {
                return Rsa.sign(ca.getPrivate(), data);
            }
        };
    }

    static NetworkConfig config() {
        return new NetworkConfig(new NetworkConfig.Parameters(3, false, 4, 7, 1, 20, "10.42.0.0/16", 8, List.of("FR", "DE")),
                List.of(9L, 5L), "0000000000000001");
    }

    static final byte[] K1 = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    static final byte[] K2 = "fedcba9876543210".getBytes(StandardCharsets.US_ASCII);

    @Test
    void whatTheRegistrySendsIsReadBackWithItsKeysDecrypted() throws Exception {
        BabelHmacKeys window = new BabelHmacKeys(K1, K2, null, 1_700_000_000L);
        byte[] body = config().body(NetworkVersion.signed(12, signer), window, node.getPublic());
        ReceivedNetworkConfig r = ReceivedNetworkConfig.parse(body, ca.getPublic(), node.getPrivate());
        assertEquals(12, r.version().number());
        assertEquals(config().parameters(), r.config().parameters());
        assertEquals(List.of(5L, 9L), r.config().crl());
        assertEquals("0000000000000001", r.config().registryPrefix());
        assertEquals(NetworkConfig.BABEL_DEFAULT, r.babelDefault());
        assertEquals(NetworkConfig.PROTOCOL, r.protocol());
        assertArrayEquals(K1, r.hmacSign().orElseThrow());
        assertArrayEquals(K2, r.hmacAccept().orElseThrow());
        assertEquals(1_700_000_000L, r.validUntil().getAsLong());
        assertTrue(r.revoked(9) && !r.revoked(10));
        assertArrayEquals(body, r.body());
    }

    @Test
    void anEmptyAcceptKeyMeansAcceptUnsignedAndNoKeysMeansNoMac() throws Exception {
        ReceivedNetworkConfig r = ReceivedNetworkConfig.parse(config().body(NetworkVersion.signed(2, signer),
                new BabelHmacKeys(null, K1, new byte[0], null), node.getPublic()), ca.getPublic(), node.getPrivate());
        assertArrayEquals(K1, r.hmacSign().orElseThrow());
        assertEquals(0, r.hmacAccept().orElseThrow().length);
        assertTrue(r.validUntil().isEmpty());
        ReceivedNetworkConfig none = ReceivedNetworkConfig.parse(config().body(NetworkVersion.signed(2, signer),
                BabelHmacKeys.NONE, node.getPublic()), ca.getPublic(), node.getPrivate());
        assertTrue(none.hmacSign().isEmpty() && none.hmacAccept().isEmpty());
        assertTrue(r.macKeysChangedFrom(none));
        assertFalse(r.needsRestartFrom(none), "only the MAC keys differ");
    }

    @Test
    void aVersionNotSignedByOurCaIsRefused() {
        CaSigner rogue = new CaSigner() {
            public PublicKey publicKey() {
                return other.getPublic();
            }

            public byte[] sign(byte[] data) {
                return Rsa.sign(other.getPrivate(), data);
            }
        };
        byte[] body = config().body(NetworkVersion.signed(12, rogue), BabelHmacKeys.NONE, node.getPublic());
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> ReceivedNetworkConfig.parse(body, ca.getPublic(), node.getPrivate()));
        assertTrue(e.getMessage().contains("does not verify"), e.getMessage());
    }

    @Test
    void keysEncryptedToAnotherNodeAreRefused() {
        byte[] body = config().body(NetworkVersion.signed(3, signer), new BabelHmacKeys(K1, null, null, null), other.getPublic());
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> ReceivedNetworkConfig.parse(body, ca.getPublic(), node.getPrivate()));
        assertTrue(e.getMessage().contains("babel_hmac_sign cannot be decrypted"), e.getMessage());
    }

    @Test
    void malformedBodiesAreRefusedWithTheReason() {
        String version = NetworkVersion.signed(3, signer).base64();
        String good = config().bodyJson(NetworkVersion.signed(3, signer), BabelHmacKeys.NONE, node.getPublic());
        assertRefused("not zlib", new byte[] {1, 2, 3});
        assertRefused("not JSON", NetworkConfig.compress("{".getBytes(StandardCharsets.US_ASCII)));
        assertRefused("not a JSON object", NetworkConfig.compress("[1]".getBytes(StandardCharsets.US_ASCII)));
        assertRefused("'version' is missing", NetworkConfig.compress("{}".getBytes(StandardCharsets.US_ASCII)));
        assertRefused("'hello' is '\"4\"', not an integer", zip(good.replace("\"hello\": 4", "\"hello\": \"4\"")));
        assertRefused("out of range", zip(good.replace("\"hello\": 4", "\"hello\": 0")));
        assertRefused("not a serial", zip(good.replace("\"crl\": [5, 9]", "\"crl\": [5, \"x\"]")));
        assertRefused("not a binary prefix", zip(good.replace("\"0000000000000001\"", "\"0002\"")));
        assertRefused("expected IP/N", zip(good.replace("10.42.0.0/16", "10.42.0.0")));
        assertTrue(good.contains(version.substring(0, 20)));
    }

    private static byte[] zip(String json) {
        return NetworkConfig.compress(json.getBytes(StandardCharsets.US_ASCII));
    }

    private static void assertRefused(String reason, byte[] body) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> ReceivedNetworkConfig.parse(body, ca.getPublic(), node.getPrivate()));
        assertTrue(e.getMessage().contains(reason), "'" + e.getMessage() + "' should say " + reason);
    }
}
