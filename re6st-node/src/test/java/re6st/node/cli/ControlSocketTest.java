package re6st.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;
import re6st.cli.CommandFailure;
import re6st.cli.Launcher;

/** {@code -r DIR}, shared by re6st status and re6st bench failover, and a question to the node's control socket. */
class ControlSocketTest {
    static final String RUN_HELP = "-r, --run=DIR The node's runtime directory, as given to re6st node -r (default: /var/run/re6stnet).";

    @TempDir
    Path run;

    @Test
    void statusAndBenchFailoverShowTheSameRunOption() {
        for (Object command : List.of(new StatusCommand(), new BenchCommand.Failover())) {
            String help = new CommandLine(command).getUsageMessage(CommandLine.Help.Ansi.OFF);
            assertTrue(help.replaceAll("\\s+", " ").contains(RUN_HELP), help);
            assertTrue(help.contains("[-r=DIR]"), help);
        }
    }

    @Test
    void bothCommandsAskTheSocketInTheRunDirectory() {
        StatusCommand status = new StatusCommand();
        new CommandLine(status).parseArgs();
        assertEquals(Path.of("/var/run/re6stnet/babeld.sock"), status.control.path());
        BenchCommand.Failover bench = new BenchCommand.Failover();
        new CommandLine(bench).parseArgs("--to", "2001:db8::1", "--run", "/run/re6stnet-test");
        assertEquals(Path.of("/run/re6stnet-test/babeld.sock"), bench.control.path());
    }

    @Test
    void statusPrintsWhatTheNodeAnswersAndRefusalsAreItsReason() throws Exception {
        List<String> asked = new CopyOnWriteArrayList<>();
        try (ServerSocketChannel node = fakeNode(asked, Map.of("status", "{\"node\":\"3/16\",\"tunnels\":[]}\nok",
                "blackhole x 1", "no blackhole: no tunnel 'x' (tunnels: none)"))) {
            StringWriter out = new StringWriter(), err = new StringWriter();
            CommandLine cl = Launcher.commandLine(new StatusCommand(), new PrintWriter(err, true));
            cl.setOut(new PrintWriter(out, true));
            assertEquals(0, Launcher.execute(cl, new String[] {"-r", run.toString(), "--json"}), err.toString());
            assertEquals("{\"node\":\"3/16\",\"tunnels\":[]}\n", out.toString());

            ControlSocket c = new ControlSocket();
            c.run = run;
            CommandFailure e = assertThrows(CommandFailure.class, () -> c.ask("blackhole x 1"));
            assertEquals("blackhole: no tunnel 'x' (tunnels: none)", e.getMessage());
            assertEquals(List.of("status", "blackhole x 1"), asked);
        }
    }

    @Test
    void withoutANodeTheQuestionFailsSayingWhere() {
        ControlSocket c = new ControlSocket();
        c.run = run;
        CommandFailure e = assertThrows(CommandFailure.class, () -> c.ask("status"));
        assertEquals("no node control socket at " + run.resolve("babeld.sock") + ": is re6st node running, with -r " + run + "?",
                e.getMessage());
    }

    /** A node's control socket in {@link #run}: the banner, then the given answer to each known command (else "bad"). */
    private ServerSocketChannel fakeNode(List<String> asked, Map<String, String> answers) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(run.resolve("babeld.sock")));
        Thread t = new Thread(() -> {
            while (s.isOpen()) {
                try (SocketChannel c = s.accept()) {
                    BufferedReader in = new BufferedReader(Channels.newReader(c, StandardCharsets.UTF_8));
                    Writer out = Channels.newWriter(c, StandardCharsets.UTF_8);
                    out.write("BABEL 1.0\nversion re6st-babel\nhost test\nmy-id 02:00:00:00:00:00:00:01\nok\n");
                    out.flush();
                    for (String l; (l = in.readLine()) != null && !l.equals("quit"); ) {
                        asked.add(l);
                        out.write(answers.getOrDefault(l, "bad") + "\n");
                        out.flush();
                    }
                } catch (IOException e) {
                    // closed
                }
            }
        }, "fake-node");
        t.setDaemon(true);
        t.start();
        return s;
    }
}
