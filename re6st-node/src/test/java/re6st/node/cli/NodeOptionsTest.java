package re6st.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import re6st.cli.Launcher;
import re6st.net.NodePrefix;

class NodeOptionsTest {
    @TempDir
    Path dir;

    /** One run of {@code re6st node} as the launcher does it, the daemon replaced by a recorder. */
    record Run(int exit, String err, NodeSettings settings) {}

    static Run run(String... args) {
        NodeCommand command = new NodeCommand();
        AtomicReference<NodeSettings> got = new AtomicReference<>();
        command.runner = s -> {
            got.set(s);
            return 0;
        };
        StringWriter err = new StringWriter();
        int exit = Launcher.execute(Launcher.commandLine(command, new PrintWriter(err, true)), args);
        System.out.println("re6st node " + String.join(" ", args) + " -> " + exit + "\n" + err);
        return new Run(exit, err.toString(), got.get());
    }

    static final String[] REQUIRED = {"--registry", "http://re6st.example.com/", "--ca", "/etc/re6stnet/ca.crt",
        "--cert", "/etc/re6stnet/cert.crt", "--key", "/etc/re6stnet/cert.key"};

    static String[] with(String... more) {
        List<String> all = new ArrayList<>(List.of(REQUIRED));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    static NodeSettings ok(String... args) {
        Run r = run(args);
        assertEquals(0, r.exit(), r.err());
        assertNotNull(r.settings());
        return r.settings();
    }

    static void usage(String expected, String... args) {
        Run r = run(args);
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("re6st node: " + expected), "expected '" + expected + "' in: " + r.err());
        assertEquals(null, r.settings(), "the daemon did not start");
    }

    @Test
    void theOriginalDefaults() {
        NodeSettings s = ok(REQUIRED);
        assertEquals(URI.create("http://re6st.example.com/"), s.registry());
        assertEquals(Optional.empty(), s.logFile(), "no -l: standard error only (the journal)");
        assertEquals(Path.of("/var/run/re6stnet"), s.runDir());
        assertEquals(Path.of("/var/lib/re6stnet/cache.db"), s.cacheFile());
        assertEquals(1, s.verbose());
        assertEquals("lo", s.mainInterface());
        assertEquals(List.of(new NodeSettings.Server(1194, "udp"), new NodeSettings.Server(1194, "tcp")), s.servers(),
                "UDP and TCP both on (the original disables UDP by default; we do not)");
        assertEquals(Set.of(), s.disabledProtocols());
        assertEquals(OptionalInt.empty(), s.clientCount(), "the registry's value");
        assertEquals(OptionalInt.empty(), s.maxClients());
        assertEquals(List.of(), s.ip());
        assertEquals(Optional.empty(), s.country());
        assertTrue(!s.clientMode() && !s.gateway() && !s.defaultRoute() && !s.multicast());
        assertEquals(List.of(), s.warnings());
        assertEquals(Optional.empty(), s.http(), "no status page unless asked");
    }

    @Test
    void theStatusPageIsOnLoopbackForABarePortAndOnTheAddressGiven() {
        assertEquals(Optional.of(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 8080)),
                ok(with("--http", "8080")).http());
        assertEquals("198.18.81.2:80", ok(with("--http", "198.18.81.2:80")).http().get().toString().replaceFirst("^/", ""));
        java.net.InetAddress any6 = ok(with("--http", "[::]:8080")).http().get().getAddress();
        assertTrue(any6 instanceof java.net.Inet6Address && any6.isAnyLocalAddress(), any6.toString());
        usage("--http www.example.com:80: ", with("--http", "www.example.com:80"));
        usage("--http 80x: expected PORT or ADDR:PORT", with("--http", "80x"));
        usage("--http 70000: ", with("--http", "70000"));
    }

    @Test
    void theFileThatReConfWritesIsRead() throws Exception {
        // As re6st-registry's ConfCommand.sampleConf writes it, then lines users add (as the original's docs tell).
        Path conf = dir.resolve("re6stnet.conf");
        Files.writeString(conf, "registry http://re6st.example.com/\nca " + dir.resolve("ca.crt") + "\ncert " + dir.resolve("cert.crt")
                + "\nkey " + dir.resolve("cert.key") + "\n# increase re6stnet verbosity:\n#verbose 3\n"
                + "# Your subnet: 2001:db8:42:7::/64 (CN=7/16)\ntable 0\novpnlog\nmain-interface eth0\ninterface eth0\n"
                + "country fr\n# uncomment the following 2 lines to increase OpenVPN verbosity:\n#O--verb\n#O3\n");
        Run r = run("@" + conf);
        assertEquals(0, r.exit(), r.err());
        NodeSettings s = r.settings();
        assertEquals(URI.create("http://re6st.example.com/"), s.registry());
        assertEquals(dir.resolve("ca.crt"), s.ca());
        assertEquals(dir.resolve("cert.crt"), s.cert());
        assertEquals(dir.resolve("cert.key"), s.key());
        assertEquals(1, s.verbose(), "#verbose 3 is a comment");
        assertEquals("eth0", s.mainInterface());
        assertEquals(List.of("eth0"), s.interfaces());
        assertEquals(Optional.of("FR"), s.country());
        assertTrue(s.defaultRoute(), "table 0 is -D");
        assertEquals(Set.of("udp6", "tcp6"), s.disabledProtocols(), "-D: no tunnels over IPv6");
        assertEquals(List.of("--table is obsolete: use -D/--default instead",
                "--ovpnlog is ignored: there is no OpenVPN in this re6stnet",
                "--table 0 is obsolete and does not change the routes, as in the current re6stnet: the default route through "
                        + "the network stays restricted to its sources (a kernel with IPv6 subtrees is needed); it only turns "
                        + "udp6/tcp6 tunnels off"), s.warnings());
        assertTrue(r.err().contains("re6st node: warning: --table is obsolete"), r.err());
    }

    @Test
    void optionFilesNestWithCommentsQuotesAndShortNames() throws Exception {
        Path inner = dir.resolve("inner.conf");
        Files.writeString(inner, "  # indented comment\n\nv 3\nI eth1\nO--verb\nO 3\ndaemon 'socat - UNIX:/run/x' # trailing comment\n"
                + "daemon \"echo \\\"up\\\"\"\nB -d\nB 1\nneighbour 7/16\nm\n");
        Path outer = dir.resolve("outer.conf");
        Files.writeString(outer, "registry http://re6st.example.com/\n@" + inner + "\nca ca.crt\ncert cert.crt\nkey cert.key\n"
                + "pp 1194 udp\npp 443 tcp\nip 198.51.100.2\nip 2001:db8::2\n");
        NodeSettings s = ok("@" + outer, "--client-count", "3");
        assertEquals(3, s.verbose());
        assertEquals("eth1", s.mainInterface());
        assertEquals(List.of("--verb", "3"), s.openvpnArgs(), "O--verb is -O with the value --verb, as in the original");
        assertEquals(List.of("socat - UNIX:/run/x", "echo \"up\""), s.daemons());
        assertEquals(List.of("-d", "1"), s.babelArgs());
        assertEquals(List.of(NodePrefix.parseCn("7/16")), s.neighbours());
        assertTrue(s.multicast());
        assertEquals(Path.of("").toAbsolutePath().resolve("ca.crt"), s.ca(), "relative to the current directory, as the original");
        assertEquals(List.of(new NodeSettings.Server(1194, "udp"), new NodeSettings.Server(443, "tcp")), s.servers());
        assertEquals(List.of("198.51.100.2", "2001:db8::2"), s.ip());
        assertEquals(OptionalInt.of(3), s.clientCount());
    }

    @Test
    void optionFileErrorsNameTheFileAndLine() throws Exception {
        usage("options file @" + dir.resolve("missing.conf") + ": ", with("@" + dir.resolve("missing.conf")));
        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, "registry http://re6st.example.com/\n\nup 'never closed\n");
        usage(bad + ":3: no closing quotation", "@" + bad);
        Path loop = dir.resolve("loop.conf");
        Files.writeString(loop, "verbose 2\n@" + loop + "\n");
        usage("options file @" + loop + " reads itself again", "@" + loop);
        Path unknown = dir.resolve("unknown.conf");
        Files.writeString(unknown, "no-such-option 1\n");
        usage("Unknown options: '-no-such-option', '1'", with("@" + unknown));
    }

    @Test
    void missingRequiredOptionsAreNamedTogether() {
        usage("missing --registry URL, --ca FILE, --cert FILE, --key FILE (on the command line, or in an options file");
        usage("missing --key FILE", "--registry", "http://x/", "--ca", "ca.crt", "--cert", "cert.crt");
    }

    @Test
    void badValuesAreUsageErrors() {
        usage("--registry 'ftp://x/': expected an http:// or https:// URL", "--registry", "ftp://x/", "--ca", "a", "--cert", "b", "--key", "c");
        usage("--pp 99999 udp: port 99999 is not a number from 1 to 65535", with("--pp", "99999", "udp"));
        usage("--pp 1194 sctp: the protocol must be udp, tcp, udp6 or tcp6", with("--pp", "1194", "sctp"));
        usage("--client: '198.51.100.2,1194': expected HOST,PORT,PROTO", with("--client", "198.51.100.2,1194"));
        usage("--client: 'h,x,udp': port x is not a number from 1 to 65535", with("--client", "h,x,udp"));
        usage("--client: 'h,1194,quic': the protocol must be udp, tcp, udp6 or tcp6", with("--client", "h,1194,quic"));
        usage("--disable-proto quic: expected none, udp, tcp, udp6 or tcp6", with("--disable-proto", "quic"));
        usage("--ip example.com: expected an IPv4 or IPv6 address, 'upnp' or 'any'", with("--ip", "example.com"));
        usage("--verbose 5: expected a level from 0 to 4", with("-v", "5"));
        usage("--country FRA: expected a two-letter ISO 3166 code", with("--country", "FRA"));
        usage("--neighbour 7: not a node CN", with("--neighbour", "7"));
        usage("--client-count -1: expected 0 or more", with("--client-count", "-1"));
        usage("--remote-gateway 2001:db8::1: expected an IPv4 address", with("--remote-gateway", "2001:db8::1"));
        usage("--table 1: only 0 is accepted", with("--table", "1"));
        usage("--test: Python expressions cannot be evaluated", with("--test", "main_interface != 'eth0'"));
    }

    @Test
    void conflictingOptionsAreRefused() {
        usage("conflicting options --default and --gateway", with("-D", "--gateway"));
        usage("conflicting options --table 0 and --gateway", with("--table", "0", "--gateway"));
        usage("conflicting options --disable-proto udp and --pp 1194 udp", with("--disable-proto", "udp", "--pp", "1194", "udp"));
        usage("conflicting options --disable-proto udp6 and --pp 1194 udp6", with("-D", "--pp", "1194", "udp6"));
        usage("--ip can be given only once with 'any' or 'upnp'", with("--ip", "upnp", "--ip", "198.51.100.2"));
        usage("--disable-proto disables every address given by --client h,1194,udp", with("--client", "h,1194,udp", "--disable-proto", "udp"));
    }

    @Test
    void protocolsAndClientMode() {
        assertEquals(Set.of(), ok(with("--disable-proto", "udp", "--disable-proto", "none")).disabledProtocols(), "none wins");
        NodeSettings tcpOnly = ok(with("--disable-proto", "udp"));
        assertEquals(List.of(new NodeSettings.Server(1194, "tcp")), tcpOnly.servers(), "the default servers lose disabled protocols");
        NodeSettings client = ok(with("--client", "re6st.example.com,1194,udp;198.51.100.2,443,tcp", "--disable-proto", "udp",
                "--client-count", "5", "--pp", "1194", "tcp"));
        assertTrue(client.clientMode());
        assertEquals(List.of(new NodeSettings.Remote("198.51.100.2", 443, "tcp")), client.client());
        assertEquals(List.of(), client.servers(), "no server in --client mode");
        assertEquals(List.of("--pp is ignored with --client (no server, no tunnel manager)",
                "--client-count is ignored with --client (no server, no tunnel manager)"), client.warnings());
    }

    @Test
    void optionsAcceptedButNotImplementedSaySoAndTheLogFileIsInTheLogDirectory() {
        List<String> args = new java.util.ArrayList<>(List.of(REQUIRED));
        args.addAll(List.of("-D", "--remote-gateway", "192.0.2.1", "-m", "-l", "/tmp/re6st-log"));
        Run r = run(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        NodeSettings s = r.settings();
        assertEquals(Optional.of(Path.of("/tmp/re6st-log/re6stnet.log")), s.logFile());
        assertEquals(3, s.warnings().size(), s.warnings().toString());
        assertTrue(s.warnings().get(0).startsWith("-D/--default is obsolete and does not change the routes"), s.warnings().get(0));
        assertEquals("accepted but not implemented yet: --remote-gateway (tunnels follow the host's own routes)", s.warnings().get(1));
        assertEquals("accepted but not implemented yet: -m/--multicast (no multicast routing over the network)", s.warnings().get(2));
        for (String w : s.warnings())
            assertTrue(r.err().contains("re6st node: warning: " + w), r.err());
    }
}
