package re6st.registry.store;

/**
 * A row of {@code cert}: one node of the prefix tree. {@code cert} is null for a free prefix,
 * {@value #RESERVED} for the reserved all-zero prefix, else the node's certificate in PEM.
 */
public record CertRow(String prefix, String email, String cert) {
    public static final String RESERVED = "reserved";

    public boolean isFree() {
        return cert == null;
    }

    public boolean isReserved() {
        return RESERVED.equals(cert);
    }

    /** Holds a certificate (neither free nor reserved). */
    public boolean isIssued() {
        return cert != null && !isReserved();
    }
}
