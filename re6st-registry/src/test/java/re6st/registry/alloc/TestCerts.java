package re6st.registry.alloc;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Real (self-signed, EC) certificates with a chosen notAfter, for the expiry tests. */
final class TestCerts {
    private static final KeyPair KEY;

    static {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KEY = g.generateKeyPair();
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private TestCerts() {
    }

    /** A PEM certificate for {@code cn}, valid from notAfter - 365 days to notAfter (epoch seconds). */
    static String pem(String cn, long notAfter) {
        try {
            X500Name name = new X500Name("CN=" + cn);
            byte[] der = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, new Date((notAfter - 365 * 86400L) * 1000),
                    new Date(notAfter * 1000), name, KEY.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(KEY.getPrivate())).getEncoded();
            return "-----BEGIN CERTIFICATE-----\n"
                    + new String(Base64.getMimeEncoder(64, new byte[] {'\n'}).encode(der), StandardCharsets.US_ASCII)
                    + "\n-----END CERTIFICATE-----\n";
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
