package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import re6st.babel.daemon.ControlCommands;

/**
 * Jazzer on the node's control socket as a client types at it: any bytes (the last one says whether
 * the client may write, the one before whether white space takes the first line near and past the
 * length limit), decoded ({@link ControlCommands#decoding}) and cut into lines as the socket does, answered by the router's commands
 * with the node's {@code blackhole} and {@code unblackhole} (and {@code routes ADDRESS}). Every line
 * gets a well-formed reply of bounded size and nothing throws; a cut is only ever of a live tunnel,
 * for 1 to 300 s from when it was asked, on every transport; only a {@code blackholed} reply starts
 * one, only a {@code restored} reply or its bound ends one, and a refused line changes nothing. (The
 * daemon counts no refused control commands, so there is no count to check.)
 */
class ControlLineFuzzTest {
    /** Every cut and refusal is logged: hundreds of MB of log lines in a few minutes here (kept: JUL holds loggers weakly). */
    private static final List<java.util.logging.Logger> LOGS = List.of(java.util.logging.Logger.getLogger("re6st.node.blackhole"),
            java.util.logging.Logger.getLogger("re6st.babel.control"));

    @BeforeAll
    static void quiet() {
        LOGS.forEach(l -> l.setLevel(java.util.logging.Level.OFF));
    }

    @AfterAll
    static void loud() {
        LOGS.forEach(l -> l.setLevel(null));
    }

    @FuzzTest(maxDuration = "5s")
    void anyLines(FuzzedDataProvider in) throws Exception {
        ControlLines node = new ControlLines();
        boolean writable = in.consumeBoolean();
        // libFuzzer's inputs stop at 4 KiB: white space before the first line takes it to the limit and past it
        String pad = in.consumeBoolean() ? " ".repeat(ControlCommands.MAX_LINE - 24) : "";
        // the raw bytes, decoded by the socket's own decoder (UTF-8, a malformed sequence becomes U+FFFD, never an exception)
        byte[] bytes = in.consumeRemainingAsBytes(), padded = new byte[pad.length() + bytes.length];
        System.arraycopy(bytes, 0, padded, pad.length(), bytes.length);
        java.util.Arrays.fill(padded, 0, pad.length(), (byte) ' ');
        java.io.Reader text = ControlCommands.decoding(java.nio.channels.Channels.newChannel(new java.io.ByteArrayInputStream(padded)));
        for (String line; (line = ControlCommands.readLine(text)) != null; ) {
            node.timer.advance(1000); // a second per line: the bounds come during a long input, restored by the daemon's timer
            List<TunnelCuts.Cut> before = node.cuts.active();
            long started = node.cuts.figures().started(), restored = node.cuts.figures().restoredOnRequest();
            String reply = node.commands.answer(line, writable, "user root");
            List<String> words = ControlCommands.words(line);
            String command = words.isEmpty() ? "" : words.get(0);

            if (line.length() > ControlCommands.MAX_LINE)
                assertEquals("no line too long (over " + ControlCommands.MAX_LINE + " characters)\n", reply);
            else if (words.isEmpty())
                assertEquals("ok\n", reply, "a blank line is answered ok (babeld)");
            else if (words.equals(List.of("quit")))
                assertNull(reply);
            else if (words.size() > 1 && List.of("quit", "dump", "monitor", "unmonitor", "metrics", "status").contains(command))
                assertEquals("bad\n", reply, "words after a command that takes none (babeld)");
            else
                ControlLines.assertWellFormed(line, reply);

            node.assertCutsAreBoundedAndOfLiveTunnels();
            boolean cut = reply != null && reply.startsWith("blackholed ");
            assertEquals(started + (cut ? 1 : 0), node.cuts.figures().started(), reply);
            if (cut) {
                assertTrue(writable && command.equals("blackhole"), line);
                String[] r = reply.split("[ \n]");
                long seconds = Long.parseLong(r[3]);
                assertEquals(new java.math.BigInteger(words.get(2)).longValue(), seconds, "the seconds asked: " + line);
                TunnelCuts.Cut c = node.cuts.active().stream().filter(x -> x.peerCn().equals(r[2])).findFirst().orElse(null);
                assertNotNull(c, reply);
                assertEquals(node.clock.get() + seconds * 1000, c.untilMs(), reply);
            }
            boolean lifted = reply != null && reply.startsWith("restored ");
            assertEquals(restored + (lifted ? 1 : 0), node.cuts.figures().restoredOnRequest(), reply);
            if (lifted)
                assertTrue(writable && command.equals("unblackhole") && before.size() == node.cuts.active().size() + 1, line);
            if (!cut && !lifted)
                assertEquals(before, node.cuts.active(), "nothing changed: " + line);
        }
    }
}
