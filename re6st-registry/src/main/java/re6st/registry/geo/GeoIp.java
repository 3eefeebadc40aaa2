package re6st.registry.geo;

/** A GeoIP database: the location of an address, for getCountry and the community of a new node. */
public interface GeoIp {
    /**
     * The location of {@code ipText}, an IPv4 or IPv6 literal. {@link Location#UNKNOWN} when the
     * address is not in the database, and when the text is not an address (a host name, a port, a
     * zone, garbage): never a name lookup, never an exception.
     */
    Location lookup(String ipText);
}
