package re6st.slap.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import re6st.cli.CommandFailure;
import re6st.cli.Launcher;
import re6st.slap.client.SlapClient;
import re6st.slap.client.SlapClientException;
import re6st.slap.master.AllowList;
import re6st.slap.master.SlapHttpServer;
import re6st.slap.master.SlapMaster;
import re6st.slap.xml.PythonOrder;
import re6st.slap.xml.XmlValue;

/**
 * {@code re6st slapos} (classic name {@code slapos}): SlapOS on the re6st overlay. The master
 * ({@code slapos proxy start}), the client commands ({@code request}, {@code supply},
 * {@code remove}, {@code service}, {@code computer}) and, on each node, the agent.
 */
@Command(name = "re6st slapos", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        subcommands = {SlaposCommand.Master.class, SlaposCommand.Request.class, SlaposCommand.Supply.class, SlaposCommand.Remove.class,
            SlaposCommand.Service.class, SlaposCommand.Computer.class, NodeAgentCommand.class},
        description = {"SlapOS on the re6st overlay: \"everything is a service\". A user requests an instance of a software "
                + "release; the master places it in a partition of a node; the node's agent deploys it; the instance publishes "
                + "its connection parameters (e.g. url = http://[2001:db8:42:7::2]:8080), reachable from anywhere in the mesh.",
            "The client commands find the master in ~/.slapos/slapos-client.cfg ([slapos] master_url = ...), "
                + "$SLAPOS_CLIENT_CONFIGURATION, --cfg or --master-url."},
        footer = {"", "Examples:", "  re6st slapos master --allow 2001:db8:42::/48",
            "  re6st slapos supply https://example.com/web/software.json COMP-1",
            "  re6st slapos request web1 https://example.com/web/software.json --parameters port=8080",
            "  re6st slapos service info web1"})
public final class SlaposCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        Launcher.main(new SlaposCommand(), args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    static PrintWriter out(CommandSpec spec) {
        return spec.commandLine().getOut();
    }

    /** k=v arguments (the original's parse_option_dict: split at the first '=', a key twice is an error). */
    static Map<String, String> keyValues(List<String> args, String option) {
        Map<String, String> out = new LinkedHashMap<>();
        if (args == null)
            return out;
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq <= 0)
                throw CommandFailure.usage(option + " " + a + ": expected KEY=VALUE");
            if (out.put(a.substring(0, eq), a.substring(eq + 1)) != null)
                throw CommandFailure.usage(option + ": multiple values for the key '" + a.substring(0, eq) + "'");
        }
        return out;
    }

    static CommandFailure failure(SlapClientException e) {
        return CommandFailure.failed("the master refused: " + e.getMessage());
    }

    // ---- master ---------------------------------------------------------------------------------

    @Command(name = "master", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
            description = {"Runs the SlapOS master (the original's 'slapos proxy start'): slapproxy's HTTP endpoints, so that "
                    + "nodes' agents and the slap client library talk to it; placement on the first free partition (computer_guid "
                    + "filter), timestamps that change only on a real change, two-phase destroy, shared instances. The state is one "
                    + "SQLite file (slapproxy's v17 tables plus the nodes' reports), committed on every call.",
                "slapproxy has no authentication: only the prefixes given with --allow may call (loopback by default); on an "
                    + "overlay, allow the network's prefix."},
            footer = {"", "Example: re6st slapos master --db /var/lib/re6st/slapos-master.db --listen '[::]:8080' --allow 2001:db8:42::/48"})
    static final class Master implements Callable<Integer> {
        @Option(names = "--db", paramLabel = "FILE", defaultValue = "/var/lib/re6st/slapos-master.db",
                description = "The master's database (created, mode 0600; default: ${DEFAULT-VALUE}).")
        Path db;

        @Option(names = "--listen", paramLabel = "[ADDR]:PORT", defaultValue = "[::]:8080",
                description = "Where to listen; repeatable (default: ${DEFAULT-VALUE}, IPv4 too where the kernel maps it).")
        List<String> listen;

        @Option(names = "--allow", paramLabel = "PREFIX",
                description = "An address prefix allowed to call the master (e.g. the overlay's 2001:db8:42::/48); repeatable. "
                        + "Default: loopback only (127.0.0.0/8, ::1).")
        List<String> allow;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "8", description = "Worker threads (default: ${DEFAULT-VALUE}).")
        int threads;

        @Option(names = "--metrics", paramLabel = "[ADDR:]PORT",
                description = "Serve metrics to Prometheus (GET /metrics) on this port, on loopback unless ADDR is given.")
        String metrics;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (threads < 1 || threads > 256)
                throw CommandFailure.usage("--threads must be between 1 and 256, got " + threads);
            AllowList allowed;
            try {
                allowed = allow == null || allow.isEmpty() ? AllowList.loopback() : AllowList.parse(allow);
            } catch (IllegalArgumentException e) {
                throw CommandFailure.usage(e.getMessage());
            }
            List<InetSocketAddress> at = new ArrayList<>();
            for (String l : listen)
                at.add(listenAddress(l));
            MetricRegistry registry = new MetricRegistry();
            SlapMaster master;
            try {
                master = SlapMaster.open(db, SlapMaster.systemClock());
            } catch (IOException | java.sql.SQLException e) {
                throw CommandFailure.failed("--db " + db, e);
            }
            SlapHttpServer server = new SlapHttpServer(master, allowed, registry, threads);
            re6st.metrics.MetricsServer exporter = null;
            CountDownLatch stop = new CountDownLatch(1);
            try {
                List<InetSocketAddress> bound = server.start(at);
                if (metrics != null)
                    exporter = re6st.metrics.MetricsServer.start(metrics, registry);
                out(spec).printf("slapos master listening on %s (database %s; allowed: %s)%n",
                        String.join(", ", bound.stream().map(AllowList::text).toList()), db, allowed);
                out(spec).flush();
                re6st.metrics.MetricsServer e = exporter;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    server.close();
                    if (e != null)
                        e.close();
                    master.close();
                    stop.countDown();
                }, "slapos-master-stop"));
                stop.await();
                return 0;
            } catch (IOException e) {
                server.close();
                master.close();
                throw CommandFailure.failed(e);
            }
        }

        static InetSocketAddress listenAddress(String spec) {
            int colon = spec.lastIndexOf(':');
            if (colon < 0)
                throw CommandFailure.usage("--listen " + spec + ": expected [ADDR]:PORT, e.g. [::]:8080");
            String host = spec.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]"))
                host = host.substring(1, host.length() - 1);
            int port;
            try {
                port = Integer.parseInt(spec.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw CommandFailure.usage("--listen " + spec + ": the port is not a number");
            }
            if (port < 0 || port > 65535)
                throw CommandFailure.usage("--listen " + spec + ": port out of range");
            if (host.isEmpty())
                host = "::";
            if (!(host.indexOf(':') >= 0 || host.matches("[0-9.]+")))
                throw CommandFailure.usage("--listen " + spec + ": an address literal, not a name");
            return new InetSocketAddress(host, port);
        }
    }

    // ---- request --------------------------------------------------------------------------------

    static final class Params {
        @Option(names = "--parameters", arity = "1..*", paramLabel = "KEY=VALUE", description = "Instance parameters.")
        List<String> parameters;

        @Option(names = "--parameters-file", paramLabel = "FILE", description = "Instance parameters in a JSON file (an object).")
        Path file;
    }

    @Command(name = "request", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
            description = {"Requests an instance of a software release, or changes it (same reference), and prints its state and "
                    + "connection parameters. Rerun it to see them once the node has deployed the instance.",
                "Exit codes: 0 requested, 2 the master is provisioning it (rerun later) or a usage error, 1 refused (e.g. no free "
                    + "partition) or the master unreachable."},
            footer = {"", "Example: re6st slapos request web1 https://example.com/web/software.json --parameters port=8080 --node computer_guid=COMP-2"})
    static final class Request implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Parameters(index = "0", paramLabel = "REFERENCE", description = "The instance's name.")
        String reference;

        @Parameters(index = "1", paramLabel = "SOFTWARE_URL", description = "The software release.")
        String software;

        @Option(names = "--node", arity = "1..*", paramLabel = "KEY=VALUE", description = "Where to place it, e.g. computer_guid=COMP-1.")
        List<String> node;

        @Option(names = "--type", description = "The software type (default: default).")
        String type;

        @Option(names = "--state", description = "started (default), stopped or destroyed.")
        String state;

        @Option(names = "--slave", description = "A shared instance, hosted by an instance of the same software release.")
        boolean slave;

        @ArgGroup(exclusive = true)
        Params params = new Params();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (state != null && !SlapMaster.INSTANCE_STATES.contains(state))
                throw CommandFailure.usage("--state " + state + ": started, stopped or destroyed");
            Map<String, String> p = params == null ? Map.of() : keyValues(params.parameters, "--parameters");
            if (params != null && params.file != null)
                p = jsonParameters(params.file);
            Map<String, String> filter = keyValues(node, "--node");
            SlapClient c = client.client();
            PrintWriter out = out(spec);
            out.printf("Requesting %s as instance of %s...%n", reference, software);
            out.flush();
            XmlValue si;
            try {
                si = c.request(software, reference, p, type, filter, state, slave);
            } catch (SlapClientException e) {
                if (e.kind() == SlapClientException.Kind.NOT_READY) {
                    out.println("Instance requested. Master is provisioning it. Please rerun in a couple of minutes to get connection information.");
                    out.flush();
                    return 2;
                }
                throw failure(e);
            } catch (IOException e) {
                throw CommandFailure.failed(e);
            }
            out.printf("Instance requested.%nState is : %s.%n", text(attr(si, "_requested_state")));
            out.println("Connection parameters of instance are:");
            out.println(PyPrint.pformat(strings(attr(si, "_connection_dict"))));
            out.println("You can rerun the command to get up-to-date information.");
            out.flush();
            return 0;
        }

        static Map<String, String> jsonParameters(Path f) {
            JsonNode n;
            try {
                n = new ObjectMapper().readTree(f.toFile());
            } catch (IOException e) {
                throw CommandFailure.usage("--parameters-file " + f, e);
            }
            if (n == null || !n.isObject())
                throw CommandFailure.usage("--parameters-file " + f + ": not a JSON object");
            Map<String, String> out = new LinkedHashMap<>();
            n.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
            return out;
        }
    }

    static XmlValue attr(XmlValue obj, String name) {
        if (obj instanceof XmlValue.Obj o)
            return o.attributes().entries().get(new XmlValue.Str(name));
        if (obj instanceof XmlValue.Dict d)
            return d.entries().get(new XmlValue.Str(name));
        return null;
    }

    static String text(XmlValue v) {
        return v == null || v instanceof XmlValue.None ? "" : PythonOrder.str(v);
    }

    static Map<String, String> strings(XmlValue v) {
        Map<String, String> out = new LinkedHashMap<>();
        if (v instanceof XmlValue.Dict d)
            d.entries().forEach((k, x) -> out.put(PythonOrder.str(k), PythonOrder.str(x)));
        return out;
    }

    // ---- supply / remove ------------------------------------------------------------------------

    abstract static class SupplyBase implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Parameters(index = "0", paramLabel = "SOFTWARE_URL", description = "The software release.")
        String software;

        @Parameters(index = "1", paramLabel = "NODE", description = "The computer (node) reference, e.g. COMP-1.")
        String node;

        @Spec
        CommandSpec spec;

        abstract String state();

        @Override
        public Integer call() {
            try {
                String answer = client.client().post("supplySupply", Map.of("url", software, "computer_id", node, "state", state()));
                out(spec).println(answer.strip());
                out(spec).flush();
                return 0;
            } catch (SlapClientException e) {
                throw failure(e);
            } catch (IOException e) {
                throw CommandFailure.failed(e);
            }
        }
    }

    @Command(name = "supply", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = "Asks a node to install a software release (its agent builds it, then reports available or error).")
    static final class Supply extends SupplyBase {
        @Override
        String state() {
            return "available";
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = "Asks a node to remove a software release (its agent deletes it and reports it destroyed).")
    static final class Remove extends SupplyBase {
        @Override
        String state() {
            return "destroyed";
        }
    }

    // ---- service list / info --------------------------------------------------------------------

    @Command(name = "service", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = "The instances the master knows.", subcommands = {ServiceList.class, ServiceInfo.class})
    static final class Service extends Group {
    }

    /** A command that only groups others: alone, it shows its usage. */
    abstract static class Group implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(out(spec));
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, description = "Lists the instances: title and software release.")
    static final class ServiceList implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            List<XmlValue> items = items(fetch(client, "re6st/instances"));
            PrintWriter out = out(spec);
            if (items.isEmpty())
                out.println("No existing service.");
            else {
                out.println("List of services:");
                for (XmlValue i : items)
                    out.printf("%s %s%n", text(attr(i, "title")), text(attr(i, "software_release")));
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = {"Shows an instance: software release, state, parameters, connection parameters, where it runs and what "
                    + "its node last reported.", "Exit code 2 if there is no such instance."})
    static final class ServiceInfo implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "REFERENCE", description = "The instance's name.")
        String reference;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            XmlValue i;
            PrintWriter out = out(spec);
            try {
                i = client.client().getDocument("re6st/instance", Map.of("title", reference));
            } catch (SlapClientException e) {
                if (e.kind() == SlapClientException.Kind.NOT_FOUND) {
                    out.printf("Instance %s does not exist.%n", reference);
                    out.flush();
                    return 2;
                }
                throw failure(e);
            } catch (IOException e) {
                throw CommandFailure.failed(e);
            }
            out.printf("Software Release URL: %s%n", text(attr(i, "software_release")));
            out.printf("Instance state: %s%n", text(attr(i, "requested_state")));
            out.println("Instance parameters:");
            out.println(PyPrint.pformat(strings(attr(i, "parameters"))));
            out.println("Connection parameters:");
            out.println(PyPrint.pformat(strings(attr(i, "connection"))));
            List<String> addresses = new ArrayList<>();
            if (attr(i, "addresses") instanceof XmlValue.ListV l)
                l.items().forEach(a -> addresses.add(text(a)));
            out.printf("Placed on: %s %s %s%n", text(attr(i, "computer")), text(attr(i, "partition")), addresses);
            String reported = text(attr(i, "reported_state"));
            out.printf("Node reports: %s%n", reported.isEmpty() ? "nothing yet" : reported);
            String log = text(attr(i, "error_log"));
            if (!log.isEmpty())
                out.printf("Error log:%n%s%n", log.strip());
            out.flush();
            return 0;
        }
    }

    // ---- computer list / info -------------------------------------------------------------------

    @Command(name = "computer", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = "The computers (nodes) the master knows.", subcommands = {ComputerList.class, ComputerInfo.class})
    static final class Computer extends Group {
    }

    static List<XmlValue> computers(ClientOptions client) {
        return items(fetch(client, "re6st/computers"));
    }

    /** A listing endpoint's document; a refusal or an unreachable master is the command's failure. */
    static XmlValue fetch(ClientOptions client, String endpoint) {
        try {
            return client.client().getDocument(endpoint, Map.of());
        } catch (SlapClientException e) {
            throw failure(e);
        } catch (IOException e) {
            throw CommandFailure.failed(e);
        }
    }

    static List<XmlValue> items(XmlValue v) {
        return v instanceof XmlValue.ListV l ? l.items() : List.of();
    }

    @Command(name = "list", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = "Lists the computers: reference, address, free partitions.")
    static final class ComputerList implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            List<XmlValue> items = computers(client);
            PrintWriter out = out(spec);
            if (items.isEmpty())
                out.println("No existing computer.");
            else {
                out.println("List of Computers:");
                for (XmlValue c : items)
                    out.printf("%s %s (%s of %s partitions free)%n", text(attr(c, "reference")), text(attr(c, "address")),
                            text(attr(c, "free")), text(attr(c, "partitions")));
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = {"Shows a computer: its address, partitions, and the software releases supplied to it with what its agent "
                    + "reported.", "Exit code 2 if there is no such computer."})
    static final class ComputerInfo implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "REFERENCE", description = "The computer's reference, e.g. COMP-1.")
        String reference;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = out(spec);
            for (XmlValue c : computers(client)) {
                if (!reference.equals(text(attr(c, "reference"))))
                    continue;
                out.printf("Computer %s%n", reference);
                out.printf("Address: %s%n", text(attr(c, "address")));
                out.printf("Partitions: %s (%s free)%n", text(attr(c, "partitions")), text(attr(c, "free")));
                out.println("Software releases:");
                List<XmlValue> sw = attr(c, "software") instanceof XmlValue.ListV l ? l.items() : List.of();
                if (sw.isEmpty())
                    out.println("  none");
                for (XmlValue s : sw) {
                    String reported = text(attr(s, "reported_state"));
                    out.printf("  %s: %s (node reports: %s)%n", text(attr(s, "url")), text(attr(s, "requested_state")),
                            reported.isEmpty() ? "nothing yet" : reported);
                    String log = text(attr(s, "error_log"));
                    if (!log.isEmpty())
                        out.printf("    %s%n", log.strip().replace("\n", "\n    "));
                }
                out.flush();
                return 0;
            }
            out.printf("Computer %s does not exist.%n", reference);
            out.flush();
            return 2;
        }
    }
}
