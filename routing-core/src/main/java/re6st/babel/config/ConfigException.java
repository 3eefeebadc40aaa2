package re6st.babel.config;

/**
 * A configuration statement that babeld's language (or our subset of it) does not accept. The
 * message is complete and meant for the user: where ({@code babel.conf:3} or {@code -C 2}), which
 * statement, and what is wrong, e.g. {@code -C 2: interface: hello-interval needs a positive
 * number, got 'x'}.
 */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String where;

    ConfigException(String where, String message) {
        super(where + ": " + message);
        this.where = where;
    }

    /** {@code FILE:LINE} or {@code -C N} (N counts -C arguments from 1). */
    public String where() {
        return where;
    }
}
