package re6st.registry.ca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import re6st.pki.Rsa;
import re6st.registry.protocol.BabelHmacKeys;
import re6st.registry.protocol.NetworkConfig;
import re6st.registry.protocol.NetworkVersion;
import re6st.registry.protocol.PythonJson;

class NetworkConfigTest {
    /** Python 3: json.dumps(kw, sort_keys=True) with the original's keys (see the test for the inputs). */
    private static final String FULL = "{\"babel_default\": \"max-rtt-penalty 5000 rtt-max 500 rtt-decay 125\", "
            + "\"client_count\": 10, \"crl\": [3, 5, 1234567890123], \"encrypt\": false, \"hello\": 15, "
            + "\"ipv4\": \"10.42.0.0/16\", \"ipv4_sublen\": 24, \"max_clients\": 20, \"min_protocol\": 1, \"protocol\": 10, "
            + "\"registry_prefix\": \"0000000000000001\", \"same_country\": [\"FR\", \"CN\"], \"tunnel_refresh\": 300}";
    private static final String MINIMAL = "{\"babel_default\": \"max-rtt-penalty 5000 rtt-max 500 rtt-decay 125\", "
            + "\"client_count\": 12, \"crl\": [], \"encrypt\": true, \"hello\": 4, \"max_clients\": 24, \"min_protocol\": 1, "
            + "\"protocol\": 10, \"registry_prefix\": null, \"tunnel_refresh\": 60}";

    private static CertificateAuthority ca;
    private static KeyPair node;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void keys() {
        ca = TestCa.ca();
        node = TestCa.nodeKey(0);
    }

    private static NetworkConfig full() {
        NetworkConfig.Parameters p = new NetworkConfig.Parameters(10, false, 15, 20, 1, 300, "10.42.0.0/16", 24, List.of("FR", "CN"));
        return new NetworkConfig(p, List.of(1234567890123L, 5L, 3L), "0000000000000001");
    }

    @Test
    void versionedJsonIsPythons() {
        assertEquals(FULL, full().json());
        NetworkConfig.Parameters p = new NetworkConfig.Parameters(12, true, 4, 24, 1, 60, null, 0, List.of());
        assertEquals(MINIMAL, new NetworkConfig(p, List.of(), null).json());
        assertEquals(NetworkConfig.Parameters.defaults(), new NetworkConfig.Parameters(10, false, 15, 20, 1, 300, null, 7, null));
        assertThrows(IllegalArgumentException.class, () -> new NetworkConfig.Parameters(10, false, 15, 20, 1, 300, "10.42.0.0", 24, null));
        assertThrows(IllegalArgumentException.class, () -> new NetworkConfig.Parameters(10, false, 15, 20, 1, 300, "10.42.0/16", 24, null));
    }

    @Test
    void pythonStringEscapes() {
        assertEquals("{\"s\": \"a\\\"b\\\\c\\n\\u0001\\u007f\\u00e9\\ud83d\\ude00\"}",
                PythonJson.dumps(Map.of("s", "a\"b\\c\n\u0001\u007f\u00e9\uD83D\uDE00")));
    }

    @Test
    void versionBumpOnlyWhenTheJsonChanges() {
        NetworkConfig c = full();
        assertTrue(c.changedFrom(null), "no last_config yet");
        assertFalse(c.changedFrom(FULL));
        NetworkConfig revoked = new NetworkConfig(c.parameters(), List.of(3L, 5L, 7L, 1234567890123L), c.registryPrefix());
        assertTrue(revoked.changedFrom(FULL), "a revocation changes the CRL");
        assertFalse(new NetworkConfig(c.parameters(), List.of(5L, 1234567890123L, 3L), c.registryPrefix()).changedFrom(FULL),
                "the CRL is sorted");
    }

    @Test
    void bodyForOneNode() throws Exception {
        NetworkVersion v = NetworkVersion.signed(7, ca);
        BabelHmacKeys hmac = BabelHmacKeys.NONE.update(Instant.EPOCH, new SecureRandom()); // [None, K1, '']
        byte[] body = full().body(v, hmac, node.getPublic());
        assertEquals(0x78, body[0] & 0xFF, "zlib header");
        JsonNode got = json.readTree(NetworkConfig.decompress(body));

        Map<String, JsonNode> fields = new TreeMap<>();
        got.fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue()));
        assertEquals(List.of("", "babel_default", "babel_hmac_accept", "babel_hmac_sign", "client_count", "crl", "encrypt", "hello",
                "ipv4", "ipv4_sublen", "max_clients", "min_protocol", "protocol", "registry_prefix", "same_country",
                "tunnel_refresh", "version"), List.copyOf(fields.keySet()));
        assertEquals("[\"version\"]", got.get("").toString());
        // every key of the versioned JSON, with the same values
        JsonNode versioned = json.readTree(FULL);
        versioned.fields().forEachRemaining(e -> assertEquals(e.getValue(), got.get(e.getKey()), e.getKey()));

        NetworkVersion received = NetworkVersion.verify(Base64.getDecoder().decode(got.get("version").asText()), ca.publicKey());
        assertEquals(7, received.number());

        byte[] sign = Rsa.decrypt(node.getPrivate(), Base64.getDecoder().decode(got.get("babel_hmac_sign").asText()));
        assertArrayEquals(hmac.sign().orElseThrow(), sign);
        assertEquals("", got.get("babel_hmac_accept").asText(), "the empty key is sent as \"\"");
        assertFalse(got.has("valid_until"));
    }

    @Test
    void bodyInAChangeWindow() throws Exception {
        SecureRandom random = new SecureRandom();
        Instant now = Instant.parse("2025-03-01T12:00:00Z");
        BabelHmacKeys window = BabelHmacKeys.fresh(random).update(now, random); // [K1, K2, None]
        JsonNode got = json.readTree(NetworkConfig.decompress(full().body(NetworkVersion.signed(8, ca), window, node.getPublic())));
        assertEquals(now.getEpochSecond() + 3600, got.get("valid_until").asLong());
        assertArrayEquals(window.sign().orElseThrow(),
                Rsa.decrypt(node.getPrivate(), Base64.getDecoder().decode(got.get("babel_hmac_sign").asText())));
        assertArrayEquals(window.accept().orElseThrow(),
                Rsa.decrypt(node.getPrivate(), Base64.getDecoder().decode(got.get("babel_hmac_accept").asText())));

        JsonNode none = json.readTree(NetworkConfig.decompress(full().body(NetworkVersion.signed(8, ca), BabelHmacKeys.NONE, node.getPublic())));
        assertFalse(none.has("babel_hmac_sign") || none.has("babel_hmac_accept") || none.has("valid_until"));
    }

    @Test
    void decompressRefusesJunkAndBombs() {
        assertThrows(IllegalArgumentException.class, () -> NetworkConfig.decompress(new byte[] {1, 2, 3}));
        byte[] ok = NetworkConfig.compress("{}".getBytes());
        assertEquals("{}", NetworkConfig.decompress(ok));
        assertThrows(IllegalArgumentException.class, () -> NetworkConfig.decompress(java.util.Arrays.copyOf(ok, ok.length - 3)));
        byte[] bomb = NetworkConfig.compress(new byte[NetworkConfig.MAX_JSON_BYTES + 1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetworkConfig.decompress(bomb));
        assertTrue(e.getMessage().contains("inflates beyond"), e.getMessage());
    }
}
