package re6st.cli;

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
 * A java.util.logging handler for a daemon's log file (the registry's {@code -l/--logfile}, the
 * node's {@code -l/--log}): appends to the file (created mode 0640),
 * flushes every record, and {@link #reopen()}s it on demand, so that log rotation works as with
 * the original re6st-registry and re6stnet: logrotate renames the file, then {@code kill -USR1} makes
 * the daemon write to a new file of the old name. Unlike {@link java.util.logging.FileHandler}, the
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

    /** A daemon's -l: the log also goes to {@code file}, appended, formatted as usual, at the root logger's level (-v). */
    public static ReopenableFileHandler addToRootLogger(Path file) throws IOException {
        ReopenableFileHandler f = new ReopenableFileHandler(file);
        f.setFormatter(new java.util.logging.SimpleFormatter());
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        f.setLevel(root.getLevel());
        root.addHandler(f);
        return f;
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

    /**
     * As the original: {@code kill -SIGNAL} (USR1) reopens the log file (after logrotate moved it).
     * OpenJDK 17 (HotSpot, Linux) lets applications handle SIGUSR1 through sun.misc.Signal (module
     * jdk.unsupported); if a JVM refuses the signal, the daemon runs on without it and says so in {@code log}.
     */
    @SuppressWarnings("restriction")
    public void reopenOnSignal(String signal, System.Logger log) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> {
                try {
                    reopen();
                    log.log(System.Logger.Level.INFO, "log file reopened");
                } catch (IOException | RuntimeException e) {
                    log.log(System.Logger.Level.WARNING, "cannot reopen the log file " + file + ": " + e);
                }
            });
        } catch (IllegalArgumentException e) { // unknown signal, or one the JVM keeps for itself
            log.log(System.Logger.Level.WARNING, "SIG" + signal + " is not available (" + e.getMessage() + "): the log file "
                    + file + " will not be reopened on it");
        }
    }
}
