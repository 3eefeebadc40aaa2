package re6st.registry.geo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lookups in real MaxMind DB files written by Debian's libmaxmind-db-writer-perl ({@link TestGeoDb}). */
class MaxMindGeoIpTest {
    static final String[] NETWORKS = {
        "198.18.0.0/24", "FR", "EU",
        "198.18.1.0/24", "CN", "AS",
        "198.18.2.0/24", "-", "EU", // a continent-only record
        "2001:db8:1::/48", "US", "NA",
        "127.0.0.0/8", "XL", "EU", // so that a resolved "localhost" would be found
    };

    @Test
    void countryAndContinentOrStars(@TempDir Path dir) throws Exception {
        TestGeoDb.requireWriter("MaxMindGeoIpTest.countryAndContinentOrStars");
        MaxMindGeoIp geo = MaxMindGeoIp.open(TestGeoDb.write(dir, "country.mmdb", false, NETWORKS));
        assertTrue(geo.description().contains("GeoIP2-Country"), geo.description());
        assertEquals(new Location("FR", "EU"), geo.lookup("198.18.0.5"));
        assertEquals(new Location("CN", "AS"), geo.lookup("198.18.1.9"));
        assertEquals(new Location("US", "NA"), geo.lookup("2001:db8:1::5"));
        assertEquals(new Location("US", "NA"), geo.lookup("2001:DB8:1:0:0:0:0:ff"));
        assertEquals(new Location("FR", "EU"), geo.lookup("::ffff:198.18.0.5"), "IPv4-mapped: the IPv4 address");
        assertEquals(new Location("*", "EU"), geo.lookup("198.18.2.1"), "no country in the record");
        assertEquals(new Location("XL", "EU"), geo.lookup("127.0.0.1"));
        for (String notFound : new String[] {"198.18.3.1", "198.19.0.1", "2001:db8:2::1", "::1", "0.0.0.0"})
            assertEquals(Location.UNKNOWN, geo.lookup(notFound), notFound);
        for (String garbage : new String[] {"", "not an address", "localhost", "example.org", "198.18.0.5:80", "[2001:db8:1::5]",
            "2001:db8:1::5%eth0", "198.18.0.256", "198.18.0", "1.2.3.4.5", " 198.18.0.5", "198.18.0.5,198.18.1.9", "::1::2",
            "2001:db8:1::/48", "0x7f.1", "2130706433", "1".repeat(5000), null})
            assertEquals(Location.UNKNOWN, geo.lookup(garbage), "not an IP literal (and never resolved): " + garbage);
    }

    @Test
    void ipv6InAnIpv4OnlyDatabaseIsUnknown(@TempDir Path dir) throws Exception {
        TestGeoDb.requireWriter("MaxMindGeoIpTest.ipv6InAnIpv4OnlyDatabaseIsUnknown");
        MaxMindGeoIp geo = MaxMindGeoIp.open(TestGeoDb.write(dir, "v4.mmdb", true, "198.18.0.0/24", "FR", "EU"));
        assertEquals(new Location("FR", "EU"), geo.lookup("198.18.0.5"));
        assertEquals(Location.UNKNOWN, geo.lookup("2001:db8:1::5"));
        assertEquals(Location.UNKNOWN, geo.lookup("::"));
    }

    @Test
    void aMissingFileOrOneThatIsNoMaxMindDbIsAClearError(@TempDir Path dir) throws Exception {
        IOException missing = assertThrows(IOException.class, () -> MaxMindGeoIp.open(dir.resolve("none.mmdb")));
        assertTrue(missing.getMessage().contains("none.mmdb") && missing.getMessage().contains("no such"), missing.getMessage());
        assertThrows(IOException.class, () -> MaxMindGeoIp.open(dir), "a directory");
        for (byte[] content : new byte[][] {new byte[0], "country FR\n".getBytes(), new byte[4096]}) {
            Path bad = Files.write(dir.resolve("bad.mmdb"), content);
            IOException e = assertThrows(IOException.class, () -> MaxMindGeoIp.open(bad));
            assertTrue(e.getMessage().contains("bad.mmdb") && e.getMessage().contains("not a MaxMind DB"), e.getMessage());
        }
    }

    @Test
    void oneReaderServesManyThreads(@TempDir Path dir) throws Exception {
        TestGeoDb.requireWriter("MaxMindGeoIpTest.oneReaderServesManyThreads");
        MaxMindGeoIp geo = MaxMindGeoIp.open(TestGeoDb.write(dir, "country.mmdb", false, NETWORKS));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++)
                done.add(pool.submit(() -> {
                    int n = 0;
                    for (int i = 0; i < 5000; i++) {
                        boolean v6 = i % 2 == 0;
                        Location l = geo.lookup(v6 ? "2001:db8:1::" + Integer.toHexString(i) : "198.18.1." + (i % 256));
                        if (!l.equals(v6 ? new Location("US", "NA") : new Location("CN", "AS")))
                            throw new AssertionError("lookup " + i + " gave " + l);
                        n++;
                    }
                    return n;
                }));
            for (Future<Integer> f : done)
                assertEquals(5000, f.get(60, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    /** The test database itself, checked with libmaxminddb's mmdblookup (Debian's mmdb-bin) where it is installed. */
    @Test
    void mmdblookupReadsTheSameCountries(@TempDir Path dir) throws Exception {
        TestGeoDb.requireWriter("MaxMindGeoIpTest.mmdblookupReadsTheSameCountries");
        re6st.registry.Counterparts.assumeCommand("mmdblookup", "mmdb-bin");
        Path db = TestGeoDb.write(dir, "country.mmdb", false, NETWORKS);
        MaxMindGeoIp geo = MaxMindGeoIp.open(db);
        for (String ip : new String[] {"198.18.0.5", "198.18.1.9", "2001:db8:1::5", "::ffff:198.18.0.5", "198.18.2.1", "198.18.3.1"}) {
            Process p = new ProcessBuilder("mmdblookup", "-f", db.toString(), "-i", ip, "country", "iso_code").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"([A-Z]{2})\" <utf8_string>").matcher(out);
            assertEquals(m.find() ? m.group(1) : "*", geo.lookup(ip).country(), ip + ": mmdblookup says " + out.strip());
        }
    }
}
