package re6st.registry.ca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import re6st.net.NodePrefix;
import re6st.pki.Pem;

class CertificateAuthorityTest {
    private static final BigInteger SPEC_CA_SERIAL = new BigInteger("120010db80042", 16);
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
    void initCaEncodesTheNetworkInTheSerial() throws Exception {
        assertEquals(SPEC_CA_SERIAL, ca.certificate().getSerialNumber(), "2001:db8:42::/48 <-> 0x120010db80042");
        assertEquals("2001:db8:42::/48", ca.network().toString());
        assertEquals(2048, ca.keyBits());
        assertEquals("SHA512withRSA", ca.certificate().getSigAlgName());
        assertEquals(Integer.MAX_VALUE, ca.certificate().getBasicConstraints(), "CA:TRUE without path length");
        assertEquals("ca@example.org", ca.email().orElseThrow());
        assertEquals(TestCa.now(), ca.certificate().getNotBefore().toInstant());
        assertEquals(TestCa.now().plus(Duration.ofDays(3650)), ca.certificate().getNotAfter().toInstant());
    }

    @Test
    void writePemThenLoad() throws Exception {
        Path crt = dir.resolve("ca.crt"), key = dir.resolve("ca.key");
        ca.writePem(crt, key);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertTrue(Files.readString(key).startsWith("-----BEGIN PRIVATE KEY-----\n"));
        assertEquals(ca.certificatePem(), Files.readString(crt));

        CertificateAuthority loaded = CertificateAuthority.load(crt, key, TestCa.clock());
        assertEquals(ca.certificate(), loaded.certificate());
        assertEquals("2001:db8:42::/48", loaded.network().toString());
        byte[] data = {1, 2, 3};
        assertArrayEquals(ca.sign(data), loaded.sign(data), "PKCS#1 v1.5 signatures are deterministic: same key");

        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, () -> ca.writePem(crt, dir.resolve("other.key")));
        assertTrue(e.getMessage().contains("ca.crt"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("other.key")));
    }

    @Test
    void opensslReadsTheWrittenPem() throws Exception {
        TestCa.assumeOpenssl();
        ca.writePem(dir.resolve("ca.crt"), dir.resolve("ca.key"));
        TestCa.Run r = TestCa.openssl(dir, "x509", "-in", "ca.crt", "-noout", "-serial");
        assertEquals("serial=0120010DB80042", r.out().trim(), "the serial openssl prints");
        assertEquals(0, TestCa.openssl(dir, "rsa", "-in", "ca.key", "-check", "-noout").status(), "openssl reads the key");
    }

    @Test
    void loadErrorsNameTheFile() throws Exception {
        Path crt = dir.resolve("ca.crt"), key = dir.resolve("ca.key"), other = dir.resolve("other.key");
        ca.writePem(crt, key);
        Files.writeString(other, Pem.privateKey(node.getPrivate()));
        IOException e = assertThrows(IOException.class, () -> CertificateAuthority.load(crt, other));
        assertTrue(e.getMessage().contains("does not belong to the CA certificate"), e.getMessage());
        Files.writeString(other, "garbage");
        e = assertThrows(IOException.class, () -> CertificateAuthority.load(crt, other));
        assertTrue(e.getMessage().startsWith(other + ": no PEM block"), e.getMessage());
        e = assertThrows(IOException.class, () -> CertificateAuthority.load(other, key));
        assertTrue(e.getMessage().startsWith(other + ": not a PEM certificate"), e.getMessage());
        Files.writeString(other, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        e = assertThrows(IOException.class, () -> CertificateAuthority.load(crt, other));
        assertTrue(e.getMessage().contains("encrypted"), e.getMessage());
    }

    @Test
    void pkcs1KeysLoadToo() throws Exception {
        TestCa.assumeOpenssl();
        Path crt = dir.resolve("ca.crt"), key = dir.resolve("ca.key");
        ca.writePem(crt, key);
        TestCa.Run r = TestCa.openssl(dir, "rsa", "-in", "ca.key", "-traditional", "-out", "pkcs1.key");
        assertEquals(0, r.status(), r.out());
        assertTrue(Files.readString(dir.resolve("pkcs1.key")).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        assertEquals(ca.network(), CertificateAuthority.load(crt, dir.resolve("pkcs1.key")).network());
    }

    @Test
    /** The certificate issueFollowsTheSpec checks: 7/16, serial 42, subject serialNumber 3. */
    private static X509Certificate sampleCertificate() throws BadCsrException {
        return ca.issue(ca.parseRequest(TestCa.csr(node, "O=Example,E=node@example.org")), new NodePrefix("0000000000000111"), 3,
                BigInteger.valueOf(42));
    }

    @Test
    void issueFollowsTheSpec() throws Exception {
        CertificateRequest req = ca.parseRequest(TestCa.csr(node, "O=Example,E=node@example.org"));
        NodePrefix prefix = new NodePrefix("0000000000000111");
        assertEquals("7/16", prefix.cn(), "CN text of a binary prefix");
        X509Certificate cert = sampleCertificate();

        cert.verify(ca.publicKey());
        assertEquals(BigInteger.valueOf(42), cert.getSerialNumber());
        assertEquals(ca.certificate().getSubjectX500Principal(), cert.getIssuerX500Principal());
        assertEquals("SHA512withRSA", cert.getSigAlgName());
        assertEquals(node.getPublic(), cert.getPublicKey());
        assertEquals(TestCa.now(), cert.getNotBefore().toInstant());
        assertEquals(TestCa.now().plus(Duration.ofDays(365)), cert.getNotAfter().toInstant());
        assertEquals(-1, cert.getBasicConstraints(), "not a CA");
        assertTrue(cert.getKeyUsage()[0] && cert.getKeyUsage()[2], "digitalSignature, keyEncipherment");
        assertEquals(prefix, re6st.pki.Certificates.nodePrefix(cert));

        // subject: the request's RDNs, then serialNumber (PrintableString), then CN (UTF8String)
        RDN[] rdns = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded()).getRDNs();
        assertEquals(4, rdns.length);
        assertEquals(BCStyle.O, rdns[0].getFirst().getType());
        assertEquals(BCStyle.EmailAddress, rdns[1].getFirst().getType());
        assertEquals(BCStyle.SERIALNUMBER, rdns[2].getFirst().getType());
        assertEquals(new DERPrintableString("3"), rdns[2].getFirst().getValue());
        assertEquals(BCStyle.CN, rdns[3].getFirst().getType());
        assertEquals(new DERUTF8String("7/16"), rdns[3].getFirst().getValue());

        assertThrows(IllegalArgumentException.class, () -> ca.issue(req, new NodePrefix("0".repeat(81)), 0, BigInteger.TEN),
                "longer than the 80 bits the /48 leaves");
        assertThrows(IllegalArgumentException.class, () -> ca.issue(req, prefix, 0, BigInteger.ZERO));
        assertThrows(IllegalArgumentException.class, () -> ca.issue(req, prefix, -1, BigInteger.TEN));
    }

    @Test
    void opensslVerifiesAnIssuedCertificate() throws Exception {
        TestCa.assumeOpenssl();
        X509Certificate cert = sampleCertificate();
        Files.writeString(dir.resolve("ca.crt"), ca.certificatePem());
        Files.writeString(dir.resolve("cert.crt"), Pem.certificate(cert));
        TestCa.Run v = TestCa.openssl(dir, "verify", "-CAfile", "ca.crt", "cert.crt");
        assertEquals(0, v.status(), v.out());
        assertEquals("cert.crt: OK", v.out().trim());
        TestCa.Run x = TestCa.openssl(dir, "x509", "-in", "cert.crt", "-noout", "-subject", "-serial", "-dates");
        assertEquals(0, x.status(), x.out());
        List<String> lines = x.out().lines().toList();
        assertEquals("subject=O = Example, emailAddress = node@example.org, serialNumber = 3, CN = 7/16", lines.get(0));
        assertEquals("serial=2A", lines.get(1));
        assertEquals(TestCa.now(), opensslDate(lines.get(2), "notBefore"));
        assertEquals(TestCa.now().plus(Duration.ofDays(365)), opensslDate(lines.get(3), "notAfter"));
    }

    @Test
    void issueFromAnOpensslRequest() throws Exception {
        TestCa.assumeOpenssl();
        Files.writeString(dir.resolve("node.key"), Pem.privateKey(node.getPrivate()));
        TestCa.Run r = TestCa.openssl(dir, "req", "-new", "-key", "node.key", "-subj", "/O=Example/OU=lab", "-sha512", "-out", "node.csr");
        assertEquals(0, r.status(), r.out());
        CertificateRequest req = ca.parseRequest(Files.readString(dir.resolve("node.csr")));
        X509Certificate cert = ca.issue(req, new NodePrefix("1"), 0, BigInteger.valueOf(7));
        Files.writeString(dir.resolve("ca.crt"), ca.certificatePem());
        Files.writeString(dir.resolve("cert.crt"), Pem.certificate(cert));
        TestCa.Run v = TestCa.openssl(dir, "verify", "-CAfile", "ca.crt", "cert.crt");
        assertEquals("cert.crt: OK", v.out().trim());
        TestCa.Run x = TestCa.openssl(dir, "x509", "-in", "cert.crt", "-noout", "-subject");
        assertEquals("subject=O = Example, OU = lab, serialNumber = 0, CN = 1/1", x.out().trim());
    }

    @Test
    void reissueKeepsSubjectAndKey() throws Exception {
        X509Certificate cert = ca.issue(ca.parseRequest(TestCa.csr(node, "O=Example")), new NodePrefix("0000000000000111"),
                5, BigInteger.valueOf(100));
        Instant later = TestCa.now().plus(Duration.ofDays(200));
        CertificateAuthority caLater = TestCa.ca(Clock.fixed(later, ZoneOffset.UTC));

        X509Certificate sameEnd = caLater.reissue(cert, BigInteger.valueOf(101), Renewal.SAME_NOT_AFTER);
        assertEquals(BigInteger.valueOf(101), sameEnd.getSerialNumber());
        assertEquals(cert.getSubjectX500Principal(), sameEnd.getSubjectX500Principal());
        assertArrayEquals(cert.getSubjectX500Principal().getEncoded(), sameEnd.getSubjectX500Principal().getEncoded());
        assertEquals(cert.getPublicKey(), sameEnd.getPublicKey());
        assertEquals(later, sameEnd.getNotBefore().toInstant());
        assertEquals(cert.getNotAfter(), sameEnd.getNotAfter());
        sameEnd.verify(ca.publicKey());

        X509Certificate renewed = caLater.reissue(cert, BigInteger.valueOf(102), Renewal.NEW_PERIOD);
        assertEquals(later, renewed.getNotBefore().toInstant());
        assertEquals(later.plus(Duration.ofDays(365)), renewed.getNotAfter().toInstant());
        assertEquals(cert.getSubjectX500Principal(), renewed.getSubjectX500Principal());

        assertThrows(IllegalArgumentException.class, () -> ca.reissue(cert, BigInteger.TEN, Renewal.KEEP));
        CertificateAuthority stranger = CertificateAuthority.initCa(TestCa.NETWORK, 1024, new X500Name("CN=stranger"),
                Duration.ofDays(1), TestCa.clock());
        X509Certificate foreign = stranger.issue(stranger.parseRequest(TestCa.csr(TestCa.rsa(1024), "O=x")),
                new NodePrefix("1"), 0, BigInteger.ONE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ca.reissue(foreign, BigInteger.TEN, Renewal.NEW_PERIOD));
        assertTrue(e.getMessage().contains("not issued by this CA"), e.getMessage());
    }

    @Test
    void renewalDecision() {
        X509Certificate cert = ca.issue(parse(TestCa.csr(node, "O=x")), new NodePrefix("1"), 0, BigInteger.ONE);
        Instant notAfter = cert.getNotAfter().toInstant();
        assertEquals(Renewal.KEEP, Renewal.decide(cert, false, TestCa.now()));
        assertEquals(Renewal.SAME_NOT_AFTER, Renewal.decide(cert, true, TestCa.now()));
        assertEquals(Renewal.KEEP, Renewal.decide(cert, false, notAfter.minus(Duration.ofDays(30))), "not strictly within 30 days");
        assertEquals(Renewal.NEW_PERIOD, Renewal.decide(cert, false, notAfter.minus(Duration.ofDays(30)).plusSeconds(1)));
        assertEquals(Renewal.NEW_PERIOD, Renewal.decide(cert, true, notAfter.minus(Duration.ofDays(29))), "expiring beats revoked");
        assertEquals(Renewal.NEW_PERIOD, Renewal.decide(cert, false, notAfter.plus(Duration.ofDays(10))), "expired, in the grace period");
    }

    private static final Instant REVOKED_5 = Instant.parse("2026-01-02T03:04:05Z"), REVOKED_3 = Instant.parse("2025-06-07T08:09:10Z");

    /** A CRL number 7 listing serials 5 and 3, valid 7 days. */
    private static X509CRL sampleCrl() {
        return ca.crl(List.of(new CertificateAuthority.Revoked(BigInteger.valueOf(5), REVOKED_5),
                new CertificateAuthority.Revoked(BigInteger.valueOf(3), REVOKED_3)), BigInteger.valueOf(7), Duration.ofDays(7));
    }

    @Test
    void crlFollowsTheSpec() throws Exception {
        Instant d1 = REVOKED_5, d2 = REVOKED_3;
        X509CRL crl = sampleCrl();
        crl.verify(ca.publicKey());
        assertEquals("SHA512withRSA", crl.getSigAlgName());
        assertEquals(ca.certificate().getSubjectX500Principal(), crl.getIssuerX500Principal());
        assertEquals(TestCa.now(), crl.getThisUpdate().toInstant());
        assertEquals(TestCa.now().plus(Duration.ofDays(7)), crl.getNextUpdate().toInstant());
        List<BigInteger> serials = new ArrayList<>();
        for (X509CRLEntry e : crl.getRevokedCertificates())
            serials.add(e.getSerialNumber());
        assertEquals(List.of(BigInteger.valueOf(3), BigInteger.valueOf(5)), serials.stream().sorted().toList());
        assertEquals(d2, crl.getRevokedCertificate(BigInteger.valueOf(3)).getRevocationDate().toInstant());
        assertEquals(crl, Pem.parseCrl(Pem.crl(crl)));

        assertThrows(IllegalArgumentException.class, () -> ca.crl(List.of(new CertificateAuthority.Revoked(BigInteger.ONE, d1),
                new CertificateAuthority.Revoked(BigInteger.ONE, d2)), BigInteger.ONE, Duration.ofDays(1)));
        assertEquals(null, ca.crl(List.of(), BigInteger.ONE, Duration.ofDays(1)).getRevokedCertificates(), "empty CRL");
    }

    @Test
    void opensslVerifiesTheCrl() throws Exception {
        TestCa.assumeOpenssl();
        X509CRL crl = sampleCrl();
        Files.writeString(dir.resolve("ca.crt"), ca.certificatePem());
        Files.writeString(dir.resolve("crl.pem"), Pem.crl(crl));
        TestCa.Run v = TestCa.openssl(dir, "crl", "-in", "crl.pem", "-CAfile", "ca.crt", "-noout");
        assertEquals(0, v.status(), v.out());
        assertEquals("verify OK", v.out().trim());
        TestCa.Run t = TestCa.openssl(dir, "crl", "-in", "crl.pem", "-noout", "-text");
        assertEquals(0, t.status(), t.out());
        Matcher m = Pattern.compile("Serial Number: (\\S+)").matcher(t.out());
        List<String> listed = new ArrayList<>();
        while (m.find())
            listed.add(m.group(1));
        assertEquals(List.of("03", "05"), listed, t.out());
        assertTrue(t.out().contains("X509v3 CRL Number: \n                7"), t.out());

        // a CRL from another CA is refused by openssl: the check is real
        CertificateAuthority stranger = CertificateAuthority.initCa(TestCa.NETWORK, 1024, ca.subject(), Duration.ofDays(1),
                TestCa.clock());
        Files.writeString(dir.resolve("other.pem"), Pem.crl(stranger.crl(List.of(), BigInteger.ONE, Duration.ofDays(1))));
        TestCa.Run bad = TestCa.openssl(dir, "crl", "-in", "other.pem", "-CAfile", "ca.crt", "-noout");
        assertNotEquals("verify OK", bad.out().trim(), bad.out());
    }

    private static CertificateRequest parse(String pem) {
        try {
            return ca.parseRequest(pem);
        } catch (BadCsrException e) {
            throw new AssertionError(e);
        }
    }

    /** "notBefore=Mar  1 12:00:00 2025 GMT" */
    private static Instant opensslDate(String line, String name) {
        assertTrue(line.startsWith(name + "="), line);
        String text = line.substring(name.length() + 1).replaceAll(" +", " ");
        return LocalDateTime.parse(text, DateTimeFormatter.ofPattern("MMM d HH:mm:ss yyyy 'GMT'", Locale.ENGLISH))
                .toInstant(ZoneOffset.UTC);
    }
}
