package re6st.babel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.StringReader;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;

import org.junit.jupiter.api.Test;

import re6st.babel.mac.MacPolicy;
import re6st.babel.message.Addr;

/** What the control socket answers a line, whatever the line and whatever the router does. */
class ControlCommandsTest {
    /** A router whose every call fails as the daemon's do: the core's exception inside an ExecutionException. */
    static final ControlCommands.Router FAILING = new ControlCommands.Router() {
        public Collection<String> dump() throws Exception {
            throw new ExecutionException(new IllegalStateException("the core stopped"));
        }

        public String metrics() {
            return "babel_routes 0\n";
        }

        public String routesTo(Addr a) throws Exception {
            throw new java.util.concurrent.TimeoutException();
        }

        public void setCostMultiplier(String ifname, Addr neighbour, int multiplier) throws Exception {
            throw new ExecutionException(new IllegalArgumentException("no neighbour " + neighbour + " on " + ifname));
        }

        public void setMacPolicy(String ifname, MacPolicy policy) throws Exception {
            throw new ExecutionException(new NullPointerException());
        }
    };

    final ControlCommands commands = new ControlCommands(FAILING, true, id -> null);

    @Test
    void blankLinesAreOkQuitEndsAndUnknownWordsAreBad() { // as babeld 1.12.1 answers them
        assertEquals("ok\n", commands.answer("", true, "u"));
        assertEquals("ok\n", commands.answer(" \t\r ", true, "u"));
        assertEquals("bad\n", commands.answer(" \t\u0001 ", true, "u"), "a control character is a word, not white space");
        assertNull(commands.answer("quit", true, "u"));
        assertNull(commands.answer("  quit\t\r", true, "u"));
        assertEquals("bad\n", commands.answer("dumpp", true, "u"));
        assertEquals("babel_routes 0\nok\n", commands.answer("metrics", false, "u"));
    }

    @Test
    void wordsAfterACommandThatTakesNoneAreBad() { // babeld: "dump extra", "quit now", "monitor x", "unmonitor x"
        commands.extend("status", () -> "{}");
        for (String line : List.of("dump extra", "quit now", "monitor x", "unmonitor x", "metrics x", "status --json", "dump\u000bx", "dump\u0001"))
            assertEquals("bad\n", commands.answer(line, true, "u"), line);
        assertEquals("ok\n", commands.answer(" unmonitor\t\r", true, "u"));
        assertEquals("{}\nok\n", commands.answer("status", true, "u"));
        assertEquals("no usage: routes ADDRESS\n", commands.answer("routes", true, "u"), "routes takes words: its own usage");
    }

    @Test
    void aFailingRouterIsAnsweredNoWithTheReasonOrTheLogNeverNull() {
        assertEquals("no dump failed (see the log)\n", commands.answer("dump", true, "u"));
        assertEquals("no routes failed (see the log)\n", commands.answer("routes 2001:db8::1", true, "u"));
        assertEquals("no no neighbour fe80::1 on eth0\n", commands.answer("cost-multiplier eth0 fe80::1 2", true, "u"));
        assertEquals("no For input string: \"x\"\n", commands.answer("cost-multiplier eth0 fe80::1 x", true, "u"));
        commands.extendWritable("nomessage", (args, who) -> {
            throw new IllegalArgumentException();
        });
        assertEquals("no IllegalArgumentException\n", commands.answer("nomessage", true, "u"));
        commands.extendWritable("twolines", (args, who) -> {
            throw new IllegalArgumentException("first\r\nsecond");
        });
        assertEquals("no first  second\n", commands.answer("twolines", true, "u"), "a reason stays on one line");
        commands.extend("status", () -> {
            throw new IllegalStateException("not yet");
        });
        assertEquals("no\n", commands.answer("status", true, "u"));
    }

    @Test
    void aReadOnlySocketChangesNothing() {
        ControlCommands readOnly = new ControlCommands(FAILING, false, id -> null);
        readOnly.extendWritable("cut", (args, who) -> {
            throw new AssertionError("ran");
        });
        assertEquals("no read-only control socket\n", readOnly.answer("cut x", false, "u"));
        assertEquals("no read-only control socket\n", readOnly.answer("cost-multiplier eth0 fe80::1 2", false, "u"));
        assertEquals("no not allowed: only the router's own user may change it\n", commands.answer("mac-policy eth0 sign 1", false, "u"));
    }

    @Test
    void aLineIsReadUpToItsNewlineAndNoFurtherThanTheLimit() throws Exception {
        StringReader in = new StringReader("dump\n\n" + "x".repeat(ControlCommands.MAX_LINE) + "\n" + "y".repeat(100_000) + "\nlast");
        assertEquals("dump", ControlCommands.readLine(in));
        assertEquals("", ControlCommands.readLine(in));
        String limit = ControlCommands.readLine(in);
        assertEquals(ControlCommands.MAX_LINE, limit.length());
        assertEquals("bad\n", commands.answer(limit, true, "u"), "a line at the limit is answered");
        String over = ControlCommands.readLine(in);
        assertEquals(ControlCommands.MAX_LINE + 1, over.length());
        assertEquals("no line too long (over 4096 characters)\n", commands.answer(over, true, "u"));
        assertNull(ControlCommands.readLine(in), "'last' has no newline: not a line (babeld acts on none)");
        assertNull(ControlCommands.readLine(in));
        assertEquals(List.of("a", "b"), ControlCommands.words(" a \t b\r"));
    }
}
