package re6st.babel.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import re6st.babel.mac.MacAlgorithm;
import re6st.babel.mac.MacKey;
import re6st.babel.message.Addr;
import re6st.babel.message.Prefix;

/**
 * babeld's configuration language (configuration.c), for the statements {@code re6st babel}
 * supports. Feed it {@code -C} statements and {@code -c} files in the order babeld would read
 * them (see {@link BabelConfig#parse}), then {@link #build}. A statement that fails changes
 * nothing and raises a {@link ConfigException} naming the place, the statement and the problem.
 *
 * <p>Accepted as in babeld 1.12.1: {@code router-id}, {@code random-id},
 * {@code smoothing-half-life}, {@code skip-kernel-setup}, {@code export-table},
 * {@code import-table}, {@code local-port[-readwrite]}, {@code local-path[-readwrite]},
 * {@code ipv6-subtrees}, {@code reflect-kernel-metric}, {@code kernel-priority},
 * {@code protocol-port}, {@code protocol-group}, {@code link-detect}, {@code state-file},
 * {@code log-file}, {@code pid-file}, {@code debug}, {@code diversity false},
 * {@code daemonise false}, {@code key}, {@code interface}, {@code default},
 * {@code redistribute}, {@code install}. Refused with a reason: diversity routing
 * ({@code diversity} on, {@code diversity-factor}, {@code channel}, {@code faraway}),
 * {@code daemonise true}, {@code allow-duplicates}, {@code in}/{@code out} filters, and
 * control-socket requests. Anything else is an unknown statement, as for babeld 1.12.1 (which
 * also rejects the newer {@code kernel-check-interval}, {@code shutdown-delay-ms}, {@code probe-mtu}).
 *
 * <p>Two babeld rules worth knowing: {@code default} options apply to every interface, also
 * those configured before the {@code default} statement (babeld merges when the configuration is
 * complete), and an interface's own options always win over them; repeated statements for the
 * same interface (or repeated {@code default}s) merge, later options winning. An interface's
 * {@code key} must be defined by an earlier {@code key} statement.
 */
public final class ConfigParser {
    // The configuration so far; BabelConfig copies it.
    Long routerId;
    boolean randomId;
    int smoothingHalfLife = BabelConfig.DEFAULT_SMOOTHING_HALF_LIFE;
    boolean skipKernelSetup;
    int exportTable = BabelConfig.RT_TABLE_MAIN;
    final List<Integer> importTables = new ArrayList<>();
    ControlSocket controlSocket;
    Boolean ipv6Subtrees;
    boolean reflectKernelMetric;
    int kernelPriority;
    int protocolPort = BabelConfig.DEFAULT_PROTOCOL_PORT;
    Addr protocolGroup = BabelConfig.DEFAULT_PROTOCOL_GROUP;
    boolean linkDetect;
    String stateFile, logFile, pidFile;
    int debug;
    final Map<String, MacKey> keys = new LinkedHashMap<>();
    InterfaceConf defaults = InterfaceConf.EMPTY;
    final Map<String, InterfaceConf> interfaces = new LinkedHashMap<>();
    final List<Filter> redistribute = new ArrayList<>();
    final List<Filter> install = new ArrayList<>();

    private int commandLineStatements;

    /** One {@code -C} argument: a single statement (numbered from 1 in error messages). */
    public ConfigParser statement(String statement) throws ConfigException {
        String where = "-C " + (++commandLineStatements);
        int nl = statement.indexOf('\n');
        if (nl >= 0 && !statement.substring(nl + 1).isBlank())
            throw new ConfigException(where, "one statement per -C argument, found a line break");
        apply(where, nl >= 0 ? statement.substring(0, nl) : statement);
        return this;
    }

    /** A {@code -c} file: one statement per line; errors say {@code FILE:LINE}. */
    public ConfigParser file(Path file) throws ConfigException, IOException {
        return text(file.toString(), Files.readString(file));
    }

    /** The contents of a configuration file named {@code name} in error messages. */
    public ConfigParser text(String name, String contents) throws ConfigException {
        String[] lines = contents.split("\n", -1);
        for (int i = 0; i < lines.length; i++)
            apply(name + ":" + (i + 1), lines[i]);
        return this;
    }

    public BabelConfig build() {
        return new BabelConfig(this);
    }

    private void apply(String where, String line) throws ConfigException {
        Words w;
        try {
            w = new Words(line);
        } catch (BadValue e) {
            throw new ConfigException(where, e.getMessage());
        }
        String keyword = w.next();
        if (keyword == null)
            return; // blank or comment
        try {
            switch (keyword) {
                case "interface": case "default": case "key": case "redistribute": case "install":
                    try {
                        compound(keyword, w);
                    } catch (BadValue e) {
                        throw new BadValue(keyword + ": " + e.getMessage());
                    }
                    break;
                default:
                    option(keyword, w);
            }
        } catch (BadValue e) {
            throw new ConfigException(where, e.getMessage());
        }
    }

    private void compound(String keyword, Words w) throws BadValue {
        switch (keyword) {
            case "interface": {
                String name = w.next();
                if (name == null)
                    throw new BadValue("missing interface name");
                if (name.isEmpty() || name.length() > 15 || name.indexOf('/') >= 0 || name.equals(".") || name.equals(".."))
                    throw new BadValue("'" + name + "' is not an interface name (1 to 15 characters, no '/')");
                InterfaceConf conf = interfaceOptions(w);
                interfaces.merge(name, conf, InterfaceConf::overriddenBy);
                break;
            }
            case "default":
                defaults = defaults.overriddenBy(interfaceOptions(w));
                break;
            case "key": {
                MacKey key = key(w);
                keys.put(key.id(), key);
                break;
            }
            case "redistribute":
                redistribute.add(filter(w));
                break;
            case "install":
                install.add(filter(w));
                break;
            default:
                throw new AssertionError(keyword);
        }
    }

    // ---- global options ----

    private static final String PORT = "a port number from 1 to 65534";
    private static final String TABLE = "a table number from 1 to 65534";

    private void option(String keyword, Words w) throws BadValue {
        switch (keyword) {
            case "router-id": {
                long id = w.eui64(keyword);
                w.end(keyword);
                routerId = id;
                break;
            }
            case "random-id": case "skip-kernel-setup": case "reflect-kernel-metric": case "link-detect":
            case "daemonise": {
                boolean b = w.bool(keyword);
                w.end(keyword);
                switch (keyword) {
                    case "random-id": randomId = b; break;
                    case "skip-kernel-setup": skipKernelSetup = b; break;
                    case "reflect-kernel-metric": reflectKernelMetric = b; break;
                    case "link-detect": linkDetect = b; break;
                    default:
                        if (b)
                            throw new BadValue("daemonise true is not supported: run re6st babel under a supervisor");
                }
                break;
            }
            case "ipv6-subtrees": {
                Boolean b = w.tristate(keyword);
                w.end(keyword);
                ipv6Subtrees = b;
                break;
            }
            case "smoothing-half-life": {
                int h = (int) w.integer(keyword, 0, Integer.MAX_VALUE, "a whole number of seconds (0 disables smoothing)");
                w.end(keyword);
                smoothingHalfLife = h;
                break;
            }
            case "debug": {
                int d = (int) w.integer(keyword, 0, Integer.MAX_VALUE, "a level from 0");
                w.end(keyword);
                debug = d;
                break;
            }
            case "export-table": case "import-table": {
                int t = (int) w.integer(keyword, 1, 0xFFFE, TABLE);
                w.end(keyword);
                if (keyword.equals("export-table"))
                    exportTable = t;
                else if (!importTables.contains(t))
                    importTables.add(t);
                break;
            }
            case "local-port": case "local-port-readwrite": {
                int port = (int) w.integer(keyword, 1, 0xFFFE, PORT);
                w.end(keyword);
                controlSocket = new ControlSocket(port, null, keyword.endsWith("-readwrite"));
                break;
            }
            case "local-path": case "local-path-readwrite": {
                String path = w.string(keyword, "a socket path");
                w.end(keyword);
                controlSocket = new ControlSocket(0, path, keyword.endsWith("-readwrite"));
                break;
            }
            case "protocol-port": {
                int port = (int) w.integer(keyword, 1, 0xFFFE, PORT);
                w.end(keyword);
                protocolPort = port;
                break;
            }
            case "kernel-priority": {
                int prio = (int) w.integer(keyword, 1, 0xFFFE, "a priority from 1 to 65534");
                w.end(keyword);
                kernelPriority = prio;
                break;
            }
            case "protocol-group": {
                Addr group = w.address(keyword);
                w.end(keyword);
                if (group.isV4() || (group.hi() >>> 56) != 0xff)
                    throw new BadValue("protocol-group needs an IPv6 multicast address, got '" + group + "'");
                protocolGroup = group;
                break;
            }
            case "state-file": case "log-file": case "pid-file": {
                String file = w.string(keyword, "a file name");
                w.end(keyword);
                switch (keyword) {
                    case "state-file": stateFile = file; break;
                    case "log-file": logFile = file; break;
                    default: pidFile = file;
                }
                break;
            }
            case "diversity": {
                String what = "true, false or a kind from 0 to 3";
                String v = w.string(keyword, what);
                w.end(keyword);
                Long kind = Words.strtol(v);
                boolean on;
                if (kind != null)
                    on = kind != 0;
                else if (v.equals("true") || v.equals("yes"))
                    on = true;
                else if (v.equals("false") || v.equals("no") || v.equals("auto") || v.equals("default"))
                    on = false;
                else
                    throw new BadValue("diversity needs " + what + ", got '" + v + "'");
                if (on)
                    throw new BadValue("diversity routing is not supported by re6st babel");
                break;
            }
            case "diversity-factor":
                throw new BadValue("diversity-factor: diversity routing is not supported by re6st babel");
            case "allow-duplicates":
                throw new BadValue("allow-duplicates is not supported by re6st babel");
            case "in": case "out":
                throw new BadValue("'" + keyword + "' filters are not supported by re6st babel"
                        + " (only redistribute and install)");
            case "quit": case "dump": case "monitor": case "unmonitor": case "flush": case "reopen-logfile":
                throw new BadValue("'" + keyword + "' is a request for the control socket, not a configuration statement");
            default:
                throw new BadValue("unknown statement '" + keyword + "'");
        }
    }

    // ---- interface and default ----

    private static final String SECONDS_MAX = "655.35 seconds";

    private InterfaceConf interfaceOptions(Words w) throws BadValue {
        InterfaceConf.Builder b = new InterfaceConf.Builder();
        while (w.hasNext()) {
            String opt = w.next();
            switch (opt) {
                case "type": {
                    String what = "wired, wireless, tunnel or auto";
                    String t = w.string(opt, what);
                    InterfaceType type = InterfaceType.parse(t);
                    if (type == null)
                        throw new BadValue("type needs " + what + ", got '" + t + "'");
                    b.type = type;
                    break;
                }
                case "wired": // deprecated since babeld 1.8, still accepted: yes = wired, else wireless
                    b.type = Boolean.TRUE.equals(w.tristate(opt)) ? InterfaceType.WIRED : InterfaceType.WIRELESS;
                    break;
                case "hello-interval":
                    b.helloInterval = (int) w.thousands(opt, "a positive number", 10L * 0xFFFF, SECONDS_MAX);
                    break;
                case "update-interval":
                    b.updateInterval = (int) w.thousands(opt, "a positive number", 10L * 0xFFFF, SECONDS_MAX);
                    break;
                case "rxcost":
                    b.rxcost = (int) w.integer(opt, 1, 0xFFFF, "an integer from 1 to 65535");
                    break;
                case "rtt-decay":
                    b.rttDecay = (int) w.integer(opt, 1, 256, "an integer from 1 to 256");
                    break;
                case "rtt-min":
                    b.rttMin = (int) w.thousands(opt, "a positive number of milliseconds", Integer.MAX_VALUE, "2147483 ms");
                    break;
                case "rtt-max":
                    b.rttMax = (int) w.thousands(opt, "a positive number of milliseconds", Integer.MAX_VALUE, "2147483 ms");
                    break;
                case "max-rtt-penalty":
                    b.maxRttPenalty = (int) w.integer(opt, 1, 0xFFFF, "an integer from 1 to 65535");
                    break;
                case "link-quality": b.linkQuality = w.tristate(opt); break;
                case "split-horizon": b.splitHorizon = w.tristate(opt); break;
                case "enable-timestamps": b.enableTimestamps = w.tristate(opt); break;
                case "unicast": b.unicast = w.tristate(opt); break;
                case "rfc6126-compatible": b.rfc6126Compatible = w.tristate(opt); break;
                case "accept-bad-signatures": b.acceptBadSignatures = w.tristate(opt); break;
                case "v4-via-v6": b.v4ViaV6 = w.tristate(opt); break;
                case "key": {
                    String id = w.string(opt, "a key id");
                    if (!keys.containsKey(id))
                        throw new BadValue("key '" + id + "' is not defined (a 'key id " + id
                                + " type ... value ...' statement must come first)");
                    b.key = id;
                    break;
                }
                case "channel": case "faraway":
                    throw new BadValue(opt + " is not supported (re6st babel does no diversity routing)");
                default:
                    throw new BadValue("unknown option '" + opt + "'");
            }
        }
        return b.build();
    }

    // ---- key ----

    private static MacKey key(Words w) throws BadValue {
        String id = null, hex = null;
        MacAlgorithm type = null;
        while (w.hasNext()) {
            String word = w.next();
            switch (word) {
                case "id":
                    id = w.string(word, "a key id");
                    break;
                case "type": {
                    String what = "hmac-sha256 or blake2s128";
                    String t = w.string(word, what);
                    if (t.equals("none"))
                        throw new BadValue("type none is not supported");
                    type = t.equals("hmac-sha256") ? MacAlgorithm.HMAC_SHA256
                            : t.equals("blake2s128") ? MacAlgorithm.BLAKE2S_128 : null;
                    if (type == null)
                        throw new BadValue("type needs " + what + ", got '" + t + "'");
                    break;
                }
                case "value":
                    hex = w.string(word, "a hexadecimal key");
                    break;
                default:
                    throw new BadValue("unknown keyword '" + word + "' (expected id, type or value)");
            }
        }
        if (id == null)
            throw new BadValue("no key id given");
        if (type == null)
            throw new BadValue("key " + id + " has no type (hmac-sha256 or blake2s128)");
        if (hex == null)
            throw new BadValue("key " + id + " has no value");
        byte[] value;
        try {
            value = HexFormat.of().parseHex(hex); // never echo the secret in a message
        } catch (IllegalArgumentException e) {
            throw new BadValue("key " + id + ": value must be an even number of hexadecimal digits");
        }
        try {
            return new MacKey(id, type, value);
        } catch (IllegalArgumentException e) {
            throw new BadValue(e.getMessage());
        }
    }

    // ---- redistribute and install ----

    private static final String PLEN = "a prefix length from 0 to 128";

    private static Filter filter(Words w) throws BadValue {
        Filter.Family family = null;
        Prefix prefix = null, srcPrefix = null, setSrc = null;
        int ge = 0, le = 128, srcGe = 0, srcLe = 128, longest = 0;
        Addr neigh = null, prefSrc = null;
        Long id = null;
        int proto = 0, metric = 0, table = 0;
        String ifname = null;
        while (w.hasNext()) {
            String word = w.next();
            switch (word) {
                case "ip":
                    prefix = w.net(word);
                    family = sameFamily(family, prefix.isV4(), word, prefix);
                    break;
                case "src-ip":
                    srcPrefix = w.net(word);
                    family = sameFamily(family, srcPrefix.isV4(), word, srcPrefix);
                    break;
                case "src-prefix":
                    setSrc = w.net(word);
                    family = sameFamily(family, setSrc.isV4(), word, setSrc);
                    break;
                case "pref-src":
                    prefSrc = w.address(word);
                    family = sameFamily(family, prefSrc.isV4(), word, prefSrc);
                    break;
                case "eq": case "le": case "ge": case "src-eq": case "src-le": case "src-ge": {
                    int p = (int) w.integer(word, 0, 128, PLEN);
                    longest = Math.max(longest, p);
                    boolean src = word.startsWith("src-");
                    String op = src ? word.substring(4) : word;
                    if (!op.equals("le")) {
                        if (src) srcGe = Math.max(srcGe, p); else ge = Math.max(ge, p);
                    }
                    if (!op.equals("ge")) {
                        if (src) srcLe = Math.min(srcLe, p); else le = Math.min(le, p);
                    }
                    break;
                }
                case "neigh":
                    neigh = w.address(word);
                    break;
                case "id":
                    id = w.eui64(word);
                    break;
                case "proto":
                    proto = (int) w.integer(word, 1, 255, "a kernel protocol number from 1 to 255");
                    break;
                case "local":
                    proto = Filter.PROTO_LOCAL;
                    break;
                case "if":
                    ifname = w.string(word, "an interface name");
                    break;
                case "allow":
                    metric = 0;
                    break;
                case "deny":
                    metric = Filter.INFINITY;
                    break;
                case "metric":
                    metric = (int) w.integer(word, 1, Filter.INFINITY, "an integer from 1 to 65535 (allow means 0)");
                    break;
                case "table":
                    table = (int) w.integer(word, 1, 0xFFFF, "a table number from 1 to 65535");
                    break;
                default:
                    throw new BadValue("unknown selector or action '" + word + "'");
            }
        }
        boolean lengths = ge > 0 || le < 128 || srcGe > 0 || srcLe < 128;
        if (family == null && lengths) {
            family = Filter.Family.IPV6; // babeld: a length without an address means IPv6
        } else if (family == Filter.Family.IPV4) {
            if (longest > 32)
                throw new BadValue("prefix length " + longest + " is longer than 32 in an IPv4 statement");
            if (le < 128) le += 96;
            if (ge > 0) ge += 96;
            if (srcLe < 128) srcLe += 96;
            if (srcGe > 0) srcGe += 96;
        }
        return new Filter(family, prefix, srcPrefix, ge, le, srcGe, srcLe, neigh, id, proto, ifname, metric, setSrc,
                table, prefSrc);
    }

    private static Filter.Family sameFamily(Filter.Family family, boolean v4, String word, Object value)
            throws BadValue {
        Filter.Family f = v4 ? Filter.Family.IPV4 : Filter.Family.IPV6;
        if (family != null && family != f)
            throw new BadValue("'" + word + " " + value + "' is " + (v4 ? "IPv4" : "IPv6")
                    + " but the statement is already " + (v4 ? "IPv6" : "IPv4"));
        return f;
    }
}
