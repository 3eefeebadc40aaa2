package re6st.netsim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Runs after every other test class of this module (see junit-platform.properties,
 * {@link ClassOrderer.OrderAnnotation}): nothing the suite created may remain.
 */
@RequiresRoot
@Order(Integer.MAX_VALUE)
class NoLeftoversTest {

    @Test
    void noNamespaceLinkOrProcessRemains() {
        String mine = TestNet.PREFIX + ProcessHandle.current().pid() + "-";
        List<String> left = TestNet.existingNamespaces().stream().filter(n -> n.startsWith(mine)).toList();
        assertEquals(List.of(), left, "namespaces left behind");

        String links = Cmd.run("ip", "-o", "link", "show").output();
        for (String line : Cmd.lines(links))
            assertTrue(!line.matches("^\\d+: (r6w|r6t)\\S*:.*"), "link left in the root namespace: " + line);

        List<ProcessHandle> children = ProcessHandle.current().children().filter(ProcessHandle::isAlive).toList();
        assertEquals(List.of(), children.stream().map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList(),
                "processes left running");
    }

    @Test
    void staleNamespacesOfAKilledRunAreRemoved() {
        // A name as a killed JVM would have left it: pid 999999999 does not exist.
        String stale = TestNet.PREFIX + "999999999-1-crashed";
        Cmd.run("ip", "netns", "add", stale);
        try {
            List<String> removed = TestNet.removeStale();
            assertTrue(removed.contains(stale), "removed " + removed);
            assertTrue(!TestNet.existingNamespaces().contains(stale));
        } finally {
            Cmd.exec(Cmd.DEFAULT_TIMEOUT, "ip", "netns", "del", stale);
        }
    }
}
