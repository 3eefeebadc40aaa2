package re6st.slap.cli;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import re6st.cli.CommandFailure;
import re6st.net.IpPrefix;
import re6st.net.Ipv6Address;
import re6st.slap.agent.LinuxHost;
import re6st.slap.agent.NodeAgent;
import re6st.slap.client.SlapClientException;

/**
 * {@code re6st slapos node} (the original's {@code slapos node}): the agent of this computer.
 * Alone it loops (format once, then software, instance and report every --interval); its
 * subcommands do one step once, with the original's exit codes (0 ok, 1 failure, 2 a promise
 * failed).
 */
@Command(name = "node", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        subcommands = {NodeAgentCommand.Format.class, NodeAgentCommand.Software.class, NodeAgentCommand.Instance.class,
            NodeAgentCommand.Report.class},
        description = {"The SlapOS agent of this computer, on its re6st node: partition i of the node's prefix P gets the address "
                + "P+(i+2) (and, with --ranges, a /(L+16) range), its unix user slapuserN and its directory; the computer "
                + "registers with the master; supplied software releases are installed; each instance's service runs as its "
                + "partition's user, restarted when it dies; its promises (20 s each) must pass; then its connection parameters "
                + "(e.g. url = http://[P+(i+2)]:8080/) are published; a destroyed instance's files are removed and its partition freed.",
            "Software releases are in re6st's own format: a JSON manifest (format, files, install, run, port, promises, "
                + "publish); see the README. Without root: no users and no addresses (they must exist), services run as you."},
        footer = {"", "Examples:", "  re6st slapos node --master-url 'http://[2001:db8:42::1]:8080' --computer-id COMP-7",
            "  re6st slapos node instance --master-url 'http://[2001:db8:42::1]:8080' --computer-id COMP-7"})
public final class NodeAgentCommand implements Callable<Integer> {
    private static final Logger LOG = System.getLogger("re6st.slap.agent");

    @Mixin
    AgentOptions o;

    @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "10",
            description = "How often the loop asks the master what to do (default: ${DEFAULT-VALUE}; the original: 60).")
    int interval;

    @Option(names = "--join", paramLabel = "REGISTRY_URL",
            description = {"Join the re6st network first: enrol with this registry (as 're6st conf', into --re6st-dir, unless a "
                    + "certificate is there already), start the re6st node (a child of this agent, stopped with it; its log in "
                    + "--re6st-dir/node.log), wait for its overlay address on --interface, then run the agent."})
    String join;

    @Option(names = "--token", paramLabel = "TOKEN", description = "With --join: the registry's token (mailed to you); else anonymous.")
    String token;

    @Option(names = "--re6st-dir", paramLabel = "DIR", defaultValue = "/etc/re6stnet",
            description = "With --join: where the key, certificate and re6stnet.conf are (default: ${DEFAULT-VALUE}).")
    Path re6stDir;

    @Option(names = "--node-option", paramLabel = "OPTION",
            description = "With --join: an option for re6st node, e.g. --node-option=-s --node-option=/var/lib/re6stnet; repeatable.")
    List<String> nodeOptions = new java.util.ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (interval < 1)
            throw CommandFailure.usage("--interval must be at least 1 second");
        Process node = join != null ? Join.start(join, token, re6stDir, nodeOptions, o.iface) : null;
        NodeAgent agent;
        try {
            agent = o.agent();
        } catch (RuntimeException e) {
            if (node != null)
                Join.stop(node);
            throw e;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            agent.close();
            if (node != null)
                Join.stop(node);
        }, "slapos-node-stop"));
        boolean formatted = false;
        while (stop.getCount() > 0) {
            if (node != null && !node.isAlive()) { // without its node the computer is off the overlay: a supervisor restarts us both
                LOG.log(Level.ERROR, "the re6st node exited with {0} (its log: {1}); stopping", node.exitValue(), re6stDir.resolve("node.log"));
                agent.close();
                return 1;
            }
            try {
                if (!formatted) {
                    agent.format();
                    formatted = true;
                }
                agent.turn();
            } catch (IOException | SlapClientException | RuntimeException e) {
                LOG.log(Level.WARNING, "{0}; trying again in {1} s", e.getMessage(), interval);
            }
            stop.await(interval, TimeUnit.SECONDS);
        }
        return 0;
    }

    /** What every agent command takes. */
    public static final class AgentOptions {
        @Mixin
        ClientOptions client;

        @Option(names = "--computer-id", paramLabel = "ID", required = true, description = "This computer's reference at the master, e.g. COMP-7.")
        String computerId;

        @Option(names = "--interface", paramLabel = "IFACE", defaultValue = "lo",
                description = "Where re6st put the node's address; the partitions' addresses go there too (default: ${DEFAULT-VALUE}).")
        String iface;

        @Option(names = "--node-address", paramLabel = "ADDR/LEN",
                description = "The re6st node's address and prefix length, e.g. 2001:db8:42:7::1/64 (default: the global IPv6 address of "
                        + "--interface with the shortest prefix).")
        String nodeAddress;

        @Option(names = "--partitions", paramLabel = "N", defaultValue = "10", description = "Computer partitions (default: ${DEFAULT-VALUE}).")
        int partitions;

        @Option(names = "--ranges", description = "Give each partition a /(L+16) IPv6 range too, made bindable (local route, ip_nonlocal_bind).")
        boolean ranges;

        @Option(names = "--instance-root", paramLabel = "DIR", defaultValue = "/srv/slapgrid",
                description = "The partitions' directories (default: ${DEFAULT-VALUE}).")
        Path instanceRoot;

        @Option(names = "--software-root", paramLabel = "DIR", defaultValue = "/opt/slapgrid",
                description = "Installed software releases (default: ${DEFAULT-VALUE}).")
        Path softwareRoot;

        @Option(names = "--no-users", description = "No unix user per partition: services run as the agent's user (the default without root).")
        boolean noUsers;

        @Option(names = "--user-prefix", paramLabel = "NAME", defaultValue = "slapuser",
                description = "Partition i's user is NAME<i> (default: ${DEFAULT-VALUE}).")
        String userPrefix;

        @Option(names = "--group", paramLabel = "NAME", defaultValue = "slapsoft", description = "The partition users' group (default: ${DEFAULT-VALUE}).")
        String group;

        static boolean root() {
            return "root".equals(System.getProperty("user.name"));
        }

        NodeAgent agent() {
            if (!userPrefix.matches("[a-z_][a-z0-9_-]{0,20}") || !group.matches("[a-z_][a-z0-9_-]{0,30}"))
                throw CommandFailure.usage("--user-prefix and --group: lower-case letters, digits, '_' and '-'");
            IpPrefix node = nodeAddress != null ? parse(nodeAddress) : discover();
            boolean root = root();
            try {
                return new NodeAgent(new NodeAgent.Config(computerId, Ipv6Address.ofBytes(node.address().getAddress()), node.length(), iface,
                        partitions, ranges, instanceRoot, softwareRoot, root && !noUsers, userPrefix, group, root), client.client(), new LinuxHost());
            } catch (IllegalArgumentException e) {
                throw CommandFailure.usage(e.getMessage());
            }
        }

        private static IpPrefix parse(String s) {
            try {
                IpPrefix p = IpPrefix.parse(s);
                if (!p.isIpv6() || p.length() == 128 && s.indexOf('/') < 0)
                    throw new IllegalArgumentException("an IPv6 address with its prefix length");
                return p;
            } catch (IllegalArgumentException e) {
                throw CommandFailure.usage("--node-address " + s + ": " + e.getMessage());
            }
        }

        private IpPrefix discover() {
            List<IpPrefix> all;
            try {
                all = LinuxHost.globalAddresses(iface);
            } catch (IOException e) {
                throw CommandFailure.failed("--interface " + iface, e);
            }
            return all.stream().filter(IpPrefix::isIpv6).filter(p -> p.length() < 128).min(Comparator.comparingInt(IpPrefix::length))
                    .orElseThrow(() -> CommandFailure.failed("no re6st address on " + iface + " (is the re6st node running? or give --node-address)"));
        }
    }

    abstract static class Step implements Callable<Integer> {
        @Mixin
        AgentOptions o;

        abstract int run(NodeAgent a) throws IOException, SlapClientException;

        @Override
        public Integer call() {
            try (NodeAgent a = o.agent()) {
                return run(a);
            } catch (SlapClientException e) {
                throw CommandFailure.failed("the master refused: " + e.getMessage());
            } catch (IOException e) {
                throw CommandFailure.failed(e);
            }
        }
    }

    @Command(name = "format", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = "Makes the partitions (addresses, users, directories) and registers the computer with the master.")
    static final class Format extends Step {
        @Override
        int run(NodeAgent a) throws IOException, SlapClientException {
            a.format();
            return 0;
        }
    }

    @Command(name = "software", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = "Installs the software releases supplied to this computer, removes the destroyed ones.")
    static final class Software extends Step {
        @Override
        int run(NodeAgent a) throws IOException, SlapClientException {
            return a.softwareStep();
        }
    }

    @Command(name = "instance", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = {"Deploys the instances whose timestamp changed and checks their promises, once. The services run while "
                    + "this command runs: it ends with them (run 're6st slapos node' to keep them up)."})
    static final class Instance extends Step {
        @Override
        int run(NodeAgent a) throws IOException, SlapClientException {
            return a.instanceStep();
        }
    }

    @Command(name = "report", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = "Destroys the instances the master asks to destroy (service stopped, files removed) and frees their partitions.")
    static final class Report extends Step {
        @Override
        int run(NodeAgent a) throws IOException, SlapClientException {
            return a.reportStep();
        }
    }
}
