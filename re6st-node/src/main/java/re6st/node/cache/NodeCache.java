package re6st.node.cache;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import re6st.cli.CommandFailure;
import re6st.cli.Failures;
import re6st.sqlite.DurableSqlite;
import re6st.sqlite.OriginalTable;

/**
 * The node's durable cache, {@code cache.db} in the state directory (as the original re6stnet):
 * the network configuration as last verified ({@link StoredConfig}) and the peer cache
 * ({@link PeerCache}). SQLite, WAL, synchronous FULL, one transaction per change, file mode 0600,
 * one process per file ({@code cache.db.lock}).
 *
 * <p>Same tables as the original ({@code peer(prefix, address)}, {@code config(name, value)}), so an
 * upgraded node keeps its peers. The age order is the peer row's rowid (the newest has the
 * largest), which needs no extra column. The original's own-address row (prefix {@code ''}) and its
 * decoded config rows are left as they are; our config is two rows of its own,
 * {@code network_config} (the raw body) and {@code network_config_fetched} (epoch milliseconds).
 *
 * <p>Nothing lost: memory is the truth while the node runs. A write that fails (disk full, I/O
 * error, read-only file, closed connection) is logged and counted ({@link #writeFailures}), the
 * transaction rolls back (the file keeps its previous state) and the next change rewrites the
 * whole cache from memory. No storage failure leaves a PeerCache method as an exception.
 *
 * <p>At open, a damaged file (SQLite: corrupt, or not a database) is moved aside, with its -wal and
 * -shm, to {@code cache.db.corrupt-<epoch seconds>} and the cache starts empty with a warning, as
 * the original (it renames to {@code .bak}): the node must start, and the cache is refilled from
 * the registry and the peers. A file that cannot be opened (permissions, a directory in the way,
 * another node holding it) or whose tables are not a cache's is a {@link CommandFailure} naming it.
 */
public final class NodeCache implements PeerCache, AutoCloseable {
    public static final String FILE_NAME = "cache.db";
    static final String CONFIG_BODY = "network_config";
    static final String CONFIG_FETCHED = "network_config_fetched";
    static final List<OriginalTable> TABLES = List.of(
            OriginalTable.of("peer", "prefix TEXT PRIMARY KEY NOT NULL", "address TEXT NOT NULL"),
            OriginalTable.of("config", "name TEXT PRIMARY KEY NOT NULL", "value"));
    private static final int BUSY_TIMEOUT_MILLIS = 5000;
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
    private static final System.Logger LOG = System.getLogger("re6st.node.cache");

    private interface SqlWork {
        void run(Connection c) throws SQLException;
    }

    private final Path file;
    private final DurableSqlite.Lock lock;
    private final Connection connection;
    private final Path movedAside;
    private final PeerList peers = new PeerList();
    private StoredConfig config;
    private boolean unsaved;
    private long writeFailures;
    private boolean closing;
    private boolean closed;

    private NodeCache(Path file, DurableSqlite.Lock lock, Connection connection, Path movedAside) {
        this.file = file;
        this.lock = lock;
        this.connection = connection;
        this.movedAside = movedAside;
    }

    /** Opens (creating if needed) {@code <stateDir>/cache.db}; see the class comment for what a bad file does. */
    public static NodeCache open(Path stateDir) {
        Path file = stateDir.toAbsolutePath().resolve(FILE_NAME);
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            Files.createDirectories(file.getParent());
            DurableSqlite.Lock lock = DurableSqlite.lock(file, PosixFilePermissions.asFileAttribute(PRIVATE))
                    .orElseThrow(() -> CommandFailure.failed(file + " is in use by another re6st node (" + file + ".lock is locked): "
                            + "stop it, or give this one another --state"));
            opened.add(lock);
            Path movedAside = null;
            Connection c;
            try {
                c = connect(file);
            } catch (SQLException e) {
                if (!DurableSqlite.isCorrupt(e))
                    throw e;
                movedAside = moveAside(file, e);
                c = connect(file);
            }
            opened.add(c);
            NodeCache cache = new NodeCache(file, lock, c, movedAside);
            cache.load();
            return cache;
        } catch (SQLException e) {
            DurableSqlite.closeAll(opened);
            throw CommandFailure.failed(file + ": cannot open the node cache: " + Failures.explain(e));
        } catch (IOException e) {
            DurableSqlite.closeAll(opened);
            throw CommandFailure.failed("cannot open the node cache " + file, e);
        } catch (RuntimeException e) {
            DurableSqlite.closeAll(opened);
            throw e;
        }
    }

    /** A connection to a private (0600) file whose tables are checked or created, in WAL mode. */
    private static Connection connect(Path file) throws IOException, SQLException {
        if (!Files.exists(file))
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PRIVATE));
        else if (Files.isRegularFile(file) && !Files.getPosixFilePermissions(file).equals(PRIVATE))
            Files.setPosixFilePermissions(file, PRIVATE);
        Connection c = DurableSqlite.connect(file, BUSY_TIMEOUT_MILLIS, false);
        try {
            DurableSqlite.begin(c);
            try {
                for (OriginalTable t : TABLES) {
                    List<String> found = DurableSqlite.columns(c, t.name());
                    if (found.isEmpty())
                        DurableSqlite.execute(c, t.ddl());
                    else if (!t.matches(found))
                        throw CommandFailure.failed(file + ": table " + t.name() + " has columns " + found + ", expected "
                                + t.columns() + " (not a re6st node cache: move it away)");
                }
                DurableSqlite.commit(c);
            } catch (SQLException | RuntimeException e) {
                DurableSqlite.rollback(c, e);
                throw e;
            }
            DurableSqlite.useWal(c);
            return c;
        } catch (SQLException | RuntimeException e) {
            DurableSqlite.closeAll(List.of(c));
            throw e;
        }
    }

    private static Path moveAside(Path file, SQLException why) throws IOException {
        Path aside = file.resolveSibling(FILE_NAME + ".corrupt-" + Instant.now().getEpochSecond());
        for (String suffix : List.of("-wal", "-shm")) { // a stale WAL must not be replayed into the new file
            Path f = file.resolveSibling(FILE_NAME + suffix);
            if (Files.exists(f))
                Files.move(f, aside.resolveSibling(aside.getFileName() + suffix), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
        LOG.log(Level.WARNING, file + " is damaged (" + Failures.explain(why) + "): moved to " + aside
                + "; starting with an empty cache (the network config and peers are fetched again)");
        return aside;
    }

    private void load() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT prefix, address FROM peer WHERE prefix != '' ORDER BY rowid");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next())
                peers.put(rs.getString(1), rs.getString(2), Integer.MAX_VALUE);
        }
        byte[] body = null;
        Long fetched = null;
        try (PreparedStatement ps = connection.prepareStatement("SELECT name, value FROM config WHERE name IN (?, ?)")) {
            ps.setString(1, CONFIG_BODY);
            ps.setString(2, CONFIG_FETCHED);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getString(1).equals(CONFIG_BODY))
                        body = rs.getBytes(2);
                    else
                        fetched = rs.getLong(2);
                }
            }
        }
        if (body != null && body.length > 0 && fetched != null)
            config = new StoredConfig(body, Instant.ofEpochMilli(fetched));
        List<String> over = peers.trim(MAX_PEERS);
        if (!over.isEmpty())
            write("the trimming of " + over.size() + " peers beyond " + MAX_PEERS, c -> delete(c, over));
    }

    public Path file() {
        return file;
    }

    /** Where a damaged file found at open was moved, if one was. */
    public Optional<Path> movedAside() {
        return Optional.ofNullable(movedAside);
    }

    /** How many writes failed since open (each logged; the cache stayed in memory). */
    public synchronized long writeFailures() {
        return writeFailures;
    }

    /** Whether the file holds everything in memory (false after a failed write, until one succeeds). */
    public synchronized boolean stored() {
        return !unsaved;
    }

    // ---------------------------------------------------------------- network config

    /** The network config as last saved, if any (verify its version before use). */
    public synchronized Optional<StoredConfig> networkConfig() {
        return Optional.ofNullable(config);
    }

    /** Keeps a freshly verified config; true if it is on disk, false if only in memory (logged, counted). */
    public synchronized boolean saveNetworkConfig(StoredConfig fresh) {
        if (fresh == null)
            throw new IllegalArgumentException("no network config");
        config = fresh;
        return write("the network config", this::writeConfig);
    }

    private void writeConfig(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT OR REPLACE INTO config VALUES (?, ?)")) {
            ps.setString(1, CONFIG_BODY);
            ps.setBytes(2, config.body());
            ps.executeUpdate();
            ps.setString(1, CONFIG_FETCHED);
            ps.setLong(2, config.fetched().toEpochMilli());
            ps.executeUpdate();
        }
    }

    // ---------------------------------------------------------------- PeerCache

    @Override
    public synchronized List<Entry> entries() {
        return peers.newestFirst();
    }

    @Override
    public synchronized Optional<String> address(String prefix) {
        return peers.address(prefix);
    }

    @Override
    public synchronized void put(String prefix, String address) {
        checkPrefix(prefix);
        if (address == null || address.isEmpty())
            throw new IllegalArgumentException("empty address for peer " + prefix);
        List<String> evicted = peers.put(prefix, address, MAX_PEERS);
        write("peer " + prefix, c -> {
            delete(c, evicted);
            delete(c, List.of(prefix));
            insertNewest(c, prefix, address);
        });
    }

    @Override
    public synchronized void attempting(String prefix) {
        peers.attempting(prefix); // the blacklist is not stored
    }

    @Override
    public synchronized void connected(String prefix) {
        if (peers.connected(prefix))
            write("peer " + prefix, c -> update(c, "UPDATE peer SET rowid = (SELECT max(rowid) + 1 FROM peer) WHERE prefix = ?", prefix));
    }

    @Override
    public synchronized void remove(String prefix) {
        if (peers.remove(prefix))
            write("the removal of peer " + prefix, c -> delete(c, List.of(prefix)));
    }

    @Override
    public synchronized void shrink(int keep) {
        if (keep < 0)
            throw new IllegalArgumentException("keep " + keep + " < 0");
        List<String> dropped = peers.shrink(keep);
        if (!dropped.isEmpty() || unsaved)
            write("the shrinking to " + keep + " peers", c -> delete(c, dropped));
    }

    private static void checkPrefix(String prefix) {
        if (prefix == null || !prefix.matches("[01]{1,128}"))
            throw new IllegalArgumentException("peer prefix '" + prefix + "' is not 1 to 128 binary digits");
    }

    // ---------------------------------------------------------------- storage

    /**
     * One transaction: {@code work}, or, after a failed write, the whole cache from memory (which
     * includes what {@code work} would write). On failure: rolled back, logged, counted, retried
     * as a whole at the next change.
     */
    private boolean write(String what, SqlWork work) {
        if (closed)
            throw new IllegalStateException(file + " is closed");
        try {
            DurableSqlite.begin(connection);
            try {
                if (unsaved)
                    rewrite(connection);
                else
                    work.run(connection);
                DurableSqlite.commit(connection);
            } catch (SQLException | RuntimeException e) {
                DurableSqlite.rollback(connection, e);
                throw e;
            }
            if (unsaved)
                LOG.log(Level.INFO, file + ": stored again after " + writeFailures + " failed writes");
            unsaved = false;
            return true;
        } catch (SQLException e) {
            writeFailures++;
            unsaved = true;
            LOG.log(Level.WARNING, file + ": could not store " + what + ": " + Failures.explain(e) + " (" + (closing
                    ? "the file keeps the state of the last successful write" : "kept in memory, written with the next change")
                    + "; " + writeFailures + " failed writes so far)");
            return false;
        }
    }

    private void rewrite(Connection c) throws SQLException {
        update(c, "DELETE FROM peer WHERE prefix != ''");
        for (Map.Entry<String, String> e : peers.inAgeOrder().entrySet())
            insertNewest(c, e.getKey(), e.getValue());
        if (config != null)
            writeConfig(c);
    }

    private static void insertNewest(Connection c, String prefix, String address) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO peer (rowid, prefix, address) VALUES ((SELECT coalesce(max(rowid), 0) + 1 FROM peer), ?, ?)")) {
            ps.setString(1, prefix);
            ps.setString(2, address);
            ps.executeUpdate();
        }
    }

    private static void delete(Connection c, List<String> prefixes) throws SQLException {
        for (String p : prefixes)
            update(c, "DELETE FROM peer WHERE prefix = ?", p);
    }

    private static void update(Connection c, String sql, String... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++)
                ps.setString(i + 1, args[i]);
            ps.executeUpdate();
        }
    }

    /** For tests: the connection, to limit the file's size (a full disk) or close it under the cache. */
    Connection connection() {
        return connection;
    }

    /** Closes the file (a last attempt to store what a failed write left in memory first). */
    @Override
    public synchronized void close() {
        if (closed)
            return;
        closing = true;
        if (unsaved)
            write("the cache at close", c -> {});
        closed = true;
        DurableSqlite.closeAll(java.util.Arrays.asList(lock, connection));
    }

    @Override
    public String toString() {
        return "NodeCache[" + file + "]";
    }
}
