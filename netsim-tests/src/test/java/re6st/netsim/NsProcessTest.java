package re6st.netsim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import re6st.jni.Libc;
import re6st.jni.Netlink;

/** Processes run inside namespaces: output captured, and killed with everything they started. */
@RequiresRoot
class NsProcessTest {

    @Test
    void outputGoesToALogFileAndTheProcessRunsInTheNamespace() throws Exception {
        try (TestNet net = TestNet.create("proc")) {
            Namespace a = net.namespace("a");
            a.ip("link", "add", "marker0", "type", "bridge");
            NsProcess p = a.start("lister", "sh", "-c", "ip -o link show; echo done-listing; sleep 600");
            Wait.until("the process wrote its output", Duration.ofSeconds(10), () -> p.log().contains("done-listing"));
            assertTrue(p.log().contains("marker0"), "it saw the namespace's own links: " + p.log());
            assertTrue(Files.exists(p.logFile()));
            assertTrue(p.isAlive());
        }
    }

    @Test
    void closingTheNetworkKillsProcessesAndTheirChildren() throws Exception {
        List<ProcessHandle> all;
        try (TestNet net = TestNet.create("kill")) {
            Namespace a = net.namespace("a");
            // A shell that ignores SIGTERM and leaves a grandchild: the worst case for cleanup.
            NsProcess p = a.start("stubborn", "sh", "-c", "trap '' TERM; sleep 600 & echo started; wait");
            Wait.until("started", Duration.ofSeconds(10), () -> p.log().contains("started"));
            Wait.until("the grandchild runs", Duration.ofSeconds(10), () -> p.process().descendants().findAny().isPresent());
            all = new java.util.ArrayList<>(p.process().descendants().toList());
            all.add(p.process().toHandle());
        }
        for (ProcessHandle h : all)
            Wait.until("pid " + h.pid() + " is gone", Duration.ofSeconds(10), () -> !h.isAlive());
    }

    @Test
    void javaCodeRunsInsideTheNamespace() throws Exception {
        try (TestNet net = TestNet.create("jns")) {
            Namespace a = net.namespace("a");
            a.ip("link", "add", "only-in-a", "type", "bridge");
            int inside = a.call(() -> Libc.if_nametoindex("only-in-a"));
            assertTrue(inside > 0, "JNA if_nametoindex sees the namespace's link");
            assertEquals(0, Libc.if_nametoindex("only-in-a"), "this thread stays in the root namespace");
            int viaNetlink = a.call(() -> {
                try (Netlink nl = Netlink.open()) {
                    return nl.index("only-in-a");
                }
            });
            assertEquals(inside, viaNetlink);
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                    () -> re6st.jni.NetNs.call("r6t-no-such-namespace", () -> 1));
            assertTrue(e.getMessage().contains("/run/netns/r6t-no-such-namespace") && e.getMessage().contains("ENOENT"),
                    e.getMessage());
            assertFalse(a.exec(Duration.ofSeconds(5), "false").ok());
        }
    }
}
