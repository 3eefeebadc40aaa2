package re6st.registry.auth;

/**
 * An authenticated call refused by {@link Sessions}, with the HTTP status the original answers:
 * 401 when the registry has no session for the client (normal after a registry restart: the
 * client says hello again), 400 for a missing, malformed, wrong or replayed MAC.
 */
public final class AuthenticationException extends Exception {
    private static final long serialVersionUID = 1L;
    public static final int UNKNOWN_SESSION = 401, BAD_MAC = 400;

    private final int status;

    public AuthenticationException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
