package re6st.netsim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A long-running process inside a namespace, its output (stdout and stderr) going to a log
 * file. {@link #close} stops it (SIGTERM, then SIGKILL after a grace period) with everything it
 * started; the owning {@link TestNet} closes it in any case.
 */
public final class NsProcess implements AutoCloseable {
    private final String name;
    private final List<String> command;
    private final Process process;
    private final Path log;

    NsProcess(String name, List<String> command, Process process, Path log) {
        this.name = name;
        this.command = command;
        this.process = process;
        this.log = log;
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Process process() {
        return process;
    }

    public Path logFile() {
        return log;
    }

    /** The output so far. */
    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends a signal by name (e.g. "KILL", "USR1") to the process. */
    public void signal(String sig) {
        Cmd.exec(Cmd.DEFAULT_TIMEOUT, "kill", "-" + sig, Long.toString(process.pid()));
    }

    /** Waits for the process to exit by itself; returns its exit code, or null on timeout. */
    public Integer waitFor(java.time.Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Stops it: SIGTERM, up to 3 s to exit, then SIGKILL for it and its descendants. */
    @Override
    public void close() {
        List<ProcessHandle> children = process.descendants().toList();
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(3, TimeUnit.SECONDS))
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        for (ProcessHandle c : children)
            c.destroyForcibly();
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + "): " + String.join(" ", command);
    }
}
