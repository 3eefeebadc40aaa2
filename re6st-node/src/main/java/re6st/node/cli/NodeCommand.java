package re6st.node.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import re6st.cli.CommandFailure;
import re6st.cli.Launcher;
import re6st.registry.client.RegistryClient;

/**
 * {@code re6st node} (classic name {@code re6stnet}): the node daemon's command line. It checks
 * the options ({@link NodeOptions}), prints the warnings, and hands the {@link NodeSettings} to
 * {@link #runner}, the daemon (plugged in by whoever builds the command).
 */
@Command(name = "re6st node", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        versionProvider = NodeCommand.Version.class,
        description = {"Resilient IPv6 overlay network node (re6stnet): keeps encrypted tunnels to other nodes, routes over "
                + "them, and gets its identity and network parameters from the registry.",
            "Options may come from files, as the original's: re6st node @re6stnet.conf (one option per line, 'key value' "
                + "for --key value, '#' starts a comment; relative paths are from the current directory)."},
        footer = {"", "Examples:", "  cd /etc/re6stnet && re6st node @re6stnet.conf",
            "  re6st node --registry http://re6st.example.com/ --ca ca.crt --cert cert.crt --key cert.key -i eth0",
            "", "A first deployment, step by step:",
            "  1. on the registry's server: re6st registry init-ca --network PREFIX/48 --ca ca.crt --key ca.key, then",
            "     re6st registry --ca ca.crt --key ca.key --anonymous-prefix-length 16 (systemd: dist/systemd/re6st-registry.service)",
            "  2. on every machine, the registry's first: re6st conf --registry http://SERVER/ --anonymous -d /etc/re6stnet",
            "  3. on every machine: re6st node @/etc/re6stnet/re6stnet.conf (systemd: dist/systemd/re6st-node.service)",
            "  4. open TCP 80 to the registry, UDP and TCP 1194 (--pp) between the nodes; then 're6st status' shows the tunnels",
            "  The whole walk-through, the units' limits and the upgrade from the original re6st: docs/deployment.md"})
public final class NodeCommand implements Callable<Integer>, Launcher.Verbosity, Launcher.OriginalOptionFiles {
    /** The daemon: runs a node with these settings and returns the exit status. */
    @FunctionalInterface
    public interface Runner {
        int run(NodeSettings settings) throws Exception;
    }

    /** -V/--version: the version the registry is told, and the protocol. */
    static final class Version implements picocli.CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {RegistryClient.VERSION + " (re6st protocol " + re6st.registry.protocol.NetworkConfig.PROTOCOL + ")"};
        }
    }

    static final Runner UNAVAILABLE = settings -> {
        throw CommandFailure.failed("the node daemon is not available in this build");
    };

    @Mixin
    NodeOptions options = new NodeOptions();

    @Spec
    CommandSpec spec;

    /** What {@link #call} hands the settings to; the daemon, once there is one. */
    public Runner runner = UNAVAILABLE;

    public static void main(String[] args) {
        NodeCommand c = new NodeCommand();
        c.runner = re6st.node.NodeDaemon::run;
        Launcher.main(c, args);
    }

    /** Stack traces of known failures from -v 3 (debug) on. */
    @Override
    public boolean verbose() {
        return options.verbose >= 3;
    }

    @Override
    public Integer call() throws Exception {
        NodeSettings settings = options.settings();
        re6st.cli.LogLevel.apply(settings.verbose());
        for (String w : settings.warnings())
            spec.commandLine().getErr().println(spec.qualifiedName() + ": warning: " + w);
        return runner.run(settings);
    }
}
