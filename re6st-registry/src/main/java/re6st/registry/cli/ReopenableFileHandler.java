package re6st.registry.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.logging.LogRecord;
import java.util.logging.StreamHandler;

/**
 * A java.util.logging handler for {@code -l/--logfile}: appends to the file (created mode 0640),
 * flushes every record, and {@link #reopen()}s it on demand, so that log rotation works as with
 * the original re6st-registry: logrotate renames the file, then {@code kill -USR1} makes the
 * registry write to a new file of the old name. Unlike {@link java.util.logging.FileHandler}, the
 * name is taken literally (no {@code %t}/{@code %h} patterns) and no {@code .lck} file is made.
 */
public final class ReopenableFileHandler extends StreamHandler {
    private final Path file;

    public ReopenableFileHandler(Path file) throws IOException {
        this.file = file;
        setEncoding(StandardCharsets.UTF_8.name());
        setOutputStream(open());
    }

    public Path file() {
        return file;
    }

    private OutputStream open() throws IOException {
        Set<StandardOpenOption> options = Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        FileChannel ch;
        try {
            ch = FileChannel.open(file, options, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----")));
        } catch (UnsupportedOperationException e) { // not a POSIX file system
            ch = FileChannel.open(file, options);
        }
        return Channels.newOutputStream(ch);
    }

    /**
     * Closes the current file and opens {@link #file()} again (a new file if it was moved away).
     * If that fails, logging goes on to the current file and the exception says why.
     */
    public synchronized void reopen() throws IOException {
        setOutputStream(open()); // flushes and closes the previous stream
    }

    @Override
    public synchronized void publish(LogRecord record) {
        super.publish(record);
        flush(); // a log file is read while the registry runs (tail -f), and survives a kill -9
    }
}
