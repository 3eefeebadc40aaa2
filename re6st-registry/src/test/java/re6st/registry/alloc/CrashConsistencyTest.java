package re6st.registry.alloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import re6st.registry.store.ConfigKey;
import re6st.registry.store.RegistryDb;
import re6st.registry.store.Transaction;

/** kill -9 while another process allocates: the database reopens consistent, nothing committed is lost. */
class CrashConsistencyTest {
    @TempDir
    Path dir;

    @Test
    void killDuringAllocationsLeavesAConsistentDatabase() throws Exception {
        Path file = dir.resolve("registry.db");
        List<String> committed = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), CrashWriter.class.getName(), file.toString())
                    .redirectErrorStream(true).start();
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; )
                        lines.add(line);
                } catch (Exception ignored) {
                    // the child died
                }
            });
            reader.start();
            try {
                int seen = 0;
                List<String> said = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (seen < 20 + 15 * round) {
                    String line = lines.poll(100, TimeUnit.MILLISECONDS);
                    if (line == null) {
                        assertTrue(child.isAlive() || !lines.isEmpty(), "the writer died: " + said);
                        assertTrue(System.nanoTime() < deadline, "the writer stalled: " + said);
                        continue;
                    }
                    said.add(line);
                    if (line.startsWith("committed "))
                        seen++; // other lines: "open", the driver's logging notices
                }
                committed.addAll(said.stream().filter(l -> l.startsWith("committed "))
                        .map(l -> l.substring("committed ".length())).toList());
            } finally {
                child.destroyForcibly(); // SIGKILL: no shutdown hook, no close, probably mid-commit
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
                reader.join(10_000);
            }
            for (String line : lines) // printed after the loop stopped reading, before the kill
                if (line.startsWith("committed "))
                    committed.add(line.substring("committed ".length()));
        }
        PrefixAllocator allocator = new PrefixAllocator(80);
        try (RegistryDb db = RegistryDb.open(file)) { // the dead child's lock is gone with it
            db.read(tx -> {
                allocator.verify(tx);
                List<String> issued = tx.issuedCerts().stream().map(r -> r.prefix()).toList();
                assertTrue(issued.containsAll(committed), "every committed allocation survived");
                OptionalLong serial = tx.configInteger(ConfigKey.SERIAL);
                assertEquals(issued.size(), serial.orElseThrow(), "serial and allocations committed together");
                for (int i = 0; i < issued.size(); i++)
                    assertEquals(String.format("%16s", Integer.toBinaryString(i)).replace(' ', '0'), issued.get(i),
                            "no gap and no double");
                return null;
            });
            assertEquals(List.of("0000000000000000"), db.read(Transaction::issuedCerts).stream().limit(1).map(r -> r.prefix()).toList());
        }
    }
}
