package re6st.registry.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

/** Golden vectors computed with Python's hmac/hashlib/base64, as the original registry and client do. */
class HmacChainTest {
    static final byte[] K = new byte[20];
    static final String PATH = "/getNetworkConfig?cn=0000000000000111";

    static {
        for (int i = 0; i < 20; i++)
            K[i] = (byte) i;
    }

    @Test
    void goldenVectors() {
        assertEquals("dB3m3XeSduiSXMdlM2tWU2UI5K4=", HmacChain.requestHeader(K, PATH));
        assertEquals("m3yO6PxCi3uZElLGkYytn4nGeO8=", HmacChain.responseHeader(K, "hello".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("bqShDSWQrJk2uDC8dhyVue6nB2Y=", HmacChain.responseHeader(K, new byte[0]), "204: MAC of the empty body");
        assertEquals("8f610962f8582709735b1a7964b86202a5e4a9df", HexFormat.of().formatHex(HmacChain.nextKey(K)));
        assertEquals("K2iHsSUKdo5AMDm6SmR8+bztYWY=", HmacChain.requestHeader(HmacChain.nextKey(K), PATH));
    }

    @Test
    void clientChainTwoRequests() {
        HmacChain client = new HmacChain(K);
        HmacChain.Step first = client.step(PATH);
        assertEquals("dB3m3XeSduiSXMdlM2tWU2UI5K4=", first.requestHeader());
        assertTrue(HmacChain.verifyRequest(K, PATH, first.requestHeader()));
        assertTrue(first.responseValid("hello".getBytes(StandardCharsets.US_ASCII), "m3yO6PxCi3uZElLGkYytn4nGeO8="));
        assertFalse(first.responseValid("hellO".getBytes(StandardCharsets.US_ASCII), "m3yO6PxCi3uZElLGkYytn4nGeO8="));

        HmacChain.Step second = client.step(PATH);
        assertArrayEquals(HmacChain.nextKey(K), second.key(), "the second request uses SHA1(SHA1(K))");
        assertEquals("K2iHsSUKdo5AMDm6SmR8+bztYWY=", second.requestHeader());
        assertFalse(HmacChain.verifyRequest(K, PATH, second.requestHeader()));
    }

    @Test
    void badHeaders() {
        assertFalse(HmacChain.verifyRequest(K, PATH, null));
        assertFalse(HmacChain.verifyRequest(K, PATH, ""));
        assertFalse(HmacChain.verifyRequest(K, PATH, "not base64!"));
        assertFalse(HmacChain.verifyRequest(K, PATH, "dB3m3XeSduiSXMdlM2tWU2UI"), "truncated MAC");
        assertFalse(HmacChain.verifyRequest(K, PATH + "&x=1", "dB3m3XeSduiSXMdlM2tWU2UI5K4="), "another query");
        assertThrows(IllegalArgumentException.class, () -> HmacChain.requestHeader(K, "/x?\u20ac"));
    }
}
