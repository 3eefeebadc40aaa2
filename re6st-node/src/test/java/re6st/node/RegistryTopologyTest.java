package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class RegistryTopologyTest {
    @Test
    void theRpcsMapBecomesEveryNodeWithItsTunnelsBothWays() {
        // as Registry.topology writes it (PythonJson: sorted keys, ", " and ": "); 10/16 dials nobody and answered nothing
        RegistryTopology.Snapshot s = RegistryTopology.parse(
                "{\"\": [\"0/16\", \"1/16\", \"2/16\"], \"0/16\": [\"10/16\"], \"1/16\": [\"0/16\", \"2/16\"], \"2/16\": [\"0/16\"]}", 1234);
        assertEquals(1234, s.fetchedMillis());
        assertEquals(List.of(
                new RegistryTopology.Node("0/16", List.of("10/16"), List.of("1/16", "2/16"), true),
                new RegistryTopology.Node("1/16", List.of("0/16", "2/16"), List.of(), true),
                new RegistryTopology.Node("2/16", List.of("0/16"), List.of("1/16"), true),
                new RegistryTopology.Node("10/16", List.of(), List.of("0/16"), false)), s.nodes(), "by prefix value, not as text");
        assertEquals(List.of(), RegistryTopology.parse("{}", 0).nodes(), "a registry without its own node yet answers {}");
    }

    @Test
    void whatIsNoTopologyIsSaid() {
        String[][] bad = {
                {"<html>proxy error</html>", "not JSON"},
                {"[\"0/16\"]", "not a JSON object"},
                {"{\"0/16\": \"1/16\"}", "the value of '0/16' is not a list"},
                {"{\"0/16\": [16]}", "'0/16' lists 16, not a node CN"},
                {"{\"zero\": []}", "'zero' is not a node CN"},
                {"{\"0/16\": [\"1/16 <script>\"]}", "'1/16 <script>' is not a node CN"},
                {"{\"\": [\"../16\"]}", "'../16' is not a node CN"},
        };
        for (String[] b : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RegistryTopology.parse(b[0], 0), b[0]);
            assertTrue(e.getMessage().startsWith(b[1]), b[0] + " -> " + e.getMessage());
        }
    }

    /** A registry whose answers the test lines up; each call takes the next (bytes, or an exception to throw). */
    private static final class FakeRegistry {
        final Deque<Object> answers = new ArrayDeque<>();
        int calls;

        byte[] call() throws Exception {
            calls++;
            Object a = answers.poll();
            if (a instanceof Exception e)
                throw e;
            return ((String) a).getBytes(StandardCharsets.UTF_8);
        }
    }

    @Test
    void fetchedInTheBackgroundAtMostEvery30sAndAFailureKeepsTheLastGoodOne() {
        FakeRegistry registry = new FakeRegistry();
        List<Runnable> queued = new ArrayList<>(); // the background thread, run by hand
        AtomicLong now = new AtomicLong(1_000_000);
        RegistryTopology t = new RegistryTopology(registry::call, queued::add, now::get, () -> now.get() + 5);

        assertNull(t.current(), "nothing before the first answer: the caller does not wait for it");
        assertEquals(1, queued.size(), "the first read starts a fetch");
        assertNull(t.current());
        assertEquals(1, queued.size(), "one at a time");
        registry.answers.add("{\"0/16\": [\"1/16\"], \"\": [\"0/16\"]}");
        queued.remove(0).run();
        RegistryTopology.Snapshot good = t.current();
        assertEquals(2, good.nodes().size());
        assertEquals(1_000_005, good.fetchedMillis());
        assertTrue(queued.isEmpty(), "within 30 s of the last fetch: none");

        now.addAndGet(RegistryTopology.REFRESH_MS - 1);
        assertSame(good, t.current());
        assertTrue(queued.isEmpty(), "not before 30 s");
        now.addAndGet(1);
        assertSame(good, t.current(), "the old answer while the new one is asked");
        registry.answers.add("{\"0/16\": 7}");
        queued.remove(0).run();
        assertSame(good, t.current(), "an answer that is no topology keeps the last good one");
        assertEquals(1, t.failures());

        now.addAndGet(RegistryTopology.REFRESH_MS);
        t.current();
        registry.answers.add(new IOException("cannot reach the registry at http://127.0.0.1:80/ (topology): connection refused"));
        queued.remove(0).run();
        assertSame(good, t.current(), "an unreachable registry keeps it too");
        assertEquals(2, t.failures());

        now.addAndGet(RegistryTopology.REFRESH_MS);
        t.current();
        registry.answers.add("{\"0/16\": [\"1/16\", \"2/16\"]}");
        queued.remove(0).run();
        assertEquals(3, t.current().nodes().size(), "the next good answer replaces it");
        assertEquals(4, registry.calls);
        assertEquals(2, t.failures());
    }

    @Test
    void aFailureIsLoggedOncePerCause() {
        FakeRegistry registry = new FakeRegistry();
        List<Runnable> queued = new ArrayList<>();
        AtomicLong now = new AtomicLong();
        RegistryTopology t = new RegistryTopology(registry::call, queued::add, now::get, now::get);
        List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(RegistryTopology.class.getName());
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue())
                    warnings.add(java.text.MessageFormat.format(r.getMessage(), r.getParameters()));
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        jul.addHandler(h);
        try {
            String[] answers = {"{\"0/16\": 7}", "{\"0/16\": 7}", "[]", "{\"0/16\": 7}"};
            for (String a : answers) {
                t.current();
                registry.answers.add(a);
                queued.remove(0).run();
                now.addAndGet(RegistryTopology.REFRESH_MS);
            }
        } finally {
            jul.removeHandler(h);
        }
        assertEquals(4, t.failures(), "each counted");
        assertEquals(3, warnings.size(), "logged when the cause changes: " + warnings);
        assertTrue(warnings.get(0).contains("not a topology: the value of '0/16' is not a list: 7; no map of the network yet"), warnings.get(0));
        assertTrue(warnings.get(1).contains("not a topology: not a JSON object: []"), warnings.get(1));
    }

    @Test
    void aClosedRunDoesNotFetch() {
        RegistryTopology t = new RegistryTopology(() -> { throw new AssertionError("called"); },
                r -> { throw new java.util.concurrent.RejectedExecutionException("shut down"); }, () -> 0, () -> 0);
        assertNull(t.current());
        assertEquals(0, t.failures());
    }
}
