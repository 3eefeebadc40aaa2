package re6st.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPairGenerator;
import java.security.PrivateKey;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PemTest {
    static PrivateKey key;
    static String pem;

    @BeforeAll
    static void key() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        key = g.generateKeyPair().getPrivate();
        pem = Pem.privateKey(key);
    }

    @Test
    void roundTripAndCrlf() {
        assertArrayEquals(key.getEncoded(), Pem.parseRsaPrivateKey(pem).getEncoded());
        assertArrayEquals(key.getEncoded(), Pem.parseRsaPrivateKey("leading text\r\n" + pem.replace("\n", "\r\n")).getEncoded());
    }

    @Test
    void harmlessHeadersAreIgnoredEncryptedOnesRefusedWithTheFix() {
        String withComment = pem.replace("-----BEGIN PRIVATE KEY-----\n", "-----BEGIN PRIVATE KEY-----\nComment: made by hand\n"
                + " continued\n\n");
        assertArrayEquals(key.getEncoded(), Pem.parseRsaPrivateKey(withComment).getEncoded());
        String encrypted = pem.replace("-----BEGIN PRIVATE KEY-----\n", "-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
                + "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pem.parseRsaPrivateKey(encrypted));
        assertTrue(e.getMessage().contains("encrypted") && e.getMessage().contains("openssl pkey"), e.getMessage());
        String colonInBody = pem.replace("-----BEGIN PRIVATE KEY-----\n", "-----BEGIN PRIVATE KEY-----\nMIIC\nab:cd\n");
        assertThrows(IllegalArgumentException.class, () -> Pem.decode(colonInBody));
    }

    @Test
    void anotherKindOfKeySaysWhatIsExpected() {
        String ec = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pem.parseRsaPrivateKey(ec));
        assertEquals("the PEM block is EC PRIVATE KEY: node keys are RSA private keys (PRIVATE KEY or RSA PRIVATE KEY)", e.getMessage());
    }
}
