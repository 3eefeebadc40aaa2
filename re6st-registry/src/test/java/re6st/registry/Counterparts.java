package re6st.registry;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;

/**
 * The real programs the registry's tests check against (openssl, python3-aiosmtpd, the MaxMind DB
 * writer, mmdblookup). A missing one skips the test that needs it, with a reason naming what is
 * missing and the Debian package that brings it, printed to stderr and given to JUnit: never a
 * silent pass. CI installs every one of them, so CI skips nothing.
 */
public final class Counterparts {
    private Counterparts() {
    }

    /** Skips the calling test unless {@code command} is an executable on the PATH. */
    public static void assumeCommand(String command, String debianPackage) {
        assume(onPath(command), "the " + command + " command", debianPackage);
    }

    /** Skips the calling test unless {@code present}: {@code what} is missing, {@code debianPackage} brings it. */
    public static void assume(boolean present, String what, String debianPackage) {
        assumeThat(present, what + " (apt-get install " + debianPackage + ")");
    }

    /** Skips the calling test unless {@code ok}; {@code needs} says what the test needs and how to get it. */
    public static void assumeThat(boolean ok, String needs) {
        if (ok)
            return;
        String reason = "SKIPPED " + caller() + ": needs " + needs;
        System.err.println(reason);
        Assumptions.abort(reason);
    }

    public static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":"))
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command)))
                return true;
        return false;
    }

    /** The test method that asked ("Class.method"): the first caller in a class named *Test. */
    private static String caller() {
        return StackWalker.getInstance().walk(s -> s.filter(f -> f.getClassName().endsWith("Test"))
                .map(f -> f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "." + f.getMethodName())
                .findFirst().orElse("a test"));
    }
}
