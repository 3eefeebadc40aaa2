package re6st.sqlite;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * How re6st keeps an SQLite file (the registry's {@code registry.db}, the node's {@code cache.db})
 * durable (ARCHITECTURE.md, "Nothing lost"): one process per file ({@link #lock}), WAL journal,
 * {@code synchronous=FULL} (a commit is on disk when COMMIT returns), transactions begun and
 * ended by hand ({@link #begin}, {@link #commit}, {@link #rollback}). The stores on top own their
 * schema and their error type; this class only says what SQLite reported.
 */
public final class DurableSqlite {
    private DurableSqlite() {}

    /** What SQLite reports for a connection: {@code journal_mode}, {@code synchronous} (2 = FULL), {@code busy_timeout} (ms). */
    public record Settings(String journalMode, int synchronous, int busyTimeoutMillis) {
        /** Why these settings are not durable enough, if they are not (e.g. a file system without WAL support). */
        public Optional<String> problem() {
            if ("wal".equalsIgnoreCase(journalMode) && synchronous == 2)
                return Optional.empty();
            return Optional.of("journal_mode=" + journalMode + " synchronous=" + synchronous + ", need wal and 2 (FULL)");
        }
    }

    /** The exclusive lock on {@code <db>.lock} that keeps a second process away from the file. */
    public record Lock(Path file, FileChannel channel, FileLock held) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                held.release();
            } finally {
                channel.close();
            }
        }
    }

    /**
     * Takes the exclusive lock on {@code <db>.lock} next to {@code db} (created with {@code attrs}
     * if absent), or returns empty if another process (or this one) holds it.
     */
    public static Optional<Lock> lock(Path db, FileAttribute<?>... attrs) throws IOException {
        Path file = db.resolveSibling(db.getFileName() + ".lock");
        FileChannel channel = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), attrs);
        FileLock held;
        try {
            held = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            held = null;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (held == null) {
            channel.close();
            return Optional.empty();
        }
        return Optional.of(new Lock(file, channel, held));
    }

    /** A connection with {@code synchronous=FULL} and the busy timeout, in autocommit mode (transactions by hand). */
    public static Connection connect(Path db, int busyTimeoutMillis, boolean readOnly) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(readOnly);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(busyTimeoutMillis);
        Connection c = config.createConnection("jdbc:sqlite:" + db);
        c.setAutoCommit(true);
        return c;
    }

    /** Switches the file to WAL (persistent in the file) and checks the result is durable. */
    public static void useWal(Connection c) throws SQLException {
        execute(c, "PRAGMA journal_mode=WAL");
        Optional<String> problem = settings(c).problem();
        if (problem.isPresent())
            throw new SQLException(problem.get());
    }

    public static Settings settings(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            String mode = single(st, "PRAGMA journal_mode");
            int sync = Integer.parseInt(single(st, "PRAGMA synchronous"));
            int busy = Integer.parseInt(single(st, "PRAGMA busy_timeout"));
            return new Settings(mode, sync, busy);
        }
    }

    /** Column names of {@code table}, in order; empty if there is no such table. */
    public static List<String> columns(Connection c, String table) throws SQLException {
        List<String> out = new ArrayList<>();
        try (var ps = c.prepareStatement("SELECT name FROM pragma_table_info(?) ORDER BY cid")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next())
                    out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static String single(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    public static void execute(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** {@code BEGIN IMMEDIATE}: the write lock up front, so a transaction never fails half-way on a lock. */
    public static void begin(Connection c) throws SQLException {
        execute(c, "BEGIN IMMEDIATE");
    }

    public static void commit(Connection c) throws SQLException {
        execute(c, "COMMIT");
    }

    /** Rolls back after {@code cause}; a failure to do so is added to it (unless SQLite already rolled back). */
    public static void rollback(Connection c, Throwable cause) {
        try {
            execute(c, "ROLLBACK");
        } catch (SQLException e) {
            // SQLite may already have rolled back (e.g. after SQLITE_FULL): nothing left to undo.
            if (e.getMessage() == null || !e.getMessage().contains("no transaction is active"))
                cause.addSuppressed(e);
        }
    }

    /** SQLITE_BUSY or one of its extended codes: another connection holds the lock; retrying may succeed. */
    public static boolean isBusy(SQLException e) {
        return primaryCode(e) == SQLiteErrorCode.SQLITE_BUSY.code
                || e.getMessage() != null && e.getMessage().contains("SQLITE_BUSY");
    }

    /** SQLITE_CORRUPT or SQLITE_NOTADB: the file is damaged or is not an SQLite database. */
    public static boolean isCorrupt(SQLException e) {
        int code = primaryCode(e);
        return code == SQLiteErrorCode.SQLITE_CORRUPT.code || code == SQLiteErrorCode.SQLITE_NOTADB.code;
    }

    private static int primaryCode(SQLException e) {
        return e instanceof SQLiteException s ? s.getResultCode().code & 0xFF : e.getErrorCode() & 0xFF;
    }

    /** Closes in reverse order, keeping going on failure (the process is giving the file up). */
    public static void closeAll(List<? extends AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                if (resources.get(i) != null)
                    resources.get(i).close();
            } catch (Exception ignored) {
                // best effort
            }
        }
    }
}
