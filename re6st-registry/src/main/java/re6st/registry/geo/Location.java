package re6st.registry.geo;

/**
 * Where an address is, as the original's geoiplookup gives it: an ISO 3166 alpha-2 country code
 * ({@code FR}) and a continent code ({@code EU}), each {@code *} when unknown.
 */
public record Location(String country, String continent) {
    /** An address that is not in the database, or not an address at all: the original's ('*', '*'). */
    public static final Location UNKNOWN = new Location("*", "*");

    public boolean hasCountry() {
        return !country.equals("*");
    }

    @Override
    public String toString() {
        return country + "," + continent;
    }
}
