package re6st.node.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import re6st.cli.CommandFailure;
import re6st.sqlite.DurableSqlite;

class NodeCacheTest {
    @TempDir
    Path state;

    final List<LogRecord> logged = new ArrayList<>();
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            synchronized (logged) {
                logged.add(r);
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeEach
    void captureLog() {
        Logger.getLogger("re6st.node.cache").addHandler(capture);
    }

    @AfterEach
    void releaseLog() {
        Logger.getLogger("re6st.node.cache").removeHandler(capture);
    }

    static String prefix(int i) {
        return String.format("%16s", Integer.toBinaryString(i)).replace(' ', '0');
    }

    static String address(int i) {
        return "198.18.0." + (i % 250 + 1) + ",1194,udp;198.18.0." + (i % 250 + 1) + ",1194,tcp";
    }

    static List<String> prefixes(PeerCache c) {
        return c.entries().stream().map(PeerCache.Entry::prefix).toList();
    }

    static Connection raw(Path file) throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + file);
    }

    /** The first column of what {@code sql} selects in {@code file}, read beside the cache (WAL lets it). */
    static List<String> rows(Path file, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = DurableSqlite.connect(file, 1000, true); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next())
                out.add(rs.getString(1));
        }
        return out;
    }

    @Test
    void peersAndConfigSurviveCloseAndReopenNewestFirst() {
        StoredConfig config = new StoredConfig(new byte[] {0x78, 1, 2, 3}, Instant.ofEpochMilli(1_700_000_000_123L));
        try (NodeCache cache = NodeCache.open(state)) {
            assertEquals(Optional.empty(), cache.networkConfig());
            cache.put(prefix(1), address(1));
            cache.put(prefix(2), address(2));
            cache.put(prefix(3), address(3));
            cache.connected(prefix(1)); // back to the front
            cache.put(prefix(2), "198.18.9.9,1194,tcp"); // a fresh address: front, replaced
            assertTrue(cache.saveNetworkConfig(config));
            assertEquals(List.of(prefix(2), prefix(1), prefix(3)), prefixes(cache));
        }
        try (NodeCache cache = NodeCache.open(state)) {
            assertEquals(List.of(new PeerCache.Entry(prefix(2), "198.18.9.9,1194,tcp", false),
                    new PeerCache.Entry(prefix(1), address(1), false), new PeerCache.Entry(prefix(3), address(3), false)),
                    cache.entries());
            assertEquals(Optional.of(config), cache.networkConfig());
            assertArrayEquals(new byte[] {0x78, 1, 2, 3}, cache.networkConfig().get().body());
            cache.remove(prefix(1));
        }
        try (NodeCache cache = NodeCache.open(state)) {
            assertEquals(List.of(prefix(2), prefix(3)), prefixes(cache));
            assertEquals(Optional.empty(), cache.address(prefix(1)));
            assertEquals(0, cache.writeFailures());
        }
    }

    @Test
    void theBlacklistIsInMemoryOnly() {
        try (NodeCache cache = NodeCache.open(state)) {
            cache.put(prefix(1), address(1));
            cache.put(prefix(2), address(2));
            cache.put(prefix(3), address(3));
            cache.attempting(prefix(1));
            cache.attempting(prefix(2));
            cache.attempting(prefix(9)); // not cached: nothing to blacklist
            assertEquals(List.of(new PeerCache.Entry(prefix(3), address(3), false), new PeerCache.Entry(prefix(2), address(2), true),
                    new PeerCache.Entry(prefix(1), address(1), true)), cache.entries());
            assertEquals(Optional.of(address(1)), cache.address(prefix(1)), "a blacklisted address is still known");
            cache.connected(prefix(2)); // cleared, and the newest
            assertEquals(List.of(new PeerCache.Entry(prefix(2), address(2), false), new PeerCache.Entry(prefix(3), address(3), false),
                    new PeerCache.Entry(prefix(1), address(1), true)), cache.entries());
        }
        try (NodeCache cache = NodeCache.open(state)) {
            assertTrue(cache.entries().stream().noneMatch(PeerCache.Entry::blacklisted), "a restart forgets the blacklist");
            assertEquals(List.of(prefix(2), prefix(3), prefix(1)), prefixes(cache));
        }
    }

    @Test
    void whenFullBlacklistedEntriesGoFirstThenTheOldest() throws Exception {
        try (NodeCache cache = NodeCache.open(state)) {
            for (int i = 0; i < PeerCache.MAX_PEERS; i++)
                cache.put(prefix(i), address(i));
            cache.attempting(prefix(150));
            cache.attempting(prefix(10));
            cache.put(prefix(1000), address(1000));
            assertEquals(PeerCache.MAX_PEERS, cache.entries().size());
            assertEquals(Optional.empty(), cache.address(prefix(10)), "the oldest blacklisted entry goes first");
            assertTrue(cache.address(prefix(0)).isPresent());
            cache.put(prefix(1001), address(1001));
            assertEquals(Optional.empty(), cache.address(prefix(150)), "then the other blacklisted one");
            assertTrue(cache.address(prefix(0)).isPresent());
            cache.put(prefix(1002), address(1002));
            assertEquals(Optional.empty(), cache.address(prefix(0)), "then the oldest");
            assertEquals(List.of(prefix(1002), prefix(1001), prefix(1000), prefix(199)), prefixes(cache).subList(0, 4));
            assertEquals(prefix(1), prefixes(cache).get(PeerCache.MAX_PEERS - 1));
        }
        try (NodeCache cache = NodeCache.open(state)) {
            assertEquals(PeerCache.MAX_PEERS, cache.entries().size());
            assertEquals(List.of(String.valueOf(PeerCache.MAX_PEERS)), rows(state.resolve("cache.db"), "SELECT count(*) FROM peer"));
            assertEquals(prefix(1002), cache.entries().get(0).prefix());
        }
    }

    @Test
    void shrinkKeepsTheNewestThatAreNotBlacklisted() {
        try (NodeCache cache = NodeCache.open(state)) {
            for (int i = 1; i <= 5; i++)
                cache.put(prefix(i), address(i));
            cache.attempting(prefix(5));
            cache.shrink(2);
            assertEquals(List.of(prefix(4), prefix(3)), prefixes(cache));
        }
        try (NodeCache cache = NodeCache.open(state)) {
            assertEquals(List.of(prefix(4), prefix(3)), prefixes(cache));
            cache.shrink(0);
        }
        try (NodeCache cache = NodeCache.open(state)) {
            assertEquals(List.of(), cache.entries());
        }
    }

    @Test
    void aFullDiskIsCountedAndLosesNothing() throws Exception {
        Path file = state.resolve("cache.db");
        try (NodeCache cache = NodeCache.open(state)) {
            cache.put(prefix(1), address(1));
            int pages;
            try (Statement st = cache.connection().createStatement(); ResultSet rs = st.executeQuery("PRAGMA page_count")) {
                rs.next();
                pages = rs.getInt(1);
            }
            DurableSqlite.execute(cache.connection(), "PRAGMA max_page_count=" + pages); // SQLITE_FULL beyond this size
            String big = "198.18.0.1,1194,udp;".repeat(400) + "198.18.0.1,1194,tcp";
            for (int i = 2; i <= 20; i++)
                cache.put(prefix(i), big);
            assertTrue(cache.writeFailures() > 0, "writes beyond the limit fail");
            assertFalse(cache.stored());
            assertEquals(20, cache.entries().size(), "memory keeps every change");
            assertTrue(logged.stream().anyMatch(r -> r.getMessage().contains(file + ": could not store peer")
                    && r.getMessage().contains("failed writes so far")), "a clear log line: " + logged);
            List<String> onDisk = rows(file, "SELECT prefix FROM peer");
            assertTrue(onDisk.contains(prefix(1)), "the previous state is still on disk: " + onDisk);
            assertTrue(onDisk.size() < 20, "the failed changes are not half-written: " + onDisk.size());
            long failures = cache.writeFailures();
            DurableSqlite.execute(cache.connection(), "PRAGMA max_page_count=1073741823"); // space again
            cache.put(prefix(21), address(21));
            assertEquals(failures, cache.writeFailures());
            assertTrue(cache.stored(), "the next change wrote everything");
        }
        try (NodeCache cache = NodeCache.open(state)) {
            assertEquals(21, cache.entries().size());
            assertEquals(prefix(21), cache.entries().get(0).prefix());
            assertEquals(prefix(1), cache.entries().get(20).prefix());
        }
    }

    @Test
    void aClosedConnectionIsCountedAndTheCacheKeepsWorking() throws Exception {
        try (NodeCache cache = NodeCache.open(state)) {
            cache.put(prefix(1), address(1));
            cache.connection().close();
            cache.put(prefix(2), address(2));
            cache.connected(prefix(1));
            cache.remove(prefix(2));
            assertTrue(cache.saveNetworkConfig(new StoredConfig(new byte[] {1}, Instant.EPOCH)) == false);
            assertEquals(4, cache.writeFailures());
            assertEquals(List.of(prefix(1)), prefixes(cache));
            assertEquals(Optional.of(new StoredConfig(new byte[] {1}, Instant.EPOCH)), cache.networkConfig());
        }
    }

    @Test
    void aDamagedFileIsMovedAsideAndTheCacheStartsEmpty() throws Exception {
        Path file = state.resolve("cache.db");
        byte[] junk = "this is not an SQLite database, but somebody's bytes".repeat(100).getBytes(StandardCharsets.US_ASCII);
        Files.write(file, junk);
        try (NodeCache cache = NodeCache.open(state)) {
            Path aside = cache.movedAside().orElseThrow(() -> new AssertionError("not moved aside"));
            assertTrue(aside.getFileName().toString().startsWith("cache.db.corrupt-"), aside.toString());
            assertArrayEquals(junk, Files.readAllBytes(aside), "nothing lost: the damaged file is kept");
            assertEquals(List.of(), cache.entries());
            assertTrue(logged.stream().anyMatch(r -> r.getMessage().contains(file + " is damaged")
                    && r.getMessage().contains("moved to " + aside)), "a warning names both files: " + logged);
            cache.put(prefix(1), address(1));
        }
        try (NodeCache cache = NodeCache.open(state)) {
            assertEquals(List.of(prefix(1)), prefixes(cache));
            assertEquals(Optional.empty(), cache.movedAside());
        }
    }

    @Test
    void aFileThatCannotBeOpenedIsAClearError() throws Exception {
        Files.createDirectories(state.resolve("cache.db")); // a directory where the file should be
        CommandFailure f = assertThrows(CommandFailure.class, () -> NodeCache.open(state));
        System.out.println("error: " + f.getMessage());
        assertTrue(f.getMessage().startsWith(state.resolve("cache.db") + ": cannot open the node cache: "), f.getMessage());
        assertEquals(CommandFailure.FAILED, f.exitCode());
    }

    @Test
    void aFileWithOtherTablesIsRefusedAndLeftAlone() throws Exception {
        Path file = state.resolve("cache.db");
        try (Connection c = raw(file); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE peer (name TEXT, age INTEGER)");
        }
        CommandFailure f = assertThrows(CommandFailure.class, () -> NodeCache.open(state));
        assertTrue(f.getMessage().contains(file + ": table peer has columns [name, age]"), f.getMessage());
        assertEquals(List.of("peer"), rows(file, "SELECT name FROM sqlite_master WHERE type='table'"));
    }

    @Test
    void aSecondNodeOnTheSameStateIsRefused() {
        try (NodeCache first = NodeCache.open(state)) {
            CommandFailure f = assertThrows(CommandFailure.class, () -> NodeCache.open(state));
            assertTrue(f.getMessage().contains("is in use by another re6st node"), f.getMessage());
            first.put(prefix(1), address(1));
        }
        try (NodeCache again = NodeCache.open(state)) {
            assertEquals(List.of(prefix(1)), prefixes(again));
        }
    }

    @Test
    void theOriginalsCacheIsReused() throws Exception {
        Path file = state.resolve("cache.db");
        try (Connection c = raw(file); Statement st = c.createStatement()) { // as the original re6stnet leaves it
            st.execute("CREATE TABLE peer (\n  prefix TEXT PRIMARY KEY NOT NULL,\n  address TEXT NOT NULL)");
            st.execute("CREATE TABLE config (\n  name TEXT PRIMARY KEY NOT NULL,\n  value)");
            st.execute("INSERT INTO peer VALUES ('', '203.0.113.7,1194,tcp')"); // its own address
            st.execute("INSERT INTO peer VALUES ('" + prefix(5) + "', '" + address(5) + "')");
            st.execute("INSERT INTO peer VALUES ('" + prefix(6) + "', '" + address(6) + "')");
            st.execute("INSERT INTO config VALUES ('hello', 15)");
        }
        try (NodeCache cache = NodeCache.open(state)) {
            assertEquals(List.of(prefix(6), prefix(5)), prefixes(cache), "its peers, without its own address");
            assertEquals(Optional.empty(), cache.networkConfig(), "its decoded config is not ours: fetched again");
            cache.shrink(0);
            cache.saveNetworkConfig(new StoredConfig(new byte[] {9}, Instant.EPOCH));
        }
        assertEquals(List.of("203.0.113.7,1194,tcp"), rows(file, "SELECT address FROM peer"), "its own address is kept");
        assertEquals(List.of("15"), rows(file, "SELECT value FROM config WHERE name='hello'"));
        assertEquals(List.of("CREATE TABLE peer (\n  prefix TEXT PRIMARY KEY NOT NULL,\n  address TEXT NOT NULL)",
                "CREATE TABLE config (\n  name TEXT PRIMARY KEY NOT NULL,\n  value)"),
                rows(file, "SELECT sql FROM sqlite_master WHERE type='table' ORDER BY rowid"), "the original's schema, unchanged");
    }

    @Test
    void theFilesArePrivateAndDurable() throws Exception {
        try (NodeCache cache = NodeCache.open(state.resolve("sub"))) {
            cache.put(prefix(1), address(1));
            for (String name : List.of("cache.db", "cache.db-wal", "cache.db-shm", "cache.db.lock"))
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve("sub").resolve(name))),
                        name);
            DurableSqlite.Settings s = DurableSqlite.settings(cache.connection());
            assertEquals("wal", s.journalMode());
            assertEquals(2, s.synchronous(), "synchronous=FULL");
        }
    }

    @Test
    void badArgumentsAreRefusedBeforeAnyChange() {
        try (NodeCache cache = NodeCache.open(state)) {
            assertThrows(IllegalArgumentException.class, () -> cache.put("", address(1)));
            assertThrows(IllegalArgumentException.class, () -> cache.put("012", address(1)));
            assertThrows(IllegalArgumentException.class, () -> cache.put(prefix(1), ""));
            assertThrows(IllegalArgumentException.class, () -> cache.shrink(-1));
            assertEquals(List.of(), cache.entries());
            assertEquals(0, cache.writeFailures());
        }
    }
}
