package re6st.bench;

import java.io.IOException;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

import com.codahale.metrics.MetricRegistry;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import picocli.CommandLine;

import re6st.net.Network;
import re6st.net.NodePrefix;
import re6st.pki.Pem;
import re6st.registry.Registry;
import re6st.registry.alloc.Communities;
import re6st.registry.ca.CertificateAuthority;
import re6st.registry.cli.RegistryOptions;
import re6st.registry.client.NodeSession;
import re6st.registry.client.RegistryClient;
import re6st.registry.http.RpcServer;
import re6st.registry.protocol.NetworkConfig;
import re6st.registry.store.RegistryDb;

/**
 * BENCHMARKS.md section 4 (issue 5, acceptance 8): the registry under 32 concurrent clients.
 * One JVM: a registry on 127.0.0.1 (fresh 2048-bit CA for 2001:db8:42::/48, anonymous enrolment
 * with /16 prefixes, SQLite database in a temporary directory, 8 server worker threads as
 * {@code re6st registry}); 32 client threads, each with its own {@link RegistryClient} (its own
 * HTTP/1.1 connection pool).
 * <ol>
 * <li>Anonymous enrolments: {@code requestCertificate} with an empty token, N in all (a shared
 * counter hands them out). Node keys (of the CA key's size) and their CSRs are made before the
 * clock starts, one per client, and reused: RSA key generation is the node's cost, not the
 * registry's. Checked: every call returned a certificate signed by the CA for the client's key,
 * all CNs distinct (zero duplicate prefixes).</li>
 * <li>Authenticated calls: each client takes one of the certificates it got, says {@code hello}
 * once (through {@link NodeSession}: its first call does hello then getNetworkConfig, timed as its
 * own row), then calls {@code getNetworkConfig}
 * for S seconds. Checked: every answer's HMAC matches (the client library checks it), every
 * configuration decompresses to JSON, and no session needed a second hello.</li>
 * </ol>
 * Prints a Markdown table (operation, clients, count, per second, p50 ms, p99 ms) and the machine.
 *
 * <p>{@code benchmarks/run-registry-bench.sh [ENROLMENTS [SECONDS]]} (defaults 500 and 10), or
 * {@code java -cp benchmarks/target/benchmarks.jar re6st.bench.RegistryBench [ENROLMENTS [SECONDS]]}.
 */
public final class RegistryBench {
    static final int CLIENTS = 32;
    static final int KEY_BITS = 2048;
    static final int SERVER_THREADS = 8; // as RegistryCommand

    /** One measured operation: latencies in ns and the wall time of the phase. */
    record Row(String op, int clients, long[] latNs, double wallSeconds) {
        double perSecond() {
            return latNs.length / wallSeconds;
        }

        double pMs(double p) {
            long[] s = latNs.clone();
            Arrays.sort(s);
            if (s.length == 0)
                return Double.NaN;
            int i = (int) Math.ceil(p * s.length) - 1;
            return s[Math.max(0, Math.min(s.length - 1, i))] / 1e6;
        }
    }

    /** A node's key and the CSR made with it. */
    record NodeKey(KeyPair pair, String csrPem) {
    }

    /** An enrolment a client got. */
    record Enrolled(int client, X509Certificate cert) {
    }

    public static void main(String[] args) throws Exception {
        int enrolments = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        if (enrolments < CLIENTS || seconds < 1) {
            System.err.println("usage: RegistryBench [ENROLMENTS (>= " + CLIENTS + ", default 500) [SECONDS (>= 1, default 10)]]");
            System.exit(2);
        }
        Logger.getLogger("").setLevel(Level.WARNING); // the registry logs each issue at INFO
        for (var h : Logger.getLogger("").getHandlers())
            h.setLevel(Level.WARNING);

        Path dir = Files.createTempDirectory("r6regbench");
        try {
            System.out.printf(Locale.ROOT, "RegistryBench: %d anonymous enrolments, then %d s of getNetworkConfig, %d clients (db in %s)%n",
                    enrolments, seconds, CLIENTS, dir);
            List<Row> rows = run(dir, enrolments, seconds);
            System.out.println();
            System.out.println("| operation | clients | count | per second | p50 ms | p99 ms |");
            System.out.println("|---|---:|---:|---:|---:|---:|");
            for (Row r : rows)
                System.out.printf(Locale.ROOT, "| %s | %d | %d | %.1f | %.2f | %.2f |%n", r.op, r.clients, r.latNs.length, r.perSecond(),
                        r.pMs(0.50), r.pMs(0.99));
            System.out.println();
            System.out.printf(Locale.ROOT, "Machine: nproc %d, %s %s, Java %s (%s). Registry in-process on 127.0.0.1 (%d Netty workers, "
                    + "SQLite WAL synchronous=FULL on %s), %d-bit RSA CA and node keys, clients are threads of the same JVM.%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.version"),
                    System.getProperty("java.version"), System.getProperty("java.vm.name"), SERVER_THREADS, dir, KEY_BITS);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static List<Row> run(Path dir, int enrolments, int seconds) throws Exception {
        long t0 = System.nanoTime();
        CertificateAuthority ca = CertificateAuthority.initCa(Network.parse("2001:db8:42::/48"), KEY_BITS,
                new X500Name("CN=re6st bench network,emailAddress=ca@example.org"), Duration.ofDays(30), Clock.systemUTC());
        Path caFile = dir.resolve("ca.crt"), caKey = dir.resolve("ca.key");
        ca.writePem(caFile, caKey);
        RegistryOptions o = new RegistryOptions();
        new CommandLine(o).parseArgs("--ca", caFile.toString(), "--key", caKey.toString(), "--db", dir.resolve("registry.db").toString(),
                "--anonymous-prefix-length", "16");

        // the node keys, before any timing: one per client, of the CA key's size, with a CSR each
        int bits = ca.keyBits();
        List<NodeKey> keys = parallel(CLIENTS, i -> {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            KeyPair kp = g.generateKeyPair();
            var csr = new JcaPKCS10CertificationRequestBuilder(new X500Name(new org.bouncycastle.asn1.x500.RDN[0]), kp.getPublic())
                    .build(new JcaContentSignerBuilder("SHA512withRSA").build(kp.getPrivate()));
            StringWriter w = new StringWriter();
            try (JcaPEMWriter p = new JcaPEMWriter(w)) {
                p.writeObject(csr);
            }
            return new NodeKey(kp, w.toString());
        });
        System.out.printf(Locale.ROOT, "setup: CA + %d node keys of %d bits in %.1f s%n", CLIENTS, bits, (System.nanoTime() - t0) / 1e9);

        List<Row> rows = new ArrayList<>();
        try (RegistryDb db = RegistryDb.open(o.db)) {
            Registry registry = new Registry(o, ca, db, null, Communities.none(), Clock.systemUTC());
            RpcServer server = new RpcServer(registry.authenticator(), Set.copyOf(o.origins()), new MetricRegistry(), SERVER_THREADS);
            registry.declare(server);
            try {
                int port = server.start(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))).get(0).getPort();
                URI url = URI.create("http://127.0.0.1:" + port + "/");
                List<RegistryClient> clients = new ArrayList<>();
                for (int i = 0; i < CLIENTS; i++)
                    clients.add(new RegistryClient(url));

                // (a) anonymous enrolments
                AtomicInteger left = new AtomicInteger(enrolments);
                long a0 = System.nanoTime();
                List<List<Object[]>> perClient = parallel(CLIENTS, i -> {
                    List<Object[]> got = new ArrayList<>(); // {latency ns, pem bytes}
                    while (left.getAndDecrement() > 0) {
                        long s = System.nanoTime();
                        byte[] pem = clients.get(i).requestCertificate("", keys.get(i).csrPem(), "", "");
                        got.add(new Object[] {System.nanoTime() - s, pem});
                    }
                    return got;
                });
                double aWall = (System.nanoTime() - a0) / 1e9;
                long[] aLat = perClient.stream().flatMap(List::stream).mapToLong(x -> (Long) x[0]).toArray();
                // checks: a certificate every time, signed by the CA, for the client's key, distinct CNs
                Set<String> cns = new HashSet<>();
                List<List<Enrolled>> enrolled = new ArrayList<>();
                for (int i = 0; i < CLIENTS; i++) {
                    List<Enrolled> mine = new ArrayList<>();
                    for (Object[] x : perClient.get(i)) {
                        byte[] pem = (byte[]) x[1];
                        if (pem.length == 0)
                            throw new IllegalStateException("an enrolment returned no certificate");
                        X509Certificate c = Pem.parseCertificate(new String(pem, StandardCharsets.US_ASCII));
                        c.verify(ca.publicKey());
                        if (!c.getPublicKey().equals(keys.get(i).pair().getPublic()))
                            throw new IllegalStateException("a certificate for another key: " + c.getSubjectX500Principal());
                        String cn = re6st.pki.Certificates.nodePrefix(c).cn();
                        if (!cns.add(cn))
                            throw new IllegalStateException("duplicate prefix " + cn);
                        mine.add(new Enrolled(i, c));
                    }
                    enrolled.add(mine);
                }
                if (aLat.length != enrolments || cns.size() != enrolments)
                    throw new IllegalStateException(aLat.length + " enrolments, " + cns.size() + " distinct CNs, expected " + enrolments);
                System.out.printf(Locale.ROOT, "(a) %d enrolments in %.2f s: %d certificates verified, %d distinct CNs%n", enrolments, aWall,
                        aLat.length, cns.size());
                rows.add(new Row("requestCertificate (anonymous enrolment)", CLIENTS, aLat, aWall));

                // (b) hello once per client, then getNetworkConfig for `seconds`
                NodeSession[] sessions = new NodeSession[CLIENTS];
                String[] prefix = new String[CLIENTS];
                for (int i = 0; i < CLIENTS; i++) {
                    List<Enrolled> mine = enrolled.get(i);
                    if (mine.isEmpty())
                        throw new IllegalStateException("client " + i + " got no certificate (raise ENROLMENTS)");
                    prefix[i] = re6st.pki.Certificates.nodePrefix(mine.get(mine.size() - 1).cert()).bits();
                    sessions[i] = new NodeSession(prefix[i], keys.get(i).pair().getPrivate(), ca.publicKey());
                }
                long h0 = System.nanoTime();
                List<Long> helloLat = parallel(CLIENTS, i -> { // the first call of each session says hello first
                    long st = System.nanoTime();
                    byte[] body = clients.get(i).call("getNetworkConfig", RegistryClient.params("cn", prefix[i]), sessions[i]);
                    long d = System.nanoTime() - st;
                    NetworkConfig.decompress(body);
                    return d;
                });
                double hWall = (System.nanoTime() - h0) / 1e9;
                long deadline = System.nanoTime() + seconds * 1_000_000_000L;
                long b0 = System.nanoTime();
                List<long[]> bLatPer = parallel(CLIENTS, i -> {
                    RegistryClient c = clients.get(i);
                    var params = RegistryClient.params("cn", prefix[i]);
                    long[] lat = new long[1 << 16];
                    int n = 0;
                    while (System.nanoTime() < deadline) {
                        long s = System.nanoTime();
                        byte[] body = c.call("getNetworkConfig", params, sessions[i]);
                        long d = System.nanoTime() - s;
                        String json = NetworkConfig.decompress(body);
                        if (!json.startsWith("{") || !json.contains("\"version\""))
                            throw new IllegalStateException("not a network configuration: " + json);
                        if (n == lat.length)
                            lat = Arrays.copyOf(lat, n * 2);
                        lat[n++] = d;
                    }
                    return Arrays.copyOf(lat, n);
                });
                double bWall = (System.nanoTime() - b0) / 1e9;
                long[] bLat = bLatPer.stream().flatMapToLong(Arrays::stream).toArray();
                for (int i = 0; i < CLIENTS; i++)
                    if (sessions[i].hellos() != 1)
                        throw new IllegalStateException("client " + i + " said hello " + sessions[i].hellos() + " times, expected 1");
                System.out.printf(Locale.ROOT, "(b) %d getNetworkConfig in %.2f s, all decompressed; one hello per session%n", bLat.length, bWall);
                rows.add(new Row("hello + first getNetworkConfig", CLIENTS, helloLat.stream().mapToLong(Long::longValue).toArray(), hWall));
                rows.add(new Row("getNetworkConfig (authenticated, HMAC chain)", CLIENTS, bLat, bWall));
            } finally {
                server.close();
            }
        }
        return rows;
    }

    interface PerClient<T> {
        T run(int client) throws Exception;
    }

    /** Runs {@code task} on {@link #CLIENTS} threads at once (or {@code n}), results in client order; the first failure is thrown. */
    static <T> List<T> parallel(int n, PerClient<T> task) throws Exception {
        ExecutorService ex = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int c = i;
                fs.add(ex.submit((Callable<T>) () -> task.run(c)));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : fs) {
                try {
                    out.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof Exception x)
                        throw x;
                    throw new IOException(c);
                }
            }
            return out;
        } finally {
            ex.shutdownNow();
        }
    }
}
