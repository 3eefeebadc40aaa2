package re6st.babel.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

import re6st.babel.mac.MacKey;
import re6st.babel.message.Addr;

/**
 * A whole Babel configuration as babeld's statements describe it: global options, keys,
 * interfaces and filters. Immutable; built by {@link ConfigParser}. Values not written hold
 * babeld's defaults.
 */
public final class BabelConfig {
    public static final int RT_TABLE_MAIN = 254;
    public static final int DEFAULT_PROTOCOL_PORT = 6696;
    public static final Addr DEFAULT_PROTOCOL_GROUP = Addr.parse("ff02::1:6");
    /** Seconds; 0 disables metric smoothing. */
    public static final int DEFAULT_SMOOTHING_HALF_LIFE = 4;

    private final Long routerId;
    private final boolean randomId;
    private final int smoothingHalfLife;
    private final boolean skipKernelSetup;
    private final int exportTable;
    private final List<Integer> importTables;
    private final ControlSocket controlSocket;
    private final Boolean ipv6Subtrees;
    private final boolean reflectKernelMetric;
    private final int kernelPriority;
    private final int protocolPort;
    private final Addr protocolGroup;
    private final boolean linkDetect;
    private final String stateFile;
    private final String logFile;
    private final String pidFile;
    private final int debug;
    private final Map<String, MacKey> keys;
    private final InterfaceConf defaults;
    private final Map<String, InterfaceConf> interfaces;
    private final RedistributeFilter redistribute;
    private final InstallFilter install;

    BabelConfig(ConfigParser p) {
        routerId = p.routerId;
        randomId = p.randomId;
        smoothingHalfLife = p.smoothingHalfLife;
        skipKernelSetup = p.skipKernelSetup;
        exportTable = p.exportTable;
        importTables = p.importTables.isEmpty() ? List.of(RT_TABLE_MAIN) : List.copyOf(p.importTables);
        controlSocket = p.controlSocket;
        ipv6Subtrees = p.ipv6Subtrees;
        reflectKernelMetric = p.reflectKernelMetric;
        kernelPriority = p.kernelPriority;
        protocolPort = p.protocolPort;
        protocolGroup = p.protocolGroup;
        linkDetect = p.linkDetect;
        stateFile = p.stateFile;
        logFile = p.logFile;
        pidFile = p.pidFile;
        debug = p.debug;
        keys = Collections.unmodifiableMap(new LinkedHashMap<>(p.keys));
        defaults = p.defaults;
        interfaces = Collections.unmodifiableMap(new LinkedHashMap<>(p.interfaces));
        redistribute = new RedistributeFilter(p.redistribute);
        install = new InstallFilter(p.install);
    }

    /** Nothing configured: babeld's defaults everywhere. */
    public static BabelConfig empty() {
        return new ConfigParser().build();
    }

    /**
     * The configuration of a command line, in babeld's order: every {@code -C} statement first
     * (as getopt meets them), then each {@code -c} file. (babeld also reads /etc/babeld.conf when
     * no -c is given; we do not.)
     */
    public static BabelConfig parse(List<String> commandLineStatements, List<Path> files)
            throws ConfigException, IOException {
        ConfigParser p = new ConfigParser();
        for (String s : commandLineStatements)
            p.statement(s);
        for (Path f : files)
            p.file(f);
        return p.build();
    }

    /** {@code router-id}; empty: derive one from an interface's MAC address (or random). */
    public OptionalLong routerId() {
        return routerId == null ? OptionalLong.empty() : OptionalLong.of(routerId);
    }

    /** {@code random-id}: a random router-id even when one could be derived. */
    public boolean randomId() {
        return randomId;
    }

    /** {@code smoothing-half-life}, seconds (default 4; 0 = no smoothing). */
    public int smoothingHalfLife() {
        return smoothingHalfLife;
    }

    /** {@code skip-kernel-setup}: leave forwarding, redirects and rp_filter sysctls alone. */
    public boolean skipKernelSetup() {
        return skipKernelSetup;
    }

    /** {@code export-table}: the kernel table our routes go to (default main, 254). */
    public int exportTable() {
        return exportTable;
    }

    /** {@code import-table}s, cumulative: the tables redistributed from (default only main). */
    public List<Integer> importTables() {
        return importTables;
    }

    /** The last of {@code local-port[-readwrite]}/{@code local-path[-readwrite]}, if any. */
    public Optional<ControlSocket> controlSocket() {
        return Optional.ofNullable(controlSocket);
    }

    /** {@code ipv6-subtrees}; empty = decide from the kernel (Linux 3.11 and later have them). */
    public Optional<Boolean> ipv6Subtrees() {
        return Optional.ofNullable(ipv6Subtrees);
    }

    /** {@code reflect-kernel-metric}: install routes with priority kernel-priority + metric. */
    public boolean reflectKernelMetric() {
        return reflectKernelMetric;
    }

    /** {@code kernel-priority}: the priority (metric) of installed routes, default 0. */
    public int kernelPriority() {
        return kernelPriority;
    }

    /** {@code protocol-port}, default 6696. */
    public int protocolPort() {
        return protocolPort;
    }

    /** {@code protocol-group}, default ff02::1:6. */
    public Addr protocolGroup() {
        return protocolGroup;
    }

    /** {@code link-detect}: an interface without carrier is down. */
    public boolean linkDetect() {
        return linkDetect;
    }

    /** {@code state-file}: where our seqno survives restarts (babeld: /var/lib/babel-state). */
    public Optional<String> stateFile() {
        return Optional.ofNullable(stateFile);
    }

    public Optional<String> logFile() {
        return Optional.ofNullable(logFile);
    }

    public Optional<String> pidFile() {
        return Optional.ofNullable(pidFile);
    }

    /** {@code debug} level, default 0. */
    public int debug() {
        return debug;
    }

    /** The {@code key} statements by id; a later statement with the same id replaced the value. */
    public Map<String, MacKey> keys() {
        return keys;
    }

    /** All {@code default} statements merged (later options win). */
    public InterfaceConf defaults() {
        return defaults;
    }

    /** The interfaces named by {@code interface} statements, in order of first mention. */
    public Set<String> interfaceNames() {
        return interfaces.keySet();
    }

    /** The {@code interface NAME} statements merged (later options win), without the defaults. */
    public Map<String, InterfaceConf> interfaces() {
        return interfaces;
    }

    /**
     * The options of one interface: its statements over all {@code default} statements, whatever
     * their order (babeld merges them when the configuration is complete). Also for interfaces
     * named only on the command line.
     */
    public InterfaceConf interfaceConf(String name) {
        return defaults.overriddenBy(interfaces.getOrDefault(name, InterfaceConf.EMPTY));
    }

    /** The values the interface runs with; for type auto, as if the kernel said not wireless. */
    public InterfaceParameters interfaceParameters(String name) {
        return interfaceParameters(name, false);
    }

    public InterfaceParameters interfaceParameters(String name, boolean kernelSaysWireless) {
        return InterfaceParameters.resolve(name, interfaceConf(name), kernelSaysWireless, keys);
    }

    public RedistributeFilter redistribute() {
        return redistribute;
    }

    public InstallFilter install() {
        return install;
    }
}
