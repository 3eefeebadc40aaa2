package re6st.registry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import com.codahale.metrics.MetricRegistry;
import org.bouncycastle.asn1.x500.X500Name;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import re6st.net.Network;
import re6st.registry.Counterparts;
import re6st.registry.Registry;
import re6st.registry.alloc.Communities;
import re6st.registry.ca.CertificateAuthority;
import re6st.registry.cli.RegistryCommand;
import re6st.registry.cli.RegistryOptions;
import re6st.registry.client.NodeSession;
import re6st.registry.client.RegistryClient;
import re6st.registry.geo.GeoIp;
import re6st.registry.geo.MaxMindGeoIp;
import re6st.registry.geo.TestGeoDb;
import re6st.registry.http.RpcServer;
import re6st.registry.store.RegistryDb;

/**
 * GeoIP in an in-process registry, on a real MaxMind DB (Debian's libmaxmind-db-writer-perl):
 * getCountry, and the community a new node lands in — by its {@code location}, else by the
 * GeoIP location of its {@code ip}, of the first X-Forwarded-For entry, of the client's address; without
 * a database getCountry is 400 and enrolment uses the default community; {@code re6st registry
 * --same-country} refuses to start without a database.
 */
class GeoIpRegistryTest {
    static final String COMMUNITIES = "# test communities\n0 FR\n10 @AS\n110 US\n111 *\n";
    static final String[] NETWORKS = {"198.18.0.0/24", "FR", "EU", "198.18.1.0/24", "CN", "AS", "2001:db8:1::/48", "US", "NA",
            "127.0.0.0/8", "US", "NA"}; // the test clients come from 127.0.0.1

    /** An in-process registry (anonymous enrolment, /16 per node, the communities above) on loopback. */
    record Running(Registry registry, RpcServer server, RegistryDb db, CertificateAuthority ca, int port, RegistryClient client)
            implements AutoCloseable {
        static Running start(Path dir, GeoIp geoip) throws Exception {
            CertificateAuthority ca = CertificateAuthority.initCa(Network.parse("2001:db8:42::/48"), 2048, new X500Name("CN=geo test"),
                    Duration.ofDays(30), Clock.systemUTC());
            Path communities = Files.writeString(dir.resolve("communities"), COMMUNITIES);
            RegistryOptions o = new RegistryOptions();
            new CommandLine(o).parseArgs("--db", dir.resolve("registry.db").toString(), "--anonymous-prefix-length", "16",
                    "--community", communities.toString());
            RegistryDb db = RegistryDb.open(o.db);
            Registry registry = new Registry(o, ca, db, null, Communities.parse(communities), geoip, Clock.systemUTC(),
                    re6st.registry.node.NodeLink.NONE);
            RpcServer server = new RpcServer(registry.authenticator(), Set.copyOf(o.origins()), new MetricRegistry(), 4);
            registry.declare(server);
            int port = server.start(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))).get(0).getPort();
            return new Running(registry, server, db, ca, port, new RegistryClient(URI.create("http://127.0.0.1:" + port + "/")));
        }

        /** An anonymous requestCertificate sent with {@code headers}; the new node's binary prefix. */
        String enrol(KeyPair key, String location, String ip, String headers) throws Exception {
            String[] r = BadInputTest.raw(port, "/requestCertificate?token=&req=" + BadInputTest.enc(BadInputTest.csr(key, null))
                    + "&location=" + BadInputTest.enc(location) + "&ip=" + BadInputTest.enc(ip), headers);
            assertEquals("200", r[0], r[1]);
            return re6st.net.NodePrefix.parseCn(ConcurrencyCrashTest.cn(ConcurrencyCrashTest.certificate(r[1]))).bits();
        }

        @Override
        public void close() {
            server.close();
            db.close();
        }
    }

    static final String LOCAL_HOST = "Host: 127.0.0.1\r\n";

    static void assertCommunity(String community, String bits, String why) {
        assertTrue(bits.startsWith(community) && bits.length() == 16 + community.length(),
                why + ": a /16 in community '" + community + "', got " + bits);
    }

    @Test
    void countryAndCommunityFromTheDatabase(@TempDir Path dir) throws Exception {
        TestGeoDb.requireWriter("GeoIpRegistryTest.countryAndCommunityFromTheDatabase");
        GeoIp geoip = MaxMindGeoIp.open(TestGeoDb.write(dir, "country.mmdb", false, NETWORKS));
        KeyPair key = ConcurrencyCrashTest.keys().get(0);
        try (Running reg = Running.start(dir, geoip)) {
            String fr = reg.enrol(key, "", "198.18.0.5", LOCAL_HOST);
            assertCommunity("0", fr, "ip=198.18.0.5 is in FR");
            assertCommunity("10", reg.enrol(key, "", "", LOCAL_HOST + "X-Forwarded-For: 198.18.1.9, 198.18.0.5\r\n"),
                    "no ip: the first X-Forwarded-For entry, in CN, continent AS");
            assertCommunity("110", reg.enrol(key, "", "", LOCAL_HOST), "no ip, no X-Forwarded-For: the client's own address, 127.0.0.1, in US");
            assertCommunity("0", reg.enrol(key, "", "198.18.0.6", LOCAL_HOST + "X-Forwarded-For: 198.18.1.9\r\n"),
                    "the ip parameter comes before X-Forwarded-For");
            assertCommunity("110", reg.enrol(key, "US,NA", "198.18.0.5", LOCAL_HOST), "a given location comes before the ip");
            assertCommunity("111", reg.enrol(key, "DE,EU", "198.18.0.5", LOCAL_HOST), "DE and @EU have no community: the default");
            assertCommunity("111", reg.enrol(key, "", "198.18.9.9", LOCAL_HOST), "an address not in the database: the default");
            assertCommunity("110", reg.enrol(key, "", "", "Host: 198.18.0.9:80\r\n"),
                    "the Host header (here an address in FR) names the registry: not looked up; the client's 127.0.0.1 is (US)");

            NodeSession session = new NodeSession(fr, key.getPrivate(), reg.ca().publicKey());
            assertEquals("FR", country(reg, session, "198.18.0.77"));
            assertEquals("US", country(reg, session, "2001:db8:1:2::1"));
            assertEquals("", country(reg, session, "198.18.200.1"), "not in the database: 204");
            assertEquals("", country(reg, session, "not-an-address"), "not an address: 204");
        }
    }

    static String country(Running reg, NodeSession session, String address) throws Exception {
        return new String(reg.client().call("getCountry", RegistryClient.params("cn", session.cn(), "address", address), session),
                StandardCharsets.US_ASCII);
    }

    @Test
    void withoutDatabaseGetCountryIs400AndEnrolmentUsesTheDefault(@TempDir Path dir) throws Exception {
        KeyPair key = ConcurrencyCrashTest.keys().get(0);
        try (Running reg = Running.start(dir, null)) {
            String bits = reg.enrol(key, "", "198.18.0.5", LOCAL_HOST + "X-Forwarded-For: 198.18.1.9\r\n");
            assertCommunity("111", bits, "no database: the address is not located");
            assertCommunity("0", reg.enrol(key, "FR,EU", "", LOCAL_HOST), "a given location still counts");
            NodeSession session = new NodeSession(bits, key.getPrivate(), reg.ca().publicKey());
            RegistryClient.RegistryException e = assertThrows(RegistryClient.RegistryException.class,
                    () -> country(reg, session, "198.18.0.5"));
            assertEquals(400, e.status(), e.getMessage());
            assertTrue(e.getMessage().contains("no GeoIP database"), e.getMessage());
        }
    }

    @Test
    void sameCountryNeedsADatabaseAndTheDatabaseMustOpen(@TempDir Path dir) throws Exception {
        Path notMmdb = Files.writeString(dir.resolve("country.txt"), "198.18.0.0/24 FR\n");
        String cannot = "Can not respect 'same_country' network configuration (GEOIP2_MMDB not set";
        // (no CA is loaded before these checks: --ca and --key need not exist)
        String[] base = {"--ca", dir.resolve("ca.crt").toString(), "--key", dir.resolve("ca.key").toString(), "--db",
            dir.resolve("registry.db").toString()};
        assertRefused(cannot, base, "--same-country", "FR", "--geoip=");
        assertRefused("no such readable file", base, "--geoip", dir.resolve("missing.mmdb").toString());
        assertRefused("is not a MaxMind DB file", base, "--geoip", notMmdb.toString(), "--same-country", "FR");
        assertTrue(Files.notExists(dir.resolve("registry.db")), "refused before anything was created");
    }

    /** Without --geoip, the default is $GEOIP2_MMDB, as the original: unset, --same-country is refused. */
    @Test
    void sameCountryWithoutGeoipNorGeoip2MmdbIsRefused(@TempDir Path dir) {
        Counterparts.assumeThat(System.getenv("GEOIP2_MMDB") == null, "GEOIP2_MMDB unset in the environment (unset GEOIP2_MMDB)");
        assertRefused("Can not respect 'same_country' network configuration (GEOIP2_MMDB not set", new String[] {"--ca",
            dir.resolve("ca.crt").toString(), "--key", dir.resolve("ca.key").toString(), "--db", dir.resolve("registry.db").toString()},
                "--same-country", "FR");
        assertTrue(Files.notExists(dir.resolve("registry.db")), "refused before anything was created");
    }

    static void assertRefused(String message, String[] base, String... args) {
        String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(base), java.util.Arrays.stream(args)).toArray(String[]::new);
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        System.setErr(new PrintStream(err, true));
        try {
            status = re6st.cli.Launcher.commandLine(new RegistryCommand(), new java.io.PrintWriter(err, true)).execute(all);
        } finally {
            System.setErr(old);
        }
        assertEquals(2, status, String.join(" ", args) + ": " + err);
        assertTrue(err.toString().contains(message), String.join(" ", args) + ": " + err);
    }
}
