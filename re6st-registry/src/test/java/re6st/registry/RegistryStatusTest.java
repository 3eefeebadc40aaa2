package re6st.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;

import org.bouncycastle.asn1.x500.X500Name;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import re6st.net.Network;
import re6st.registry.alloc.Communities;
import re6st.registry.ca.CertificateAuthority;
import re6st.registry.ca.TestCa;
import re6st.registry.cli.RegistryCommand;
import re6st.registry.cli.RegistryOptions;
import re6st.registry.store.RegistryDb;

/** {@code re6st registry status} on a database the registry holds open (and locked): read-only, what happened is shown. */
class RegistryStatusTest {
    @Test
    void showsTheStateBesideARunningRegistry(@TempDir Path dir) throws Exception {
        CertificateAuthority ca = CertificateAuthority.initCa(Network.parse("2001:db8:42::/48"), 2048, new X500Name("CN=test"),
                Duration.ofDays(3650), Clock.systemUTC());
        Path caFile = dir.resolve("ca.crt"), db = dir.resolve("registry.db");
        ca.writePem(caFile, dir.resolve("ca.key"));
        RegistryOptions o = new RegistryOptions();
        new CommandLine(o).parseArgs("--db", db.toString(), "--anonymous-prefix-length", "16");
        try (RegistryDb open = RegistryDb.open(db)) {
            Registry r = new Registry(o, ca, open, null, Communities.none(), Clock.systemUTC());
            KeyPair k = TestCa.rsa(2048);
            Result before = status("--db", db.toString());
            assertEquals(0, before.code, before.err);
            assertTrue(before.out.contains("registry node   none yet"), before.out);
            r.requestCertificate("", TestCa.csr(k, "O=a"), "");
            r.requestCertificate("", TestCa.csr(k, "O=b"), "");
            r.requestCertificate("", TestCa.csr(k, "O=c"), "");
            r.revoke("2/16");
            r.addToken("x@example.org", "");

            Result s = status("--db", db.toString(), "--ca", caFile.toString());
            assertEquals(0, s.code, s.err);
            assertTrue(s.out.contains("network         2001:db8:42::/48 (CA valid until"), s.out);
            assertTrue(s.out.contains("registry node   0/16  2001:db8:42::/64  (address 2001:db8:42::1)"), s.out);
            assertTrue(s.out.contains("certificates    2 issued (2 anonymous, 0 by mail); 0 expire within 30 days; 0 expired"), s.out);
            // 65536 /16 minus the two issued and the reserved all-zero... the reserved one is a /80 leaf, not a /16
            assertTrue(s.out.matches("(?s).*free .* room for 65534 more /16 nodes; 0 reserved.*"), s.out);
            assertTrue(s.out.contains("tokens          1 waiting (oldest"), s.out);
            assertTrue(s.out.contains("CRL             1 revoked"), s.out);
            assertTrue(s.out.matches("(?s).*network config  version [0-9]+.*"), s.out);
            assertTrue(s.out.contains("Babel MAC keys  sign with a key"), s.out);
        }
        Result missing = status("--db", dir.resolve("nope.db").toString());
        assertEquals(2, missing.code);
        assertTrue(missing.err.contains("does not exist"), missing.err);
        assertTrue(!java.nio.file.Files.exists(dir.resolve("nope.db")), "status creates nothing");
    }

    record Result(int code, String out, String err) {}

    static Result status(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine c = re6st.cli.Launcher.commandLine(new RegistryCommand(), new PrintWriter(err));
        c.setOut(new PrintWriter(out));
        String[] a = new String[args.length + 1];
        a[0] = "status";
        System.arraycopy(args, 0, a, 1, args.length);
        int code = c.execute(a);
        return new Result(code, out.toString(), err.toString());
    }
}
