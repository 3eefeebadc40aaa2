package re6st.registry.alloc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import re6st.net.Network;
import re6st.registry.store.CertRow;
import re6st.registry.store.ConfigKey;
import re6st.registry.store.RegistryDb;
import re6st.registry.store.Token;
import re6st.registry.store.Transaction;

/** A registry.db as the original (Python 3, with a Python 2 era row) leaves it opens and works as is. */
class OriginalDatabaseTest {
    @TempDir
    Path dir;

    static final String[] ORIGINAL_DDL = {
            "CREATE TABLE config (\n  name TEXT PRIMARY KEY NOT NULL,\n  value)",
            "CREATE TABLE token (\n  token TEXT PRIMARY KEY NOT NULL,\n  email TEXT NOT NULL,\n  prefix_len INTEGER NOT NULL,\n  date INTEGER NOT NULL)",
            "CREATE TABLE cert (\n  prefix TEXT PRIMARY KEY NOT NULL,\n  email TEXT,\n  cert TEXT)",
            "CREATE TABLE crl (\n  serial INTEGER PRIMARY KEY NOT NULL,\n  date INTEGER NOT NULL)" };

    @Test
    void anOriginalDatabaseOpensAndWorks() throws Exception {
        Path file = dir.resolve("registry.db");
        long now = 1_800_000_000L;
        String registryPem = TestCerts.pem("0/16", now + 86400);
        String nodePem = TestCerts.pem("1/16", now + 86400);
        byte[] hmac = new byte[16];
        hmac[3] = 42;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            for (String ddl : ORIGINAL_DDL)
                st.execute(ddl);
            // Two /16 allocated from a fresh tree, the way newPrefix split it.
            insertCert(c, "0000000000000000", "admin@example.com", registryPem.getBytes(StandardCharsets.US_ASCII)); // Python 3: bytes -> BLOB
            insertCert(c, "0000000000000001", null, nodePem); // Python 2: str -> TEXT
            for (int k = 15; k >= 1; k--)
                insertCert(c, "0".repeat(k - 1) + "1", null, null);
            st.execute("INSERT INTO config VALUES ('prefix', '0000000000000000')");
            st.execute("INSERT INTO config VALUES ('version', X'02AABBCC')");
            st.execute("INSERT INTO config VALUES ('last_config', '{\"babel_default\": \"max-rtt-penalty 5000 rtt-max 500 rtt-decay 125\"}')");
            st.execute("INSERT INTO config VALUES ('serial', 2)");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO config VALUES ('babel_hmac0', ?)")) {
                ps.setBytes(1, hmac);
                ps.execute();
            }
            st.execute("INSERT INTO token VALUES ('abcdefgh', 'new@example.com', 16, " + (now - 60) + ")");
            st.execute("INSERT INTO crl VALUES (1, " + (now + 1000) + ")");
            assertEquals("delete", single(st, "PRAGMA journal_mode"));
        }

        PrefixAllocator allocator = new PrefixAllocator(Network.parse("2001:db8:42::/48"));
        try (RegistryDb db = RegistryDb.open(file)) {
            db.read(tx -> {
                allocator.verify(tx);
                assertEquals(Optional.of("0000000000000000"), tx.configText(ConfigKey.PREFIX));
                assertArrayEquals(new byte[] {2, (byte) 0xAA, (byte) 0xBB, (byte) 0xCC}, tx.configBlob(ConfigKey.VERSION).orElseThrow());
                assertArrayEquals(hmac, tx.configBlob(ConfigKey.BABEL_HMAC0).orElseThrow());
                assertEquals(OptionalLong.of(2), tx.configInteger(ConfigKey.SERIAL));
                assertEquals(List.of(1L), tx.revokedSerials());
                assertEquals(new CertRow("0000000000000000", "admin@example.com", registryPem), tx.cert("0000000000000000").orElseThrow());
                assertEquals(nodePem, tx.cert("0000000000000001").orElseThrow().cert());
                assertEquals(2, tx.issuedCerts().size());
                return null;
            });
            // An enrolment: token, next prefix, next serial, certificate.
            String prefix = db.transaction(tx -> {
                Token token = tx.takeToken("abcdefgh").orElseThrow();
                long serial = tx.nextCertificateSerial();
                assertEquals(3, serial);
                return allocator.allocate(tx, token.prefixLength(), "", token.email(), p -> TestCerts.pem(p.cn(), now + 86400)).bits();
            });
            assertEquals("0000000000000010", prefix);
            ExpiryReport report = db.transaction(tx -> allocator.expire(tx, now, PrefixAllocator.DEFAULT_GRACE_PERIOD));
            assertEquals(List.of(), report.freed());
            assertEquals(List.of(), report.unreadable(), "TEXT and BLOB PEMs both read");
            assertEquals(OptionalLong.of(now + 86400 + PrefixAllocator.DEFAULT_GRACE_PERIOD), report.nextCheck());
            db.read(tx -> {
                allocator.verify(tx);
                assertTrue(tx.tokens().isEmpty());
                return null;
            });
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            List<String> ddl = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT sql FROM sqlite_master WHERE type='table' ORDER BY rowid")) {
                while (rs.next())
                    ddl.add(rs.getString(1));
            }
            assertEquals(List.of(ORIGINAL_DDL), ddl, "the original's own schema check still passes");
            assertEquals("wal", single(st, "PRAGMA journal_mode"));
            assertEquals("3", single(st, "SELECT value FROM config WHERE name='serial'"));
        }
    }

    private static void insertCert(Connection c, String prefix, String email, Object cert) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO cert VALUES (?,?,?)")) {
            ps.setString(1, prefix);
            ps.setString(2, email);
            if (cert instanceof byte[] b)
                ps.setBytes(3, b);
            else
                ps.setString(3, (String) cert);
            ps.execute();
        }
    }

    private static String single(Statement st, String sql) throws Exception {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
