package re6st.babel.config;

/**
 * What is wrong with one statement, before the parser knows where the statement came from; the
 * parser turns it into a {@link ConfigException} carrying the file and line.
 */
final class BadValue extends Exception {
    private static final long serialVersionUID = 1L;

    BadValue(String message) {
        super(message, null, false, false);
    }
}
