package re6st.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import re6st.net.NodePrefix;
import re6st.pki.Pem;
import re6st.registry.alloc.Communities;
import re6st.registry.alloc.PrefixAllocator;
import re6st.registry.ca.CertificateAuthority;
import re6st.registry.ca.CertificateRequest;
import re6st.registry.ca.Renewal;
import re6st.registry.ca.TestCa;
import re6st.registry.cli.RegistryOptions;
import re6st.registry.store.RegistryDb;
import re6st.registry.store.Transaction;

/**
 * Subject serialNumbers are the smallest unused, as a full parse of every certificate gives
 * (a fresh {@link SubjectSerials}, as after a restart, is the reference at every step), while a
 * long-lived one parses only certificates whose PEM it has not seen: new ones, renewed ones, and
 * ones a rolled back transaction made it see in another version.
 */
class SubjectSerialsTest {
    static final CertificateAuthority CA = TestCa.ca();
    final PrefixAllocator allocator = new PrefixAllocator(TestCa.NETWORK);
    final CertificateRequest csr;

    SubjectSerialsTest() throws Exception {
        csr = CA.parseRequest(TestCa.csr(TestCa.nodeKey(0), "O=test"));
    }

    /** What Registry.requestCertificate does in its transaction: the serialNumber, then a /16 with a certificate carrying it. */
    NodePrefix enrol(Transaction tx, SubjectSerials serials) {
        long sn = serials.smallestUnused(tx.issuedCerts());
        return allocator.allocate(tx, 16, "", null, p -> Pem.certificate(CA.issue(csr, p, sn, BigInteger.valueOf(tx.nextCertificateSerial()))));
    }

    static long serialOf(RegistryDb db, NodePrefix p) {
        return Registry.subjectSerial(Registry.parse(db.read(tx -> tx.cert(p.bits()).orElseThrow().cert())));
    }

    /** A fresh instance's answer (every certificate parsed), and the long-lived instance's, which must agree. */
    static long next(RegistryDb db, SubjectSerials serials) {
        long reference = db.read(tx -> new SubjectSerials().smallestUnused(tx.issuedCerts()));
        assertEquals(reference, (long) db.read(tx -> serials.smallestUnused(tx.issuedCerts())), "the cache disagrees with a full parse");
        return reference;
    }

    @Test
    void smallestUnusedParsingOnlyWhatItHasNotSeen(@TempDir Path dir) {
        SubjectSerials serials = new SubjectSerials();
        try (RegistryDb db = RegistryDb.open(dir.resolve("registry.db"))) {
            NodePrefix a = db.transaction(tx -> enrol(tx, serials));
            NodePrefix b = db.transaction(tx -> enrol(tx, serials));
            NodePrefix c = db.transaction(tx -> enrol(tx, serials));
            assertEquals(List.of(0L, 1L, 2L), List.of(serialOf(db, a), serialOf(db, b), serialOf(db, c)));
            assertEquals(2, serials.parsed(), "each enrolment parsed only the certificate issued just before it");
            assertEquals(3, next(db, serials));
            assertEquals(3, serials.parsed(), "the third certificate, once");

            // freeing the middle one: its number is reused, the row forgotten
            db.inTransaction(tx -> allocator.free(tx, b));
            assertEquals(1, next(db, serials));
            NodePrefix d = db.transaction(tx -> enrol(tx, serials));
            assertEquals(1, serialOf(db, d));
            assertEquals(3, next(db, serials));
            assertEquals(4, serials.parsed(), "only d's certificate is new");

            // a transaction that rolls back after making the cache see its uncommitted rows
            RuntimeException boom = new RuntimeException("rolled back");
            assertSame(boom, assertThrows(RuntimeException.class, () -> db.inTransaction(tx -> {
                enrol(tx, serials); // serialNumber 3, seen below
                assertEquals(4, serials.smallestUnused(tx.issuedCerts()));
                // and a's certificate replaced by one with serialNumber 9: 0 looks free inside the transaction
                X509Certificate nine = CA.issue(csr, a, 9, BigInteger.valueOf(tx.nextCertificateSerial()));
                tx.setCert(a.bits(), null, Pem.certificate(nine));
                assertEquals(0, serials.smallestUnused(tx.issuedCerts()));
                throw boom;
            })));
            assertEquals(3, next(db, serials), "neither the rolled back certificate (3) nor the rolled back replacement (0 free) counts");
            assertEquals(0, serialOf(db, a));

            // renewal: same prefix and subject, a new PEM, read again (and the number stays taken)
            long before = serials.parsed();
            db.inTransaction(tx -> {
                X509Certificate cur = Registry.parse(tx.cert(c.bits()).orElseThrow().cert());
                tx.setCert(c.bits(), null, Pem.certificate(CA.reissue(cur, BigInteger.valueOf(tx.nextCertificateSerial()), Renewal.NEW_PERIOD)));
            });
            assertEquals(3, next(db, serials));
            assertEquals(before + 1, serials.parsed(), "the renewed certificate, and only it, parsed again");

            // a committed change of a row's serialNumber (e.g. a database edited by hand) is seen too
            db.inTransaction(tx -> tx.setCert(d.bits(), null, Pem.certificate(CA.issue(csr, d, 7, BigInteger.valueOf(tx.nextCertificateSerial())))));
            assertEquals(1, next(db, serials));
        }
    }

    /** Through the registry: anonymous enrolments get 0, 1, 2; a revoked (by CN) one's number is reused; after a restart, the same. */
    @Test
    void registryGivesTheSmallestUnusedNumber(@TempDir Path dir) throws Exception {
        RegistryOptions o = new RegistryOptions();
        new CommandLine(o).parseArgs("--db", dir.resolve("registry.db").toString(), "--anonymous-prefix-length", "16");
        String req = TestCa.csr(TestCa.nodeKey(0), "O=test");
        try (RegistryDb db = RegistryDb.open(o.db)) {
            Registry r = new Registry(o, CA, db, null, Communities.none(), TestCa.clock());
            List<X509Certificate> got = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++)
                got.add(Pem.parseCertificate(new String(r.requestCertificate("", req, ""))));
            assertEquals(List.of(0L, 1L, 2L), got.stream().map(Registry::subjectSerial).toList());
            r.revoke(cn(got.get(1))); // frees its prefix
            assertEquals(1, Registry.subjectSerial(Pem.parseCertificate(new String(r.requestCertificate("", req, "")))));
            Registry restarted = new Registry(o, CA, db, null, Communities.none(), TestCa.clock());
            assertEquals(3, Registry.subjectSerial(Pem.parseCertificate(new String(restarted.requestCertificate("", req, "")))));
            assertEquals(4, Registry.subjectSerial(Pem.parseCertificate(new String(r.requestCertificate("", req, "")))),
                    "the first instance sees what the other issued");
        }
    }

    static String cn(X509Certificate c) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("CN=([0-9]+/[0-9]+)").matcher(c.getSubjectX500Principal().getName());
        assertTrue(m.find(), c.getSubjectX500Principal().getName());
        return m.group(1);
    }
}
