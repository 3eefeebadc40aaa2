package re6st.node.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import re6st.babel.InterfaceSettings;
import re6st.babel.config.BabelConfig;
import re6st.babel.config.ConfigException;
import re6st.babel.config.ConfigParser;
import re6st.babel.daemon.BabelDaemon;
import re6st.babel.mac.MacAlgorithm;
import re6st.babel.mac.MacKey;
import re6st.babel.mac.MacPolicy;
import re6st.node.Ipv4Overlay;
import re6st.node.NodeAddressing;
import re6st.registry.protocol.ReceivedNetworkConfig;

/**
 * How the node configures its Babel router, as the original configures babeld (re6st/plib.py
 * {@code router}): hello interval from the network config, {@code babel_default} on every
 * interface, tunnels of type tunnel (RTT metric), only the node's own subnet redistributed (and
 * its IPv4 overlay address), routes installed with {@code pref-src} our address, the default route
 * source-restricted to the network (a {@code --gateway} announces it), and the network's rotating
 * blake2s128 MAC keys. The statements are babeld's own, parsed by routing-core's parser: the
 * same text could be given to a real babeld, and {@code -B} statements simply follow ours.
 */
public final class NodeRouting {
    /** The template every tunnel interface (re6st-N) is configured like; no interface has this name. */
    static final String TUNNEL_TEMPLATE = "re6st-tunnels";

    private final BabelConfig config;
    private final MacPolicy mac;
    private final List<String> statements;

    private NodeRouting(List<String> statements, MacPolicy mac) throws ConfigException {
        ConfigParser p = new ConfigParser();
        for (String s : statements)
            p.statement(s);
        this.config = p.build();
        this.statements = List.copyOf(statements);
        this.mac = mac;
    }

    /**
     * @param gateway     {@code --gateway}: announce {@code ::/0} from the network
     * @param extra       {@code -B} statements, after ours (they can override)
     */
    public static NodeRouting of(NodeAddressing addressing, Optional<Ipv4Overlay> ipv4, ReceivedNetworkConfig network,
            boolean gateway, List<String> extra) throws ConfigException {
        String net = addressing.network().toString();
        List<String> s = new ArrayList<>();
        s.add("redistribute local deny");
        s.add("redistribute ip " + addressing.subnetPrefix() + " eq " + addressing.subnetPrefix().length());
        ipv4.ifPresent(v4 -> s.add("redistribute ip " + v4.blockText() + " eq " + v4.prefixLength()));
        if (gateway)
            s.add("redistribute ip ::/0 eq 0 src-prefix " + net);
        else
            s.add("install ip ::/0 eq 0 src-ip ::/0 src-eq 0 src-prefix " + net);
        s.add("redistribute deny");
        s.add("install pref-src " + addressing.address());
        ipv4.ifPresent(v4 -> s.add("install pref-src " + v4.addressText()));
        s.add("default " + network.babelDefault() + " hello-interval " + network.config().parameters().hello());
        s.add("interface " + TUNNEL_TEMPLATE + " type tunnel");
        s.addAll(extra);
        return new NodeRouting(s, macPolicy(network));
    }

    /**
     * The MAC policy of the network's keys (registry-protocol.md, rotation): sign with
     * {@code babel_hmac_sign}; also accept {@code babel_hmac_accept}, or anything when it is
     * empty; no key at all: no MAC (a registry that never set keys).
     */
    public static MacPolicy macPolicy(ReceivedNetworkConfig network) {
        Optional<byte[]> sign = network.hmacSign();
        if (sign.isEmpty() || sign.get().length == 0)
            return null;
        MacPolicy p = MacPolicy.of(new MacKey("sign", MacAlgorithm.BLAKE2S_128, sign.get()));
        Optional<byte[]> accept = network.hmacAccept();
        if (accept.isPresent())
            p = accept.get().length == 0 ? p.withAcceptBadSignatures(true)
                    : p.withAccept(new MacKey("accept", MacAlgorithm.BLAKE2S_128, accept.get()));
        return p;
    }

    /** The statements, in order (for the log and for a real babeld). Key values are not included: they are secrets. */
    public List<String> statements() {
        return statements;
    }

    public BabelConfig config() {
        return config;
    }

    /** The MAC policy of every interface, or null (no MAC). */
    public MacPolicy mac() {
        return mac;
    }

    /** How Babel runs on a tunnel interface (type tunnel: RTT metric on). */
    public InterfaceSettings tunnelSettings() {
        return BabelDaemon.Options.interfaceSettings(config, TUNNEL_TEMPLATE);
    }

    /** How Babel runs on a LAN interface given with {@code -i} (discovery of neighbours on the LAN). */
    public InterfaceSettings lanSettings(String name) {
        return BabelDaemon.Options.interfaceSettings(config, name);
    }

    /** The daemon's options on the LAN interfaces (tunnels are added as they come). */
    public BabelDaemon.Options options(List<String> lanInterfaces, long routerId) {
        BabelDaemon.Options o = BabelDaemon.Options.from(config, lanInterfaces, routerId);
        if (mac == null)
            return o;
        java.util.Map<String, MacPolicy> macs = new java.util.LinkedHashMap<>();
        for (String i : lanInterfaces)
            macs.put(i, mac);
        return new BabelDaemon.Options(o.routerId(), o.interfaces(), o.smoothingHalfLifeMs(), o.exportTable(), o.importTable(),
                o.kernelMetric(), o.stateFile(), o.pidFile(), o.redistribution(), o.inputFilter(), o.port(), macs, o.installPolicy());
    }
}
