package re6st.registry.ca;

/**
 * A certificate request the registry refuses, and why. This is the only exception
 * {@link CertificateRequest#parse} throws, whatever the input (checked by a fuzz test); the
 * message is meant for the client (HTTP 400) and the log.
 */
public final class BadCsrException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** Larger than {@link CertificateRequest#MAX_PEM_LENGTH}. */
        TOO_LARGE,
        /** No PEM block, no END line, bad base64, headers. */
        MALFORMED_PEM,
        /** A PEM block of another type, or DER that is not a PKCS#10 request. */
        NOT_A_CSR,
        /** The request's key is not RSA (or is a malformed RSA key). */
        NOT_RSA,
        /** The RSA key's size differs from the CA key's: the hello response needs equal sizes. */
        KEY_SIZE,
        /** The request's signature does not verify with its own key, or its algorithm is unknown. */
        BAD_SIGNATURE,
        /** The subject has a CN: the registry writes it (the allocated prefix). */
        CN_GIVEN,
        /** The subject has a serialNumber: the registry writes it (the IPv4 subnet number). */
        SERIAL_NUMBER_GIVEN,
    }

    private final Reason reason;

    public BadCsrException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
