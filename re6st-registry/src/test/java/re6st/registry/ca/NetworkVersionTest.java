package re6st.registry.ca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SignatureException;
import java.util.Arrays;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

import re6st.registry.protocol.NetworkVersion;

class NetworkVersionTest {
    @Test
    void initialIsTheOriginalsDefault() {
        assertArrayEquals(new byte[] {0}, NetworkVersion.INITIAL.encoded());
        assertEquals(0, NetworkVersion.INITIAL.number());
        assertFalse(NetworkVersion.INITIAL.isSigned());
        assertEquals(NetworkVersion.INITIAL, NetworkVersion.decode(new byte[] {0}));
        assertThrows(IllegalArgumentException.class, () -> NetworkVersion.decode(new byte[0]));
    }

    @Test
    void signedVersionsVerifyWithTheCaKey() throws Exception {
        CertificateAuthority ca = TestCa.ca();
        NetworkVersion v1 = NetworkVersion.INITIAL.next(ca);
        assertEquals(1, v1.number());
        assertEquals(1 + 256, v1.encoded().length, "packInteger(1) = 01, then the 2048-bit signature");
        assertEquals(0x01, v1.encoded()[0]);
        assertTrue(v1.isSigned());
        assertEquals(v1, NetworkVersion.verify(v1.encoded(), ca.publicKey()));
        assertEquals(v1, NetworkVersion.decode(v1.encoded()));
        assertEquals(v1, NetworkVersion.verify(NetworkVersion.base64Decode(v1.base64()), ca.publicKey()));

        NetworkVersion v32 = NetworkVersion.signed(32, ca);
        assertEquals("2000", HexFormat.of().formatHex(Arrays.copyOf(v32.encoded(), 2)), "packInteger golden: 32 -> 2000");
        assertEquals(33, v32.next(ca).number());
        assertTrue(Arrays.compareUnsigned(v1.encoded(), v32.encoded()) < 0, "byte order is version order");

        byte[] bad = v1.encoded();
        bad[0] = 2; // claims version 2 with version 1's signature
        assertThrows(SignatureException.class, () -> NetworkVersion.verify(bad, ca.publicKey()));
        assertThrows(SignatureException.class, () -> NetworkVersion.verify(new byte[] {0}, ca.publicKey()), "unsigned");
        assertThrows(SignatureException.class, () -> NetworkVersion.verify(new byte[0], ca.publicKey()));
        assertThrows(SignatureException.class, () -> NetworkVersion.verify(new byte[] {(byte) 0xE0}, ca.publicKey()));
        // the original wrote MIME base64 (a '\n' every 76 characters): decoded the same
        String mime = java.util.Base64.getMimeEncoder(76, new byte[] {'\n'}).encodeToString(v1.encoded()) + "\n";
        assertArrayEquals(v1.encoded(), NetworkVersion.base64Decode(mime));
    }
}
