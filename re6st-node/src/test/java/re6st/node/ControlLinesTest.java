package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.StringReader;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import re6st.babel.daemon.ControlCommands;

/**
 * The node's control socket lines {@code blackhole IFACE|CN SECONDS [WHY]}, {@code unblackhole} and
 * {@code routes ADDRESS} at their edges: each refused with one clear line, nothing cut.
 */
class ControlLinesTest {
    final ControlLines node = new ControlLines();

    /** {@code line} is answered {@code reply} and cuts nothing. */
    void refused(String line, String reply) {
        assertEquals(reply, node.ask(line), line);
        ControlLines.assertWellFormed(line, reply);
        assertEquals(List.of(), node.cuts.active(), line);
        assertEquals(Set.of(), node.udp.cut());
        assertEquals(0, node.cuts.figures().started());
    }

    @Test
    void secondsOutsideOneTo300AreOutOfBounds() {
        refused("blackhole re6st-1 0", "no blackhole: 0 s is out of bounds (1 to 300 s)\n");
        refused("blackhole re6st-1 301", "no blackhole: 301 s is out of bounds (1 to 300 s)\n");
        refused("blackhole re6st-1 -5", "no blackhole: -5 s is out of bounds (1 to 300 s)\n");
        refused("blackhole re6st-1 -0", "no blackhole: -0 s is out of bounds (1 to 300 s)\n");
        refused("blackhole re6st-1 2147483648", "no blackhole: 2147483648 s is out of bounds (1 to 300 s)\n");
        refused("blackhole re6st-1 99999999999999999999999", "no blackhole: 99999999999999999999999 s is out of bounds (1 to 300 s)\n");
        refused("blackhole re6st-1 -9223372036854775809", "no blackhole: -9223372036854775809 s is out of bounds (1 to 300 s)\n");
        refused("blackhole re6st-1 4294967306", "no blackhole: 4294967306 s is out of bounds (1 to 300 s)\n"); // 2^32 + 10: not 10
    }

    @Test
    void secondsThatAreNotAsciiDigitsAreNotANumber() {
        refused("blackhole re6st-1 ten", "no blackhole: 'ten' is not a whole number of seconds\n");
        refused("blackhole re6st-1 1.5", "no blackhole: '1.5' is not a whole number of seconds\n");
        refused("blackhole re6st-1 +10", "no blackhole: '+10' is not a whole number of seconds\n");
        refused("blackhole re6st-1 0x10", "no blackhole: '0x10' is not a whole number of seconds\n");
        refused("blackhole re6st-1 1e2", "no blackhole: '1e2' is not a whole number of seconds\n");
        refused("blackhole re6st-1 \u0661\u0660", "no blackhole: '\u0661\u0660' is not a whole number of seconds\n"); // Arabic-Indic 10
        refused("blackhole re6st-1 \uff11\uff10", "no blackhole: '\uff11\uff10' is not a whole number of seconds\n"); // fullwidth 10
        refused("blackhole re6st-1 -", "no blackhole: '-' is not a whole number of seconds\n");
    }

    @Test
    void missingArgumentsGiveTheUsage() {
        refused("blackhole", "no usage: blackhole IFACE|PEER-CN SECONDS [WHY...]\n");
        refused("blackhole re6st-1", "no usage: blackhole IFACE|PEER-CN SECONDS [WHY...]\n");
        refused("  blackhole\t re6st-1  ", "no usage: blackhole IFACE|PEER-CN SECONDS [WHY...]\n");
        refused("unblackhole", "no usage: unblackhole IFACE|PEER-CN\n");
        refused("routes", "no usage: routes ADDRESS\n");
    }

    @Test
    void extraArgumentsAreTheReasonOfABlackholeAndRefusedElsewhere() {
        assertEquals("blackholed re6st-1 3/16 10\nok\n", node.ask("blackhole re6st-1 10 a  test\tby hand"));
        assertEquals("a test by hand", node.cuts.active().get(0).why());
        assertEquals("no usage: unblackhole IFACE|PEER-CN\n", node.ask("unblackhole re6st-1 now"));
        assertEquals(1, node.cuts.active().size(), "still cut");
        assertEquals("no usage: routes ADDRESS\n", node.ask("routes 2001:db8::1 2001:db8::2"));
        assertEquals("restored re6st-1 3/16\nok\n", node.ask("unblackhole 3/16"));
        node.assertCutsAreBoundedAndOfLiveTunnels();
    }

    @Test
    void theBoundsThemselvesAndLeadingZerosAreAccepted() {
        assertEquals("blackholed re6st-1 3/16 1\nok\n", node.ask("blackhole re6st-1 1"));
        assertEquals(node.clock.get() + 1000, node.cuts.active().get(0).untilMs());
        assertEquals("blackholed re6st-2 4/16 300\nok\n", node.ask("blackhole 4/16 0000300"));
        assertEquals(node.clock.get() + 300_000, node.cuts.active().get(1).untilMs());
        node.assertCutsAreBoundedAndOfLiveTunnels();
    }

    @Test
    void onlyALiveTunnelIsCutByItsExactName() {
        refused("blackhole re6st-9 10", "no blackhole: no tunnel 're6st-9' (tunnels: re6st-1 to 3/16, re6st-2 to 4/16)\n");
        refused("blackhole RE6ST-1 10", "no blackhole: no tunnel 'RE6ST-1' (tunnels: re6st-1 to 3/16, re6st-2 to 4/16)\n");
        refused("blackhole re6st\u20111 10", "no blackhole: no tunnel 're6st\u20111' (tunnels: re6st-1 to 3/16, re6st-2 to 4/16)\n");
        refused("blackhole 3/16\u0000 10", "no blackhole: no tunnel '3/16\u0000' (tunnels: re6st-1 to 3/16, re6st-2 to 4/16)\n");
        refused("unblackhole re6st-1", "no unblackhole: no blackholed tunnel 're6st-1' (none is)\n");
    }

    @Test
    void unicodeWordsAreWordsAndOtherWhiteSpaceIsNot() {
        refused("bl\u00e4ckhole re6st-1 10", "bad\n");
        refused("blackhole\u00a0re6st-1 10", "bad\n"); // a no-break space does not split words
        assertEquals("blackholed re6st-1 3/16 10\nok\n", node.ask("blackhole re6st-1 10 \u00e9t\u00e9 \ud83d\ude00"));
        assertEquals("\u00e9t\u00e9 \ud83d\ude00", node.cuts.active().get(0).why());
    }

    @Test
    void theReasonStaysOneLineOfText() {
        assertEquals("blackholed re6st-1 3/16 10\nok\n", node.ask("blackhole re6st-1 10 a\u001b]0;owned\u0007 b\u0085c\u2028d\u009b2J"));
        assertEquals("a?]0;owned? b?c?d?2J", node.cuts.active().get(0).why());
        assertEquals(List.of("tunnel re6st-1 to 3/16 is blackholed on purpose for 10 more s (by user root: a?]0;owned? b?c?d?2J): "
                + "traffic avoids it; 'unblackhole re6st-1' on the control socket restores it"), node.cuts.warnings());
    }

    @Test
    void aClientThatMayNotWriteCutsNothing() {
        assertEquals("no not allowed: only the router's own user may change it\n", node.commands.answer("blackhole re6st-1 10", false, "user nobody"));
        assertEquals(List.of(), node.cuts.active());
    }

    @Test
    void routesTakesOneAddress() {
        refused("routes re6st-1", "no not an address: re6st-1\n");
        refused("routes 2001:db8::/64", "no not an address: 2001:db8::/64\n");
        refused("routes 2001:db8:::1", "no not an address: 2001:db8:::1\n");
        refused("routes \u0662001:db8::1", "no not an address: \u0662001:db8::1\n");
        assertEquals("ok\n", node.ask("routes 2001:db8::1"), "no route to it: none listed");
        assertEquals("ok\n", node.ask("routes 198.18.0.1"));
    }

    @Test
    void aVeryLongLineIsRefusedWithoutBeingKept() throws Exception {
        String huge = "blackhole re6st-1 10 " + "x".repeat(1_000_000);
        String kept = ControlCommands.readLine(new StringReader(huge + "\nstatus\n"));
        assertEquals(ControlCommands.MAX_LINE + 1, kept.length(), "the rest of the line is read and dropped");
        refused(kept, "no line too long (over 4096 characters)\n");
        String longest = "blackhole re6st-1 10 " + "y".repeat(ControlCommands.MAX_LINE - 21);
        assertEquals("blackholed re6st-1 3/16 10\nok\n", node.ask(longest), "a line of exactly the limit is answered");
        String target = "z".repeat(4000);
        assertEquals("no blackhole: no tunnel '" + target + "' (tunnels: re6st-1 to 3/16, re6st-2 to 4/16)\n",
                node.ask("blackhole " + target + " 10"));
    }

    @Test
    void linesEndAtNewlineAndTheNextLineIsReadAfterALongOne() throws Exception {
        StringReader in = new StringReader("a".repeat(10_000) + "\nblackhole re6st-1 10\r\nquit");
        assertEquals(ControlCommands.MAX_LINE + 1, ControlCommands.readLine(in).length());
        String second = ControlCommands.readLine(in);
        assertEquals("blackhole re6st-1 10\r", second);
        assertEquals("blackholed re6st-1 3/16 10\nok\n", node.ask(second), "a CR before the newline is white space");
        assertEquals(null, ControlCommands.readLine(in), "a last line without its newline is not a line (babeld acts on none)");
    }
}
