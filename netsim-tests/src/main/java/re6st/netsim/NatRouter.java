package re6st.netsim;

import java.util.ArrayList;
import java.util.List;

/**
 * A home-router-like NAT namespace: IPv4 forwarding, nftables masquerade of everything that
 * leaves by the outside interface, optional port forwards. The nft table lives in the
 * namespace and disappears with it.
 */
public final class NatRouter {
    private final Namespace ns;
    private final String outsideIf;
    private final List<String> forwards = new ArrayList<>();

    NatRouter(Namespace ns, String outsideIf) {
        this.ns = ns;
        this.outsideIf = outsideIf;
        ns.forwarding();
        apply();
    }

    public Namespace namespace() {
        return ns;
    }

    /** The inside link's addresses made by {@link #inside}: the router's and its one host's (a /24). */
    public static final String INSIDE_ROUTER = "198.19.1.1", INSIDE_HOST = "198.19.1.2";

    /**
     * A host namespace {@code label} behind this router: its eth0 ({@value #INSIDE_HOST}/24) to the
     * router's lan0 ({@value #INSIDE_ROUTER}/24), its default route via the router. Once per router.
     */
    public Namespace inside(String label) {
        Namespace host = ns.net().namespace(label);
        ns.net().veth(host, "eth0", ns, "lan0");
        ns.addAddress("lan0", INSIDE_ROUTER + "/24");
        host.addAddress("eth0", INSIDE_HOST + "/24");
        host.route("default", "via", INSIDE_ROUTER);
        return host;
    }

    /** Forwards {@code proto} ("udp"/"tcp") port {@code port} arriving outside to {@code insideAddr:insidePort}. */
    public NatRouter portForward(String proto, int port, String insideAddr, int insidePort) {
        if (!proto.equals("udp") && !proto.equals("tcp"))
            throw new IllegalArgumentException("protocol must be udp or tcp, not " + proto);
        forwards.add("iifname \"" + outsideIf + "\" " + proto + " dport " + port + " dnat to " + insideAddr + ":" + insidePort);
        apply();
        return this;
    }

    private void apply() {
        StringBuilder rules = new StringBuilder();
        rules.append("table ip r6nat {\n")
             .append(" chain pre { type nat hook prerouting priority -100;\n");
        for (String f : forwards)
            rules.append("  ").append(f).append("\n");
        rules.append(" }\n")
             .append(" chain post { type nat hook postrouting priority 100;\n")
             .append("  oifname \"").append(outsideIf).append("\" masquerade\n")
             .append(" }\n}\n");
        ns.exec(Cmd.DEFAULT_TIMEOUT, "nft", "delete", "table", "ip", "r6nat"); // absent the first time
        ns.run("nft", "-f", writeTemp(rules.toString()));
    }

    private String writeTemp(String text) {
        try {
            java.nio.file.Path f = ns.net().logDir().resolve(ns.label() + "-nft.conf");
            java.nio.file.Files.writeString(f, text);
            return f.toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return ns + " (NAT out " + outsideIf + ")";
    }
}
