package re6st.registry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import re6st.net.Network;
import re6st.net.NodePrefix;
import re6st.registry.Poll;
import re6st.registry.alloc.PrefixAllocator;
import re6st.registry.ca.CertificateAuthority;
import re6st.registry.cli.RegistryCommand;
import re6st.registry.client.RegistryClient;
import re6st.registry.store.CertRow;
import re6st.registry.store.RegistryDb;

/**
 * Acceptance 6, against a real {@code re6st registry} child JVM on loopback (CA made by
 * {@code init-ca}, anonymous enrolment with /16 node prefixes): 200 anonymous enrolments from 32
 * concurrent clients give 200 distinct, non-overlapping prefixes; then, under the same load, the
 * registry is killed with SIGKILL after ~50 enrolments, restarted on the same database, enrolls
 * again, and the database (read after a clean stop) is a consistent partition of the tree with
 * every certificate any client received.
 */
class ConcurrencyCrashTest {
    static final String NETWORK = "2001:db8:42::/48";
    static final int THREADS = 32;
    static final Pattern CN = Pattern.compile("CN=([0-9]+/[0-9]+)");

    /** Node keys are expensive (2048 bits, the CA's size): a pool made once, in parallel; the registry does not require distinct keys. */
    static volatile List<KeyPair> keys;

    static synchronized List<KeyPair> keys() {
        if (keys == null)
            keys = IntStream.range(0, 16).parallel().mapToObj(i -> {
                try {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                    g.initialize(2048);
                    return g.generateKeyPair();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
        return keys;
    }

    @Test
    void twoHundredConcurrentAnonymousEnrolments(@TempDir Path dir) throws Exception {
        long t0 = System.nanoTime();
        CertificateAuthority ca = initCa(dir);
        Path db = dir.resolve("registry.db");
        Child registry = Child.start(dir, ca, db, "run1");
        Queue<String> received = new ConcurrentLinkedQueue<>();
        try {
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            ThreadLocal<RegistryClient> clients = ThreadLocal.withInitial(() -> new RegistryClient(registry.url));
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int n = i;
                futures.add(pool.submit(() -> {
                    received.add(enrol(clients.get(), keys().get(n % keys().size())));
                    return null;
                }));
            }
            for (Future<?> f : futures)
                f.get(60, TimeUnit.SECONDS); // any failed enrolment fails the test
            pool.shutdown();
        } finally {
            registry.stop();
        }
        assertEquals(200, received.size());
        Set<String> cns = new HashSet<>();
        List<String> bits = new ArrayList<>();
        for (String pem : received) {
            X509Certificate c = certificate(pem);
            c.verify(ca.publicKey());
            String cn = cn(c);
            cns.add(cn);
            NodePrefix p = NodePrefix.parseCn(cn);
            assertEquals(16, p.length(), cn);
            bits.add(p.bits());
        }
        assertEquals(200, cns.size(), "200 distinct CNs");
        assertNonOverlapping(bits);
        try (RegistryDb d = RegistryDb.open(db)) {
            d.read(tx -> {
                new PrefixAllocator(ca.network()).verify(tx);
                Set<String> stored = new HashSet<>();
                for (CertRow r : tx.issuedCerts())
                    stored.add(r.cert());
                assertEquals(200, stored.size(), "200 certificates in the database");
                assertTrue(stored.containsAll(received), "the database holds exactly what the clients got");
                return null;
            });
        }
        System.out.printf("ConcurrencyCrashTest: 200 enrolments from %d threads, %d ms including CA and keys%n", THREADS,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    @Test
    void kill9DuringEnrolmentsThenRestart(@TempDir Path dir) throws Exception {
        long t0 = System.nanoTime();
        CertificateAuthority ca = initCa(dir);
        Path db = dir.resolve("registry.db");
        Queue<String> received = new ConcurrentLinkedQueue<>();
        AtomicInteger failures = new AtomicInteger();
        Queue<IOException> beforeKill = new ConcurrentLinkedQueue<>();

        // run 1: load from 32 threads until the registry is killed after >= 50 successes
        Child first = Child.start(dir, ca, db, "run1");
        AtomicBoolean stop = new AtomicBoolean(), killing = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<?>> futures = new ArrayList<>();
        AtomicInteger next = new AtomicInteger();
        for (int t = 0; t < THREADS; t++)
            futures.add(pool.submit(() -> {
                RegistryClient c = new RegistryClient(first.url);
                while (!stop.get()) {
                    try {
                        received.add(enrol(c, keys().get(next.getAndIncrement() % keys().size())));
                    } catch (IOException e) {
                        if (killing.get())
                            failures.incrementAndGet(); // the registry died under us: expected
                        else
                            beforeKill.add(e); // a live registry failed a call: a real failure
                    }
                }
                return null;
            }));
        try {
            Poll.until("50 enrolments (the registry stays alive meanwhile)", Duration.ofSeconds(120), () -> {
                assertTrue(first.process.isAlive(), "the registry died:\n" + first.log());
                return received.size() >= 50;
            });
            killing.set(true); // from here on, a failed call may be the kill's doing
            first.kill9(); // mid-load: requests in flight, transactions probably mid-commit
            int atKill = received.size();
            stop.set(true);
            for (Future<?> f : futures)
                f.get(60, TimeUnit.SECONDS);
            System.out.printf("ConcurrencyCrashTest: killed -9 after %d enrolments (%d by the time the clients noticed, %d failed calls)%n",
                    atKill, received.size(), failures.get());
        } finally {
            stop.set(true);
            pool.shutdownNow();
            first.kill9();
        }
        int beforeRestart = received.size();
        if (!beforeKill.isEmpty())
            throw new AssertionError(beforeKill.size() + " calls failed before the kill, the first: " + beforeKill.peek(), beforeKill.peek());
        assertTrue(failures.get() > 0, "the kill interrupted calls in flight");

        // run 2: same database, a few more enrolments, then a clean stop (SIGTERM: the shutdown hook closes the db)
        Child second = Child.start(dir, ca, db, "run2");
        try {
            ExecutorService p2 = Executors.newFixedThreadPool(8);
            List<Future<?>> f2 = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                int n = i;
                f2.add(p2.submit(() -> {
                    received.add(enrol(new RegistryClient(second.url), keys().get(n % keys().size())));
                    return null;
                }));
            }
            for (Future<?> f : f2)
                f.get(60, TimeUnit.SECONDS);
            p2.shutdown();
        } finally {
            second.stop();
        }
        assertEquals(beforeRestart + 20, received.size());

        // the database, read by us after the stop
        PrefixAllocator allocator = new PrefixAllocator(ca.network());
        try (RegistryDb d = RegistryDb.open(db)) {
            d.read(tx -> {
                allocator.verify(tx); // a sorted, disjoint partition of the whole tree
                List<String> all = tx.certs().stream().map(CertRow::prefix).toList();
                assertEquals(all.size(), new HashSet<>(all).size(), "no duplicate prefix row");
                Set<String> free = new HashSet<>(tx.freePrefixes());
                List<CertRow> issued = tx.issuedCerts();
                Set<String> pems = new HashSet<>(), cns = new HashSet<>(), serials = new HashSet<>();
                List<String> bits = new ArrayList<>();
                for (CertRow r : issued) {
                    assertFalse(free.contains(r.prefix()), r.prefix() + " is both free and taken");
                    assertTrue(pems.add(r.cert()), "the same certificate twice");
                    X509Certificate c = certificate(r.cert());
                    assertEquals(new NodePrefix(r.prefix()).cn(), cn(c), "the row's prefix is its certificate's CN");
                    assertTrue(cns.add(cn(c)), "duplicate CN " + cn(c));
                    assertTrue(serials.add(c.getSerialNumber().toString()), "duplicate serial " + c.getSerialNumber());
                    bits.add(r.prefix());
                }
                assertNonOverlapping(bits);
                List<String> missing = received.stream().filter(p -> !pems.contains(p)).toList();
                assertTrue(missing.isEmpty(), missing.size() + " certificates a client received are not in the database");
                assertTrue(issued.size() >= received.size(), issued.size() + " issued < " + received.size() + " received");
                long serial = tx.configInteger(re6st.registry.store.ConfigKey.SERIAL).orElseThrow();
                assertTrue(serial >= issued.size(), "the serial counter (" + serial + ") counts every issued certificate");
                System.out.printf("ConcurrencyCrashTest: after kill -9 + restart: %d issued rows (%d received by clients, "
                        + "%d committed but unanswered), %d free rows, serial %d%n", issued.size(), received.size(),
                        issued.size() - received.size(), free.size(), serial);
                return null;
            });
        }
        System.out.printf("ConcurrencyCrashTest: kill -9 test %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    // ---------------------------------------------------------------- helpers

    static CertificateAuthority initCa(Path dir) throws IOException {
        Path caFile = dir.resolve("ca.crt"), caKey = dir.resolve("ca.key");
        assertEquals(0, new CommandLine(new RegistryCommand()).execute("init-ca", "--network", NETWORK, "--ca", caFile.toString(),
                "--key", caKey.toString(), "--subject", "CN=crash test,emailAddress=ca@example.org"));
        CertificateAuthority ca = CertificateAuthority.load(caFile, caKey);
        assertEquals(Network.parse(NETWORK).toString(), ca.network().toString());
        assertEquals(2048, ((RSAPublicKey) ca.publicKey()).getModulus().bitLength());
        return ca;
    }

    /** One anonymous enrolment, as re6st-conf --anonymous does: empty subject, SHA512withRSA CSR. */
    static String enrol(RegistryClient client, KeyPair kp) throws Exception {
        PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(new X500NameBuilder(BCStyle.INSTANCE).build(),
                kp.getPublic()).build(new JcaContentSignerBuilder("SHA512withRSA").build(kp.getPrivate()));
        byte[] cert = client.requestCertificate("", csrPem(csr.getEncoded()), "", "");
        assertTrue(cert.length > 0, "an anonymous enrolment gets a certificate");
        return new String(cert, StandardCharsets.US_ASCII);
    }

    static String csrPem(byte[] der) {
        return "-----BEGIN CERTIFICATE REQUEST-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END CERTIFICATE REQUEST-----\n";
    }

    static X509Certificate certificate(String pem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new AssertionError("not a certificate: " + pem, e);
        }
    }

    static String cn(X509Certificate c) {
        Matcher m = CN.matcher(c.getSubjectX500Principal().getName());
        assertTrue(m.find(), c.getSubjectX500Principal().getName());
        return m.group(1);
    }

    /** Sorted, no prefix is the beginning of the next one (hence of no other). */
    static void assertNonOverlapping(List<String> bits) {
        String previous = null;
        for (String p : new TreeSet<>(bits)) {
            assertFalse(previous != null && p.startsWith(previous), previous + " and " + p + " overlap");
            previous = p;
        }
        assertEquals(bits.size(), new TreeSet<>(bits).size(), "a prefix given twice");
    }

    /** {@code re6st registry} in a child JVM, output to a file. */
    static final class Child {
        final Process process;
        final URI url;
        final Path logFile;

        private Child(Process process, URI url, Path logFile) {
            this.process = process;
            this.url = url;
            this.logFile = logFile;
        }

        /** {@code extra}: more options for the registry. */
        static Child start(Path dir, CertificateAuthority ca, Path db, String name, String... extra) throws Exception {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                port = s.getLocalPort();
            }
            int nodePort; // nobody there: the child's new-version datagrams must not reach a real re6stnet on this host
            try (java.net.DatagramSocket s = new java.net.DatagramSocket(0, InetAddress.getByName("::1"))) {
                nodePort = s.getLocalPort();
            }
            Path log = dir.resolve(name + ".log");
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), RegistryCommand.class.getName(),
                    "--port", Integer.toString(port), "-4", "127.0.0.1", "--anonymous-prefix-length", "16",
                    "--ca", dir.resolve("ca.crt").toString(), "--key", dir.resolve("ca.key").toString(), "--db", db.toString(),
                    "--run", dir.toString(), "--node-port", Integer.toString(nodePort)));
            cmd.addAll(List.of(extra));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Child c = new Child(p, URI.create("http://127.0.0.1:" + port + "/"), log);
            RegistryClient client = new RegistryClient(c.url);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try {
                    assertEquals(ca.certificatePem(), new String(client.getCa(), StandardCharsets.US_ASCII));
                    return c;
                } catch (IOException e) {
                    if (!p.isAlive() || System.nanoTime() > deadline) {
                        p.destroyForcibly();
                        throw new AssertionError("the registry did not come up (" + e + "):\n" + c.log());
                    }
                    Thread.sleep(50);
                }
            }
        }

        void kill9() throws InterruptedException {
            process.destroyForcibly(); // SIGKILL on Unix
            assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        }

        /** SIGTERM: the shutdown hook closes the server and the database. */
        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the registry did not stop on SIGTERM:\n" + log());
            }
        }

        String log() {
            try {
                return Files.readString(logFile);
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }
    }
}
