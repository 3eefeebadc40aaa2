package re6st.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import re6st.net.Network;
import re6st.pki.Pem;
import re6st.registry.alloc.Communities;
import re6st.registry.ca.CertificateAuthority;
import re6st.registry.cli.RegistryOptions;
import re6st.registry.protocol.NetworkVersion;
import re6st.registry.store.ConfigKey;
import re6st.registry.store.RegistryDb;

/** Expiry drops CRL entries of certificates past their notAfter and publishes the shorter CRL (a new version). */
class RegistryExpiryTest {
    static String csr(KeyPair k) throws Exception {
        return Pem.encode("CERTIFICATE REQUEST", new JcaPKCS10CertificationRequestBuilder(new X500Name("O=test"), k.getPublic())
                .build(new JcaContentSignerBuilder("SHA512withRSA").build(k.getPrivate())).getEncoded());
    }

    @Test
    void revokedCertificatesLeaveTheCrlOnceExpired(@TempDir Path dir) throws Exception {
        TestClock clock = new TestClock();
        CertificateAuthority ca = CertificateAuthority.initCa(Network.parse("2001:db8:42::/48"), 2048, new X500Name("CN=test"),
                Duration.ofDays(3650), Clock.systemUTC());
        RegistryOptions o = new RegistryOptions();
        new CommandLine(o).parseArgs("--db", dir.resolve("registry.db").toString(), "--anonymous-prefix-length", "16");
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair k = g.generateKeyPair();
        try (RegistryDb db = RegistryDb.open(o.db)) {
            Registry r = new Registry(o, ca, db, null, Communities.none(), clock);
            r.requestCertificate("", csr(k), ""); // the registry's own prefix
            java.security.cert.X509Certificate second = Pem.parseCertificate(new String(r.requestCertificate("", csr(k), "")));
            r.revoke(second.getSerialNumber().toString());
            assertEquals(List.of(second.getSerialNumber().longValueExact()), db.read(tx -> tx.revokedSerials()));
            long v1 = db.read(tx -> NetworkVersion.decode(tx.configBlob(ConfigKey.VERSION).orElseThrow()).number());

            clock.now = second.getNotAfter().toInstant().plusSeconds(1); // past notAfter, within the grace period
            r.expire();
            assertEquals(List.of(), db.read(tx -> tx.revokedSerials()), "the expired certificate left the CRL");
            long v2 = db.read(tx -> NetworkVersion.decode(tx.configBlob(ConfigKey.VERSION).orElseThrow()).number());
            assertTrue(v2 > v1, "the shorter CRL is published with a new version: " + v1 + " -> " + v2);
        }
    }
}
