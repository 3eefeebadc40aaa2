package re6st.registry.alloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import re6st.net.Network;
import re6st.net.NodePrefix;
import re6st.registry.store.CertRow;
import re6st.registry.store.ConfigKey;
import re6st.registry.store.RegistryDb;
import re6st.registry.store.Token;
import re6st.registry.store.Transaction;

class PrefixAllocatorTest {
    @TempDir
    Path dir;

    RegistryDb db;

    @AfterEach
    void close() {
        if (db != null)
            db.close();
    }

    RegistryDb db() {
        if (db == null)
            db = RegistryDb.open(dir.resolve("registry.db"));
        return db;
    }

    String alloc(PrefixAllocator a, int length, String community) {
        return db().transaction(tx -> a.allocate(tx, length, community, null, p -> "PEM " + p.bits())).bits();
    }

    List<CertRow> rows() {
        return db().read(Transaction::certs);
    }

    List<String> prefixes() {
        return rows().stream().map(CertRow::prefix).toList();
    }

    List<String> free() {
        return db().read(Transaction::freePrefixes);
    }

    static String zeros(int n) {
        return "0".repeat(n);
    }

    @Test
    void aFreshNetworkHandsOutPrefixesInOrder() {
        PrefixAllocator a = new PrefixAllocator(Network.parse("2001:db8:42::/48"));
        assertEquals(80, a.maxLength());
        assertEquals("0000000000000000", alloc(a, 16, ""));
        List<String> expectedFree = new ArrayList<>();
        for (int k = 16; k >= 1; k--)
            expectedFree.add(zeros(k - 1) + "1"); // each split left its sibling free
        assertEquals(expectedFree, free());
        assertEquals(17, rows().size());

        assertEquals("0000000000000001", alloc(a, 16, ""));
        assertEquals("0000000000000010", alloc(a, 16, ""));
        assertEquals("0000000000000011", alloc(a, 16, ""));
        assertEquals("0000000000000100", alloc(a, 16, ""));
        assertEquals("4/16", new NodePrefix("0000000000000100").cn());
        // The longest free prefix no longer than wanted: a /8 is cut from the free 8-bit block.
        assertEquals("00000001", alloc(a, 8, ""));
        assertEquals("0000000000000101", alloc(a, 16, ""));
        // The longest free prefix is the 15-bit 000000000000011 (3/15): split down with zeros.
        assertEquals("000000000000011" + zeros(25), alloc(a, 40, ""));
        db().read(tx -> {
            a.verify(tx);
            assertEquals("PEM 0000000000000101", tx.cert("0000000000000101").orElseThrow().cert());
            return null;
        });
    }

    @Test
    void communitiesSplitTheTreeFollowingTheirBits() {
        PrefixAllocator a = new PrefixAllocator(Network.parse("2001:db8:42::/48"));
        Communities c = Communities.parse("test", "01 FR @EU\n001 DE\n1 *\n");
        db().read(tx -> {
            a.checkCommunities(tx, c);
            return null;
        });
        assertEquals("01" + zeros(16), alloc(a, 16, c.lookup("FR", "EU")));
        assertTrue(free().containsAll(List.of("1", "00", "011")), "siblings of the community bits left free: " + free());
        // '001' is not split out yet: the free row '00' containing it is.
        assertEquals("001" + zeros(16), alloc(a, 16, c.lookup("DE", "EU")));
        assertEquals("1" + zeros(16), alloc(a, 16, c.lookup("US", "NA")));
        assertEquals("01" + zeros(15) + "1", alloc(a, 16, c.lookup("FR", "EU")));
        assertEquals("01" + zeros(14) + "10", alloc(a, 16, c.lookup("IT", "EU")));
        assertEquals("001" + zeros(15) + "1", alloc(a, 16, c.lookup("DE", "*")));
        assertEquals("10000001", alloc(a, 7, c.lookup("*", "*")), "the free 8-bit sibling left by 1's first split");
        db().read(tx -> {
            a.verify(tx);
            return null;
        });
        assertTrue(rows().stream().filter(CertRow::isIssued).noneMatch(r -> r.prefix().startsWith("000")),
                "nothing allocated outside the communities");
        assertTrue(free().contains("000"), "the part no community covers stays one free row");
    }

    @Test
    void theAllZeroSubnetOfMaximalLengthIsReservedNeverHandedOut() {
        PrefixAllocator a = new PrefixAllocator(Network.parse("2001:db8::/112")); // nodes get at most 16 bits
        assertEquals("0000000000000001", alloc(a, 16, ""));
        assertEquals(new CertRow("0000000000000000", null, "reserved"), rows().get(0));
        assertEquals("0000000000000010", alloc(a, 16, ""));

        PrefixAllocator b = new PrefixAllocator(16);
        db().inTransaction(tx -> {
            assertEquals("0100000000000001", b.allocate(tx, 14, "01", null, p -> "PEM").bits());
            assertEquals(new CertRow("0100000000000000", null, "reserved"), tx.cert("0100000000000000").orElseThrow());
        });

        PrefixAllocator fresh = new PrefixAllocator(8);
        db().close();
        db = RegistryDb.open(dir.resolve("other.db"));
        assertEquals("0000000", alloc(fresh, 7, ""), "shorter than maximal: all zeros is fine");
        assertEquals("00000010", alloc(fresh, 8, ""));
        assertEquals("00000011", alloc(fresh, 8, ""));
        assertEquals("1000000", alloc(fresh, 6, "1"), "not all zeros: the community bit is 1");
    }

    @Test
    void freeingMergesSiblingsBackUp() {
        PrefixAllocator a = new PrefixAllocator(80);
        List<String> taken = new ArrayList<>();
        for (int i = 0; i < 5; i++)
            taken.add(alloc(a, 16, ""));
        assertEquals(20, rows().size());
        String merged = db().transaction(tx -> a.free(tx, new NodePrefix("0000000000000011")));
        assertEquals("0000000000000011", merged, "its sibling 2/16 is taken");
        merged = db().transaction(tx -> a.free(tx, new NodePrefix("0000000000000100")));
        assertEquals("00000000000001", merged, "4/16 + free 5/16, then + the free 011 block");
        merged = db().transaction(tx -> a.free(tx, new NodePrefix("0000000000000010")));
        assertEquals("000000000000001", merged);
        merged = db().transaction(tx -> a.free(tx, new NodePrefix("0000000000000000")));
        assertEquals("0000000000000000", merged);
        merged = db().transaction(tx -> a.free(tx, new NodePrefix("0000000000000001")));
        assertEquals("", merged, "everything free again: one row");
        assertEquals(List.of(new CertRow("", null, null)), rows());
    }

    @Test
    void badInputIsRefusedAndChangesNothing() {
        PrefixAllocator a = new PrefixAllocator(80);
        alloc(a, 16, "");
        db().inTransaction(tx -> {
            List<CertRow> before = tx.certs();
            assertEquals("prefix length 0: must be at least 1",
                    assertThrows(IllegalArgumentException.class, () -> a.allocate(tx, 0, "", null, p -> "PEM")).getMessage());
            assertEquals("wanted prefix length 81 (81 + community '' of 0 bits) exceeds the 80 bits the network leaves to nodes",
                    assertThrows(IllegalArgumentException.class, () -> a.allocate(tx, 81, "", null, p -> "PEM")).getMessage());
            assertEquals("wanted prefix length 82 (79 + community '011' of 3 bits) exceeds the 80 bits the network leaves to nodes",
                    assertThrows(IllegalArgumentException.class, () -> a.allocate(tx, 79, "011", null, p -> "PEM")).getMessage());
            assertEquals("community '0x1' has 'x' at 1: only 0 and 1 allowed",
                    assertThrows(IllegalArgumentException.class, () -> a.allocate(tx, 16, "0x1", null, p -> "PEM")).getMessage());
            assertEquals("prefix 1 (1/1) is already free",
                    assertThrows(IllegalArgumentException.class, () -> a.free(tx, new NodePrefix("1"))).getMessage());
            assertEquals("prefix 00000000000000010 (2/17) is not a row of the cert table",
                    assertThrows(IllegalArgumentException.class, () -> a.free(tx, new NodePrefix("00000000000000010"))).getMessage());
            assertThrows(IllegalArgumentException.class, () -> new NodePrefix("01a"));
            assertThrows(IllegalArgumentException.class, () -> new PrefixAllocator(0));
            assertThrows(IllegalArgumentException.class, () -> new PrefixAllocator(129));
            assertEquals(before, tx.certs(), "no row touched before the checks");
        });
        // A failing issue() (e.g. a bad CSR) rolls the split back with everything else.
        List<CertRow> before = rows();
        assertThrows(IllegalArgumentException.class, () -> db().transaction(tx -> a.allocate(tx, 16, "", null, p -> {
            throw new IllegalArgumentException("bad CSR");
        })));
        assertThrows(IllegalArgumentException.class, () -> db().transaction(tx -> a.allocate(tx, 24, "", null, p -> null)));
        assertEquals(before, rows());
    }

    @Test
    void aFullNetworkSaysSoAndChangesNothing() {
        PrefixAllocator a = new PrefixAllocator(2);
        assertEquals("01", alloc(a, 2, ""));
        assertEquals("10", alloc(a, 2, ""));
        assertEquals("11", alloc(a, 2, ""));
        List<CertRow> before = rows();
        assertEquals("no free /2 node prefix left",
                assertThrows(NoFreePrefixException.class, () -> alloc(a, 2, "")).getMessage());
        assertEquals("no free /2 node prefix left in community 1",
                assertThrows(NoFreePrefixException.class, () -> alloc(a, 1, "1")).getMessage());
        assertEquals(before, rows());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> db().inTransaction(tx -> a.free(tx, new NodePrefix("00"))));
        assertEquals("prefix 00 (0/2) is the reserved all-zero prefix", e.getMessage());
    }

    @Test
    void aPrefixTakenInsideACommunityStopsTheStart() {
        PrefixAllocator a = new PrefixAllocator(80);
        assertEquals("0", alloc(a, 1, ""));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> db().read(tx -> {
            a.checkCommunities(tx, Communities.parse("c", "01 FR\n1 *\n"));
            return null;
        }));
        assertEquals("community 01 (line 1) lies inside prefix '0', which is allocated", e.getMessage());
        db().read(tx -> {
            a.checkCommunities(tx, Communities.parse("c", "1 *\n"));
            return null;
        });
    }

    /**
     * A free row of {@code free} with room for a prefix of {@code wanted} bits in {@code community}
     * (a model of the allocator, by brute force: the free row and the community overlap, the row is no
     * longer than wanted, and what it leaves is not only the reserved all-zero subnet), or null.
     */
    static String fits(List<String> free, String community, int wanted, int max) {
        for (String f : free) {
            if (f.length() > wanted || !(f.startsWith(community) || community.startsWith(f)))
                continue;
            String region = f.length() > community.length() ? f : community; // the longer one: their intersection
            boolean onlyZeroSubnet = region.length() == wanted && wanted == max && region.indexOf('1', community.length()) < 0;
            if (!onlyZeroSubnet)
                return f;
        }
        return null;
    }

    /** Random allocate/free sequences: the table stays a partition of the tree at every step. */
    @Test
    void randomSequencesKeepTheTreeAPartition() {
        int max = 9;
        PrefixAllocator a = new PrefixAllocator(max);
        List<Communities> configs = List.of(Communities.none(), Communities.parse("c", "01 FR\n001 DE\n1 *\n"),
                Communities.parse("c", "0 *\n11 FR\n"));
        for (int seed = 1; seed <= 9; seed++) {
            Random random = new Random(seed);
            Communities communities = configs.get(seed % configs.size());
            if (db != null)
                db.close();
            db = RegistryDb.open(dir.resolve("random-" + seed + ".db"));
            Map<String, String> taken = new HashMap<>(); // prefix -> community
            for (int step = 0; step < 160; step++) {
                if (!taken.isEmpty() && random.nextInt(10) < 4) {
                    List<String> list = new ArrayList<>(taken.keySet());
                    list.sort(null);
                    String victim = list.get(random.nextInt(list.size()));
                    db.transaction(tx -> a.free(tx, new NodePrefix(victim)));
                    taken.remove(victim);
                } else {
                    List<Communities.Community> cs = communities.list();
                    String community = cs.get(random.nextInt(cs.size())).prefix();
                    int room = max - community.length(); // half the time near the maximal length
                    int length = random.nextBoolean() ? 1 + random.nextInt(room) : room - random.nextInt(Math.min(3, room));
                    List<String> freeBefore = free();
                    try {
                        String p = alloc(a, length, community);
                        assertEquals(length + community.length(), p.length());
                        assertTrue(p.startsWith(community));
                        assertFalse(p.length() == max && p.substring(community.length()).indexOf('1') < 0,
                                "all-zero subnet handed out: " + p);
                        taken.put(p, community);
                    } catch (NoFreePrefixException full) {
                        // the community must really be full (and the transaction rolled back: checked below)
                        String room2 = fits(freeBefore, community, community.length() + length, max);
                        assertEquals(null, room2, "seed " + seed + " step " + step + ": refused a /" + (community.length() + length)
                                + " in community '" + community + "', but free row " + room2 + " has room");
                        assertEquals(freeBefore, free(), "a refusal changes nothing");
                    }
                }
                List<CertRow> rows = rows();
                PrefixAllocator.verify(rows.stream().map(CertRow::prefix).toList(), max);
                Map<String, String> issued = new HashMap<>();
                for (CertRow r : rows) {
                    if (r.isIssued())
                        issued.put(r.prefix(), taken.get(r.prefix()));
                    if (r.isReserved())
                        assertTrue(r.prefix().length() == max && communities.list().stream().anyMatch(
                                c -> r.prefix().startsWith(c.prefix()) && r.prefix().substring(c.prefix().length()).indexOf('1') < 0),
                                "reserved " + r.prefix());
                }
                assertEquals(taken.keySet(), issued.keySet(), "seed " + seed + " step " + step);
            }
            for (String p : taken.keySet())
                db.transaction(tx -> a.free(tx, new NodePrefix(p)));
            assertEquals(0, (int) db.transaction(a::mergeFree), "free() already merged everything");
            List<String> free = free();
            for (String f : free)
                assertFalse(!f.isEmpty() && free.contains(f.substring(0, f.length() - 1) + (f.endsWith("0") ? '1' : '0')),
                        "unmerged siblings " + f);
            assertTrue(rows().stream().allMatch(r -> r.isFree() || r.isReserved()));
        }
    }

    @Test
    void concurrentAllocationsGetDistinctPrefixes() throws Exception {
        PrefixAllocator a = new PrefixAllocator(80);
        RegistryDb shared = db();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++)
                results.add(pool.submit(() -> {
                    List<String> mine = new ArrayList<>();
                    for (int i = 0; i < 25; i++)
                        mine.add(shared.transaction(tx -> a.allocate(tx, 16, "", null, p -> "PEM " + p.bits())).bits());
                    return mine;
                }));
            Set<String> all = new TreeSet<>();
            for (Future<List<String>> f : results)
                all.addAll(f.get(60, TimeUnit.SECONDS));
            assertEquals(200, all.size(), "200 distinct prefixes");
            assertEquals("0000000000000000", all.iterator().next());
            assertEquals("0000000011000111", ((TreeSet<String>) all).last(), "0/16 .. 199/16: no gap, no double");
            shared.read(tx -> {
                a.verify(tx);
                assertEquals(200, tx.issuedCerts().size());
                return null;
            });
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void mergeFreeDoesWhatTheOriginalsMergePrefixesDoes() {
        PrefixAllocator a = new PrefixAllocator(80);
        for (int i = 0; i < 5; i++)
            alloc(a, 16, "");
        // Free rows without merging, as the original's revoke and older expiry did.
        db().inTransaction(tx -> {
            for (String p : List.of("0000000000000000", "0000000000000001", "0000000000000010", "0000000000000011", "0000000000000100"))
                tx.clearCert(p);
        });
        assertEquals(20, free().size());
        assertEquals(19, (int) db().transaction(a::mergeFree));
        assertEquals(List.of(new CertRow("", null, null)), rows());
    }

    @Test
    void expiryFreesAndMergesAfterTheGracePeriod() {
        long now = 1_800_000_000L, grace = PrefixAllocator.DEFAULT_GRACE_PERIOD;
        PrefixAllocator a = new PrefixAllocator(80);
        long[] notAfter = {now + 1000, now - 100, now - grace - 10, now - grace, now - grace - 1};
        db().inTransaction(tx -> {
            for (long t : notAfter)
                a.allocate(tx, 16, "", "x@example.com", p -> TestCerts.pem(p.cn(), t));
            tx.setConfig(ConfigKey.PREFIX, "0000000000000000");
            tx.addToken(new Token("aaaaaaaa", "a@example.com", 16, now - grace));
            tx.addToken(new Token("bbbbbbbb", "b@example.com", 16, now - 5));
        });
        assertEquals(15, free().size());
        ExpiryReport report = db().transaction(tx -> a.expire(tx, now, grace));
        assertEquals(List.of("0000000000000010", "0000000000000011", "0000000000000100"), report.freed());
        assertEquals(1, report.tokensDeleted());
        assertEquals(3, report.merged());
        assertEquals(List.of(), report.unreadable());
        assertEquals(OptionalLong.of(now - 100 + grace), report.nextCheck(), "the certificate that expired 100 s ago");
        List<String> expected = new ArrayList<>(List.of("0000000000000000", "0000000000000001", "000000000000001", "00000000000001"));
        for (int k = 13; k >= 1; k--)
            expected.add(zeros(k - 1) + "1");
        expected.sort(null);
        assertEquals(expected, prefixes());
        assertEquals(15, free().size(), "3 prefixes freed, yet no more free rows than before");
        assertEquals(List.of("bbbbbbbb"), db().read(Transaction::tokens).stream().map(Token::token).toList());

        ExpiryReport again = db().transaction(tx -> a.expire(tx, now, grace));
        assertEquals(new ExpiryReport(List.of(), 0, 0, List.of(), OptionalLong.of(now - 100 + grace)), again);
    }

    @Test
    void expiryRefusesToFreeTheRegistrysOwnPrefix() {
        long now = 1_800_000_000L, grace = PrefixAllocator.DEFAULT_GRACE_PERIOD;
        PrefixAllocator a = new PrefixAllocator(80);
        db().inTransaction(tx -> {
            a.allocate(tx, 16, "", null, p -> TestCerts.pem(p.cn(), now - grace - 1)); // the registry's, long expired
            a.allocate(tx, 16, "", null, p -> TestCerts.pem(p.cn(), now - grace - 1));
            a.allocate(tx, 16, "", null, p -> "not a certificate");
            tx.setConfig(ConfigKey.PREFIX, "0000000000000000");
            tx.addToken(new Token("aaaaaaaa", "a@example.com", 16, 0));
        });
        List<CertRow> before = rows();
        OwnPrefixExpiredException e = assertThrows(OwnPrefixExpiredException.class,
                () -> db().transaction(tx -> a.expire(tx, now, grace)));
        assertEquals("refusing to free the registry's own node prefix 0000000000000000: its certificate expired at "
                + "2026-10-07T07:59:59Z, more than the grace period (8640000 s) before now (2027-01-15T08:00:00Z): wrong clock?",
                e.getMessage());
        assertEquals(before, rows(), "nothing freed");
        assertEquals(1, db().read(Transaction::tokens).size(), "nothing deleted either: one transaction");

        db().inTransaction(tx -> tx.setConfig(ConfigKey.PREFIX, "0000000000000010"));
        ExpiryReport report = db().transaction(tx -> a.expire(tx, now, grace));
        assertEquals(List.of("0000000000000000", "0000000000000001"), report.freed());
        assertEquals(List.of("0000000000000010"), report.unreadable(), "left alone, as the original does");
        assertEquals(OptionalLong.empty(), report.nextCheck());
    }
}
