package re6st.registry.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import re6st.registry.Poll;

class RegistryDbTest {
    @TempDir
    Path dir;

    /** The DDL the original's utils.sqliteCreateTable writes, character for character. */
    static final List<String> ORIGINAL_DDL = List.of(
            "CREATE TABLE config (\n  name TEXT PRIMARY KEY NOT NULL,\n  value)",
            "CREATE TABLE token (\n  token TEXT PRIMARY KEY NOT NULL,\n  email TEXT NOT NULL,\n  prefix_len INTEGER NOT NULL,\n  date INTEGER NOT NULL)",
            "CREATE TABLE cert (\n  prefix TEXT PRIMARY KEY NOT NULL,\n  email TEXT,\n  cert TEXT)",
            "CREATE TABLE crl (\n  serial INTEGER PRIMARY KEY NOT NULL,\n  date INTEGER NOT NULL)");

    static Connection raw(Path file) throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + file);
    }

    static List<String> column(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next())
                out.add(rs.getString(1));
        }
        return out;
    }

    @Test
    void freshDatabaseHasTheOriginalTablesAndOneFreeRoot() throws Exception {
        Path file = dir.resolve("sub/registry.db");
        try (RegistryDb db = RegistryDb.open(file)) {
            assertEquals(List.of(new CertRow("", null, null)), db.read(Transaction::certs));
        }
        try (Connection c = raw(file)) {
            assertEquals(ORIGINAL_DDL, column(c, "SELECT sql FROM sqlite_master WHERE type='table' ORDER BY rowid"));
            assertEquals(List.of("wal"), column(c, "PRAGMA journal_mode"), "WAL is persistent in the file");
        }
    }

    @Test
    void durabilitySettingsAreInEffect() {
        try (RegistryDb db = RegistryDb.open(dir.resolve("registry.db"))) {
            re6st.sqlite.DurableSqlite.Settings s = db.settings();
            assertEquals("wal", s.journalMode());
            assertEquals(2, s.synchronous(), "synchronous=FULL");
            assertEquals(5000, s.busyTimeoutMillis());
        }
    }

    @Test
    void aSecondOpenIsRefusedUntilTheFirstCloses() {
        Path file = dir.resolve("registry.db");
        RegistryDb first = RegistryDb.open(file);
        RegistryDbException e = assertThrows(RegistryDbException.class, () -> RegistryDb.open(file));
        assertTrue(e.getMessage().contains("in use by another registry"), e.getMessage());
        first.close();
        RegistryDb.open(file).close();
    }

    @Test
    void tokens() {
        try (RegistryDb db = RegistryDb.open(dir.resolve("registry.db"))) {
            Token a = new Token("abcdefgh", "a@example.com", 16, 1000);
            db.inTransaction(tx -> tx.addToken(a));
            DuplicateTokenException dup = assertThrows(DuplicateTokenException.class,
                    () -> db.inTransaction(tx -> tx.addToken(new Token("abcdefgh", "b@example.com", 8, 2000))));
            assertEquals("token abcdefgh already exists", dup.getMessage());
            assertEquals(Optional.of(a), db.read(tx -> tx.token("abcdefgh")), "the duplicate changed nothing");

            // A caller generating tokens catches the duplicate and tries another in the same transaction.
            db.inTransaction(tx -> {
                assertThrows(DuplicateTokenException.class, () -> tx.addToken(a));
                tx.addToken(new Token("hgfedcba", "b@example.com", 16, 3000));
            });
            assertEquals(2, db.read(Transaction::tokens).size());
            assertEquals(OptionalLong.of(1000), db.read(Transaction::oldestTokenDate));

            assertEquals(Optional.of(a), db.transaction(tx -> tx.takeToken("abcdefgh")));
            assertEquals(Optional.empty(), db.transaction(tx -> tx.takeToken("abcdefgh")), "a token is used once");
            assertEquals(0, (int) db.transaction(tx -> tx.deleteTokensUpTo(2999)));
            assertEquals(1, (int) db.transaction(tx -> tx.deleteTokensUpTo(3000)));
            assertEquals(OptionalLong.empty(), db.read(Transaction::oldestTokenDate));
            boolean deleted = db.transaction(tx -> tx.deleteToken("hgfedcba"));
            assertFalse(deleted);
        }
        assertThrows(IllegalArgumentException.class, () -> new Token("", "a@b", 16, 0));
        assertThrows(IllegalArgumentException.class, () -> new Token("x", "a@b", 0, 0));
    }

    @Test
    void configIsStoredWithTheOriginalsTypes() throws Exception {
        Path file = dir.resolve("registry.db");
        byte[] key = new byte[16];
        for (int i = 0; i < 16; i++)
            key[i] = (byte) (i * 17);
        try (RegistryDb db = RegistryDb.open(file)) {
            db.inTransaction(tx -> {
                tx.setConfig(ConfigKey.PREFIX, "0000000000000000");
                tx.setConfig(ConfigKey.VERSION, new byte[] {1, (byte) 0xFF});
                tx.setConfig(ConfigKey.LAST_CONFIG, "{\"crl\": []}");
                assertEquals(1, tx.nextCertificateSerial());
                assertEquals(2, tx.nextCertificateSerial());
                tx.setConfig(ConfigKey.BABEL_HMAC1, key);
                tx.setConfig(ConfigKey.BABEL_HMAC2, new byte[0]);
                tx.setConfig(ConfigKey.VALID_UNTIL, 1_700_000_000L);
            });
            db.read(tx -> {
                assertEquals(Optional.of("0000000000000000"), tx.configText(ConfigKey.PREFIX));
                assertArrayEquals(new byte[] {1, (byte) 0xFF}, tx.configBlob(ConfigKey.VERSION).orElseThrow());
                assertEquals(OptionalLong.of(2), tx.configInteger(ConfigKey.SERIAL));
                assertTrue(tx.configBlob(ConfigKey.BABEL_HMAC0).isEmpty());
                assertArrayEquals(key, tx.configBlob(ConfigKey.babelHmac(1)).orElseThrow());
                assertArrayEquals(new byte[0], tx.configBlob(ConfigKey.BABEL_HMAC2).orElseThrow(), "empty is not absent");
                assertEquals(OptionalLong.of(1_700_000_000L), tx.configInteger(ConfigKey.VALID_UNTIL));
                return null;
            });
            assertThrows(IllegalArgumentException.class, () -> db.inTransaction(tx -> tx.setConfig(ConfigKey.SERIAL, "3")));
            assertThrows(IllegalArgumentException.class, () -> db.inTransaction(tx -> tx.setConfig(ConfigKey.VERSION, "x")));
            boolean deleted = db.transaction(tx -> tx.deleteConfig(ConfigKey.VALID_UNTIL));
            assertTrue(deleted);
        }
        try (Connection c = raw(file)) {
            assertEquals(List.of("babel_hmac1 blob", "babel_hmac2 blob", "last_config text", "prefix text",
                    "serial integer", "version blob"),
                    column(c, "SELECT name || ' ' || typeof(value) FROM config ORDER BY name"));
        }
    }

    @Test
    void configWrittenByOlderOriginalsIsRead() throws Exception {
        Path file = dir.resolve("registry.db");
        RegistryDb.open(file).close();
        try (Connection c = raw(file); Statement st = c.createStatement()) {
            // Python 2: str is TEXT (also binary), '' is TEXT; a float time is REAL; hand edits give text numbers.
            st.execute("INSERT INTO config VALUES ('version', CAST(X'01FF' AS TEXT))");
            st.execute("INSERT INTO config VALUES ('babel_hmac2', '')");
            st.execute("INSERT INTO config VALUES ('valid_until', 1700000000.75)");
            st.execute("INSERT INTO config VALUES ('serial', '7')");
            st.execute("INSERT INTO config VALUES ('babel_hmac0', NULL)");
        }
        try (RegistryDb db = RegistryDb.open(file)) {
            db.read(tx -> {
                assertArrayEquals(new byte[] {1, (byte) 0xFF}, tx.configBlob(ConfigKey.VERSION).orElseThrow());
                assertArrayEquals(new byte[0], tx.configBlob(ConfigKey.BABEL_HMAC2).orElseThrow());
                assertEquals(OptionalLong.of(1_700_000_000L), tx.configInteger(ConfigKey.VALID_UNTIL));
                assertEquals(OptionalLong.of(7), tx.configInteger(ConfigKey.SERIAL));
                assertTrue(tx.configBlob(ConfigKey.BABEL_HMAC0).isEmpty(), "NULL is unset, as in the original");
                return null;
            });
            assertEquals(8, (long) db.transaction(Transaction::nextCertificateSerial));
        }
    }

    @Test
    void crl() {
        try (RegistryDb db = RegistryDb.open(dir.resolve("registry.db"))) {
            db.inTransaction(tx -> {
                assertTrue(tx.addRevoked(9, 5000));
                assertTrue(tx.addRevoked(3, 1000));
                assertTrue(tx.addRevoked(5, 2000));
                assertFalse(tx.addRevoked(5, 2000), "revoking twice is harmless");
            });
            db.read(tx -> {
                assertEquals(List.of(new Revoked(3, 1000), new Revoked(5, 2000), new Revoked(9, 5000)), tx.crl());
                assertEquals(List.of(3L, 5L, 9L), tx.revokedSerials());
                assertTrue(tx.isRevoked(5));
                assertFalse(tx.isRevoked(4));
                return null;
            });
            assertEquals(1, (int) db.transaction(tx -> tx.purgeCrl(2000)), "expired strictly before now");
            assertEquals(List.of(5L, 9L), db.read(Transaction::revokedSerials));
            assertThrows(IllegalArgumentException.class, () -> db.inTransaction(tx -> tx.addRevoked(-1, 0)));
        }
    }

    @Test
    void certRows() throws Exception {
        Path file = dir.resolve("registry.db");
        try (RegistryDb db = RegistryDb.open(file)) {
            db.inTransaction(tx -> {
                tx.renameRow("", "1");
                tx.insertFreeRow("0");
                tx.setCert("0", "a@example.com", "PEM-0");
                tx.renameRow("1", "11");
                tx.insertFreeRow("10");
                tx.reserve("10");
            });
            db.read(tx -> {
                assertEquals(List.of(new CertRow("0", "a@example.com", "PEM-0"), new CertRow("10", null, "reserved"),
                        new CertRow("11", null, null)), tx.certs());
                assertEquals(List.of(new CertRow("0", "a@example.com", "PEM-0")), tx.issuedCerts());
                assertEquals(List.of(new CertRow("0", "a@example.com", "PEM-0")), tx.certsByEmail("a@example.com"));
                assertEquals(List.of("11"), tx.freePrefixes());
                assertEquals(Optional.of("11"), tx.longestFreePrefix("", 128));
                assertEquals(Optional.empty(), tx.longestFreePrefix("0", 128));
                assertEquals(Optional.of(new CertRow("11", null, null)), tx.rowContaining("1101"));
                assertEquals(Optional.empty(), tx.rowContaining("1"));
                return null;
            });
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> db.inTransaction(tx -> tx.setCert("01", null, "PEM")));
            assertTrue(e.getMessage().contains("no prefix '01'"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> db.read(tx -> tx.cert("0a1")));
            assertEquals("prefix '0a1' has 'a' at 1: only 0 and 1 allowed", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> db.read(tx -> tx.cert("0".repeat(129))));
            assertThrows(IllegalArgumentException.class, () -> db.inTransaction(tx -> tx.setCert("0", null, "reserved")));
        }
        try (Connection c = raw(file)) {
            assertEquals(List.of("blob"), column(c, "SELECT typeof(cert) FROM cert WHERE prefix='0'"),
                    "PEM stored as the Python 3 original stores it");
        }
    }

    @Test
    void aFailingTransactionChangesNothing() {
        try (RegistryDb db = RegistryDb.open(dir.resolve("registry.db"))) {
            List<CertRow> before = db.read(Transaction::certs);
            RuntimeException boom = new RuntimeException("boom");
            assertEquals(boom, assertThrows(RuntimeException.class, () -> db.inTransaction(tx -> {
                tx.addToken(new Token("abcdefgh", "a@b", 16, 0));
                tx.renameRow("", "1");
                tx.insertFreeRow("0");
                tx.setConfig(ConfigKey.SERIAL, 5);
                throw boom;
            })));
            assertEquals(before, db.read(Transaction::certs));
            assertTrue(db.read(Transaction::tokens).isEmpty());
            assertTrue(db.read(tx -> tx.configInteger(ConfigKey.SERIAL)).isEmpty());
        }
    }

    @Test
    void misuseIsRefused() {
        try (RegistryDb db = RegistryDb.open(dir.resolve("registry.db"))) {
            assertThrows(IllegalStateException.class, () -> db.read(tx -> {
                tx.deleteToken("x");
                return null;
            }), "no writes in a read transaction");
            Transaction escaped = db.transaction(tx -> tx);
            assertThrows(IllegalStateException.class, escaped::certs, "a Transaction ends with its lambda");
            assertThrows(IllegalStateException.class, () -> db.inTransaction(tx -> db.inTransaction(inner -> {
            })), "nested");
        }
    }

    @Test
    void aForeignWriteLockIsWaitedForThenRetried() throws Exception {
        Path file = dir.resolve("registry.db");
        RegistryDb.open(file).close();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (RegistryDb db = RegistryDb.open(file, Duration.ofMillis(50), 100); Connection foreign = raw(file)) {
            try (Statement st = foreign.createStatement()) {
                st.execute("BEGIN IMMEDIATE");
            }
            CountDownLatch started = new CountDownLatch(1);
            Future<?> write = pool.submit(() -> {
                started.countDown();
                db.inTransaction(tx -> tx.addToken(new Token("abcdefgh", "a@b", 16, 0)));
            });
            started.await();
            // the writer really met the lock: it retried at least twice before the foreign commit
            Poll.until("the writer retried twice", Duration.ofSeconds(30), () -> db.busyRetries() >= 2);
            assertFalse(write.isDone(), "the writer still waits for the lock");
            try (Statement st = foreign.createStatement()) {
                st.execute("COMMIT");
            }
            write.get(10, TimeUnit.SECONDS);
            assertTrue(db.busyRetries() > 0);
            assertEquals(1, db.read(Transaction::tokens).size());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aLockHeldForeverFailsAfterBoundedAttempts() throws Exception {
        Path file = dir.resolve("registry.db");
        RegistryDb.open(file).close();
        try (RegistryDb db = RegistryDb.open(file, Duration.ofMillis(20), 3); Connection foreign = raw(file)) {
            try (Statement st = foreign.createStatement()) {
                st.execute("BEGIN IMMEDIATE");
            }
            RegistryDbException e = assertThrows(RegistryDbException.class,
                    () -> db.inTransaction(tx -> tx.addToken(new Token("abcdefgh", "a@b", 16, 0))));
            assertTrue(e.busy());
            assertTrue(e.getMessage().contains("stayed locked by another process through 3 attempts"), e.getMessage());
            assertEquals(2, db.busyRetries());
            assertTrue(db.read(Transaction::tokens).isEmpty(), "readers are not blocked by the foreign writer");
        }
    }

    @Test
    void aForeignTableIsRefused() throws Exception {
        Path file = dir.resolve("other.db");
        try (Connection c = raw(file); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE cert (id INTEGER, data BLOB)");
        }
        RegistryDbException e = assertThrows(RegistryDbException.class, () -> RegistryDb.open(file));
        assertTrue(e.getMessage().contains("table cert has columns [id, data], expected [prefix, email, cert]"), e.getMessage());
        try (Connection c = raw(file)) {
            assertEquals(List.of("cert"), column(c, "SELECT name FROM sqlite_master WHERE type='table'"),
                    "nothing created in a foreign database");
            assertEquals(List.of("delete"), column(c, "PRAGMA journal_mode"), "nor its journal mode changed");
        }
        // and the lock is released after the failed open
        Files.writeString(dir.resolve("junk.db"), "this is not a database, just text long enough to have a header ...");
        RegistryDbException junk = assertThrows(RegistryDbException.class, () -> RegistryDb.open(dir.resolve("junk.db")));
        assertTrue(junk.getMessage().contains("junk.db"), junk.getMessage());
        junk = assertThrows(RegistryDbException.class, () -> RegistryDb.open(dir.resolve("junk.db")));
        assertFalse(junk.getMessage().contains("in use"), "the failed open released its lock: " + junk.getMessage());
    }

    @Test
    void closedIsClosed() {
        RegistryDb db = RegistryDb.open(dir.resolve("registry.db"));
        db.close();
        db.close();
        assertThrows(IllegalStateException.class, () -> db.read(Transaction::certs));
    }
}
