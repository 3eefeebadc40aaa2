package re6st.registry.store;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Typed access to the registry tables inside one transaction of {@link RegistryDb}. Valid only
 * inside the lambda it was given to, on that thread. Bad arguments throw IllegalArgumentException
 * before anything is written; SQL failures throw {@link RegistryDbException}, which rolls the
 * whole transaction back.
 *
 * <p>The {@code cert} table is a binary tree cut into disjoint prefixes (free, reserved or
 * taken). The row-shaping methods ({@link #insertFreeRow}, {@link #renameRow}, {@link #deleteRow},
 * {@link #reserve}) exist for {@code re6st.registry.alloc.PrefixAllocator}, which keeps that
 * partition; other code allocates and frees through the allocator.
 */
public final class Transaction {
    private final Connection connection;
    private final boolean writable;
    private final String where;
    private boolean open = true;

    Transaction(Connection connection, boolean writable, String where) {
        this.connection = connection;
        this.writable = writable;
        this.where = where;
    }

    void end() {
        open = false;
    }

    public boolean writable() {
        return writable;
    }

    // ---------------------------------------------------------------- config

    /** A TEXT key ({@link ConfigKey.Type#TEXT}); a BLOB value is decoded as UTF-8. */
    public Optional<String> configText(ConfigKey key) {
        Stored v = config(key, ConfigKey.Type.TEXT);
        if (v == null)
            return Optional.empty();
        return Optional.of(v.text != null ? v.text : new String(v.bytes, StandardCharsets.UTF_8));
    }

    /** An INTEGER key; REAL gives its integer part, numeric TEXT is parsed. */
    public OptionalLong configInteger(ConfigKey key) {
        Stored v = config(key, ConfigKey.Type.INTEGER);
        if (v == null)
            return OptionalLong.empty();
        if (v.integer != null)
            return OptionalLong.of(v.integer);
        String s = v.text != null ? v.text.trim() : new String(v.bytes, StandardCharsets.UTF_8).trim();
        try {
            return OptionalLong.of(s.matches("-?[0-9]+") ? Long.parseLong(s) : (long) Math.floor(Double.parseDouble(s)));
        } catch (NumberFormatException e) {
            throw new RegistryDbException(where + ": config " + key.column() + " holds '" + s + "', not an integer", null);
        }
    }

    /** A BLOB key; a TEXT value (older databases) gives its stored bytes. Empty array = empty value. */
    public Optional<byte[]> configBlob(ConfigKey key) {
        Stored v = config(key, ConfigKey.Type.BLOB);
        if (v == null)
            return Optional.empty();
        if (v.bytes == null)
            throw new RegistryDbException(where + ": config " + key.column() + " holds the number " + v.integer + ", not bytes", null);
        return Optional.of(v.bytes);
    }

    public void setConfig(ConfigKey key, String value) {
        requireType(key, ConfigKey.Type.TEXT);
        if (value == null)
            throw new IllegalArgumentException("config " + key.column() + ": null value (use deleteConfig)");
        putConfig(key, value);
    }

    public void setConfig(ConfigKey key, long value) {
        requireType(key, ConfigKey.Type.INTEGER);
        putConfig(key, value);
    }

    public void setConfig(ConfigKey key, byte[] value) {
        requireType(key, ConfigKey.Type.BLOB);
        if (value == null)
            throw new IllegalArgumentException("config " + key.column() + ": null value (use deleteConfig)");
        putConfig(key, value.clone());
    }

    /** Removes the key; true if it was there. */
    public boolean deleteConfig(ConfigKey key) {
        check(true);
        return update("DELETE FROM config WHERE name=?", key.column()) > 0;
    }

    /** Increments {@code serial} and returns the new value: the X.509 serial of the next certificate. */
    public long nextCertificateSerial() {
        long serial = 1 + configInteger(ConfigKey.SERIAL).orElse(0);
        setConfig(ConfigKey.SERIAL, serial);
        return serial;
    }

    private void putConfig(ConfigKey key, Object value) {
        check(true);
        update("INSERT OR REPLACE INTO config VALUES (?, ?)", key.column(), value);
    }

    private static void requireType(ConfigKey key, ConfigKey.Type type) {
        if (key.type() != type)
            throw new IllegalArgumentException("config " + key.column() + " is stored as " + key.type() + ", not " + type);
    }

    /** One config value with its storage class; null if absent or NULL (the original treats both as unset). */
    private Stored config(ConfigKey key, ConfigKey.Type type) {
        requireType(key, type);
        check(false);
        return first(query("SELECT typeof(value), value FROM config WHERE name=?", rs -> switch (rs.getString(1)) {
            case "integer" -> new Stored(null, rs.getLong(2), null);
            case "real" -> new Stored(null, (long) Math.floor(rs.getDouble(2)), null);
            case "text" -> new Stored(java.util.Objects.requireNonNullElse(rs.getString(2), ""), null, bytes(rs, 2));
            case "blob" -> new Stored(null, null, bytes(rs, 2));
            default -> null;
        }, key.column()));
    }

    /** The stored bytes; the driver gives null for a zero-length value, which is not NULL. */
    private static byte[] bytes(ResultSet rs, int column) throws SQLException {
        byte[] b = rs.getBytes(column);
        return b == null ? new byte[0] : b;
    }

    private record Stored(String text, Long integer, byte[] bytes) {
    }

    // ---------------------------------------------------------------- token

    /** Stores a new token; {@link DuplicateTokenException} if it exists (the transaction stays usable). */
    public void addToken(Token token) {
        check(true);
        // OR IGNORE turns the primary-key conflict into "0 rows" instead of an aborted statement.
        if (update("INSERT OR IGNORE INTO token VALUES (?,?,?,?)", token.token(), token.email(),
                token.prefixLength(), token.date()) == 0)
            throw new DuplicateTokenException(token.token());
    }

    public Optional<Token> token(String token) {
        check(false);
        return Optional.ofNullable(first(query("SELECT token, email, prefix_len, date FROM token WHERE token=?",
                Transaction::token, token)));
    }

    /** Returns the token and deletes it (a token is good for one certificate). */
    public Optional<Token> takeToken(String token) {
        check(true);
        Optional<Token> t = token(token);
        t.ifPresent(x -> update("DELETE FROM token WHERE token=?", x.token()));
        return t;
    }

    /** True if the token existed. */
    public boolean deleteToken(String token) {
        check(true);
        return update("DELETE FROM token WHERE token=?", token) > 0;
    }

    /** Deletes tokens made at or before {@code cutoff} (epoch seconds); returns how many. */
    public int deleteTokensUpTo(long cutoff) {
        check(true);
        return update("DELETE FROM token WHERE date <= ?", cutoff);
    }

    /** The date of the oldest token left, if any. */
    public OptionalLong oldestTokenDate() {
        check(false);
        Long d = first(query("SELECT min(date) FROM token", rs -> rs.getObject(1) == null ? null : rs.getLong(1)));
        return d == null ? OptionalLong.empty() : OptionalLong.of(d);
    }

    public List<Token> tokens() {
        check(false);
        return query("SELECT token, email, prefix_len, date FROM token ORDER BY token", Transaction::token);
    }

    private static Token token(ResultSet rs) throws SQLException {
        return new Token(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getLong(4));
    }

    // ---------------------------------------------------------------- cert

    public Optional<CertRow> cert(String prefix) {
        checkPrefix(prefix);
        check(false);
        return Optional.ofNullable(first(query("SELECT prefix, email, cert FROM cert WHERE prefix=?", Transaction::certRow, prefix)));
    }

    /** Rows with this email (normally one), in prefix order. */
    public List<CertRow> certsByEmail(String email) {
        check(false);
        return query("SELECT prefix, email, cert FROM cert WHERE email=? ORDER BY prefix", Transaction::certRow, email);
    }

    /** The whole tree: every row, in prefix order. */
    public List<CertRow> certs() {
        check(false);
        return query("SELECT prefix, email, cert FROM cert ORDER BY prefix", Transaction::certRow);
    }

    /** Rows holding a certificate (the original's iterCert), in prefix order. */
    public List<CertRow> issuedCerts() {
        check(false);
        List<CertRow> all = query("SELECT prefix, email, cert FROM cert WHERE cert IS NOT NULL ORDER BY prefix", Transaction::certRow);
        all.removeIf(r -> !r.isIssued());
        return all;
    }

    /** How many rows hold a certificate (neither free nor reserved). */
    public int issuedCount() {
        check(false);
        return query("SELECT count(*) FROM cert WHERE cert IS NOT NULL AND cert != '" + CertRow.RESERVED + "'", rs -> rs.getInt(1)).get(0);
    }

    /** How many serials the CRL holds. */
    public int crlCount() {
        check(false);
        return query("SELECT count(*) FROM crl", rs -> rs.getInt(1)).get(0);
    }

    /** Free prefixes, in prefix order. */
    public List<String> freePrefixes() {
        check(false);
        return query("SELECT prefix FROM cert WHERE cert IS NULL ORDER BY prefix", rs -> rs.getString(1));
    }

    /**
     * Stores a node's certificate (and email, null when anonymous) on an existing row: the row
     * the allocator just took, or a renewal. The PEM is written as a BLOB, as the original does.
     */
    public void setCert(String prefix, String email, String pem) {
        checkPrefix(prefix);
        if (pem == null || pem.isEmpty() || CertRow.RESERVED.equals(pem))
            throw new IllegalArgumentException("certificate for " + prefix + " is " + (pem == null ? "null" : "'" + pem + "'")
                    + ": expected a PEM certificate");
        check(true);
        if (update("UPDATE cert SET email=?, cert=? WHERE prefix=?", email, pem.getBytes(StandardCharsets.UTF_8), prefix) == 0)
            throw new IllegalArgumentException("no prefix '" + prefix + "' in the cert table (allocate it first)");
    }

    /** Marks a row free (email and cert null); false if there is no such row. */
    public boolean clearCert(String prefix) {
        checkPrefix(prefix);
        check(true);
        return update("UPDATE cert SET email=NULL, cert=NULL WHERE prefix=?", prefix) > 0;
    }

    /** Marks a row as the reserved all-zero prefix. */
    public void reserve(String prefix) {
        checkPrefix(prefix);
        check(true);
        requireOne(update("UPDATE cert SET cert='" + CertRow.RESERVED + "' WHERE prefix=?", prefix), "reserve", prefix);
    }

    /** Adds a free row (tree edit, for the allocator). */
    public void insertFreeRow(String prefix) {
        checkPrefix(prefix);
        check(true);
        update("INSERT INTO cert VALUES (?,NULL,NULL)", prefix);
    }

    /** Renames a row, keeping its email and cert (tree edit, for the allocator). */
    public void renameRow(String from, String to) {
        checkPrefix(from);
        checkPrefix(to);
        check(true);
        requireOne(update("UPDATE cert SET prefix=? WHERE prefix=?", to, from), "rename to " + to, from);
    }

    /** Deletes a row (tree edit, for the allocator). */
    public void deleteRow(String prefix) {
        checkPrefix(prefix);
        check(true);
        requireOne(update("DELETE FROM cert WHERE prefix=?", prefix), "delete", prefix);
    }

    /**
     * The longest free prefix that starts with {@code start} and has at most {@code maxLength}
     * bits; among equally long ones the smallest. The range {@code [start, start+'2')} is the set
     * of '0'/'1' strings starting with {@code start}, and lets SQLite use the primary-key index.
     */
    public Optional<String> longestFreePrefix(String start, int maxLength) {
        checkPrefix(start);
        check(false);
        return Optional.ofNullable(first(query("SELECT prefix FROM cert WHERE cert IS NULL AND prefix >= ? AND prefix < ?"
                + " AND length(prefix) <= ? ORDER BY length(prefix) DESC, prefix LIMIT 1",
                rs -> rs.getString(1), start, start + "2", maxLength)));
    }

    /** The row whose prefix is {@code bits} or a beginning of it (at most one in a consistent tree). */
    public Optional<CertRow> rowContaining(String bits) {
        checkPrefix(bits);
        check(false);
        StringBuilder sql = new StringBuilder("SELECT prefix, email, cert FROM cert WHERE prefix IN (?");
        Object[] args = new Object[bits.length() + 1];
        for (int i = 0; i <= bits.length(); i++) {
            args[i] = bits.substring(0, i);
            if (i > 0)
                sql.append(",?");
        }
        return Optional.ofNullable(first(query(sql.append(") ORDER BY length(prefix) LIMIT 1").toString(), Transaction::certRow, args)));
    }

    private static CertRow certRow(ResultSet rs) throws SQLException {
        return new CertRow(rs.getString(1), rs.getString(2), rs.getString(3));
    }

    private void requireOne(int rows, String what, String prefix) {
        if (rows != 1)
            throw new IllegalStateException(where + ": " + what + " cert row '" + prefix + "' touched " + rows + " rows, not 1");
    }

    static void checkPrefix(String prefix) {
        if (prefix == null)
            throw new IllegalArgumentException("prefix is null");
        if (prefix.length() > 128)
            throw new IllegalArgumentException("prefix of " + prefix.length() + " bits: at most 128");
        for (int i = 0; i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            if (c != '0' && c != '1')
                throw new IllegalArgumentException("prefix '" + prefix + "' has '" + c + "' at " + i + ": only 0 and 1 allowed");
        }
    }

    // ---------------------------------------------------------------- crl

    /** Adds a revoked serial with its certificate's expiry; false if it was already there. */
    public boolean addRevoked(long serial, long expiry) {
        if (serial < 0)
            throw new IllegalArgumentException("negative certificate serial " + serial);
        check(true);
        return update("INSERT OR IGNORE INTO crl VALUES (?,?)", serial, expiry) > 0;
    }

    public boolean isRevoked(long serial) {
        check(false);
        return first(query("SELECT 1 FROM crl WHERE serial=?", rs -> Boolean.TRUE, serial)) != null;
    }

    /** The CRL, sorted by serial. */
    public List<Revoked> crl() {
        check(false);
        return query("SELECT serial, date FROM crl ORDER BY serial", rs -> new Revoked(rs.getLong(1), rs.getLong(2)));
    }

    /** The revoked serials, sorted (the network config's {@code crl}). */
    public List<Long> revokedSerials() {
        check(false);
        return query("SELECT serial FROM crl ORDER BY serial", rs -> rs.getLong(1));
    }

    /**
     * Drops entries whose certificate expired before {@code now} (an expired certificate is refused
     * anyway); returns how many. The CRL is part of the network config: if this returns more than
     * 0 the caller bumps the version.
     */
    public int purgeCrl(long now) {
        check(true);
        return update("DELETE FROM crl WHERE date < ?", now);
    }

    // ---------------------------------------------------------------- SQL

    String where() {
        return where;
    }

    /** Column names of a table, in order; empty if there is no such table. */
    List<String> columns(String table) {
        check(false);
        return query("SELECT name FROM pragma_table_info(?) ORDER BY cid", rs -> rs.getString(1), table);
    }

    void execute(String sql) {
        check(true);
        update(sql);
    }

    private interface Row<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private void check(boolean write) {
        if (!open)
            throw new IllegalStateException("transaction on " + where + " is over: use a Transaction only inside its lambda");
        if (write && !writable)
            throw new IllegalStateException("read-only transaction on " + where + ": write with RegistryDb.transaction");
    }

    private int update(String sql, Object... args) {
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw RegistryDb.failure(where, sql, e);
        }
    }

    private <T> List<T> query(String sql, Row<T> row, Object... args) {
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            bind(ps, args);
            List<T> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next())
                    out.add(row.map(rs));
            }
            return out;
        } catch (SQLException e) {
            throw RegistryDb.failure(where, sql, e);
        }
    }

    private static <T> T first(List<T> rows) {
        return rows.isEmpty() ? null : rows.get(0);
    }

    private static void bind(PreparedStatement ps, Object[] args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null)
                ps.setNull(i + 1, java.sql.Types.NULL);
            else if (a instanceof String s)
                ps.setString(i + 1, s);
            else if (a instanceof byte[] b)
                ps.setBytes(i + 1, b);
            else if (a instanceof Long || a instanceof Integer)
                ps.setLong(i + 1, ((Number) a).longValue());
            else
                throw new IllegalArgumentException("cannot bind " + a.getClass());
        }
    }
}
