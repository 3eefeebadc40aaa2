package re6st.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Append to what is there, every record on disk at once, reopen after a rename: a new file (0640), the old one unchanged. */
class ReopenableFileHandlerTest {
    @Test
    void appendsFlushesAndReopens(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("log"), rotated = dir.resolve("log.1");
        Files.writeString(file, "from before\n");
        ReopenableFileHandler h = new ReopenableFileHandler(file);
        h.setFormatter(new SimpleFormatter() {
            @Override
            public String format(LogRecord r) {
                return r.getMessage() + "\n";
            }
        });
        try {
            h.publish(new LogRecord(Level.INFO, "one"));
            assertEquals("from before\none\n", Files.readString(file), "appended and flushed");
            Files.move(file, rotated);
            h.publish(new LogRecord(Level.INFO, "two"));
            h.reopen();
            h.publish(new LogRecord(Level.INFO, "three"));
            assertEquals("from before\none\ntwo\n", Files.readString(rotated));
            assertEquals("three\n", Files.readString(file));
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            h.reopen(); // the file is there: appended to, not truncated
            h.publish(new LogRecord(Level.INFO, "four"));
            assertEquals("three\nfour\n", Files.readString(file));
        } finally {
            h.close();
        }
    }
}
