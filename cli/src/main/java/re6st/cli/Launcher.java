package re6st.cli;

import java.io.PrintWriter;

import picocli.CommandLine;

/**
 * How every command starts and how it reports what went wrong, so that all of them (babel,
 * tunnel, registry, conf, demo, and those to come) answer alike:
 * <ul>
 * <li>a bad option or argument: one line {@code re6st conf: <what is wrong>}, a pointer to
 *     {@code --help}, exit 2 (as the original tools, whose argparse exits 2);</li>
 * <li>a known failure ({@link CommandFailure}, or an exception {@link Failures} explains: file,
 *     network, DNS, TLS, certificate): one line naming the thing and the likely fix, exit 1 (or
 *     the CommandFailure's code), the stack trace only with --verbose or RE6ST_DEBUG=1;</li>
 * <li>anything else is a bug in re6st: a line that says so, then the stack trace, exit 1.</li>
 * </ul>
 */
public final class Launcher {
    /** A command with a verbose switch (e.g. {@code -v}): when on, known failures print their stack trace too. */
    public interface Verbosity {
        boolean verbose();
    }

    /**
     * A command whose {@code @FILE} arguments are options files in the original re6st tools' format
     * ({@link OptionFiles}: {@code key value} per line), not picocli's.
     */
    public interface OriginalOptionFiles {
    }

    private Launcher() {}

    /** Runs {@code command} (a picocli {@code @Command}) with {@code args} and exits with its code. */
    public static void main(Object command, String[] args) {
        System.exit(run(command, args));
    }

    /** Runs {@code command} and returns the exit code (for tests and for commands that run others). */
    public static int run(Object command, String... args) {
        return execute(commandLine(command, new PrintWriter(System.err, true)), args);
    }

    /**
     * Runs {@code cl} (made by {@link #commandLine}) with {@code args}; for an
     * {@link OriginalOptionFiles} command, its {@code @FILE} arguments are read first.
     */
    public static int execute(CommandLine cl, String... args) {
        if (cl.getCommand() instanceof OriginalOptionFiles) {
            var spec = cl.getCommandSpec();
            try {
                args = OptionFiles.expand(java.util.List.of(args), name -> spec.findOption(name) != null).toArray(String[]::new);
            } catch (CommandFailure f) {
                return report(f, spec.qualifiedName(), false, cl.getErr());
            }
        }
        return cl.execute(args);
    }

    /** The CommandLine {@link #run} uses, its errors going to {@code err}. */
    public static CommandLine commandLine(Object command, PrintWriter err) {
        CommandLine cl = new CommandLine(command);
        cl.setErr(err);
        if (command instanceof OriginalOptionFiles)
            cl.setExpandAtFiles(false); // execute() reads them the original's way
        cl.setParameterExceptionHandler((ex, args) -> {
            String name = ex.getCommandLine().getCommandSpec().qualifiedName();
            err.println(name + ": " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.println("Run '" + name + " --help' for the options.");
            return CommandFailure.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> report(ex,
                commandLine.getCommandSpec().qualifiedName(), verbose(commandLine), err));
        return cl;
    }

    /** Prints {@code ex} as the launcher does for command {@code name}; returns the exit code. */
    public static int report(Throwable ex, String name, boolean verbose, PrintWriter err) {
        if (Failures.isBug(ex)) {
            err.println(name + ": internal error: " + Failures.explain(ex));
            err.println(name + ": this is a bug in re6st; please report it with the trace below");
            ex.printStackTrace(err);
            return CommandFailure.FAILED;
        }
        err.println(name + ": " + Failures.explain(ex));
        if (verbose || "1".equals(System.getenv("RE6ST_DEBUG")))
            ex.printStackTrace(err);
        return Failures.unwrap(ex) instanceof CommandFailure f ? f.exitCode() : CommandFailure.FAILED;
    }

    private static boolean verbose(CommandLine cl) {
        for (CommandLine c = cl; c != null; c = c.getParent())
            if (c.getCommand() instanceof Verbosity v && v.verbose())
                return true;
        return false;
    }
}
