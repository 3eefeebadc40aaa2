package re6st.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;
import re6st.cli.CommandFailure;
import re6st.cli.Launcher;

class NodeCommandTest {
    /** Every option of the original re6stnet (cli/node.py), by its names. */
    static final List<String> ORIGINAL = List.of("-V, --version", "--ip", "--registry", "-l, --log", "-r, --run", "-s, --state",
            "-v, --verbose", "-i, --interface", "-I, --main-interface", "-m, --multicast", "--up", "--daemon", "--country",
            "--test", "--console", "-B", "-D, --default", "--table", "--gateway", "-O", "--ovpnlog", "--pp=PORT PROTO ", "--dh", "--ca",
            "--cert", "--key", "--client-count", "--max-clients", "--remote-gateway", "--disable-proto", "--client",
            "--neighbour", "-h, --help");

    @Test
    void helpListsEveryOriginalOptionWithItsDefaults() {
        String help = new CommandLine(new NodeCommand()).getUsageMessage(CommandLine.Help.Ansi.OFF);
        System.out.println(help);
        for (String option : ORIGINAL)
            assertTrue(help.contains(option), option + " missing from --help");
        String text = help.replaceAll("\\s+", " "); // descriptions are wrapped
        for (String shown : List.of("Default: standard error only", "default: /var/run/re6stnet", "default: /var/lib/re6stnet",
                "default: lo", "default: 1)", "--pp 1194 udp --pp 1194 tcp", "@re6stnet.conf"))
            assertTrue(text.contains(shown), shown + " missing from --help");
    }

    @Test
    void withoutADaemonTheCommandFailsClearly() {
        StringWriter err = new StringWriter();
        int exit = Launcher.execute(Launcher.commandLine(new NodeCommand(), new PrintWriter(err, true)), NodeOptionsTest.REQUIRED);
        assertEquals(CommandFailure.FAILED, exit);
        assertEquals("re6st node: the node daemon is not available in this build\n", err.toString().replace("\r", ""));
    }

    @Test
    void theSettingsGoToTheRunnerAndItsStatusIsTheExitStatus() {
        NodeCommand command = new NodeCommand();
        List<NodeSettings> got = new java.util.ArrayList<>();
        command.runner = s -> {
            got.add(s);
            return 7;
        };
        StringWriter err = new StringWriter();
        int exit = Launcher.execute(Launcher.commandLine(command, new PrintWriter(err, true)),
                NodeOptionsTest.with("--dh", "dh.pem", "-O", "--verb"));
        assertEquals(7, exit);
        assertEquals(1, got.size());
        assertEquals(List.of("-O is ignored: there is no OpenVPN in this re6stnet",
                "--dh is ignored: our tunnels negotiate their keys without Diffie-Hellman parameter files"), got.get(0).warnings());
        assertTrue(err.toString().contains("re6st node: warning: --dh is ignored"), err.toString());
    }

    @Test
    void versionIsTheOnePresentedToTheRegistry() {
        StringWriter out = new StringWriter();
        CommandLine cl = Launcher.commandLine(new NodeCommand(), new PrintWriter(new StringWriter(), true));
        cl.setOut(new PrintWriter(out, true));
        assertEquals(0, Launcher.execute(cl, "-V"));
        assertTrue(out.toString().startsWith("re6stnet/"), out.toString());
    }
}
