package re6st.tunnel.handshake;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throwaway network CA issuing re6st-like node certificates (CN "prefix/len", RSA); public for the tests of re6st.tunnel too. */
public final class TestPki {
    static final int BITS = 2048; // as the registry issues them; keys are generated once per test class

    public static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(BITS);
        return g.generateKeyPair();
    }

    final KeyPair caKeys;
    final X500Name caName;
    public final X509Certificate ca;
    private long serial = 1;

    public TestPki(String name, KeyPair caKeys) throws Exception {
        this.caKeys = caKeys;
        this.caName = new X500Name("CN=" + name);
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(caName, BigInteger.valueOf(serial++),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(3650))), caName, caKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        this.ca = new JcaX509CertificateConverter().getCertificate(b.build(signer(caKeys.getPrivate())));
    }

    public X509Certificate issue(String cn, KeyPair subject) throws Exception {
        Instant now = Instant.now();
        return issue(cn, subject, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365)));
    }

    X509Certificate issue(String cn, KeyPair subject, Instant notBefore, Instant notAfter) throws Exception {
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(caName, BigInteger.valueOf(serial++),
                Date.from(notBefore), Date.from(notAfter), new X500Name("CN=" + cn), subject.getPublic());
        return new JcaX509CertificateConverter().getCertificate(b.build(signer(caKeys.getPrivate())));
    }

    X509CRL crl(X509Certificate... revoked) throws Exception {
        Date now = new Date();
        X509v2CRLBuilder b = new X509v2CRLBuilder(caName, now);
        b.setNextUpdate(new Date(now.getTime() + 86_400_000L));
        for (X509Certificate c : revoked)
            b.addCRLEntry(c.getSerialNumber(), now, CRLReason.keyCompromise);
        return new JcaX509CRLConverter().getCRL(b.build(signer(caKeys.getPrivate())));
    }

    private static ContentSigner signer(PrivateKey key) throws Exception {
        return new JcaContentSignerBuilder("SHA256withRSA").build(key);
    }
}
