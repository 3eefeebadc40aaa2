package re6st.registry.geo;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.System.Logger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import com.maxmind.db.InvalidDatabaseException;
import com.maxmind.db.Reader.FileMode;
import com.maxmind.db.Reader;

import re6st.net.Ipv4Text;
import re6st.net.Ipv6Address;

/**
 * {@link GeoIp} on a GeoIP2/GeoLite2 Country database (MaxMind DB format; a City database works
 * too): {@code country.iso_code} and {@code continent.code} of the record, as the original reads
 * them with geoip2's {@code Reader.country}. The file is read once into memory, so that an updater
 * rewriting it later cannot pull it from under a running registry; the reader is thread-safe.
 */
public final class MaxMindGeoIp implements GeoIp {
    private static final Logger LOG = System.getLogger("re6st.registry.geo");

    private final Path file;
    private final Reader reader;

    private MaxMindGeoIp(Path file, Reader reader) {
        this.file = file;
        this.reader = reader;
    }

    /** Opens {@code file}; an IOException that names the file when it is missing or not a MaxMind DB. */
    public static MaxMindGeoIp open(Path file) throws IOException {
        if (!Files.isRegularFile(file) || !Files.isReadable(file))
            throw new IOException("GeoIP database " + file + ": no such readable file");
        try {
            return new MaxMindGeoIp(file, new Reader(file.toFile(), FileMode.MEMORY));
        } catch (InvalidDatabaseException | RuntimeException e) {
            throw new IOException("GeoIP database " + file + " is not a MaxMind DB file (" + e.getMessage() + ")", e);
        }
    }

    /** For the startup log: the file, its database type and build date. */
    public String description() {
        return file + " (" + reader.getMetadata().getDatabaseType() + ", built " + reader.getMetadata().getBuildDate().toInstant() + ")";
    }

    @Override
    public Location lookup(String ipText) {
        InetAddress address = literal(ipText);
        if (address == null || address instanceof Inet6Address && reader.getMetadata().getIpVersion() == 4)
            return Location.UNKNOWN; // geoip2 raises ValueError for both; the original answers ('*', '*')
        Object record;
        try {
            record = reader.get(address, Map.class);
        } catch (IOException | RuntimeException e) { // a damaged file: the lookup fails, the registry goes on
            LOG.log(Level.WARNING, "GeoIP database " + file + ": lookup of " + address.getHostAddress() + " failed: " + e);
            return Location.UNKNOWN;
        }
        if (record == null)
            return Location.UNKNOWN;
        return new Location(code(record, "country", "iso_code"), code(record, "continent", "code"));
    }

    /** {@code record[map][key]} when it is a two-letter code, else "*". */
    private static String code(Object record, String map, String key) {
        if (record instanceof Map<?, ?> r && r.get(map) instanceof Map<?, ?> m && m.get(key) instanceof String s && s.matches("[A-Z]{2}"))
            return s;
        return "*";
    }

    /** The address of an IPv4 or IPv6 literal, parsed offline (InetAddress.getByName would resolve names); null if it is none. */
    static InetAddress literal(String text) {
        if (text == null)
            return null;
        try {
            byte[] raw;
            if (text.indexOf(':') >= 0)
                raw = Ipv6Address.parse(text).toBytes();
            else {
                long v4 = Ipv4Text.parse(text);
                raw = new byte[] {(byte) (v4 >>> 24), (byte) (v4 >>> 16), (byte) (v4 >>> 8), (byte) v4};
            }
            return InetAddress.getByAddress(raw); // an IPv4-mapped ::ffff:a.b.c.d becomes the IPv4 address
        } catch (IllegalArgumentException | java.net.UnknownHostException e) {
            return null;
        }
    }
}
