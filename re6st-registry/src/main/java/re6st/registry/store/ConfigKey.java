package re6st.registry.store;

/**
 * The rows of the {@code config} table, each with the SQLite storage class the original writes
 * (its column has no declared type, so the class is whatever Python bound):
 * <ul>
 * <li>{@code prefix} TEXT: the registry's own node prefix, '0'/'1' bits;
 * <li>{@code version} BLOB: packInteger(n) || CA signature (very old databases hold TEXT);
 * <li>{@code last_config} TEXT: the JSON the version was last bumped for;
 * <li>{@code serial} INTEGER: the last X.509 serial issued;
 * <li>{@code babel_hmac0..2} BLOB: 16-byte Babel MAC keys, or an empty value for "accept unsigned"
 *     (an empty BLOB from the Python 3 original, an empty TEXT from the Python 2 one);
 * <li>{@code valid_until} INTEGER: epoch seconds, end of an HMAC change window (not in the
 *     original versions we could read; INTEGER like the other dates, REAL is read too).
 * </ul>
 * Reads are lenient (a BLOB key stored as TEXT gives its raw bytes, an INTEGER key stored as REAL
 * or numeric TEXT gives its integer part); writes use the class above, so the original reading
 * our database sees the same types as its own.
 */
public enum ConfigKey {
    PREFIX("prefix", Type.TEXT),
    VERSION("version", Type.BLOB),
    LAST_CONFIG("last_config", Type.TEXT),
    SERIAL("serial", Type.INTEGER),
    BABEL_HMAC0("babel_hmac0", Type.BLOB),
    BABEL_HMAC1("babel_hmac1", Type.BLOB),
    BABEL_HMAC2("babel_hmac2", Type.BLOB),
    VALID_UNTIL("valid_until", Type.INTEGER);

    /** SQLite storage classes used in {@code config.value}. */
    public enum Type {
        TEXT, INTEGER, BLOB
    }

    private final String column;
    private final Type type;

    ConfigKey(String column, Type type) {
        this.column = column;
        this.type = type;
    }

    /** The {@code config.name} of this key. */
    public String column() {
        return column;
    }

    public Type type() {
        return type;
    }

    /** {@code babel_hmac<slot>}, slot 0..2. */
    public static ConfigKey babelHmac(int slot) {
        return switch (slot) {
            case 0 -> BABEL_HMAC0;
            case 1 -> BABEL_HMAC1;
            case 2 -> BABEL_HMAC2;
            default -> throw new IllegalArgumentException("Babel HMAC slot " + slot + " outside 0..2");
        };
    }
}
