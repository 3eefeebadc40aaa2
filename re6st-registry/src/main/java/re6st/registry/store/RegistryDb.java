package re6st.registry.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import re6st.sqlite.DurableSqlite;

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

    private final Path file;
    private final DurableSqlite.Lock lock;
    private final Connection writer;
    private final Connection reader;
    private final ReentrantLock writeLock = new ReentrantLock(true);
    private final ReentrantLock readLock = new ReentrantLock(true);
    private final int attempts;
    private final long backoffMillis;
    private final AtomicLong busyRetries = new AtomicLong();
    private volatile boolean closed;

    private RegistryDb(Path file, DurableSqlite.Lock lock, Connection writer, Connection reader, int attempts, long backoffMillis) {
        this.file = file;
        this.lock = lock;
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
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            if (db.getParent() != null)
                Files.createDirectories(db.getParent());
            DurableSqlite.Lock held = DurableSqlite.lock(db).orElseThrow(() ->
                    new RegistryDbException(db + " is in use by another registry (" + lock + " is locked)", null));
            opened.add(held);
            Connection w = connect(db, (int) timeout);
            opened.add(w);
            // Check (or create) the tables before switching the file to WAL: a foreign database is left as it was.
            bootstrap(w, db);
            try {
                DurableSqlite.useWal(w);
            } catch (SQLException e) {
                throw new RegistryDbException(db + ": " + e.getMessage(), null);
            }
            Connection r = connect(db, (int) timeout);
            opened.add(r);
            exec(r, "PRAGMA query_only=1", db);
            return new RegistryDb(db, held, w, r, attempts, Math.max(10, timeout / 10));
        } catch (IOException e) {
            DurableSqlite.closeAll(opened);
            throw new RegistryDbException("cannot open " + db, e);
        } catch (RuntimeException e) {
            DurableSqlite.closeAll(opened);
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
            DurableSqlite.closeAll(List.of(r));
            throw e;
        }
        return new RegistryDb(db, null, r, r, 1, 10);
    }

    /** One transaction, no retry (the busy timeout applies): create missing tables, check existing ones. */
    private static void bootstrap(Connection w, Path db) {
        exec(w, "BEGIN IMMEDIATE", db);
        Transaction tx = new Transaction(w, true, db.toString());
        try {
            Schema.ensure(tx);
            exec(w, "COMMIT", db);
        } catch (RuntimeException e) {
            DurableSqlite.rollback(w, e);
            throw e;
        } finally {
            tx.end();
        }
    }

    private static Connection connect(Path db, int busyTimeoutMillis) {
        return connect(db, busyTimeoutMillis, false);
    }

    private static Connection connect(Path db, int busyTimeoutMillis, boolean readOnly) {
        try {
            return DurableSqlite.connect(db, busyTimeoutMillis, readOnly);
        } catch (SQLException e) {
            throw failure(db.toString(), "open", e);
        }
    }

    /** The durability settings in effect on the write connection, read back from SQLite. */
    public DurableSqlite.Settings settings() {
        ensureOpen();
        writeLock.lock();
        try {
            return DurableSqlite.settings(writer);
        } catch (SQLException e) {
            throw failure(file.toString(), "PRAGMA", e);
        } finally {
            writeLock.unlock();
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
                    DurableSqlite.rollback(c, t);
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

    private static void exec(Connection c, String sql, Object where) {
        try {
            DurableSqlite.execute(c, sql);
        } catch (SQLException e) {
            throw failure(where.toString(), sql, e);
        }
    }

    static RegistryDbException failure(String where, String sql, SQLException e) {
        return new RegistryDbException(where + ": " + sql, e, DurableSqlite.isBusy(e));
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
            DurableSqlite.closeAll(java.util.Arrays.asList(lock, writer, reader == writer ? null : reader));
        } finally {
            readLock.unlock();
            writeLock.unlock();
        }
    }

    @Override
    public String toString() {
        return "RegistryDb[" + file + (lock != null ? ", lock " + lock.file() : "") + "]";
    }
}
