package re6st.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.concurrent.Callable;

import org.junit.jupiter.api.Test;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class LauncherTest {
    @Command(name = "re6st try")
    static final class Try implements Callable<Integer>, Launcher.Verbosity {
        @Option(names = "--fail")
        String fail = "";

        @Option(names = {"-v", "--verbose"})
        boolean verbose;

        @Option(names = "--n")
        int n;

        @Override
        public Integer call() throws Exception {
            switch (fail) {
                case "usage" -> throw CommandFailure.usage("--fail usage: as asked");
                case "file" -> throw new NoSuchFileException("/nowhere/ca.crt");
                case "bug" -> throw new IllegalStateException("cannot happen");
                default -> {
                    return 0;
                }
            }
        }

        @Override
        public boolean verbose() {
            return verbose;
        }
    }

    record Outcome(int code, List<String> lines) {}

    static Outcome run(String... args) {
        StringWriter w = new StringWriter();
        int code = Launcher.commandLine(new Try(), new PrintWriter(w, true)).execute(args);
        return new Outcome(code, w.toString().lines().toList());
    }

    @Test
    void aBadOptionValueIsOneLineAndAPointerToHelpWithExit2() {
        Outcome o = run("--n", "banana");
        assertEquals(2, o.code);
        assertTrue(o.lines.get(0).startsWith("re6st try: Invalid value for option '--n': 'banana' is not an int"), o.lines.toString());
        assertEquals("Run 're6st try --help' for the options.", o.lines.get(o.lines.size() - 1));
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        assertEquals(2, run("--bogus").code);
    }

    @Test
    void aUsageFailureExits2WithItsLine() {
        Outcome o = run("--fail", "usage");
        assertEquals(new Outcome(2, List.of("re6st try: --fail usage: as asked")), o);
    }

    @Test
    void aKnownFailureIsOneLineWithoutTraceUnlessVerbose() {
        org.junit.jupiter.api.Assumptions.assumeFalse("1".equals(System.getenv("RE6ST_DEBUG")),
                "SKIPPED: RE6ST_DEBUG=1 in this environment asks for every stack trace");
        assertEquals(new Outcome(1, List.of("re6st try: /nowhere/ca.crt: no such file or directory (check the path)")),
                run("--fail", "file"));
        Outcome v = run("--fail", "file", "-v");
        assertEquals(1, v.code);
        assertTrue(v.lines.size() > 2 && v.lines.get(1).contains("NoSuchFileException"), v.lines.toString());
    }

    @Test
    void aBugSaysItIsOneAndShowsTheTrace() {
        Outcome o = run("--fail", "bug");
        assertEquals(1, o.code);
        assertEquals("re6st try: internal error: java.lang.IllegalStateException: cannot happen", o.lines.get(0));
        assertTrue(o.lines.get(1).contains("this is a bug in re6st"));
        assertTrue(o.lines.stream().anyMatch(l -> l.contains("at re6st.cli.LauncherTest$Try.call")), o.lines.toString());
    }

    @Test
    void successIsSilent() {
        Outcome o = run();
        assertEquals(0, o.code);
        assertFalse(o.lines.stream().anyMatch(l -> !l.isBlank()));
    }
}
