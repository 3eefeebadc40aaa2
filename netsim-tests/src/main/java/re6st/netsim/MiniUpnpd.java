package re6st.netsim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's miniupnpd (nftables build) on a {@link NatRouter}: UPnP IGD on the inside interface,
 * port mappings on the outside one, NAT-PMP off, secure mode (a client maps only to itself). It
 * learns its external address from a {@link StunResponder} on the WAN side (see there why).
 * <p>
 * The nft build adds its rules to chains it does not create: this fixture makes them in a table
 * of their own, {@code inet r6upnp}, hooked before the router's own NAT (a DNAT of a mapping
 * happens first; masquerade stays the router's), which disappears with the namespace. Its lease
 * file is in the test's log directory.
 */
public final class MiniUpnpd {
    static final String TABLE = "r6upnp";
    private static final Pattern HTTP_PORT = Pattern.compile("HTTP listening on port (\\d+)");

    private final NatRouter router;
    private final NsProcess process;
    private final int httpPort;

    private MiniUpnpd(NatRouter router, NsProcess process, int httpPort) {
        this.router = router;
        this.process = process;
        this.httpPort = httpPort;
    }

    /** Debian's binary, or null when the package is not installed (a test skips, naming it). */
    public static String binary() {
        return Prerequisites.which("miniupnpd");
    }

    /**
     * Starts it on {@code router}: WAN {@code outsideIf}, LAN {@code insideIf} (whose clients in
     * {@code insideSubnet} may map ports 1024-65535), external address learnt from the STUN server
     * at {@code stunHost}; returns once it serves HTTP with port forwarding enabled.
     */
    public static MiniUpnpd start(NatRouter router, String outsideIf, String insideIf, String insideSubnet, String stunHost) throws IOException {
        Namespace ns = router.namespace();
        Path dir = Files.createDirectories(ns.net().logDir().resolve(ns.label() + "-miniupnpd"));
        Files.writeString(dir.resolve("tables.nft"), "table inet " + TABLE + " {\n"
                + " chain forward { type filter hook forward priority -10; policy accept; jump miniupnpd; }\n"
                + " chain miniupnpd { }\n"
                + " chain prerouting { type nat hook prerouting priority -110; policy accept; jump prerouting_miniupnpd; }\n"
                + " chain postrouting { type nat hook postrouting priority 90; policy accept; jump postrouting_miniupnpd; }\n"
                + " chain prerouting_miniupnpd { }\n"
                + " chain postrouting_miniupnpd { }\n}\n");
        ns.run("nft", "-f", dir.resolve("tables.nft").toString());
        Path conf = dir.resolve("miniupnpd.conf");
        Files.writeString(conf, String.join("\n",
                "ext_ifname=" + outsideIf,
                "listening_ip=" + insideIf,
                "ext_perform_stun=yes",
                "ext_stun_host=" + stunHost,
                "ext_stun_port=" + StunResponder.PORT,
                "enable_natpmp=no",
                "enable_upnp=yes",
                "secure_mode=yes",
                "system_uptime=yes",
                "upnp_table_name=" + TABLE,
                "upnp_nat_table_name=" + TABLE,
                "lease_file=" + dir.resolve("leases"),
                "uuid=39c96d6e-b8c4-459c-91c0-" + String.format("%012x", ProcessHandle.current().pid()),
                "allow 1024-65535 " + insideSubnet + " 1024-65535",
                "deny 0-65535 0.0.0.0/0 0-65535", ""));
        NsProcess p = ns.start("miniupnpd", binary(), "-d", "-f", conf.toString(), "-P", dir.resolve("pid").toString());
        Wait.until("miniupnpd serves with port forwarding enabled (" + p.logFile() + ")", Duration.ofSeconds(30),
                () -> {
                    if (!p.isAlive())
                        throw new IllegalStateException("miniupnpd exited:\n" + p.log());
                    return p.log().contains("Port forwarding is now enabled") && HTTP_PORT.matcher(p.log()).find();
                });
        Matcher m = HTTP_PORT.matcher(p.log());
        m.find();
        return new MiniUpnpd(router, p, Integer.parseInt(m.group(1)));
    }

    public NsProcess process() {
        return process;
    }

    /** Its HTTP port (description and control URLs). */
    public int httpPort() {
        return httpPort;
    }

    /** Its DNAT rules now, one line each ({@code nft list chain}), e.g. "... th dport 40000 dnat ip to 198.19.1.2:1194". */
    public String redirects() {
        return router.namespace().run("nft", "list", "chain", "inet", TABLE, "prerouting_miniupnpd").output();
    }

    /** True while a DNAT of external {@code port} to {@code insideAddr:insidePort} is installed. */
    public boolean redirects(int port, String insideAddr, int insidePort) {
        return redirects().lines().anyMatch(l -> l.contains("dport " + port + " ") && l.contains("dnat ip to " + insideAddr + ":" + insidePort));
    }

    @Override
    public String toString() {
        return "miniupnpd on " + router;
    }
}
