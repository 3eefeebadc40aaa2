package re6st.babel.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import re6st.babel.mac.MacAlgorithm;
import re6st.babel.mac.MacKey;
import re6st.babel.message.Addr;
import re6st.babel.message.Prefix;

class ConfigParserTest {
    private static BabelConfig parse(String... statements) throws ConfigException {
        ConfigParser p = new ConfigParser();
        for (String s : statements)
            p.statement(s);
        return p.build();
    }

    /** The message of the error the last statement causes. */
    private static String error(String... statements) {
        return assertThrows(ConfigException.class, () -> parse(statements)).getMessage();
    }

    @Test
    void nothingConfiguredIsBabeldsDefaults() {
        BabelConfig c = BabelConfig.empty();
        assertEquals(OptionalLong.empty(), c.routerId());
        assertFalse(c.randomId());
        assertEquals(4, c.smoothingHalfLife());
        assertFalse(c.skipKernelSetup());
        assertEquals(254, c.exportTable());
        assertEquals(List.of(254), c.importTables());
        assertEquals(Optional.empty(), c.controlSocket());
        assertEquals(Optional.empty(), c.ipv6Subtrees());
        assertFalse(c.reflectKernelMetric());
        assertEquals(0, c.kernelPriority());
        assertEquals(6696, c.protocolPort());
        assertEquals(Addr.parse("ff02::1:6"), c.protocolGroup());
        assertFalse(c.linkDetect());
        assertEquals(0, c.debug());
        assertTrue(c.keys().isEmpty());
        assertTrue(c.interfaceNames().isEmpty());
        assertEquals(InterfaceConf.EMPTY, c.defaults());
        assertTrue(c.redistribute().statements().isEmpty());
        assertTrue(c.install().statements().isEmpty());
    }

    @Test
    void theSpecsBabeldCommandLine() throws Exception {
        BabelConfig c = BabelConfig.parse(List.of(
                "router-id 02:00:00:00:00:00:00:01",
                "smoothing-half-life 0",
                "default type wired hello-interval 1",
                "redistribute local deny",
                "interface veth1"), List.of());
        assertEquals(OptionalLong.of(0x0200_0000_0000_0001L), c.routerId());
        assertEquals(0, c.smoothingHalfLife());
        assertEquals(InterfaceType.WIRED, c.defaults().type());
        assertEquals(1000, c.defaults().helloInterval());
        assertEquals(List.of("veth1"), List.copyOf(c.interfaceNames()));
        assertEquals(InterfaceConf.EMPTY, c.interfaces().get("veth1"));

        InterfaceParameters veth1 = c.interfaceParameters("veth1");
        assertEquals(InterfaceType.WIRED, veth1.type());
        assertEquals(1000, veth1.helloInterval());
        assertEquals(4000, veth1.updateInterval());
        assertEquals(96, veth1.rxcost());
        assertTrue(veth1.splitHorizon());
        assertFalse(veth1.timestamps());
        assertFalse(veth1.linkQuality());
        assertEquals(0, veth1.maxRttPenalty());

        Filter deny = c.redistribute().statements().get(0);
        assertEquals(Filter.PROTO_LOCAL, deny.proto());
        assertTrue(deny.isDeny());
        assertFalse(c.redistribute().decide(Prefix.parse("2001:db8::1/128"), null, 0, true, "veth1").announce());
    }

    @Test
    void globalOptions() throws ConfigException {
        BabelConfig c = parse(
                "router-id 00:11:22:33:44:55",
                "random-id true",
                "skip-kernel-setup yes",
                "export-table 100",
                "import-table 101",
                "import-table 0x66",
                "import-table 101",
                "ipv6-subtrees false",
                "reflect-kernel-metric true",
                "kernel-priority 10",
                "protocol-port 6697",
                "protocol-group ff02::1:7",
                "link-detect true",
                "state-file /tmp/t/n1.state",
                "log-file \"/tmp/t/n 1.log\"",
                "pid-file /tmp/t/n1.pid",
                "debug 2",
                "diversity false",
                "daemonise false",
                "local-port 33123");
        assertEquals(OptionalLong.of(0x0011_22ff_fe33_4455L), c.routerId());
        assertTrue(c.randomId());
        assertTrue(c.skipKernelSetup());
        assertEquals(100, c.exportTable());
        assertEquals(List.of(101, 102), c.importTables());
        assertEquals(Optional.of(false), c.ipv6Subtrees());
        assertTrue(c.reflectKernelMetric());
        assertEquals(10, c.kernelPriority());
        assertEquals(6697, c.protocolPort());
        assertEquals(Addr.parse("ff02::1:7"), c.protocolGroup());
        assertTrue(c.linkDetect());
        assertEquals(Optional.of("/tmp/t/n1.state"), c.stateFile());
        assertEquals(Optional.of("/tmp/t/n 1.log"), c.logFile());
        assertEquals(Optional.of("/tmp/t/n1.pid"), c.pidFile());
        assertEquals(2, c.debug());
        assertEquals(Optional.of(new ControlSocket(33123, null, false)), c.controlSocket());
    }

    @Test
    void theLastControlSocketStatementWins() throws ConfigException {
        assertEquals(Optional.of(new ControlSocket(0, "/tmp/t/n1.sock", true)),
                parse("local-port 33123", "local-path-readwrite /tmp/t/n1.sock").controlSocket());
        assertEquals(Optional.of(new ControlSocket(33124, null, true)),
                parse("local-path /tmp/t/n1.sock", "local-port-readwrite 33124").controlSocket());
        assertEquals(Optional.of(new ControlSocket(0, "/run/babel.sock", false)),
                parse("local-path /run/babel.sock").controlSocket());
    }

    @Test
    void flagsTakeBabeldsBooleans() throws ConfigException {
        assertTrue(parse("skip-kernel-setup true").skipKernelSetup());
        assertTrue(parse("skip-kernel-setup yes").skipKernelSetup());
        assertFalse(parse("skip-kernel-setup true", "skip-kernel-setup no").skipKernelSetup());
        assertFalse(parse("skip-kernel-setup true", "skip-kernel-setup auto").skipKernelSetup());
        assertEquals(Optional.empty(), parse("ipv6-subtrees true", "ipv6-subtrees auto").ipv6Subtrees());
        assertEquals("-C 1: reflect-kernel-metric needs true or false, got nothing", error("reflect-kernel-metric"));
        assertEquals("-C 1: random-id needs true or false, got 'maybe'", error("random-id maybe"));
    }

    @Test
    void blankAndCommentStatementsAreAccepted() throws ConfigException {
        BabelConfig c = parse("", "   ", "# nothing", "router-id 02:00:00:00:00:00:00:01 # ours");
        assertEquals(OptionalLong.of(0x0200_0000_0000_0001L), c.routerId());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
        probe-mtu true                       | unknown statement 'probe-mtu'
        kernel-check-interval 100            | unknown statement 'kernel-check-interval'
        shutdown-delay-ms 100                | unknown statement 'shutdown-delay-ms'
        first-rule-priority 100              | unknown statement 'first-rule-priority'
        router-id 02:00:00:00:00:00:01       | router-id needs an EUI-64 such as 02:00:00:00:00:00:00:01 (or a MAC-48 address), got '02:00:00:00:00:00:01'
        router-id 02:00:00:00:00:00:00:01 x  | router-id takes one value, got also 'x'
        router-id                            | router-id needs an EUI-64 such as 02:00:00:00:00:00:00:01 (or a MAC-48 address), got nothing
        smoothing-half-life 1.5              | smoothing-half-life needs a whole number of seconds (0 disables smoothing), got '1.5'
        smoothing-half-life -1               | smoothing-half-life needs a whole number of seconds (0 disables smoothing), got '-1'
        export-table 0                       | export-table needs a table number from 1 to 65534, got '0'
        import-table 65535                   | import-table needs a table number from 1 to 65534, got '65535'
        local-port 65535                     | local-port needs a port number from 1 to 65534, got '65535'
        local-port http                      | local-port needs a port number from 1 to 65534, got 'http'
        local-path                           | local-path needs a socket path, got nothing
        kernel-priority 0                    | kernel-priority needs a priority from 1 to 65534, got '0'
        protocol-group 224.0.0.1             | protocol-group needs an IPv6 multicast address, got '224.0.0.1'
        protocol-group 2001:db8::1           | protocol-group needs an IPv6 multicast address, got '2001:db8::1'
        diversity true                       | diversity routing is not supported by re6st babel
        diversity 3                          | diversity routing is not supported by re6st babel
        diversity sometimes                  | diversity needs true, false or a kind from 0 to 3, got 'sometimes'
        diversity-factor 128                 | diversity-factor: diversity routing is not supported by re6st babel
        daemonise true                       | daemonise true is not supported: run re6st babel under a supervisor
        allow-duplicates 10                  | allow-duplicates is not supported by re6st babel
        in ip ::/0 deny                      | 'in' filters are not supported by re6st babel (only redistribute and install)
        out deny                             | 'out' filters are not supported by re6st babel (only redistribute and install)
        dump                                 | 'dump' is a request for the control socket, not a configuration statement
        flush interface eth0                 | 'flush' is a request for the control socket, not a configuration statement
        """)
    void globalErrors(String statement, String message) {
        assertEquals("-C 1: " + message, error(statement));
    }

    @Test
    void errorsNumberTheCommandLineStatements() {
        assertEquals("-C 2: interface: hello-interval needs a positive number, got 'x'",
                error("router-id 02:00:00:00:00:00:00:01", "interface veth1 hello-interval x"));
        ConfigException e = assertThrows(ConfigException.class,
                () -> parse("smoothing-half-life 0", "default type wired", "probe-mtu true"));
        assertEquals("-C 3", e.where());
        assertEquals("-C 1: one statement per -C argument, found a line break",
                error("router-id 02:00:00:00:00:00:00:01\ninterface eth0"));
    }

    @Test
    void errorsInFilesSayFileAndLine() {
        String conf = """
                # babeld configuration
                router-id 02:00:00:00:00:00:00:01
                probe-mtu true
                """;
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigParser().text("babel.conf", conf));
        assertEquals("babel.conf:3: unknown statement 'probe-mtu'", e.getMessage());
        assertEquals("babel.conf:3", e.where());

        e = assertThrows(ConfigException.class,
                () -> new ConfigParser().text("n1.conf", "\n\ninterface eth0 rxcost 0\n"));
        assertEquals("n1.conf:3: interface: rxcost needs an integer from 1 to 65535, got '0'", e.getMessage());
    }

    @Test
    void filesAreReadLineByLine(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("babel.conf");
        Files.writeString(f, """
                router-id 02:00:00:00:00:00:00:02\r
                # tunnels to the other nodes
                default type tunnel   # RTT on
                interface re6st-1 hello-interval 0.5
                interface re6st-2
                redistribute ip 2001:db8::/32 le 64 metric 256
                redistribute local deny
                """);
        BabelConfig c = BabelConfig.parse(List.of(), List.of(f));
        assertEquals(OptionalLong.of(0x0200_0000_0000_0002L), c.routerId());
        assertEquals(List.of("re6st-1", "re6st-2"), List.copyOf(c.interfaceNames()));
        assertEquals(500, c.interfaceParameters("re6st-1").helloInterval());
        assertEquals(4000, c.interfaceParameters("re6st-2").helloInterval());
        assertTrue(c.interfaceParameters("re6st-2").timestamps());
        assertEquals(2, c.redistribute().statements().size());

        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, "interface eth0\ninterface eth1 type ethernet\n");
        ConfigException e = assertThrows(ConfigException.class, () -> BabelConfig.parse(List.of(), List.of(bad)));
        assertEquals(bad + ":2: interface: type needs wired, wireless, tunnel or auto, got 'ethernet'", e.getMessage());
        assertThrows(IOException.class, () -> BabelConfig.parse(List.of(), List.of(dir.resolve("missing.conf"))));
    }

    @Test
    void commandLineStatementsComeBeforeFilesAsInBabeld(@TempDir Path dir) throws Exception {
        // babeld parses every -C during option parsing and the -c files afterwards, so a file
        // can use a key from -C, and a file's values override -C's.
        Path f = dir.resolve("babel.conf");
        Files.writeString(f, "interface eth0 key k1\nsmoothing-half-life 8\n");
        BabelConfig c = BabelConfig.parse(
                List.of("key id k1 type blake2s128 value 00112233", "smoothing-half-life 0"), List.of(f));
        assertEquals(8, c.smoothingHalfLife());
        assertEquals("k1", c.interfaceParameters("eth0").key().id());
    }

    @Test
    void interfaceOptionsAndUnits() throws ConfigException {
        BabelConfig c = parse("interface eth0 type tunnel hello-interval 0.5 update-interval 2 rxcost 128"
                + " enable-timestamps false rtt-min 7.5 rtt-max 300 max-rtt-penalty 5000 rtt-decay 125"
                + " link-quality true split-horizon no unicast yes rfc6126-compatible true"
                + " accept-bad-signatures false v4-via-v6 true");
        InterfaceConf e = c.interfaces().get("eth0");
        assertEquals(InterfaceType.TUNNEL, e.type());
        assertEquals(500, e.helloInterval());
        assertEquals(2000, e.updateInterval());
        assertEquals(128, e.rxcost());
        assertEquals(false, e.enableTimestamps());
        assertEquals(7500, e.rttMin());
        assertEquals(300_000, e.rttMax());
        assertEquals(5000, e.maxRttPenalty());
        assertEquals(125, e.rttDecay());
        assertEquals(true, e.linkQuality());
        assertEquals(false, e.splitHorizon());
        assertEquals(true, e.unicast());
        assertEquals(true, e.rfc6126Compatible());
        assertEquals(false, e.acceptBadSignatures());
        assertEquals(true, e.v4ViaV6());
        assertNull(e.key());
    }

    @Test
    void typeAutoAndDeprecatedWired() throws ConfigException {
        assertNull(parse("interface eth0 type auto").interfaces().get("eth0").type());
        assertNull(parse("interface eth0 type default").interfaces().get("eth0").type());
        assertEquals(InterfaceType.WIRED, parse("interface eth0 wired true").interfaces().get("eth0").type());
        assertEquals(InterfaceType.WIRELESS, parse("interface eth0 wired false").interfaces().get("eth0").type());
        assertNull(parse("interface eth0 enable-timestamps auto").interfaces().get("eth0").enableTimestamps());
    }

    @Test
    void quotedInterfaceNames() throws ConfigException {
        assertEquals(List.of("eth0"), List.copyOf(parse("interface \"eth0\" rxcost 10").interfaceNames()));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
        interface                                | interface: missing interface name
        interface averyveryverylongname          | interface: 'averyveryverylongname' is not an interface name (1 to 15 characters, no '/')
        interface eth0 hello-interval            | interface: hello-interval needs a positive number, got nothing
        interface eth0 hello-interval 0          | interface: hello-interval needs a positive number, got '0'
        interface eth0 hello-interval 0.0001     | interface: hello-interval needs a positive number, got '0.0001'
        interface eth0 hello-interval -1         | interface: hello-interval needs a positive number, got '-1'
        interface eth0 hello-interval 655.36     | interface: hello-interval must be at most 655.35 seconds, got '655.36'
        interface eth0 update-interval 1s        | interface: update-interval needs a positive number, got '1s'
        interface eth0 rxcost 65536              | interface: rxcost needs an integer from 1 to 65535, got '65536'
        interface eth0 rtt-decay 257             | interface: rtt-decay needs an integer from 1 to 256, got '257'
        interface eth0 rtt-decay 0               | interface: rtt-decay needs an integer from 1 to 256, got '0'
        interface eth0 rtt-min 0                 | interface: rtt-min needs a positive number of milliseconds, got '0'
        interface eth0 rtt-max ten               | interface: rtt-max needs a positive number of milliseconds, got 'ten'
        interface eth0 max-rtt-penalty 0         | interface: max-rtt-penalty needs an integer from 1 to 65535, got '0'
        interface eth0 enable-timestamps on      | interface: enable-timestamps needs true, false or auto, got 'on'
        interface eth0 type                      | interface: type needs wired, wireless, tunnel or auto, got nothing
        interface eth0 key k1                    | interface: key 'k1' is not defined (a 'key id k1 type ... value ...' statement must come first)
        interface eth0 channel 6                 | interface: channel is not supported (re6st babel does no diversity routing)
        interface eth0 faraway true              | interface: faraway is not supported (re6st babel does no diversity routing)
        interface eth0 probe-mtu true            | interface: unknown option 'probe-mtu'
        interface eth0 hello 1                   | interface: unknown option 'hello'
        default hello-interval x                 | default: hello-interval needs a positive number, got 'x'
        default foo                              | default: unknown option 'foo'
        """)
    void interfaceErrors(String statement, String message) {
        assertEquals("-C 1: " + message, error(statement));
    }

    @Test
    void aFailedStatementChangesNothing() throws ConfigException {
        ConfigParser p = new ConfigParser();
        p.statement("interface eth0 rxcost 10");
        assertThrows(ConfigException.class, () -> p.statement("interface eth0 rxcost 20 hello-interval x"));
        assertThrows(ConfigException.class, () -> p.statement("default type tunnel rtt-decay 0"));
        assertThrows(ConfigException.class, () -> p.statement("redistribute ip 10.0.0.0/8 bogus"));
        assertThrows(ConfigException.class, () -> p.statement("router-id 02:00:00:00:00:00:00:01 extra"));
        BabelConfig c = p.build();
        assertEquals(10, c.interfaces().get("eth0").rxcost());
        assertEquals(InterfaceConf.EMPTY, c.defaults());
        assertTrue(c.redistribute().statements().isEmpty());
        assertEquals(OptionalLong.empty(), c.routerId());
    }

    @Test
    void repeatedStatementsMergeLaterWins() throws ConfigException {
        BabelConfig c = parse(
                "interface eth0 rxcost 10 hello-interval 2",
                "interface eth0 rxcost 20",
                "default type tunnel rtt-max 200",
                "default rtt-max 300 rtt-min 20");
        InterfaceConf e = c.interfaces().get("eth0");
        assertEquals(20, e.rxcost());
        assertEquals(2000, e.helloInterval());
        assertEquals(InterfaceType.TUNNEL, c.defaults().type());
        assertEquals(300_000, c.defaults().rttMax());
        assertEquals(20_000, c.defaults().rttMin());
    }

    @Test
    void keys() throws ConfigException {
        BabelConfig c = parse(
                "key id k1 type hmac-sha256 value 00112233445566778899aabbccddeeff",
                "key type blake2s128 value 0123456789ABCDEF id k2",
                "interface eth0 key k1",
                "default key k2");
        assertEquals(List.of("k1", "k2"), List.copyOf(c.keys().keySet()));
        MacKey k1 = c.keys().get("k1");
        assertEquals(MacAlgorithm.HMAC_SHA256, k1.algorithm());
        assertEquals(16, k1.value().length);
        MacKey k2 = c.keys().get("k2");
        assertEquals(MacAlgorithm.BLAKE2S_128, k2.algorithm());
        assertArrayEquals(new byte[] {0x01, 0x23, 0x45, 0x67, (byte) 0x89, (byte) 0xab, (byte) 0xcd, (byte) 0xef},
                k2.value());
        assertEquals("k1", c.interfaceParameters("eth0").key().id());
        assertEquals("k2", c.interfaceParameters("eth1").key().id());
    }

    @Test
    void aRedefinedKeyReplacesTheValueForItsInterfaces() throws ConfigException {
        BabelConfig c = parse(
                "key id k type hmac-sha256 value 0011",
                "interface eth0 key k",
                "key id k type blake2s128 value 2233");
        MacKey k = c.interfaceParameters("eth0").key();
        assertEquals(MacAlgorithm.BLAKE2S_128, k.algorithm());
        assertArrayEquals(new byte[] {0x22, 0x33}, k.value());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
        key type hmac-sha256 value 00                | key: no key id given
        key id k value 00                            | key: key k has no type (hmac-sha256 or blake2s128)
        key id k type hmac-sha256                    | key: key k has no value
        key id k type none value 00                  | key: type none is not supported
        key id k type sha1 value 00                  | key: type needs hmac-sha256 or blake2s128, got 'sha1'
        key id k type hmac-sha256 value 0s3cr3t      | key: key k: value must be an even number of hexadecimal digits
        key id k type hmac-sha256 value 012          | key: key k: value must be an even number of hexadecimal digits
        key id k type blake2s128 value 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00 | key: key k (blake2s128): value is 33 bytes, expected 1 to 32
        key id k type hmac-sha256 algo x             | key: unknown keyword 'algo' (expected id, type or value)
        """)
    void keyErrors(String statement, String message) {
        assertEquals("-C 1: " + message, error(statement));
    }

    @Test
    void filters() throws ConfigException {
        BabelConfig c = parse(
                "redistribute ip 2001:db8::/32 le 64 metric 256",
                "redistribute proto 11 ip 0.0.0.0/0 le 24 metric 256",
                "redistribute local if eth0 deny",
                "redistribute src-ip 2001:db8:1::/48 src-eq 56 ge 48",
                "redistribute ip 10.0.0.0/8 eq 24",
                "redistribute le 64",
                "redistribute src-prefix 2001:db8:9::/48",
                "install ip 2001:db8::/32 table 100 pref-src 2001:db8::1",
                "install id 02:00:00:00:00:00:00:09 deny");
        List<Filter> r = c.redistribute().statements();
        assertEquals(7, r.size());

        Filter f = r.get(0);
        assertEquals(Filter.Family.IPV6, f.family());
        assertEquals(Prefix.parse("2001:db8::/32"), f.prefix());
        assertEquals(0, f.plenGe());
        assertEquals(64, f.plenLe());
        assertEquals(256, f.metric());
        assertEquals(0, f.proto());

        f = r.get(1); // IPv4 lengths are kept + 96, whatever the order of ip and le
        assertEquals(Filter.Family.IPV4, f.family());
        assertEquals(Prefix.V4_DEFAULT, f.prefix());
        assertEquals(120, f.plenLe());
        assertEquals(0, f.plenGe());
        assertEquals(11, f.proto());

        f = r.get(2);
        assertEquals(Filter.PROTO_LOCAL, f.proto());
        assertEquals("eth0", f.ifname());
        assertTrue(f.isDeny());
        assertNull(f.family());

        f = r.get(3);
        assertEquals(Prefix.parse("2001:db8:1::/48"), f.srcPrefix());
        assertEquals(56, f.srcPlenGe());
        assertEquals(56, f.srcPlenLe());
        assertEquals(48, f.plenGe());

        f = r.get(4);
        assertEquals(120, f.plenGe());
        assertEquals(120, f.plenLe());

        f = r.get(5); // a length without an address: IPv6 only, as babeld
        assertEquals(Filter.Family.IPV6, f.family());
        assertEquals(64, f.plenLe());

        assertEquals(Prefix.parse("2001:db8:9::/48"), r.get(6).setSrcPrefix());

        List<Filter> i = c.install().statements();
        assertEquals(100, i.get(0).table());
        assertEquals(Addr.parse("2001:db8::1"), i.get(0).prefSrc());
        assertEquals(0x0200_0000_0000_0009L, i.get(1).id());
        assertTrue(i.get(1).isDeny());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
        redistribute bogus                              | redistribute: unknown selector or action 'bogus'
        redistribute ip                                 | redistribute: ip needs a prefix such as 2001:db8::/32 or 10.0.0.0/8, got nothing
        redistribute ip 10.0.0.0/33                     | redistribute: ip needs a prefix such as 2001:db8::/32 or 10.0.0.0/8, got '10.0.0.0/33'
        redistribute ip 10.0.0.0/8 src-ip ::/0          | redistribute: 'src-ip ::/0' is IPv6 but the statement is already IPv4
        redistribute ip ::/0 pref-src 10.0.0.1          | redistribute: 'pref-src 10.0.0.1' is IPv4 but the statement is already IPv6
        redistribute ip 10.0.0.0/8 le 33                | redistribute: prefix length 33 is longer than 32 in an IPv4 statement
        redistribute le 129                             | redistribute: le needs a prefix length from 0 to 128, got '129'
        redistribute eq -1                              | redistribute: eq needs a prefix length from 0 to 128, got '-1'
        redistribute metric 0                           | redistribute: metric needs an integer from 1 to 65535 (allow means 0), got '0'
        redistribute metric 65536                       | redistribute: metric needs an integer from 1 to 65535 (allow means 0), got '65536'
        redistribute proto boot                         | redistribute: proto needs a kernel protocol number from 1 to 255, got 'boot'
        redistribute if                                 | redistribute: if needs an interface name, got nothing
        redistribute id 1                               | redistribute: id needs an EUI-64 such as 02:00:00:00:00:00:00:01 (or a MAC-48 address), got '1'
        install table 0                                 | install: table needs a table number from 1 to 65535, got '0'
        install neigh fe80::1/64                        | install: neigh needs an IPv6 or IPv4 address, got 'fe80::1/64'
        """)
    void filterErrors(String statement, String message) {
        assertEquals("-C 1: " + message, error(statement));
    }
}
