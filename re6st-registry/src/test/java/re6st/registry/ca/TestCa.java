package re6st.registry.ca;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

import re6st.net.Network;
import re6st.pki.Pem;
import re6st.registry.Counterparts;

/**
 * Keys and a CA shared by the registry's crypto tests: RSA generation is slow, so each key is
 * made once per JVM. The CA is for 2001:db8:42::/48 (serial 0x120010db80042), 2048 bits, on a
 * clock fixed at the current second (so openssl, which checks dates against the real clock,
 * accepts what it issues, and tests can compare dates exactly).
 */
public final class TestCa {
    public static final int BITS = 2048;
    public static final Network NETWORK = Network.parse("2001:db8:42::/48");
    public static final X500Name SUBJECT = new X500Name("CN=re6st test CA,O=re6st,E=ca@example.org");

    private static CertificateAuthority ca;
    private static final List<KeyPair> KEYS = new ArrayList<>();
    private static Instant now;

    private TestCa() {
    }

    public static synchronized Instant now() {
        if (now == null)
            now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        return now;
    }

    public static Clock clock() {
        return Clock.fixed(now(), ZoneOffset.UTC);
    }

    public static synchronized CertificateAuthority ca() {
        if (ca == null)
            ca = CertificateAuthority.initCa(NETWORK, BITS, SUBJECT, Duration.ofDays(3650), clock());
        return ca;
    }

    /** The same CA on another clock. */
    public static CertificateAuthority ca(Clock clock) {
        try {
            return new CertificateAuthority(ca().certificate(), privateKey(ca()), clock);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The CA's private key, read back from its PEM (the class never hands it out). */
    public static synchronized PrivateKey privateKey(CertificateAuthority ca) throws IOException {
        Path dir = Files.createTempDirectory("re6st-ca");
        try {
            ca.writePem(dir.resolve("ca.crt"), dir.resolve("ca.key"));
            return Pem.parseRsaPrivateKey(Files.readString(dir.resolve("ca.key")));
        } finally {
            Files.deleteIfExists(dir.resolve("ca.crt"));
            Files.deleteIfExists(dir.resolve("ca.key"));
            Files.delete(dir);
        }
    }

    /** Node key number {@code i} (2048 bits), generated on first use. */
    public static synchronized KeyPair nodeKey(int i) {
        while (KEYS.size() <= i)
            KEYS.add(rsa(BITS));
        return KEYS.get(i);
    }

    public static KeyPair rsa(int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A PEM CSR for {@code subject} signed by {@code keys} with {@code algorithm} (e.g. SHA512withRSA). */
    public static String csr(KeyPair keys, X500Name subject, String algorithm) {
        try {
            PKCS10CertificationRequest r = new JcaPKCS10CertificationRequestBuilder(subject, keys.getPublic())
                    .build(new JcaContentSignerBuilder(algorithm).build(keys.getPrivate()));
            return Pem.encode("CERTIFICATE REQUEST", r.getEncoded());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static String csr(KeyPair keys, String subject) {
        return csr(keys, new X500Name(subject), "SHA512withRSA");
    }

    /** Exit status and output (stdout and stderr) of an openssl command. */
    public record Run(int status, String out) {
    }

    /** Skips the calling test, with the reason printed, when openssl is not installed. */
    public static void assumeOpenssl() {
        Counterparts.assumeCommand("openssl", "openssl");
    }

    public static Run openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("openssl " + String.join(" ", args) + ": timed out");
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
