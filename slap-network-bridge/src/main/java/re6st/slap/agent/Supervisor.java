package re6st.slap.agent;

import java.io.File;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One partition's service, kept running: started with {@code command} (as the partition's user
 * when one is given), output appended to its log, restarted when it exits, after 1 s, then
 * doubling up to 60 s while it keeps dying within a minute of its start. {@link #stop} ends it
 * and its children (SIGTERM, then SIGKILL after 10 s).
 */
final class Supervisor {
    private static final Logger LOG = System.getLogger("re6st.slap.agent");
    static final long FIRST_BACKOFF_MS = 1_000, MAX_BACKOFF_MS = 60_000, STABLE_MS = 60_000;

    private final String name;
    private final List<String> command;
    private final Path dir, log;
    private final Map<String, String> env;
    private volatile boolean running = true;
    private volatile Process process;
    private volatile int restarts;
    private final Thread thread;

    private final long maxBackoffMs;

    /** @param maxBackoffMs the longest wait before a restart ({@link #MAX_BACKOFF_MS}; tests shorten it) */
    Supervisor(String name, List<String> command, Path dir, Path log, Map<String, String> env, long maxBackoffMs) {
        this.maxBackoffMs = maxBackoffMs;
        this.name = name;
        this.command = List.copyOf(command);
        this.dir = dir;
        this.log = log;
        this.env = Map.copyOf(env);
        this.thread = new Thread(this::loop, "supervise-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        long backoff = Math.min(FIRST_BACKOFF_MS, maxBackoffMs);
        while (running) {
            long started = System.currentTimeMillis();
            try {
                ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).redirectErrorStream(true)
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                pb.environment().putAll(env);
                synchronized (this) {
                    if (!running)
                        return;
                    process = pb.start();
                }
                LOG.log(Level.INFO, "{0}: service started (pid {1})", name, process.pid());
                int code = process.waitFor();
                if (!running)
                    return;
                restarts++;
                long up = System.currentTimeMillis() - started;
                backoff = up >= STABLE_MS ? Math.min(FIRST_BACKOFF_MS, maxBackoffMs) : backoff;
                LOG.log(Level.WARNING, "{0}: service exited with {1} after {2} ms; restarting in {3} ms", name, code, up, backoff);
            } catch (IOException e) {
                restarts++;
                LOG.log(Level.WARNING, "{0}: cannot start the service: {1}; retrying in {2} ms", name, e.getMessage(), backoff);
            } catch (InterruptedException e) {
                return;
            }
            try {
                synchronized (this) {
                    if (running)
                        wait(backoff);
                }
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(maxBackoffMs, backoff * 2);
        }
    }

    /** The service's process, if it runs now. */
    ProcessHandle current() {
        Process p = process;
        return p != null && p.isAlive() ? p.toHandle() : null;
    }

    int restarts() {
        return restarts;
    }

    /** Ends the service and its children; returns when they are gone (at most ~11 s). */
    void stop() {
        Process p;
        synchronized (this) {
            running = false;
            p = process;
            notifyAll();
        }
        if (p != null) {
            List<ProcessHandle> children = p.descendants().toList();
            p.destroy();
            children.forEach(ProcessHandle::destroy);
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(1, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        }
        thread.interrupt();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.log(Level.INFO, "{0}: service stopped", name);
    }
}
