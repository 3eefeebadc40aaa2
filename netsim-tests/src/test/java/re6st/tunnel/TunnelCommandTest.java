package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import re6st.netsim.Cmd;
import re6st.netsim.LinkParams;
import re6st.netsim.Namespace;
import re6st.netsim.NsProcess;
import re6st.netsim.Ping;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;

/**
 * {@code re6st tunnel} between two namespaces with certificates made by openssl (as an
 * administrator or the original registry would): up, ping through it; refused for a wrong
 * expected CN, for a certificate of another CA, for a revoked and for an expired certificate.
 * One PKI serves the whole class (RSA key generation is the slow part).
 */
@RequiresRoot
class TunnelCommandTest {
    /** Client certificates the server must refuse, issued by the network CA with {@code openssl ca}. */
    static final String REVOKED_CN = "3/16", EXPIRED_CN = "4/16";

    @TempDir
    static Path dir;

    /** The network CA's CRL, revoking {@link #REVOKED_CN}'s certificate. */
    static Path crl;

    static void openssl(Path dir, String... args) {
        List<String> c = new ArrayList<>(List.of("openssl"));
        c.addAll(List.of(args));
        Cmd.run(c.toArray(String[]::new)); // run in dir via absolute paths
    }

    /** A CA and nodes CN "1/16", "2/16"; returns the directory. */
    static Path pki(Path dir, String caName, String... cns) {
        openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/" + caName + ".key", "-out",
                dir + "/" + caName + ".crt", "-days", "30", "-subj", "/CN=" + caName);
        for (String cn : cns) {
            String n = dir + "/" + caName + "-" + cn.replace('/', '_');
            openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", n + ".key", "-out", n + ".csr", "-subj",
                    "/CN=" + cn.replace("/", "\\/"));
            openssl(dir, "x509", "-req", "-in", n + ".csr", "-CA", dir + "/" + caName + ".crt", "-CAkey",
                    dir + "/" + caName + ".key", "-CAcreateserial", "-out", n + ".crt", "-days", "30");
        }
        return dir;
    }

    /**
     * Issues a certificate of CA {@code caName} for {@code cn} with {@code openssl ca} (which keeps
     * the database a CRL is made from), reusing the key of {@code keyOfCn} (no new RSA key).
     * {@code dates} are extra {@code openssl ca} options such as -startdate/-enddate.
     */
    static void issue(Path dir, Path config, String caName, String cn, String keyOfCn, String... dates) throws IOException {
        String n = dir + "/" + caName + "-" + cn.replace('/', '_');
        Files.copy(Path.of(dir + "/" + caName + "-" + keyOfCn.replace('/', '_') + ".key"), Path.of(n + ".key"));
        openssl(dir, "req", "-new", "-key", n + ".key", "-out", n + ".csr", "-subj", "/CN=" + cn.replace("/", "\\/"));
        List<String> c = new ArrayList<>(List.of("ca", "-config", config.toString(), "-batch", "-notext", "-in", n + ".csr",
                "-out", n + ".crt"));
        c.addAll(dates.length > 0 ? List.of(dates) : List.of("-days", "30"));
        openssl(dir, c.toArray(String[]::new));
    }

    /**
     * The minimal {@code openssl ca} configuration for CA {@code caName} in {@code dir}: a
     * database (index.txt, serial, crlnumber) next to the CA files, any CN accepted, v3
     * certificates like the registry's.
     */
    static Path caConfig(Path dir, String caName) throws IOException {
        Files.writeString(dir.resolve("index.txt"), "");
        Files.writeString(dir.resolve("serial"), "1000\n");
        Files.writeString(dir.resolve("crlnumber"), "01\n");
        return Files.writeString(dir.resolve(caName + "-ca.cnf"), String.join("\n",
                "[ ca ]",
                "default_ca = network_ca",
                "[ network_ca ]",
                "dir = " + dir,
                "database = $dir/index.txt",
                "new_certs_dir = $dir",
                "serial = $dir/serial",
                "crlnumber = $dir/crlnumber",
                "certificate = $dir/" + caName + ".crt",
                "private_key = $dir/" + caName + ".key",
                "default_md = sha256",
                "default_crl_days = 30",
                "policy = any_cn",
                "unique_subject = no",
                "x509_extensions = node_cert",
                "[ any_cn ]",
                "commonName = supplied",
                "[ node_cert ]",
                "basicConstraints = CA:FALSE",
                "subjectKeyIdentifier = hash",
                "authorityKeyIdentifier = keyid",
                ""));
    }

    @BeforeAll
    static void makePki() throws IOException {
        pki(dir, "ca", "1/16", "2/16");
        pki(dir, "other", "1/16");
        Path config = caConfig(dir, "ca");
        issue(dir, config, "ca", REVOKED_CN, "1/16");
        issue(dir, config, "ca", EXPIRED_CN, "1/16", "-startdate", "20200101000000Z", "-enddate", "20200201000000Z");
        openssl(dir, "ca", "-config", config.toString(), "-revoke", dir + "/ca-" + REVOKED_CN.replace('/', '_') + ".crt");
        crl = dir.resolve("ca.crl");
        openssl(dir, "ca", "-config", config.toString(), "-gencrl", "-out", crl.toString());
    }

    static NsProcess tunnel(Namespace ns, String log, Path dir, String ca, String cn, String... args) {
        List<String> c = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), "re6st.tunnel.cli.TunnelCommand", "--ca", dir + "/" + ca + ".crt",
                "--cert", dir + "/" + ca + "-" + cn.replace('/', '_') + ".crt", "--key", dir + "/" + ca + "-" + cn.replace('/', '_') + ".key"));
        c.addAll(List.of(args));
        return ns.start(log, c.toArray(String[]::new));
    }

    /** Namespaces a (198.18.N.1) and b (198.18.N.2) joined by a 1 ms WAN link. */
    static Namespace[] underlay(TestNet net, int n) {
        Namespace a = net.namespace("a"), b = net.namespace("b");
        net.wan("ab", a, "wan0", b, "wan0", LinkParams.delayMillis(1));
        a.addAddress("wan0", "198.18." + n + ".1/24");
        b.addAddress("wan0", "198.18." + n + ".2/24");
        Wait.until("underlay", Duration.ofSeconds(10), () -> a.pings("198.18." + n + ".2"));
        return new Namespace[] {a, b};
    }

    /** Waits until a server has bound its UDP port, so that the client's first ClientHello finds it. */
    static void awaitListening(Namespace ns, NsProcess server, int port) {
        Wait.until(server + " listens on UDP " + port, Duration.ofSeconds(30), () -> {
            if (!server.isAlive())
                throw new AssertionError(server + " exited before listening:\n" + server.log());
            return ns.exec(Duration.ofSeconds(5), "ss", "-Hlnu").output().contains(":" + port + " ");
        });
    }

    @Test
    void tunnelUpPingAndRefusals() throws Exception {
        try (TestNet net = TestNet.create("tunnelcmd")) {
            Namespace[] ab = underlay(net, 90);
            Namespace a = ab[0], b = ab[1];

            // The server checks the CRL, which lists another certificate only: accepted.
            NsProcess server = tunnel(b, "server", dir, "ca", "2/16", "--listen", "1194", "--ifname", "tun0",
                    "--address", "fd00:90::2/64", "--crl", crl.toString());
            awaitListening(b, server, 1194);
            NsProcess client = tunnel(a, "client", dir, "ca", "1/16", "--connect", "198.18.90.2:1194", "--peer-cn", "2/16",
                    "--ifname", "tun0", "--address", "fd00:90::1/64");
            Wait.until("both ends say the tunnel is up", Duration.ofSeconds(60),
                    () -> server.log().contains("tunnel up: tun0 <-> 1/16") && client.log().contains("tunnel up: tun0 <-> 2/16"));
            Ping.Result r = Ping.answered(a, "fd00:90::2", 5, Duration.ofMillis(50));
            assertEquals(5, r.received(), r.output() + "\n" + client.log() + server.log());
            client.close();
            server.close();

            // The client expects another CN: refused, no tunnel.
            NsProcess server2 = tunnel(b, "server2", dir, "ca", "2/16", "--listen", "1195", "--ifname", "tun1", "--timeout", "10");
            awaitListening(b, server2, 1195);
            NsProcess wrongCn = tunnel(a, "wrong-cn", dir, "ca", "1/16", "--connect", "198.18.90.2:1195", "--peer-cn", "9/16",
                    "--ifname", "tun1", "--timeout", "10");
            Integer rc = wrongCn.waitFor(Duration.ofSeconds(30));
            assertNotNull(rc, "the client gave up");
            assertTrue(rc != 0 && wrongCn.log().contains("WRONG_CN"), wrongCn.log());
            server2.close();

            // Another network (another CA): refused (the side that checks first says OTHER_CA, the other
            // sees the alert); neither side brings a tunnel up; the server goes on listening.
            NsProcess server3 = tunnel(b, "server3", dir, "ca", "2/16", "--listen", "1196", "--ifname", "tun2", "--timeout", "10");
            awaitListening(b, server3, 1196);
            NsProcess stranger = tunnel(a, "stranger", dir, "other", "1/16", "--connect", "198.18.90.2:1196", "--ifname", "tun2",
                    "--timeout", "10");
            Integer rc3 = stranger.waitFor(Duration.ofSeconds(30));
            assertTrue((server3.log() + stranger.log()).contains("OTHER_CA"), "server: " + server3.log() + "\nclient: " + stranger.log());
            assertTrue(rc3 != null && rc3 != 0, "the stranger exits non-zero: " + rc3);
            assertTrue(server3.isAlive() && !server3.log().contains("tunnel up"), "the server goes on, without a tunnel: " + server3.log());
            assertTrue(!a.exec(Duration.ofSeconds(5), "ip", "link", "show", "tun2").ok(), "no TUN for a refused peer");
        }
    }

    /**
     * {@code --keep-up} (the failover benchmark's static tunnels, under babeld or our Babel alone): a silent path downs
     * neither the interface nor the session. Two pairs on one link, one with it and one without; the link blackholed: the
     * pair without declares its path down (the control), the pair with it keeps its interfaces up, handshakes nothing
     * again, and carries pings as soon as the link heals.
     */
    @Test
    void keepUpHoldsTheInterfaceAndTheSessionThroughASilentPath() throws Exception {
        try (TestNet net = TestNet.create("keepup")) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            re6st.netsim.WanLink link = net.wan("ab", a, "wan0", b, "wan0", LinkParams.delayMillis(1));
            a.addAddress("wan0", "198.18.96.1/24");
            b.addAddress("wan0", "198.18.96.2/24");
            Wait.until("underlay", Duration.ofSeconds(10), () -> a.pings("198.18.96.2"));
            NsProcess[] servers = new NsProcess[2], clients = new NsProcess[2];
            for (int i = 0; i < 2; i++) {
                List<String> keep = i == 0 ? List.of("--keep-up") : List.of();
                List<String> sa = new ArrayList<>(List.of("--listen", Integer.toString(1194 + i), "--ifname", "tun" + i, "--address",
                        "fd00:" + (96 + i) + "::2/64"));
                sa.addAll(keep);
                servers[i] = tunnel(b, "server" + i, dir, "ca", "2/16", sa.toArray(String[]::new));
                awaitListening(b, servers[i], 1194 + i);
                List<String> ca = new ArrayList<>(List.of("--connect", "198.18.96.2:" + (1194 + i), "--peer-cn", "2/16", "--ifname",
                        "tun" + i, "--address", "fd00:" + (96 + i) + "::1/64"));
                ca.addAll(keep);
                clients[i] = tunnel(a, "client" + i, dir, "ca", "1/16", ca.toArray(String[]::new));
            }
            for (int i = 0; i < 2; i++) {
                String target = "fd00:" + (96 + i) + "::2";
                Wait.until("tunnel " + i + " passes pings", Duration.ofSeconds(60), () -> a.pings(target));
            }
            link.blackhole(true);
            // the control pair goes through both stages a silent path brings (liveness down at once, a new handshake
            // after 3 s of silence); the --keep-up pair, on the same link and the same timers, through neither
            String down = "is down (probes unanswered)", again = "handshaking again";
            Wait.until("the pair without --keep-up declares its path down and its client handshakes again", Duration.ofSeconds(30),
                    () -> clients[1].log().contains(down) && servers[1].log().contains(down) && clients[1].log().contains(again));
            java.util.function.Supplier<String> logs = () -> "\nclient: " + clients[0].log() + "\nserver: " + servers[0].log();
            assertFalse(clients[0].log().contains(down) || servers[0].log().contains(down), () -> "--keep-up: no link-down" + logs.get());
            assertFalse(clients[0].log().contains(again), () -> "--keep-up: the session is kept" + logs.get());
            for (Namespace ns : new Namespace[] {a, b})
                assertTrue(ns.exec(Duration.ofSeconds(5), "ip", "link", "show", "tun0").output().contains(",UP"),
                        () -> "tun0 stays up in " + ns.label() + logs.get());
            link.blackhole(false);
            Wait.until("the --keep-up tunnel passes pings again", Duration.ofSeconds(30), () -> a.pings("fd00:96::2"));
            assertFalse(clients[0].log().contains(again), () -> "--keep-up: the session is kept" + logs.get());
            for (int i = 0; i < 2; i++) {
                clients[i].close();
                servers[i].close();
            }
        }
    }

    /** A certificate the network CA revoked: the server (with the CRL) refuses it, the client hears certificate_revoked. */
    @Test
    void revokedClientCertificateIsRefused() throws Exception {
        try (TestNet net = TestNet.create("tunnelrevoked")) {
            assertClientRefused(net, 91, REVOKED_CN, "(REVOKED)", "was revoked on", "certificate_revoked", "--crl", crl.toString());
        }
    }

    /** A certificate past its notAfter (January 2020): the server refuses it, the client hears certificate_expired. */
    @Test
    void expiredClientCertificateIsRefused() throws Exception {
        try (TestNet net = TestNet.create("tunnelexpired")) {
            assertClientRefused(net, 92, EXPIRED_CN, "(EXPIRED)", "expired on 2020-02-01T00:00:00Z", "certificate_expired");
        }
    }

    /**
     * Server in b (CN 2/16, {@code serverArgs}), client in a with the certificate of {@code clientCn}: the
     * server refuses it, logs {@code reason} and {@code detail} and goes on listening; the client exits non-zero naming
     * {@code alert}; no TUN, no ping between the inner addresses fd00:N::1 and fd00:N::2.
     */
    static void assertClientRefused(TestNet net, int n, String clientCn, String reason, String detail, String alert,
            String... serverArgs) {
        Namespace[] ab = underlay(net, n);
        Namespace a = ab[0], b = ab[1];
        List<String> s = new ArrayList<>(List.of("--listen", "1194", "--ifname", "tun0", "--address", "fd00:" + n + "::2/64",
                "--timeout", "10"));
        s.addAll(List.of(serverArgs));
        NsProcess server = tunnel(b, "server", dir, "ca", "2/16", s.toArray(String[]::new));
        awaitListening(b, server, 1194);
        NsProcess client = tunnel(a, "client", dir, "ca", clientCn, "--connect", "198.18." + n + ".2:1194", "--peer-cn", "2/16",
                "--ifname", "tun0", "--address", "fd00:" + n + "::1/64", "--timeout", "10");
        Wait.until("the client gives up (or, wrongly, a tunnel comes up)", Duration.ofSeconds(60),
                () -> !client.isAlive() || server.log().contains("tunnel up") || client.log().contains("tunnel up"));
        String logs = "\nserver: " + server.log() + "\nclient: " + client.log();
        assertFalse(server.log().contains("tunnel up") || client.log().contains("tunnel up"), "no tunnel" + logs);
        Integer clientRc = client.waitFor(Duration.ofSeconds(30));

        assertTrue(server.isAlive(), "the refusing server goes on listening" + logs);
        assertTrue(server.log().contains("peer certificate refused " + reason), "the server names the reason" + logs);
        assertTrue(server.log().contains("CN '" + clientCn + "'") && server.log().contains(detail),
                "the server names the certificate and " + detail + logs);
        assertTrue(clientRc != null && clientRc != 0, "the refused client exits non-zero: " + clientRc + logs);
        assertTrue(client.log().contains("alert " + alert), "the client names the peer's alert " + alert + logs);

        for (Namespace ns : ab)
            assertFalse(ns.exec(Duration.ofSeconds(5), "ip", "link", "show", "tun0").ok(), "no TUN in " + ns.label());
        assertNoPing(a, "fd00:" + n + "::2");
        assertNoPing(b, "fd00:" + n + "::1");
    }

    /** Pings fail (no route, or no reply) from {@code ns} to {@code address}. */
    static void assertNoPing(Namespace ns, String address) {
        Cmd.Result r = ns.exec(Duration.ofSeconds(10), "ping", "-n", "-q", "-c", "2", "-i", "0.05", "-W", "1", address);
        assertFalse(r.ok(), "no ping from " + ns.label() + " to " + address + ":\n" + r.output());
    }

    /**
     * Acceptance 1 over UDP/IPv6: two processes on an IPv6-only underlay, ping and an iperf3 run
     * through the tunnel; the server's Prometheus endpoint (--metrics, loopback) shows the traffic,
     * the established tunnel and the handshake.
     */
    @Test
    void udpOverIpv6WithIperfAndMetrics() throws Exception {
        try (TestNet net = TestNet.create("tunnel6")) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            net.veth(a, "veth0", b, "veth0");
            a.addAddress("veth0", "fd00:93::1/64");
            b.addAddress("veth0", "fd00:93::2/64");
            NsProcess server = tunnel(b, "server", dir, "ca", "2/16", "--listen", "[::]:1194", "--ifname", "tun0",
                    "--address", "fd00:94::2/64", "--metrics", "9100");
            awaitListening(b, server, 1194);
            NsProcess client = tunnel(a, "client", dir, "ca", "1/16", "--connect", "[fd00:93::2]:1194", "--peer-cn", "2/16",
                    "--ifname", "tun0", "--address", "fd00:94::1/64");
            Wait.until("both ends say the tunnel is up", Duration.ofSeconds(60),
                    () -> server.log().contains("tunnel up: tun0 <-> 1/16") && client.log().contains("tunnel up: tun0 <-> 2/16"));
            Ping.Result r = Ping.answered(a, "fd00:94::2", 5, Duration.ofMillis(50));
            assertEquals(5, r.received(), r.output() + "\n" + client.log() + server.log());
            NsProcess iperf = re6st.netsim.Iperf.server(b);
            net.own(iperf);
            double mbits = re6st.netsim.Iperf.mbits(a, "fd00:94::2", 3);
            System.out.printf("re6st tunnel over UDP/IPv6: iperf3 %.0f Mbit/s%n", mbits);
            assertTrue(mbits > 0, "iperf3 ran through the tunnel");
            String metrics = b.exec(Duration.ofSeconds(10), "bash", "-c",
                    "exec 3<>/dev/tcp/127.0.0.1/9100 && printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3").output();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^tunnel_tun0_bytes_in(?:_total)? ([0-9.eE+]+)").matcher(metrics);
            assertTrue(m.find(), "bytes received in the metrics:\n" + metrics);
            assertTrue(Double.parseDouble(m.group(1)) > 1e6, "iperf3's bytes are counted: " + m.group(1));
            assertTrue(metrics.contains("tunnel_tun0_up 1"), "the tunnel is up in the metrics");
            assertTrue(metrics.contains("endpoint_handshakes"), "handshake timer exported");
            assertFalse(a.exec(Duration.ofSeconds(5), "bash", "-c", "exec 3<>/dev/tcp/fd00:93::2/9100").ok(),
                    "metrics are not served to the network by default");
        }
    }

    /**
     * {@code --crl} is read again when the file is replaced (and on SIGHUP): the server's tunnel
     * with a peer the new CRL revokes closes, over UDP and over TCP, and the server says what
     * changed; a file that does not load changes nothing.
     */
    @Test
    void replacingTheCrlFileClosesTheRevokedPeersTunnel() throws Exception {
        issue(dir, dir.resolve("ca-ca.cnf"), "ca", "5/16", "1/16");
        Path live = dir.resolve("live.crl");
        Files.copy(crl, live, java.nio.file.StandardCopyOption.REPLACE_EXISTING); // revokes 3/16 only
        try (TestNet net = TestNet.create("tunnelcrl")) {
            Namespace[] ab = underlay(net, 95);
            Namespace a = ab[0], b = ab[1];
            String[] protos = {"udp", "tcp"};
            NsProcess[] servers = new NsProcess[2], clients = new NsProcess[2];
            for (int i = 0; i < 2; i++) {
                String port = Integer.toString(1194 + i), proto = protos[i];
                servers[i] = tunnel(b, "server-" + proto, dir, "ca", "2/16", "--proto", proto, "--listen", port, "--ifname", "tun" + i,
                        "--address", "fd00:" + (95 + i) + "::2/64", "--crl", live.toString());
                NsProcess server = servers[i];
                Wait.until(server + " listens", Duration.ofSeconds(30), () -> {
                    if (!server.isAlive())
                        throw new AssertionError(server + " exited before listening:\n" + server.log());
                    return b.exec(Duration.ofSeconds(5), "ss", "-Hln" + proto.charAt(0)).output().contains(":" + port + " ");
                });
                clients[i] = tunnel(a, "client-" + proto, dir, "ca", "5/16", "--proto", proto, "--connect", "198.18.95.2:" + port,
                        "--peer-cn", "2/16", "--ifname", "tun" + i, "--address", "fd00:" + (95 + i) + "::1/64");
            }
            for (int i = 0; i < 2; i++) {
                String target = "fd00:" + (95 + i) + "::2";
                Wait.until(protos[i] + " tunnel passes pings", Duration.ofSeconds(60), () -> a.pings(target));
            }
            // a file that is no CRL: said, and the CRL in force stays (the tunnels carry on)
            Path junk = dir.resolve("junk.crl");
            Files.writeString(junk, "-----BEGIN X509 CRL-----\nnot base64\n-----END X509 CRL-----\n");
            Files.move(junk, live, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            for (NsProcess server : servers)
                Wait.until(server + " reports the bad file", Duration.ofSeconds(30),
                        () -> server.log().contains("cannot reload the CRL " + live + " (the file changed)")
                                && server.log().contains("the previous CRL stays in force"));
            for (int i = 0; i < 2; i++)
                assertTrue(a.pings("fd00:" + (95 + i) + "::2"), protos[i] + " tunnel still up after a bad CRL file");
            // the CA revokes 5/16; the new CRL replaces the file the servers watch (as an atomic rename)
            Path config = dir.resolve("ca-ca.cnf");
            openssl(dir, "ca", "-config", config.toString(), "-revoke", dir + "/ca-5_16.crt");
            Path next = dir.resolve("live.crl.new");
            openssl(dir, "ca", "-config", config.toString(), "-gencrl", "-out", next.toString());
            String serial = Cmd.run("openssl", "x509", "-noout", "-serial", "-in", dir + "/ca-5_16.crt").output().trim()
                    .replaceFirst("^serial=0*", "").toLowerCase(java.util.Locale.ROOT);
            Files.move(next, live, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            for (int i = 0; i < 2; i++) {
                NsProcess server = servers[i];
                String target = "fd00:" + (95 + i) + "::2";
                Wait.until(protos[i] + ": the server reloads the CRL and closes the revoked peer's tunnel", Duration.ofSeconds(30),
                        () -> server.log().contains("newly revoked serials 0x" + serial) && server.log().contains("certificate is revoked"));
                Wait.until(protos[i] + ": the revoked peer's tunnel carries nothing", Duration.ofSeconds(30), () -> !a.pings(target));
                assertTrue(server.isAlive(), "the server goes on" + server.log());
                assertTrue(server.log().contains("CRL reloaded from " + live + " (the file changed): 2 revoked"), server.log());
            }
            for (NsProcess server : servers) { // SIGHUP reads the file again, changed or not
                server.signal("HUP");
                Wait.until(server + " reloads on SIGHUP", Duration.ofSeconds(30),
                        () -> server.log().contains("CRL reloaded from " + live + " (SIGHUP): 2 revoked, no change"));
                assertTrue(server.isAlive(), "SIGHUP does not end it" + server.log());
            }
        }
    }
}
