package re6st.slap.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import re6st.slap.master.MasterModel.Address;
import re6st.slap.master.MasterModel.ComputerConfig;
import re6st.slap.master.MasterModel.InstanceRequest;
import re6st.slap.master.MasterModel.Partition;
import re6st.slap.master.MasterModel.PartitionConfig;
import re6st.slap.master.MasterModel.Placed;
import re6st.slap.xml.XmlValue;

/** The master's semantics, scenario by scenario (slap-protocol.md, "Good acceptance scenarios"), on a real SQLite file. */
class SlapMasterTest {
    static final String SR = "http://example.invalid/web/software.json", OTHER = "http://example.invalid/db/software.json";

    @TempDir
    Path dir;
    Path file;
    double clock = 1_700_000_000.0;
    SlapMaster m;

    @BeforeEach
    void open() throws Exception {
        file = dir.resolve("master.db");
        m = SlapMaster.open(file, () -> clock);
    }

    @AfterEach
    void close() {
        if (m != null)
            m.close();
    }

    /** Format of {@code computer} with {@code n} partitions, slappart i at 2001:db8:&lt;c&gt;::(i+2). */
    void format(String computer, int c, int n) throws SlapException {
        List<PartitionConfig> parts = new ArrayList<>();
        for (int i = 0; i < n; i++)
            parts.add(new PartitionConfig("slappart" + i, "slappart" + i,
                    List.of(new Address("lo", "2001:db8:" + c + "::" + Integer.toHexString(i + 2), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))));
        m.loadComputer(new ComputerConfig(computer, "2001:db8:" + c + "::1", "ffff:ffff:ffff:ffff::", parts));
    }

    static InstanceRequest root(String title, String sr, Map<String, XmlValue> params, String state, Map<String, String> filter) {
        return new InstanceRequest(sr, "", title, null, null, params, filter, state, false);
    }

    static InstanceRequest root(String title, Map<String, XmlValue> params) {
        return root(title, SR, params, "started", Map.of());
    }

    static InstanceRequest child(Partition from, String title, String state) {
        return new InstanceRequest(OTHER, "db", title, from.computer(), from.reference(), Map.of(), Map.of(), state, false);
    }

    static Map<String, XmlValue> params(Object... kv) {
        Map<String, XmlValue> out = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2)
            out.put((String) kv[i], kv[i + 1] instanceof Integer n ? XmlValue.Int.of(n) : new XmlValue.Str((String) kv[i + 1]));
        return out;
    }

    @Test
    void requestConsistentParameters() throws Exception {
        format("COMP-1", 1, 2);
        Placed p = m.request(root("web1", params("port", 8080, "name", "a <b> & 'c'")));
        Partition q = p.partition();
        assertEquals("COMP-1", q.computer());
        assertEquals("slappart0", q.reference(), "the first free partition");
        assertEquals("started", p.requestedState());
        assertEquals(Map.of("port", "8080", "name", "a <b> & 'c'"), q.parameters(), "every value stored as str(value)");
        assertEquals("default", q.softwareType(), "an empty software type is default");
        assertEquals(SR, q.softwareRelease());
        assertEquals("web1", q.title());
        assertNull(q.requestedBy(), "a root");
        assertEquals(clock, q.timestamp());
        assertEquals(List.of(new Address("slappart0", "2001:db8:1::2", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")), q.addresses());
        assertEquals(q, m.partition("COMP-1", "slappart0"), "registerComputerPartition shows the same");
        assertEquals("COMP-1-slappart0", q.instanceGuid());
    }

    @Test
    void withoutAnyNodeTheRefusalSaysSo() {
        SlapException e = assertThrows(SlapException.class, () -> m.request(root("web1", Map.of())));
        assertEquals(404, e.status());
        assertTrue(e.getMessage().startsWith("no partition at all: no node has registered"), e.getMessage());
    }

    @Test
    void twoRequestsOnePartitionFreeTheSecondIsNotFound() throws Exception {
        format("COMP-1", 1, 1);
        m.request(root("web1", Map.of()));
        SlapException e = assertThrows(SlapException.class, () -> m.request(root("web2", Map.of())));
        assertEquals(404, e.status());
        assertTrue(e.getMessage().contains("no free partition"), e.getMessage());
        assertEquals(1, m.instances().size(), "nothing changed");
    }

    @Test
    void theSameRequestTwiceGivesTheSameInstanceAndTimestampAndOnlyARealChangeANewOne() throws Exception {
        format("COMP-1", 1, 2);
        Placed a = m.request(root("web1", params("port", 8080)));
        clock += 10;
        Placed b = m.request(root("web1", params("port", 8080)));
        assertEquals(a.partition(), b.partition(), "identical object, timestamp included");
        clock += 10;
        Placed c = m.request(root("web1", params("port", 8081)));
        assertEquals(a.partition().reference(), c.partition().reference(), "once placed, an instance never moves");
        assertEquals(clock, c.partition().timestamp(), "new parameters: a new timestamp");
        clock += 10;
        Placed d = m.request(root("web1", SR, params("port", 8081), "stopped", Map.of()));
        assertEquals(clock, d.partition().timestamp(), "a new state: a new timestamp");
        assertEquals("stopped", d.partition().requestedState());
    }

    @Test
    void twoChangesInOneMillisecondStillGetDifferentTimestamps() throws Exception {
        format("COMP-1", 1, 1);
        double t1 = m.request(root("web1", params("v", "1"))).partition().timestamp();
        double t2 = m.request(root("web1", params("v", "2"))).partition().timestamp();
        assertTrue(t2 > t1, t1 + " then " + t2);
    }

    @Test
    void aBangGivesTheWholeTreeANewTimestampAndNothingElse() throws Exception {
        format("COMP-1", 1, 4);
        Partition root = m.request(root("web1", Map.of())).partition();
        Partition kid = m.request(child(root, "db1", "started")).partition();
        Partition other = m.request(root("web2", Map.of())).partition();
        clock += 100;
        assertEquals(2, m.bang(kid.computer(), kid.reference(), "the database lost its data"));
        assertEquals(clock, m.partition("COMP-1", root.reference()).timestamp());
        assertEquals(clock, m.partition("COMP-1", kid.reference()).timestamp());
        assertEquals(other.timestamp(), m.partition("COMP-1", other.reference()).timestamp());
        assertEquals(404, assertThrows(SlapException.class, () -> m.bang("COMP-1", "slappart3", "free")).status());
    }

    @Test
    void aChildRequestedFromAPartitionIsScopedByItsRootAndTakesTheRootsStateWhenTheRootIsNotStarted() throws Exception {
        format("COMP-1", 1, 5);
        Partition r1 = m.request(root("web1", Map.of())).partition();
        Partition r2 = m.request(root("web2", Map.of())).partition();
        Partition k1 = m.request(child(r1, "db", "started")).partition();
        Partition k2 = m.request(child(r2, "db", "started")).partition();
        assertNotEquals(k1.reference(), k2.reference(), "the same title under two roots: two instances");
        assertEquals("web1", k1.requestedBy());
        Partition grandchild = m.request(child(k1, "cache", "started")).partition();
        assertEquals("web1", grandchild.requestedBy(), "trees are flat: a grandchild's scope is the root");
        assertEquals(404, assertThrows(SlapException.class, () -> m.request(child(k1, "more", "started"))).status(), "no partition left");

        m.request(root("web1", SR, Map.of(), "stopped", Map.of()));
        Placed again = m.request(child(r1, "db", "started"));
        assertEquals("stopped", again.requestedState(), "the child takes its stopped root's state");
        assertEquals("stopped", again.partition().requestedState());
        assertEquals("started", m.request(child(r2, "db", "started")).requestedState(), "the other tree is untouched");
    }

    @Test
    void destroyIsTwoPhaseAndTheFreedPartitionServesTheNextRequest() throws Exception {
        format("COMP-1", 1, 1);
        Partition p = m.request(root("web1", Map.of())).partition();
        m.setConnection("COMP-1", p.reference(), Map.of("url", "http://[2001:db8:1::2]:8080"), null);
        assertEquals(409, assertThrows(SlapException.class, () -> m.destroyed("COMP-1", p.reference())).status(),
                "a node cannot free what the master did not ask to destroy");
        clock += 1;
        Placed d = m.request(root("web1", SR, Map.of(), "destroyed", Map.of()));
        assertEquals("destroyed", d.partition().requestedState());
        assertEquals(clock, d.partition().timestamp(), "the node sees the change");
        assertTrue(m.partition("COMP-1", p.reference()).busy(), "still busy until the node reports");
        assertEquals(404, assertThrows(SlapException.class, () -> m.request(root("web2", Map.of()))).status());
        assertEquals("freed", m.destroyed("COMP-1", p.reference()));
        Partition free = m.partition("COMP-1", p.reference());
        assertFalse(free.busy());
        assertNull(free.softwareRelease());
        assertEquals(Map.of(), free.connection());
        assertNull(free.timestamp());
        assertEquals("already free", m.destroyed("COMP-1", p.reference()), "a repeated report changes nothing");
        assertEquals(p.reference(), m.request(root("web2", Map.of())).partition().reference());
        assertEquals(404, assertThrows(SlapException.class, () -> m.request(root("web1", SR, Map.of(), "destroyed", Map.of()))).status(),
                "destroying what does not exist");
    }

    @Test
    void destroyingARootDestroysItsChildrenAndItsPartitionWaitsForTheirs() throws Exception {
        format("COMP-1", 1, 3);
        Partition root = m.request(root("web1", Map.of())).partition();
        Partition kid = m.request(child(root, "db1", "started")).partition();
        clock += 5;
        m.request(root("web1", SR, Map.of(), "destroyed", Map.of()));
        Partition k = m.partition("COMP-1", kid.reference());
        assertEquals("destroyed", k.requestedState(), "the child is destroyed with its root");
        assertEquals(clock, k.timestamp());
        assertEquals("waiting for 1 children", m.destroyed("COMP-1", root.reference()));
        assertTrue(m.partition("COMP-1", root.reference()).busy(), "the root waits for its child");
        assertEquals("freed", m.destroyed("COMP-1", kid.reference()));
        assertFalse(m.partition("COMP-1", kid.reference()).busy());
        assertFalse(m.partition("COMP-1", root.reference()).busy(), "freed with its last child");
        assertEquals(List.of(), m.instances());
    }

    @Test
    void destroyingAChildAloneFreesItAndLeavesTheRoot() throws Exception {
        format("COMP-1", 1, 2);
        Partition root = m.request(root("web1", Map.of())).partition();
        Partition kid = m.request(child(root, "db1", "started")).partition();
        m.request(child(root, "db1", "destroyed"));
        assertEquals("freed", m.destroyed("COMP-1", kid.reference()));
        assertTrue(m.partition("COMP-1", root.reference()).busy());
        assertEquals("started", m.partition("COMP-1", root.reference()).requestedState());
    }

    @Test
    void aSharedInstanceWithoutAHostIsNotFound() throws Exception {
        format("COMP-1", 1, 2);
        InstanceRequest shared = new InstanceRequest(SR, "", "site1", null, null, Map.of(), Map.of(), "started", true);
        SlapException e = assertThrows(SlapException.class, () -> m.request(shared));
        assertEquals(404, e.status());
        assertTrue(e.getMessage().contains("to host the shared instance site1"), e.getMessage());
    }

    @Test
    void aSharedInstanceIsServedByItsHostWhichPublishesItsConnectionParameters() throws Exception {
        format("COMP-1", 1, 2);
        Partition host = m.request(root("frontend", Map.of())).partition();
        clock += 1;
        InstanceRequest shared = new InstanceRequest(SR, "", "site1", null, null, params("backend", "http://[2001:db8::9]:80"), Map.of(),
                "started", true);
        Placed s = m.request(shared);
        assertEquals(host.reference(), s.partition().reference());
        assertEquals(Map.of(), s.connection(), "nothing published yet");
        Partition h = m.partition("COMP-1", host.reference());
        assertEquals(clock, h.timestamp(), "the host redeploys to serve it");
        assertEquals(1, h.slaveInstances().size());
        XmlValue.Dict entry = (XmlValue.Dict) h.slaveInstances().get(0);
        assertEquals(new XmlValue.Str("_site1"), entry.entries().get(new XmlValue.Str("slave_reference")));
        assertEquals(new XmlValue.Str("http://[2001:db8::9]:80"), entry.entries().get(new XmlValue.Str("backend")));

        clock += 1;
        assertEquals(h.timestamp(), m.request(shared).partition().timestamp(), "the same shared request: no redeploy");
        m.setConnection("COMP-1", host.reference(), Map.of("site-url", "https://site1.example.invalid"), "_site1");
        assertEquals(Map.of("site-url", "https://site1.example.invalid"), m.request(shared).connection());
        assertEquals(Map.of(), m.partition("COMP-1", host.reference()).connection(), "the host's own parameters are its own");

        m.request(new InstanceRequest(SR, "", "site1", null, null, Map.of(), Map.of(), "destroyed", true));
        assertEquals(List.of(), m.partition("COMP-1", host.reference()).slaveInstances(), "a destroyed shared instance leaves its host");
        assertEquals(404, assertThrows(SlapException.class, () -> m.setConnection("COMP-1", host.reference(), Map.of(), "_site1")).status());
    }

    @Test
    void placementFollowsComputerGuidAcrossNodes() throws Exception {
        format("COMP-1", 1, 1);
        format("COMP-2", 2, 1);
        Partition p = m.request(root("web1", SR, Map.of(), "started", Map.of("computer_guid", "COMP-2"))).partition();
        assertEquals("COMP-2", p.computer());
        assertEquals(List.of(new Address("slappart0", "2001:db8:2::2", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")), p.addresses());
        assertEquals(404, assertThrows(SlapException.class,
                () -> m.request(root("web2", SR, Map.of(), "started", Map.of("computer_guid", "COMP-2")))).status(), "COMP-2 is full");
        SlapException unknown = assertThrows(SlapException.class,
                () -> m.request(root("web3", SR, Map.of(), "started", Map.of("computer_guid", "COMP-9"))));
        assertEquals(404, unknown.status());
        assertEquals("no computer COMP-9 (computer_guid): its node has not run format", unknown.getMessage());
        assertEquals("COMP-1", m.request(root("web4", Map.of())).partition().computer(), "no filter: the first free anywhere");
        assertEquals(2, m.computerInformation("COMP-1").partitions().size() + m.computerInformation("COMP-2").partitions().size());
        assertEquals(404, assertThrows(SlapException.class, () -> m.computerInformation("COMP-9")).status());
    }

    @Test
    void aChildsNewConnectionParametersRedeployItsRootOnlyWhenTheyChange() throws Exception {
        format("COMP-1", 1, 2);
        Partition root = m.request(root("web1", Map.of())).partition();
        Partition kid = m.request(child(root, "db1", "started")).partition();
        clock += 1;
        m.setConnection("COMP-1", kid.reference(), Map.of("url", "mysql://[2001:db8:1::3]:3306"), null);
        assertEquals(clock, m.partition("COMP-1", root.reference()).timestamp());
        assertEquals(Map.of("url", "mysql://[2001:db8:1::3]:3306"), m.partition("COMP-1", kid.reference()).connection());
        double before = m.partition("COMP-1", root.reference()).timestamp();
        clock += 1;
        m.setConnection("COMP-1", kid.reference(), Map.of("url", "mysql://[2001:db8:1::3]:3306"), null);
        assertEquals(before, m.partition("COMP-1", root.reference()).timestamp(), "published again unchanged: no endless redeploys");
    }

    @Test
    void softwareSupplyReportsAndRemoval() throws Exception {
        format("COMP-1", 1, 1);
        assertEquals("Supplied '" + SR + "' to be available", m.supply(SR, "COMP-1", "available"));
        assertEquals(400, assertThrows(SlapException.class, () -> m.supply(SR, "COMP-1", "installed")).status());
        m.softwareReport(SR, "COMP-1", "building", null);
        m.softwareReport(SR, "COMP-1", "error", "step 1\nmake: *** [all] Error 2\n");
        var sw = m.computerInformation("COMP-1").software();
        assertEquals(1, sw.size());
        assertEquals("error", sw.get(0).reportedState());
        assertTrue(sw.get(0).errorLog().contains("Error 2"), "the error log is kept");
        assertEquals(404, assertThrows(SlapException.class, () -> m.softwareReport(OTHER, "COMP-1", "available", null)).status());
        assertEquals(409, assertThrows(SlapException.class, () -> m.destroyedSoftware(SR, "COMP-1")).status());
        m.supply(SR, "COMP-1", "destroyed");
        m.destroyedSoftware(SR, "COMP-1");
        assertEquals(List.of(), m.computerInformation("COMP-1").software());
    }

    @Test
    void partitionReportsAreKept() throws Exception {
        format("COMP-1", 1, 1);
        Partition p = m.request(root("web1", Map.of())).partition();
        m.partitionReport("COMP-1", p.reference(), "error", "promise check-url failed: connection refused");
        Partition q = m.partition("COMP-1", p.reference());
        assertEquals("error", q.reportedState());
        assertEquals("promise check-url failed: connection refused", q.errorLog());
        assertEquals(clock, q.reportedAt());
        m.partitionReport("COMP-1", p.reference(), "started", null);
        assertNull(m.partition("COMP-1", p.reference()).errorLog(), "cleared once it works again");
        assertEquals(p.timestamp(), m.partition("COMP-1", p.reference()).timestamp(), "a report is no change to deploy");
    }

    @Test
    void badRequestsChangeNothing() throws Exception {
        format("COMP-1", 1, 1);
        assertEquals(400, assertThrows(SlapException.class, () -> m.request(root("web1", SR, Map.of(), "running", Map.of()))).status());
        assertEquals(400, assertThrows(SlapException.class, () -> m.request(root("", Map.of()))).status());
        assertEquals(400, assertThrows(SlapException.class, () -> m.request(root("web1", "None", Map.of(), "started", Map.of()))).status());
        assertEquals(400, assertThrows(SlapException.class, () -> m.request(root("x".repeat(SlapMaster.MAX_NAME + 1), Map.of()))).status());
        assertEquals(404, assertThrows(SlapException.class,
                () -> m.request(new InstanceRequest(SR, "", "db", "COMP-1", "slappart0", Map.of(), Map.of(), "started", false))).status(),
                "a request from a partition that holds no instance");
        assertEquals(List.of(), m.instances());
    }

    @Test
    void aDestroyStandsUnderAStoppedRootAndNothingNewGrowsUnderADestroyedOne() throws Exception {
        format("COMP-1", 1, 3);
        Partition root = m.request(root("web1", Map.of())).partition();
        m.request(child(root, "db1", "started"));
        m.request(root("web1", SR, Map.of(), "stopped", Map.of()));
        assertEquals("destroyed", m.request(child(root, "db1", "destroyed")).requestedState(), "a destroy is not swallowed by the root's stop");
        m.request(root("web1", SR, Map.of(), "destroyed", Map.of()));
        assertEquals(409, assertThrows(SlapException.class, () -> m.request(child(root, "db2", "started"))).status());
    }

    @Test
    void onlyTheHostPublishesForASharedInstanceAndPartitionReferencesAreNames() throws Exception {
        format("COMP-1", 1, 2);
        Partition host = m.request(root("frontend", Map.of())).partition();
        Partition other = m.request(root("web2", Map.of())).partition();
        m.request(new InstanceRequest(SR, "", "site1", null, null, Map.of(), Map.of(), "started", true));
        SlapException e = assertThrows(SlapException.class, () -> m.setConnection("COMP-1", other.reference(), Map.of("url", "x"), "_site1"));
        assertEquals(409, e.status());
        m.setConnection("COMP-1", host.reference(), Map.of("url", "https://site1/"), "_site1");
        for (String bad : List.of("..", "../..", "a/b", ".hidden", ""))
            assertEquals(400, assertThrows(SlapException.class, () -> m.loadComputer(new ComputerConfig("COMP-2", "2001:db8:2::1", "x",
                    List.of(new PartitionConfig(bad, bad, List.of()))))).status(), bad);
        assertEquals(1, m.computers().size(), "nothing registered");
    }

    @Test
    void renameMovesTheChildrenWithTheRoot() throws Exception {
        format("COMP-1", 1, 3);
        Partition root = m.request(root("web1", Map.of())).partition();
        Partition kid = m.request(child(root, "db1", "started")).partition();
        m.request(root("web2", Map.of()));
        assertEquals(409, assertThrows(SlapException.class, () -> m.rename("COMP-1", root.reference(), "web2")).status());
        m.rename("COMP-1", root.reference(), "site");
        assertEquals("site", m.partition("COMP-1", kid.reference()).requestedBy());
        assertEquals(kid.reference(), m.request(child(m.partition("COMP-1", root.reference()), "db1", "started")).partition().reference());
    }

    @Test
    void everythingSurvivesAReopenAndTheFileIsPrivateAndSingleUser() throws Exception {
        format("COMP-1", 1, 2);
        Partition p = m.request(root("web1", params("port", 8080))).partition();
        m.setConnection("COMP-1", p.reference(), Map.of("url", "http://[2001:db8:1::2]:8080"), null);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        IOException busy = assertThrows(IOException.class, () -> SlapMaster.open(file, () -> clock));
        assertTrue(busy.getMessage().contains("in use by another master"), busy.getMessage());
        m.close();
        m = SlapMaster.open(file, () -> clock);
        Partition q = m.partition("COMP-1", p.reference());
        assertEquals(Map.of("url", "http://[2001:db8:1::2]:8080"), q.connection());
        assertEquals(p.timestamp(), q.timestamp());
        assertEquals(q, m.request(root("web1", params("port", 8080))).partition());
    }

    @Test
    void formatAgainKeepsInstancesAndReplacesAddresses() throws Exception {
        format("COMP-1", 1, 1);
        Partition p = m.request(root("web1", Map.of())).partition();
        format("COMP-1", 7, 2);
        Partition q = m.partition("COMP-1", p.reference());
        assertEquals("web1", q.title());
        assertEquals("2001:db8:7::2", q.addresses().get(0).address());
        assertEquals(1, q.addresses().size());
        assertEquals(2, m.partitionsOf("COMP-1").size());
        assertEquals("2001:db8:7::1", m.computers().get(0).address());
    }
}
