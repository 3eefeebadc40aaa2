package re6st.netsim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a short command to completion with a bounded time, capturing its output. */
public final class Cmd {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    /** What a finished command did. */
    public record Result(List<String> command, int exit, String output) {
        public boolean ok() {
            return exit == 0;
        }

        /** Throws with the command and its output unless it exited 0. */
        public Result check() {
            if (exit != 0)
                throw new CommandFailedException(this);
            return this;
        }
    }

    public static final class CommandFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        public final transient Result result;

        CommandFailedException(Result r) {
            super("command failed (exit " + r.exit + "): " + String.join(" ", r.command) + "\n" + r.output.strip());
            this.result = r;
        }
    }

    private Cmd() {}

    /** Runs and requires exit 0. */
    public static Result run(String... command) {
        return exec(DEFAULT_TIMEOUT, command).check();
    }

    /** Runs and returns whatever happened (exit code and output), within {@code timeout}. */
    public static Result exec(Duration timeout, String... command) {
        List<String> cmd = List.copyOf(Arrays.asList(command));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p;
        try {
            p = start(pb);
        } catch (IOException e) {
            return new Result(cmd, 127, "cannot start: " + e.getMessage());
        }
        // Read output on this thread while the process runs; the process ends or is killed by the watchdog.
        Thread watchdog = new Thread(() -> {
            try {
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }, "cmd-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        String out;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
        } catch (IOException e) {
            out = "output lost: " + e.getMessage();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Result(cmd, 130, "interrupted");
        }
        watchdog.interrupt();
        return new Result(cmd, p.exitValue(), out);
    }

    /** Splits command output into trimmed, non-empty lines. */
    public static List<String> lines(String output) {
        List<String> out = new ArrayList<>();
        for (String l : output.split("\n"))
            if (!l.isBlank())
                out.add(l.strip());
        return out;
    }

    /** Starts {@code pb} (the tests' JVM forks directly: netsim-tests/pom.xml sets jdk.lang.Process.launchMechanism). */
    static Process start(ProcessBuilder pb) throws IOException {
        return pb.start();
    }
}
