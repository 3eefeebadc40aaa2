package re6st.node.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import re6st.cli.Launcher;
import re6st.node.NodeStatus;

/**
 * {@code re6st status}: what a running node does, read over its control socket
 * ({@code <run>/babeld.sock}, the one babeld's tools read too): the node, its config version
 * and certificate, each tunnel with its RTT, bytes and Babel cost, the routes, and warnings.
 */
@Command(name = "re6st status", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Shows what the node running on this host does: its tunnels (peer, underlay address, protocol, up since, "
                + "RTT, bytes each way, Babel cost), its routes to other nodes, its network config version and certificate "
                + "expiry, and what looks wrong (certificate expiring, registry not routed, no incoming tunnel: a NAT?).",
            "It reads the node's control socket, RUN/babeld.sock (mode 0600: as the node's user, normally root)."},
        footer = {"", "Examples:", "  re6st status", "  re6st status --json | jq '.tunnels[] | {peer, rtt_ms}'",
            "  re6st status -r /run/re6stnet-test"})
public final class StatusCommand implements Callable<Integer> {
    @Mixin
    ControlSocket control = new ControlSocket();

    @Option(names = "--json", description = "Print the node's answer as JSON (one line), for scripts.")
    boolean json;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        Launcher.main(new StatusCommand(), args);
    }

    @Override
    public Integer call() throws Exception {
        String answer = control.ask("status");
        var status = NodeStatus.parse(answer); // a clear error rather than a table of blanks, also for --json
        spec.commandLine().getOut().print(json ? answer + "\n" : NodeStatus.text(status));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
