package re6st.cli;

/**
 * A failure a command expects and explains: its message is the one line the user sees (after the
 * command's name), naming the thing (option, file, URL) and the likely fix. {@link Launcher}
 * prints it without a stack trace (unless --verbose) and exits with {@link #exitCode()}: 2 for a
 * usage or configuration error (as the original tools and argparse), 1 for anything else.
 */
public final class CommandFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** Bad option, argument or configuration: the command line must change. */
    public static final int USAGE = 2;
    /** The command ran and failed (peer unreachable, refused, I/O error). */
    public static final int FAILED = 1;

    private final int exitCode;

    private CommandFailure(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** A usage error (exit 2): {@code usage("--rekey must be between 1 and 86400 seconds, got 0")}. */
    public static CommandFailure usage(String message) {
        return new CommandFailure(USAGE, message, null);
    }

    /** A usage error caused by {@code cause}, explained: {@code usage("--ca", e)} gives "--ca: ca.crt: no such file". */
    public static CommandFailure usage(String what, Throwable cause) {
        return new CommandFailure(USAGE, what + ": " + Failures.explain(cause), cause);
    }

    /** A usage error that {@code cause} explains by itself (it names the file or value); the cause is kept for --verbose. */
    public static CommandFailure usage(Throwable cause) {
        return new CommandFailure(USAGE, Failures.explain(cause), cause);
    }

    /** A runtime failure that {@code cause} explains by itself; the cause is kept for --verbose. */
    public static CommandFailure failed(Throwable cause) {
        return new CommandFailure(FAILED, Failures.explain(cause), cause);
    }

    /** A runtime failure (exit 1). */
    public static CommandFailure failed(String message) {
        return new CommandFailure(FAILED, message, null);
    }

    /** A runtime failure caused by {@code cause}, explained after {@code what}. */
    public static CommandFailure failed(String what, Throwable cause) {
        return new CommandFailure(FAILED, what + ": " + Failures.explain(cause), cause);
    }

    public int exitCode() {
        return exitCode;
    }
}
