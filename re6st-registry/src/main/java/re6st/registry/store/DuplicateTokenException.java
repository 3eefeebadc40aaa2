package re6st.registry.store;

/** {@code addToken} with a token that already exists (the admin RPC answers 409 Conflict). */
public final class DuplicateTokenException extends RuntimeException {
    private final String token;

    public DuplicateTokenException(String token) {
        super("token " + token + " already exists");
        this.token = token;
    }

    public String token() {
        return token;
    }
}
