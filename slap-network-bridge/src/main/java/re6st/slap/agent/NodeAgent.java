package re6st.slap.agent;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import re6st.net.Ipv6Address;
import re6st.slap.PartitionAddresses;
import re6st.slap.PartitionNetwork;
import re6st.slap.agent.ComputerView.PartitionView;
import re6st.slap.agent.ComputerView.SoftwareView;
import re6st.slap.client.SlapClient;
import re6st.slap.client.SlapClientException;
import re6st.slap.xml.XmlValue;

/**
 * {@code re6st slapos node}: the agent of one computer (slap-protocol.md, "Node agent").
 * {@link #format} carves the partitions' addresses out of the node's re6st prefix, makes their
 * users and directories, and registers the computer; {@link #software} installs and removes
 * releases; {@link #instance} deploys each instance whose timestamp changed (its service under a
 * {@link Supervisor}, as the partition's user), runs its promises, publishes its connection
 * parameters and reports; {@link #report} destroys what the master asks to destroy. One thread
 * calls these (the loop); the supervisors run on their own.
 */
public final class NodeAgent implements AutoCloseable {
    private static final Logger LOG = System.getLogger("re6st.slap.agent");
    public static final long PROMISE_TIMEOUT_MS = 20_000;

    /**
     * @param computerId    the computer's reference at the master (e.g. COMP-1)
     * @param nodeAddress   the re6st node's address and its prefix length (the partitions' addresses come from it)
     * @param iface         where the partitions' addresses go ({@code lo}, where re6st puts the node's)
     * @param users         a unix user per partition ({@code <userPrefix><i>}, group {@code group}); needs root
     * @param configureAddresses add the partitions' addresses to {@code iface} (needs root)
     */
    public record Config(String computerId, Ipv6Address nodeAddress, int prefixLength, String iface, int partitions, boolean ranges,
                         Path instanceRoot, Path softwareRoot, boolean users, String userPrefix, String group,
                         boolean configureAddresses) {
    }

    /** Applies what format needs from the system (addresses, users); separate so that tests and unprivileged runs can skip it. */
    public interface Host {
        void addAddress(String iface, String addressWithLength) throws IOException;

        void addLocalRoute(String iface, String prefix) throws IOException;

        /**
         * A system user whose home is {@code home}: its own primary group of its name (partitions
         * cannot read each other's files), {@code group} as a supplementary one; for the software
         * user ({@code user} equal to {@code group}), that group as its primary one.
         */
        void ensureUser(String user, String group, Path home) throws IOException;

        /** Changes the owner of {@code path} itself, never what a symbolic link there points to. */
        void chown(Path path, String user, String group) throws IOException;

        /** Kills every process of {@code user} (a destroyed partition's leftovers). */
        void killUser(String user) throws IOException;
    }

    private final Config c;
    private final SlapClient master;
    private final Host host;
    private final SoftwareStore store;
    private final PartitionAddresses addresses;
    private final Map<String, Supervisor> supervisors = new ConcurrentHashMap<>();
    /** What was last reported per partition (started, stopped, or an error's text), so that a steady state is not reported again each turn. */
    private final Map<String, String> reported = new HashMap<>();
    private final Map<String, Boolean> published = new HashMap<>();

    public NodeAgent(Config c, SlapClient master, Host host) {
        this.c = c;
        this.master = master;
        this.host = host;
        this.store = new SoftwareStore(c.softwareRoot());
        this.addresses = PartitionAddresses.ofInterfaceAddress(c.nodeAddress(), c.prefixLength(), c.ranges());
        if (c.partitions() < 1 || c.partitions() > addresses.capacity())
            throw new IllegalArgumentException("--partitions " + c.partitions() + ": between 1 and " + addresses.capacity() + " here");
        for (PartitionNetwork p : addresses.partitions(c.partitions()))
            formatted.add(p.reference());
    }

    public PartitionAddresses addresses() {
        return addresses;
    }

    Path partitionDir(String id) {
        return c.instanceRoot().resolve(id);
    }

    /**
     * The agent's files about a partition (its run script, promises, deployed timestamp, the
     * supervisor's log), root's and out of the partition user's reach: root never writes into a
     * tree that user can change (a symbolic link there would point root's write anywhere).
     */
    Path agentDir(String id) {
        return c.instanceRoot().resolve(".agent").resolve(id);
    }

    /** The partitions format made: only these are ever touched (an id from the master is not a path). */
    private final java.util.Set<String> formatted = new java.util.HashSet<>();
    private volatile boolean closed;
    /** The supervisors' longest wait before a restart (60 s; tests shorten it). */
    long maxBackoffMs = Supervisor.MAX_BACKOFF_MS;

    String user(int i) {
        return c.userPrefix() + i;
    }

    // ---- format ---------------------------------------------------------------------------------

    /** Addresses, users, directories, {@code .slapos-resource} files; then {@code loadComputerConfigurationFromXML}. */
    public void format() throws IOException, SlapClientException {
        Files.createDirectories(c.instanceRoot());
        Files.createDirectories(c.softwareRoot());
        Files.createDirectories(c.instanceRoot().resolve(".agent"));
        if (c.users())
            host.ensureUser(c.group(), c.group(), c.softwareRoot()); // the software user: installs run as it
        List<XmlValue> parts = new ArrayList<>();
        for (PartitionNetwork p : addresses.partitions(c.partitions())) {
            if (c.configureAddresses()) {
                host.addAddress(c.iface(), p.address() + "/128");
                if (p.range().isPresent())
                    host.addLocalRoute(c.iface(), p.range().get().toString());
            }
            Path dir = partitionDir(p.reference());
            Files.createDirectories(dir);
            Files.createDirectories(agentDir(p.reference()));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));
            if (c.users()) {
                host.ensureUser(user(p.index()), c.group(), dir);
                host.chown(dir, user(p.index()), user(p.index()));
            }
            Map<String, Object> resource = new LinkedHashMap<>();
            resource.put("address_list", List.of(p.address().toString()));
            p.range().ifPresent(r -> resource.put("ipv6_range", r.toString()));
            Path res = replaceSafely(dir, ".slapos-resource", new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(resource) + "\n");
            if (c.users())
                host.chown(res, user(p.index()), user(p.index()));
            Map<String, XmlValue> addr = new LinkedHashMap<>();
            addr.put("addr", new XmlValue.Str(p.address().toString()));
            addr.put("netmask", new XmlValue.Str("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
            Map<String, XmlValue> part = new LinkedHashMap<>();
            part.put("reference", new XmlValue.Str(p.reference()));
            part.put("tap", XmlValue.Dict.ofStrings(Map.of("name", new XmlValue.Str(p.reference()))));
            part.put("address_list", new XmlValue.ListV(List.of(XmlValue.Dict.ofStrings(addr))));
            parts.add(XmlValue.Dict.ofStrings(part));
        }
        Map<String, XmlValue> computer = new LinkedHashMap<>();
        computer.put("reference", new XmlValue.Str(c.computerId()));
        computer.put("address", new XmlValue.Str(addresses.computerAddress().toString()));
        computer.put("netmask", new XmlValue.Str(netmask(c.prefixLength())));
        computer.put("partition_list", new XmlValue.ListV(parts));
        master.post("loadComputerConfigurationFromXML", Map.of("xml", SlapClient.marshal(XmlValue.Dict.ofStrings(computer))));
        LOG.log(Level.INFO, "computer {0} formatted: {1} partitions from {2} ({3})", c.computerId(), c.partitions(), addresses.nodePrefix(),
                c.users() ? "a user each" : "no users: services run as the agent's user");
    }

    /**
     * Writes {@code name} in a directory its partition's user owns without following what the
     * user may have put there: a new file (created exclusively), renamed over the old name (a
     * rename replaces a link, it does not follow it).
     */
    static Path replaceSafely(Path dir, String name, String content) throws IOException {
        Path tmp = Files.createTempFile(dir, ".agent-", ".tmp");
        try {
            Files.writeString(tmp, content);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            return Files.move(tmp, dir.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static String netmask(int length) {
        byte[] b = new byte[16];
        for (int i = 0; i < length; i++)
            b[i / 8] |= (byte) (0x80 >>> (i % 8));
        return Ipv6Address.ofBytes(b).toString();
    }

    // ---- the master's view ----------------------------------------------------------------------

    ComputerView view() throws IOException, SlapClientException {
        return ComputerView.parse(master.getDocument("getFullComputerInformation", Map.of("computer_id", c.computerId())));
    }

    // ---- software -------------------------------------------------------------------------------

    /** Installs the releases supplied {@code available} and not installed, removes the {@code destroyed} ones. Returns 0 or 1. */
    int software(ComputerView v) throws IOException, SlapClientException {
        int worst = 0;
        for (SoftwareView s : v.software()) {
            Map<String, String> f = Map.of("url", s.url(), "computer_id", c.computerId());
            if ("destroyed".equals(s.requestedState())) {
                store.remove(s.url());
                master.post("destroyedSoftwareRelease", f);
                LOG.log(Level.INFO, "software {0} removed", s.url());
                continue;
            }
            if (store.installed(s.url()))
                continue;
            master.post("buildingSoftwareRelease", f);
            try {
                store.install(s.url(), softwareUser());
                master.post("availableSoftwareRelease", f);
            } catch (IOException e) {
                worst = 1;
                LOG.log(Level.WARNING, "software {0} failed: {1}", s.url(), e.getMessage());
                master.post("softwareReleaseError", Map.of("url", s.url(), "computer_id", c.computerId(), "error_log", e.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while installing " + s.url(), e);
            }
        }
        return worst;
    }

    /** Installs run as the software user (the group's name) when there are users, never as root. */
    private SoftwareStore.RunAs softwareUser() {
        if (!c.users())
            return SoftwareStore.AS_IS;
        String u = c.group();
        return new SoftwareStore.RunAs() {
            @Override
            public List<String> command(List<String> command) {
                List<String> out = new ArrayList<>(List.of("setpriv", "--reuid=" + u, "--regid=" + u, "--init-groups", "--"));
                out.addAll(command);
                return out;
            }

            @Override
            public void own(Path tree) throws IOException {
                try (var w = Files.walk(tree)) { // a tree root just wrote: no link of the user's in it yet
                    for (Path x : (Iterable<Path>) w::iterator)
                        host.chown(x, u, u);
                }
            }
        };
    }

    // ---- instance -------------------------------------------------------------------------------

    /** Deploys every instance (0 all well, 1 a failure, 2 a promise failed, as slapos node instance). */
    int instance(ComputerView v) throws SlapClientException, IOException {
        int worst = 0;
        for (PartitionView p : v.partitions()) {
            if (!formatted.contains(p.id())) {
                LOG.log(Level.WARNING, "the master lists a partition {0} that format did not make: ignored", p.id());
                continue;
            }
            if (!p.busy()) { // freed (a restored database, a manual fix): nothing of an instance may run there
                Supervisor s = supervisors.remove(p.id());
                if (s != null)
                    s.stop();
                continue;
            }
            if ("destroyed".equals(p.requestedState()))
                continue;
            try {
                worst = Math.max(worst, deploy(p));
            } catch (IOException | IllegalArgumentException e) {
                worst = Math.max(worst, 1);
                reportError(p, e.getMessage());
            }
        }
        return worst;
    }

    private int index(String partitionId) {
        return Integer.parseInt(partitionId.substring("slappart".length()));
    }

    private int deploy(PartitionView p) throws IOException, SlapClientException {
        Path dir = partitionDir(p.id());
        Manifest m = store.manifest(p.softwareRelease());
        if (m == null)
            throw new IOException("software release " + p.softwareRelease() + " is not installed on " + c.computerId()
                    + ": supply it (slapos supply " + p.softwareRelease() + " " + c.computerId() + ")");
        Path tsFile = agentDir(p.id()).resolve("timestamp");
        String deployed = Files.exists(tsFile) ? Files.readString(tsFile).strip() : null;
        boolean changed = p.timestamp() == null || !p.timestamp().equals(deployed);
        if (changed) { // a new deployment is published and reported again, whatever the last one did
            reported.remove(p.id());
            published.remove(p.id());
        }
        Map<String, String> values = values(p, m, dir);
        if (changed)
            writeScripts(m, values, agentDir(p.id()));
        Map<String, String> env = new HashMap<>(Manifest.environment(values));
        env.put("HOME", dir.toString());
        if ("stopped".equals(p.requestedState())) {
            Supervisor s = supervisors.remove(p.id());
            if (s != null)
                s.stop();
            report(p, "stopped", "stoppedComputerPartition", null);
            Files.writeString(tsFile, String.valueOf(p.timestamp()));
            return 0;
        }
        Supervisor s = supervisors.get(p.id());
        boolean fresh = false;
        if (changed && s != null) {
            s.stop();
            supervisors.remove(p.id());
            s = null;
        }
        if (s == null) {
            // the log is opened by the shell, as the partition's user: root opens nothing in the user's tree
            List<String> cmd = asUser(p.id(), List.of("/bin/sh", "-c", "mkdir -p var/log tmp && exec \"$0\" >>var/log/service.log 2>&1",
                    agentDir(p.id()).resolve("run").toString()));
            synchronized (supervisors) {
                if (closed)
                    throw new IOException("the agent is stopping");
                s = new Supervisor(p.id(), cmd, dir, agentDir(p.id()).resolve("supervisor.log"), env, maxBackoffMs);
                supervisors.put(p.id(), s);
            }
            fresh = true;
        }
        if (changed) // deployed: a failing promise is checked again at the next turn, without a redeploy
            Files.writeString(tsFile, String.valueOf(p.timestamp()));
        String failed = promises(p.id(), dir, agentDir(p.id()), env, fresh || changed ? PROMISE_TIMEOUT_MS : 0);
        if (failed != null) {
            reportError(p, failed);
            return 2;
        }
        if (!Boolean.TRUE.equals(published.get(p.id()))) {
            Map<String, String> conn = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : m.publish().entrySet())
                conn.put(e.getKey(), Manifest.render(e.getValue(), values, false));
            Map<String, XmlValue> d = new LinkedHashMap<>();
            conn.forEach((k, x) -> d.put(k, new XmlValue.Str(x)));
            master.post("setComputerPartitionConnectionXml", Map.of("computer_id", c.computerId(), "computer_partition_id", p.id(),
                    "connection_xml", SlapClient.marshal(XmlValue.Dict.ofStrings(d))));
            published.put(p.id(), true);
            LOG.log(Level.INFO, "{0} ({1}) published {2}", p.id(), p.title(), conn);
        }
        report(p, "started", "startedComputerPartition", null);
        return 0;
    }

    private Map<String, String> values(PartitionView p, Manifest m, Path dir) {
        Map<String, String> v = new HashMap<>();
        String ipv6 = p.addresses().stream().filter(a -> a.indexOf(':') >= 0).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(p.id() + " has no IPv6 address in its ip_list (run format)"));
        v.put("ipv6", ipv6);
        String port = p.parameters().getOrDefault("port", m.port() == null ? null : String.valueOf(m.port()));
        if (port != null)
            v.put("port", port);
        v.put("partition_dir", dir.toString());
        v.put("software_dir", store.dir(p.softwareRelease()).toString());
        v.put("title", p.title() == null ? "" : p.title());
        v.put("computer_id", c.computerId());
        v.put("partition_id", p.id());
        p.parameters().forEach((k, x) -> v.put("parameter." + k, x));
        return v;
    }

    /** The run script and promises, in the agent's directory of the partition (root's, readable: they hold no value, only "$SLAP_..."). */
    private void writeScripts(Manifest m, Map<String, String> values, Path agent) throws IOException {
        Path promise = agent.resolve("promise");
        Files.createDirectories(promise);
        try (var old = Files.list(promise)) {
            for (Path f : old.toList())
                Files.delete(f);
        }
        script(agent.resolve("run"), Manifest.render(m.run(), values, true));
        for (Map.Entry<String, String> e : m.promises().entrySet())
            script(promise.resolve(e.getKey()), Manifest.render(e.getValue(), values, true));
    }

    private static void script(Path f, String body) throws IOException {
        Files.writeString(f, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** The command run as the partition's user (setpriv), or as it is without users. */
    private List<String> asUser(String partitionId, List<String> command) {
        if (!c.users())
            return command;
        String u = user(index(partitionId));
        List<String> out = new ArrayList<>(List.of("setpriv", "--reuid=" + u, "--regid=" + u, "--init-groups", "--"));
        out.addAll(command);
        return out;
    }

    /**
     * Runs each promise (20 s each at most); within {@code settleMs} of a start, a failing promise
     * is tried again every half second (the service is still starting). Null when all pass, else
     * what failed.
     */
    String promises(String partitionId, Path dir, Path agent, Map<String, String> env, long settleMs) throws IOException {
        Path promiseDir = agent.resolve("promise");
        if (!Files.isDirectory(promiseDir))
            return null;
        List<Path> all;
        try (var s = Files.list(promiseDir)) {
            all = s.sorted().toList();
        }
        long deadline = System.currentTimeMillis() + settleMs;
        for (Path promise : all) {
            while (true) {
                String failed = runPromise(partitionId, dir, promise, env);
                if (failed == null)
                    break;
                if (System.currentTimeMillis() >= deadline)
                    return failed;
                try {
                    Thread.sleep(500); // a retry period, not a synchronisation: the service gets time to bind
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return failed;
                }
            }
        }
        return null;
    }

    private String runPromise(String partitionId, Path dir, Path promise, Map<String, String> env) throws IOException {
        Path out = Files.createTempFile("promise", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(asUser(partitionId, List.of(promise.toString()))).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().putAll(env);
            Process p = pb.start();
            boolean done = p.waitFor(PROMISE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            if (!done) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return "promise " + promise.getFileName() + " did not end within " + PROMISE_TIMEOUT_MS / 1000 + " s";
            }
            if (p.exitValue() != 0)
                return "promise " + promise.getFileName() + " failed (exit " + p.exitValue() + "): " + SoftwareStore.tail(out).strip();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private void report(PartitionView p, String state, String endpoint, String errorLog) throws IOException, SlapClientException {
        if (state.equals(reported.get(p.id())))
            return;
        Map<String, String> f = new LinkedHashMap<>();
        f.put("computer_id", c.computerId());
        f.put("computer_partition_id", p.id());
        if (errorLog != null)
            f.put("error_log", errorLog);
        master.post(endpoint, f);
        reported.put(p.id(), state);
        LOG.log(Level.INFO, "{0} ({1}): {2}", p.id(), p.title(), state);
    }

    private void reportError(PartitionView p, String message) throws IOException, SlapClientException {
        LOG.log(Level.WARNING, "{0} ({1}): {2}", p.id(), p.title(), message);
        report(p, "error: " + message, "softwareInstanceError", message);
    }

    // ---- report (destroy) -----------------------------------------------------------------------

    /** Destroys the instances the master asks to destroy: service stopped, files removed, partition freed. */
    int report(ComputerView v) throws IOException, SlapClientException {
        for (PartitionView p : v.partitions()) {
            if (!p.busy() || !"destroyed".equals(p.requestedState()) || !formatted.contains(p.id()))
                continue;
            Supervisor s = supervisors.remove(p.id());
            if (s != null)
                s.stop();
            if (c.users())
                host.killUser(user(index(p.id()))); // what the service left running (a daemon it forked)
            SoftwareStore.deleteTree(agentDir(p.id()));
            Files.createDirectories(agentDir(p.id()));
            Path dir = partitionDir(p.id());
            if (Files.exists(dir))
                try (var l = Files.list(dir)) {
                    for (Path x : l.toList())
                        if (!x.getFileName().toString().equals(".slapos-resource"))
                            SoftwareStore.deleteTree(x);
                }
            reported.remove(p.id());
            published.remove(p.id());
            master.post("destroyedComputerPartition", Map.of("computer_id", c.computerId(), "computer_partition_id", p.id()));
            LOG.log(Level.INFO, "{0} ({1}) destroyed: service stopped, files removed", p.id(), p.title());
        }
        return 0;
    }

    /** {@code slapos node software}: the master's view, then {@link #software(ComputerView)}. */
    public int softwareStep() throws IOException, SlapClientException {
        return software(view());
    }

    public int instanceStep() throws IOException, SlapClientException {
        return instance(view());
    }

    public int reportStep() throws IOException, SlapClientException {
        return report(view());
    }

    /** One turn: the master's view, then software, instance and report; the worst exit code. */
    public int turn() throws IOException, SlapClientException {
        ComputerView v = view();
        int code = software(v);
        code = Math.max(code, instance(v));
        return Math.max(code, report(v));
    }

    /** The supervisor of a partition's service, for status and tests. */
    public ProcessHandle service(String partitionId) {
        Supervisor s = supervisors.get(partitionId);
        return s == null ? null : s.current();
    }

    public int restarts(String partitionId) {
        Supervisor s = supervisors.get(partitionId);
        return s == null ? 0 : s.restarts();
    }

    /** Stops every service (the agent is ending). */
    @Override
    public void close() {
        List<Supervisor> all;
        synchronized (supervisors) {
            closed = true; // no service starts after this
            all = new ArrayList<>(supervisors.values());
            supervisors.clear();
        }
        List<Thread> stops = new ArrayList<>();
        for (Supervisor s : all) { // side by side: each may take 10 s to end
            Thread t = new Thread(s::stop, "stop-service");
            t.start();
            stops.add(t);
        }
        for (Thread t : stops)
            try {
                t.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
    }
}
