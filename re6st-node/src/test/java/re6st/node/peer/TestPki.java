package re6st.node.peer;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import re6st.pki.CaSigner;
import re6st.pki.Rsa;
import re6st.registry.protocol.NetworkVersion;
import re6st.tunnel.handshake.Credentials;

/**
 * A network CA and node credentials made with BouncyCastle for the peer-protocol tests, valid
 * around {@link #T0} (a virtual time, so the tests never depend on today's date).
 */
final class TestPki implements CaSigner {
    static final long T0 = 1_800_000_000_000L;
    private final KeyPair caKeys;
    final X509Certificate caCert;

    TestPki() throws Exception {
        caKeys = rsa();
        caCert = cert("CN=ca", caKeys, "CN=ca", caKeys, 1);
    }

    /** The credentials of node {@code cn} (e.g. "7/16"), with a fresh key. */
    Credentials node(String cn, long serial) throws Exception {
        KeyPair k = rsa();
        return new Credentials(caCert, cert("CN=" + cn, k, "CN=ca", caKeys, serial), k.getPrivate(), null);
    }

    /** Network version {@code n} signed by this CA. */
    byte[] version(long n) {
        return NetworkVersion.signed(n, this).encoded();
    }

    @Override
    public PublicKey publicKey() {
        return caKeys.getPublic();
    }

    @Override
    public byte[] sign(byte[] data) {
        return Rsa.sign(caKeys.getPrivate(), data);
    }

    static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    static X509Certificate cert(String subject, KeyPair subjectKeys, String issuer, KeyPair issuerKeys, long serial) throws Exception {
        var b = new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.valueOf(serial), new Date(T0 - 86_400_000L),
                new Date(T0 + 365 * 86_400_000L), new X500Name(subject), subjectKeys.getPublic());
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate())));
    }

    /** Time-prefixed secrets, later ones greater, as the original's. */
    static Supplier<byte[]> secrets(AtomicLong clock) {
        SecureRandom r = new SecureRandom();
        return () -> {
            byte[] s = new byte[20];
            r.nextBytes(s);
            ByteBuffer.wrap(s).putLong(clock.getAndIncrement());
            return s;
        };
    }
}
