package re6st.registry.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteException;

/**
 * The registry database ({@code registry.db}): the original's four tables in SQLite, so that an
 * existing database opens as is (and one made here opens in the original).
 *
 * <p>Durability: WAL journal, {@code synchronous=FULL} (a commit is on disk when
 * {@link #transaction} returns), one transaction per operation. A crash at any moment leaves the
 * last committed state.
 *
 * <p>One process: {@link #open} takes an exclusive lock on {@code <db>.lock} next to the database
 * and fails if another registry holds it. Within the process, writes go through one connection,
 * one transaction at a time ({@code BEGIN IMMEDIATE}, so the write lock is taken up front and a
 * transaction never fails half-way on a lock). Reads ({@link #read}) use a second, query-only
 * connection and do not wait for writers (WAL readers see the last commit).
 *
 * <p>SQLITE_BUSY (another process, e.g. the sqlite3 shell, holding the write lock longer than
 * the busy timeout) makes the whole transaction retry, a bounded number of times. The work lambda
 * may therefore run more than once: it must not have effects outside the database before it
 * returns (compute, then send mail / answer after the commit).
 */
public final class RegistryDb implements AutoCloseable {
    public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_ATTEMPTS = 3;

    /** A transaction's body. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Transaction tx);
    }

    /** A transaction's body without result. */
    @FunctionalInterface
    public interface Action {
        void run(Transaction tx);
    }

    /** What SQLite reports for the write connection: {@code journal_mode}, {@code synchronous} (2 = FULL), {@code busy_timeout} (ms). */
    public record Settings(String journalMode, int synchronous, int busyTimeoutMillis) {
    }

    private final Path file;
    private final Path lockFile;
    private final FileChannel lockChannel;
    private final FileLock fileLock;
    private final Connection writer;
    private final Connection reader;
    private final ReentrantLock writeLock = new ReentrantLock(true);
    private final ReentrantLock readLock = new ReentrantLock(true);
    private final int attempts;
    private final long backoffMillis;
    private final AtomicLong busyRetries = new AtomicLong();
    private volatile boolean closed;

    private RegistryDb(Path file, Path lockFile, FileChannel lockChannel, FileLock fileLock, Connection writer,
            Connection reader, int attempts, long backoffMillis) {
        this.file = file;
        this.lockFile = lockFile;
        this.lockChannel = lockChannel;
        this.fileLock = fileLock;
        this.writer = writer;
        this.reader = reader;
        this.attempts = attempts;
        this.backoffMillis = backoffMillis;
    }

    public static RegistryDb open(Path file) {
        return open(file, DEFAULT_BUSY_TIMEOUT, DEFAULT_ATTEMPTS);
    }

    /**
     * Opens (creating if absent, with the single free row {@code ''} in {@code cert}) the database.
     * Existing tables must have the original's columns. {@code busyTimeout}: how long SQLite waits
     * for a lock held by another process before SQLITE_BUSY; {@code attempts}: how many times a
     * transaction is tried in all.
     */
    public static RegistryDb open(Path file, Duration busyTimeout, int attempts) {
        if (attempts < 1)
            throw new IllegalArgumentException("attempts " + attempts + " < 1");
        long timeout = busyTimeout.toMillis();
        if (timeout < 0 || timeout > Integer.MAX_VALUE)
            throw new IllegalArgumentException("busy timeout " + busyTimeout + " out of range");
        Path db = file.toAbsolutePath();
        Path lock = db.resolveSibling(db.getFileName() + ".lock");
        FileChannel channel = null;
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            if (db.getParent() != null)
                Files.createDirectories(db.getParent());
            channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            opened.add(channel);
            FileLock held;
            try {
                held = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                held = null;
            }
            if (held == null)
                throw new RegistryDbException(db + " is in use by another registry (" + lock + " is locked)", null);
            opened.add(held);
            Connection w = connect(db, (int) timeout);
            opened.add(w);
            // Check (or create) the tables before switching the file to WAL: a foreign database is left as it was.
            bootstrap(w, db);
            exec(w, "PRAGMA journal_mode=WAL", db);
            Connection r = connect(db, (int) timeout);
            opened.add(r);
            exec(r, "PRAGMA query_only=1", db);
            RegistryDb registry = new RegistryDb(db, lock, channel, held, w, r, attempts, Math.max(10, timeout / 10));
            registry.requireDurable();
            return registry;
        } catch (IOException e) {
            closeAll(opened);
            throw new RegistryDbException("cannot open " + db, e);
        } catch (RuntimeException e) {
            closeAll(opened);
            throw e;
        }
    }

    /**
     * Opens an existing database for reading only, beside a running registry (no lock taken,
     * nothing created or changed; WAL lets readers go on while the registry writes). For
     * {@code re6st registry status}. Only {@link #read} works on it.
     */
    public static RegistryDb openReadOnly(Path file) {
        Path db = file.toAbsolutePath();
        if (!Files.isRegularFile(db))
            throw new RegistryDbException(db + " does not exist", null);
        Connection r = connect(db, (int) DEFAULT_BUSY_TIMEOUT.toMillis(), true);
        try {
            exec(r, "PRAGMA query_only=1", db);
        } catch (RuntimeException e) {
            closeAll(java.util.Arrays.asList(r));
            throw e;
        }
        return new RegistryDb(db, null, null, null, r, r, 1, 10);
    }

    /** One transaction, no retry (the busy timeout applies): create missing tables, check existing ones. */
    private static void bootstrap(Connection w, Path db) {
        exec(w, "BEGIN IMMEDIATE", db);
        Transaction tx = new Transaction(w, true, db.toString());
        try {
            Schema.ensure(tx);
            exec(w, "COMMIT", db);
        } catch (RuntimeException e) {
            rollback(w, e);
            throw e;
        } finally {
            tx.end();
        }
    }

    private static Connection connect(Path db, int busyTimeoutMillis) {
        return connect(db, busyTimeoutMillis, false);
    }

    private static Connection connect(Path db, int busyTimeoutMillis, boolean readOnly) {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(readOnly);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(busyTimeoutMillis);
        try {
            Connection c = config.createConnection("jdbc:sqlite:" + db);
            c.setAutoCommit(true); // transactions are begun and ended by hand, see run()
            return c;
        } catch (SQLException e) {
            throw failure(db.toString(), "open", e);
        }
    }

    /** Refuses to run with anything weaker than WAL + synchronous FULL (e.g. a file system without WAL support). */
    private void requireDurable() {
        Settings s = settings();
        if (!"wal".equalsIgnoreCase(s.journalMode()) || s.synchronous() != 2)
            throw new RegistryDbException(file + ": journal_mode=" + s.journalMode() + " synchronous=" + s.synchronous()
                    + ", need wal and 2 (FULL)", null);
    }

    /** The durability settings in effect on the write connection, read back from SQLite. */
    public Settings settings() {
        ensureOpen();
        writeLock.lock();
        try (Statement st = writer.createStatement()) {
            String mode = single(st, "PRAGMA journal_mode");
            int sync = Integer.parseInt(single(st, "PRAGMA synchronous"));
            int busy = Integer.parseInt(single(st, "PRAGMA busy_timeout"));
            return new Settings(mode, sync, busy);
        } catch (SQLException e) {
            throw failure(file.toString(), "PRAGMA", e);
        } finally {
            writeLock.unlock();
        }
    }

    private static String single(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    public Path file() {
        return file;
    }

    /** How many times a transaction was retried after SQLITE_BUSY since open (for metrics). */
    public long busyRetries() {
        return busyRetries.get();
    }

    /**
     * Runs {@code work} in one write transaction ({@code BEGIN IMMEDIATE} ... {@code COMMIT}) and
     * returns its result once committed durably. Any exception rolls everything back and is
     * rethrown. Not reentrant: pass the Transaction down instead of nesting.
     */
    public <T> T transaction(Work<T> work) {
        return run(writer, writeLock, "BEGIN IMMEDIATE", true, work);
    }

    /** {@link #transaction} without a result. */
    public void inTransaction(Action action) {
        transaction(tx -> {
            action.run(tx);
            return null;
        });
    }

    /** Runs {@code work} in a read-only transaction: a consistent snapshot, concurrent with writes. */
    public <T> T read(Work<T> work) {
        return run(reader, readLock, "BEGIN", false, work);
    }

    private <T> T run(Connection c, ReentrantLock lock, String begin, boolean writable, Work<T> work) {
        if (lock.isHeldByCurrentThread())
            throw new IllegalStateException("nested transaction on " + file + ": pass the Transaction down instead");
        for (int attempt = 1; ; attempt++) {
            ensureOpen();
            lock.lock();
            try {
                ensureOpen(); // close() may have run while this thread waited
                exec(c, begin, file);
                Transaction tx = new Transaction(c, writable, file.toString());
                T result;
                try {
                    result = work.run(tx);
                    exec(c, "COMMIT", file);
                } catch (Throwable t) {
                    rollback(c, t);
                    throw t;
                } finally {
                    tx.end();
                }
                return result;
            } catch (RegistryDbException e) {
                if (!e.busy() || attempt >= attempts)
                    throw e.busy() ? new RegistryDbException(file + " stayed locked by another process through "
                            + attempts + " attempts", e, true) : e;
            } finally {
                lock.unlock();
            }
            busyRetries.incrementAndGet();
            sleep(backoffMillis * attempt);
        }
    }

    private static void rollback(Connection c, Throwable cause) {
        try (Statement st = c.createStatement()) {
            st.execute("ROLLBACK");
        } catch (SQLException e) {
            // SQLite may already have rolled back (e.g. after SQLITE_FULL): nothing left to undo.
            if (e.getMessage() == null || !e.getMessage().contains("no transaction is active"))
                cause.addSuppressed(e);
        }
    }

    private static void exec(Connection c, String sql, Object where) {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw failure(where.toString(), sql, e);
        }
    }

    static RegistryDbException failure(String where, String sql, SQLException e) {
        return new RegistryDbException(where + ": " + sql, e, isBusy(e));
    }

    private static boolean isBusy(SQLException e) {
        if (e instanceof SQLiteException s)
            return (s.getResultCode().code & 0xFF) == 5; // SQLITE_BUSY and its extended codes
        return e.getMessage() != null && e.getMessage().contains("SQLITE_BUSY");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryDbException("interrupted while waiting for the database lock", e);
        }
    }

    private void ensureOpen() {
        if (closed)
            throw new IllegalStateException(file + " is closed");
    }

    @Override
    public void close() {
        if (closed)
            return;
        closed = true;
        writeLock.lock();
        readLock.lock();
        try {
            closeAll(java.util.Arrays.asList(lockChannel, fileLock, writer, reader == writer ? null : reader));
        } finally {
            readLock.unlock();
            writeLock.unlock();
        }
    }

    /** Closes in reverse order, keeping going on failure. */
    private static void closeAll(List<AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                if (resources.get(i) != null)
                    resources.get(i).close();
            } catch (Exception ignored) {
                // best effort: the process is giving the database up
            }
        }
    }

    @Override
    public String toString() {
        return "RegistryDb[" + file + ", lock " + lockFile + "]";
    }
}
