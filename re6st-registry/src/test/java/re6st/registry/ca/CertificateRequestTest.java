package re6st.registry.ca;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;

import org.bouncycastle.asn1.x500.X500Name;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import re6st.pki.Pem;
import re6st.registry.ca.BadCsrException.Reason;

class CertificateRequestTest {
    private static final int BITS = TestCa.BITS;
    private static KeyPair node;

    @TempDir
    Path dir;

    @BeforeAll
    static void keys() {
        node = TestCa.nodeKey(0);
    }

    private static BadCsrException refused(Reason reason, String pem) {
        BadCsrException e = assertThrows(BadCsrException.class, () -> CertificateRequest.parse(pem, BITS));
        assertEquals(reason, e.reason(), e.getMessage());
        return e;
    }

    @Test
    void accepted() throws Exception {
        CertificateRequest r = CertificateRequest.parse(TestCa.csr(node, "O=Example,OU=lab,E=me@example.org"), BITS);
        assertEquals(new X500Name("O=Example,OU=lab,E=me@example.org"), r.subject());
        assertEquals(node.getPublic(), r.publicKey());
        // an empty subject (re6st-conf without -r), the old PEM label, text around the block, CRLF lines
        CertificateRequest.parse(TestCa.csr(node, new X500Name(new org.bouncycastle.asn1.x500.RDN[0]), "SHA256withRSA"), BITS);
        String pem = TestCa.csr(node, "O=x");
        CertificateRequest.parse(pem.replace("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"), BITS);
        CertificateRequest.parse("garbage before\n" + pem + "and after", BITS);
        CertificateRequest.parse(pem.replace("\n", "\r\n"), BITS);
    }

    @Test
    void reservedSubjectFields() {
        BadCsrException e = refused(Reason.CN_GIVEN, TestCa.csr(node, "O=x,CN=7/16"));
        assertTrue(e.getMessage().contains("has a CN"), e.getMessage());
        // a serialNumber is replaced, not refused (the original re6st-conf sends an old one when it enrols again)
        CertificateRequest withSerial = assertDoesNotThrow(() -> CertificateRequest.parse(TestCa.csr(node, "SERIALNUMBER=0,O=x"), TestCa.BITS));
        assertEquals(0, withSerial.subject().getRDNs(org.bouncycastle.asn1.x500.style.BCStyle.SERIALNUMBER).length);
        assertEquals(1, withSerial.subject().getRDNs(org.bouncycastle.asn1.x500.style.BCStyle.O).length);
    }

    @Test
    void badSignature() throws Exception {
        byte[] der = Pem.decode(TestCa.csr(node, "O=x")).der();
        der[der.length - 1] ^= 1; // last byte of the signature
        BadCsrException e = refused(Reason.BAD_SIGNATURE, Pem.encode("CERTIFICATE REQUEST", der));
        assertEquals("the certificate request's signature does not verify with its key", e.getMessage());
        // signed by another key than the one it carries: swap in another request's key
        String other = TestCa.csr(TestCa.nodeKey(1), "O=x");
        byte[] a = Pem.decode(TestCa.csr(node, "O=x")).der(), b = Pem.decode(other).der();
        byte[] keyA = node.getPublic().getEncoded(), keyB = TestCa.nodeKey(1).getPublic().getEncoded();
        int at = indexOf(a, keyA);
        assertTrue(at > 0 && indexOf(b, keyB) > 0);
        System.arraycopy(keyB, 0, a, at, keyB.length); // same length: both 2048-bit keys, exponent 65537
        refused(Reason.BAD_SIGNATURE, Pem.encode("CERTIFICATE REQUEST", a));
    }

    @Test
    void nonRsaKeys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        BadCsrException e = refused(Reason.NOT_RSA, TestCa.csr(g.generateKeyPair(), new X500Name("O=x"), "SHA256withECDSA"));
        assertEquals("the certificate request's key is EC: node keys must be RSA (2048 bits, like the CA's)", e.getMessage());
        e = refused(Reason.NOT_RSA, TestCa.csr(KeyPairGenerator.getInstance("Ed25519").generateKeyPair(), new X500Name("O=x"), "Ed25519"));
        assertTrue(e.getMessage().contains("Ed25519"), e.getMessage());
    }

    @Test
    void keySizeMustBeTheCas() {
        BadCsrException e = refused(Reason.KEY_SIZE, TestCa.csr(TestCa.rsa(1024), "O=x"));
        assertTrue(e.getMessage().startsWith("the certificate request's RSA key has 1024 bits; this network's node keys have 2048"),
                e.getMessage());
    }

    @Test
    void garbage() throws Exception {
        refused(Reason.MALFORMED_PEM, "hello");
        refused(Reason.MALFORMED_PEM, "");
        refused(Reason.MALFORMED_PEM, "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n");
        refused(Reason.MALFORMED_PEM, "-----BEGIN CERTIFICATE REQUEST-----\nA*A=\n-----END CERTIFICATE REQUEST-----\n");
        refused(Reason.MALFORMED_PEM, "-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n");
        refused(Reason.MALFORMED_PEM, "-----BEGIN CERTIFICATE REQUEST-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END CERTIFICATE REQUEST-----\n");
        BadCsrException e = refused(Reason.NOT_A_CSR, TestCa.ca().certificatePem());
        assertEquals("PEM block is CERTIFICATE, not a CERTIFICATE REQUEST", e.getMessage());
        refused(Reason.NOT_A_CSR, Pem.encode("CERTIFICATE REQUEST", new byte[] {1, 2, 3}));
        refused(Reason.NOT_A_CSR, Pem.encode("CERTIFICATE REQUEST", TestCa.ca().certificate().getEncoded())); // a certificate's DER
        byte[] der = Pem.decode(TestCa.csr(node, "O=x")).der();
        refused(Reason.NOT_A_CSR, Pem.encode("CERTIFICATE REQUEST", Arrays.copyOf(der, der.length - 1)));
        refused(Reason.NOT_A_CSR, Pem.encode("CERTIFICATE REQUEST", Arrays.copyOf(der, der.length + 2))); // trailing zeros
        refused(Reason.TOO_LARGE, "x".repeat(CertificateRequest.MAX_PEM_LENGTH + 1));
    }

    @Test
    void deepNestingIsRefusedWithoutRecursion() {
        int depth = 11_000; // 44 KB of nested SEQUENCE headers: deep enough to overflow a recursive parser
        byte[] der = new byte[depth * 4];
        for (int i = 0; i < depth; i++) {
            int len = (depth - 1 - i) * 4;
            der[4 * i] = 0x30;
            der[4 * i + 1] = (byte) 0x82;
            der[4 * i + 2] = (byte) (len >> 8);
            der[4 * i + 3] = (byte) len;
        }
        BadCsrException e = refused(Reason.NOT_A_CSR, Pem.encode("CERTIFICATE REQUEST", der));
        assertEquals("not a PKCS#10 certificate request (request: DER nested more than 32 deep)", e.getMessage());
    }

    @Test
    void checkDer() {
        CertificateRequest.checkDer(new byte[] {0x30, 0x03, 0x02, 0x01, 0x05}, "x");
        CertificateRequest.checkDer(new byte[] {0x30, 0x00}, "x");
        CertificateRequest.checkDer(new byte[] {0x1F, (byte) 0x81, 0x01, 0x00}, "x"); // high tag number
        for (byte[] bad : new byte[][] {{}, {0x30}, {0x30, 0x04, 0x02, 0x01, 0x05}, {0x30, (byte) 0x80, 0, 0},
                {0x30, 0x00, 0x30, 0x00}, {0x30, 0x02, 0x02, 0x02, 0, 0}, {0x1F, (byte) 0x81}, {0x04, (byte) 0x85, 1, 1, 1, 1, 1}})
            assertThrows(IllegalArgumentException.class, () -> CertificateRequest.checkDer(bad, "x"), Arrays.toString(bad));
    }

    @Test
    void opensslRequests() throws Exception {
        TestCa.assumeOpenssl();
        Files.writeString(dir.resolve("node.key"), Pem.privateKey(node.getPrivate()));
        TestCa.Run r = TestCa.openssl(dir, "req", "-new", "-key", "node.key", "-subj", "/CN=me/O=x", "-out", "cn.csr");
        assertEquals(0, r.status(), r.out());
        refused(Reason.CN_GIVEN, Files.readString(dir.resolve("cn.csr")));
        r = TestCa.openssl(dir, "req", "-new", "-key", "node.key", "-subj", "/serialNumber=12/O=x", "-out", "sn.csr");
        assertEquals(0, r.status(), r.out());
        CertificateRequest sn = assertDoesNotThrow(() -> CertificateRequest.parse(Files.readString(dir.resolve("sn.csr")), TestCa.BITS));
        assertEquals(new X500Name("O=x"), sn.subject(), "the serialNumber is removed, the rest kept");
        r = TestCa.openssl(dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ec.key", "-subj", "/O=x", "-out", "ec.csr");
        assertEquals(0, r.status(), r.out());
        refused(Reason.NOT_RSA, Files.readString(dir.resolve("ec.csr")));
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++)
                if (hay[i + j] != needle[j])
                    continue outer;
            return i;
        }
        return -1;
    }
}
