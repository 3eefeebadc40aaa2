package re6st.registry.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.SignatureException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import re6st.pki.Pem;
import re6st.registry.ca.CertificateAuthority;
import re6st.registry.ca.TestCa;
import re6st.registry.protocol.HelloResponse;

class HelloResponseTest {
    private static CertificateAuthority ca;
    private static KeyPair node;

    @TempDir
    Path dir;

    @BeforeAll
    static void keys() {
        ca = TestCa.ca();
        node = TestCa.nodeKey(0);
    }

    @Test
    void secretLayout() {
        Clock clock = Clock.fixed(Instant.parse("2025-03-01T12:00:00.123456789Z"), ZoneOffset.UTC);
        byte[] k = HelloResponse.newSecret(clock, new SecureRandom());
        assertEquals(20, k.length);
        assertEquals(1_740_830_400_123_456L, ByteBuffer.wrap(k).getLong(), "big-endian microseconds since the epoch");
        assertNotEquals(Arrays.toString(Arrays.copyOfRange(k, 8, 20)),
                Arrays.toString(Arrays.copyOfRange(HelloResponse.newSecret(clock, new SecureRandom()), 8, 20)), "12 random bytes");
    }

    @Test
    void layoutAndClientSide() throws Exception {
        byte[] k = HelloResponse.newSecret(TestCa.clock(), new SecureRandom());
        byte[] response = HelloResponse.build(k, node.getPublic(), ca);
        assertEquals(2 * 256, response.length, "encrypted secret || signature, each the 2048-bit key's length");
        assertArrayEquals(k, HelloResponse.open(response, ca.publicKey(), node.getPrivate()));
        assertArrayEquals(ca.sign(Arrays.copyOf(response, 256)), Arrays.copyOfRange(response, 256, 512),
                "the second half is the CA's PKCS#1 v1.5 SHA-512 signature of the first");
    }

    @Test
    void tamperedResponsesAreRefused() throws Exception {
        byte[] response = HelloResponse.build(HelloResponse.newSecret(TestCa.clock(), new SecureRandom()), node.getPublic(), ca);
        for (int at : new int[] {0, 255, 256, 511}) {
            byte[] bad = response.clone();
            bad[at] ^= 0x40;
            SignatureException e = assertThrows(SignatureException.class, () -> HelloResponse.open(bad, ca.publicKey(), node.getPrivate()));
            assertEquals("hello response: the CA signature does not verify", e.getMessage());
        }
        assertThrows(SignatureException.class, () -> HelloResponse.open(Arrays.copyOf(response, 511), ca.publicKey(), node.getPrivate()));
        // signed by the CA but for another node: that node's key cannot decrypt it
        assertThrows(GeneralSecurityException.class, () -> HelloResponse.open(response, ca.publicKey(), TestCa.nodeKey(1).getPrivate()));
    }

    @Test
    void nodeKeyMustHaveTheCaSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HelloResponse.build(new byte[20], TestCa.rsa(1024).getPublic(), ca));
        assertEquals("node key of 1024 bits, CA key of 2048 bits: the hello response needs keys of one size", e.getMessage());
    }

    /** What the original client does with openssl: rsautl -decrypt with the node key, verify with the CA certificate. */
    @Test
    void opensslOpensIt() throws Exception {
        TestCa.assumeOpenssl();
        byte[] k = HelloResponse.newSecret(TestCa.clock(), new SecureRandom());
        byte[] response = HelloResponse.build(k, node.getPublic(), ca);
        Files.write(dir.resolve("enc"), Arrays.copyOf(response, 256));
        Files.write(dir.resolve("sig"), Arrays.copyOfRange(response, 256, 512));
        Files.writeString(dir.resolve("node.key"), Pem.privateKey(node.getPrivate()));
        Files.writeString(dir.resolve("ca.crt"), ca.certificatePem());
        TestCa.Run d = TestCa.openssl(dir, "pkeyutl", "-decrypt", "-inkey", "node.key", "-in", "enc", "-out", "k");
        assertEquals(0, d.status(), d.out());
        assertArrayEquals(k, Files.readAllBytes(dir.resolve("k")));
        assertEquals(0, TestCa.openssl(dir, "x509", "-in", "ca.crt", "-pubkey", "-noout", "-out", "ca.pub").status());
        TestCa.Run v = TestCa.openssl(dir, "dgst", "-sha512", "-verify", "ca.pub", "-signature", "sig", "enc");
        assertEquals("Verified OK", v.out().trim(), v.out());
        assertTrue(v.status() == 0);
    }
}
