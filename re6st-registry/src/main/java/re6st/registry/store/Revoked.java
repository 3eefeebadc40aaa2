package re6st.registry.store;

/** A row of {@code crl}: a revoked certificate's X.509 serial and its expiry (epoch seconds). */
public record Revoked(long serial, long expiry) {
}
