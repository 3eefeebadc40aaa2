package re6st.registry.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;

import com.code_intelligence.jazzer.junit.FuzzTest;

import re6st.pki.Rsa;
import re6st.registry.protocol.ReceivedNetworkConfig.InvalidConfigException;

/**
 * Jazzer on the JSON a node gets from {@code getNetworkConfig} (an attacker between the node and a
 * plain-HTTP registry controls it): either a complete config whose version carries the CA's
 * signature, or {@link InvalidConfigException} with a reason; nothing else may escape. The fuzzer
 * gets a signed version spliced in where it writes {@code "@V"}, so it reaches past the signature.
 */
class ReceivedNetworkConfigFuzzTest {
    static final KeyPair CA = keys();
    static final String VERSION = NetworkVersion.signed(5, new re6st.pki.CaSigner() {
        public java.security.PublicKey publicKey() {
            return CA.getPublic();
        }

        public byte[] sign(byte[] data) {
            return Rsa.sign(CA.getPrivate(), data);
        }
    }).base64();

    static KeyPair keys() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(1024);
            return g.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @FuzzTest(maxDuration = "5s")
    void networkConfigJson(byte[] input) {
        String json = new String(input, StandardCharsets.UTF_8).replace("@V", VERSION);
        ReceivedNetworkConfig r;
        try {
            r = ReceivedNetworkConfig.parse(NetworkConfig.compress(json.getBytes(StandardCharsets.UTF_8)), CA.getPublic(), CA.getPrivate());
        } catch (InvalidConfigException e) {
            assertTrue(e.getMessage().startsWith("network config"), e.getMessage());
            return;
        }
        assertEquals(5, r.version().number());
        assertNotNull(r.config().registryPrefix());
        assertTrue(r.config().parameters().hello() > 0);
    }
}
