package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

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
 * expected CN and for a certificate of another CA.
 */
@RequiresRoot
class TunnelCommandTest {

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

    static NsProcess tunnel(Namespace ns, String log, Path dir, String ca, String cn, String... args) {
        List<String> c = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), "re6st.tunnel.cli.TunnelCommand", "--ca", dir + "/" + ca + ".crt",
                "--cert", dir + "/" + ca + "-" + cn.replace('/', '_') + ".crt", "--key", dir + "/" + ca + "-" + cn.replace('/', '_') + ".key"));
        c.addAll(List.of(args));
        return ns.start(log, c.toArray(String[]::new));
    }

    @Test
    void tunnelUpPingAndRefusals() throws Exception {
        try (TestNet net = TestNet.create("tunnelcmd")) {
            Path dir = Files.createDirectories(net.logDir().resolve("pki"));
            pki(dir, "ca", "1/16", "2/16");
            pki(dir, "other", "1/16");
            Namespace a = net.namespace("a"), b = net.namespace("b");
            net.wan("ab", a, "wan0", b, "wan0", LinkParams.delayMillis(1));
            a.addAddress("wan0", "198.18.90.1/24");
            b.addAddress("wan0", "198.18.90.2/24");
            Wait.until("underlay", Duration.ofSeconds(10), () -> a.pings("198.18.90.2"));

            NsProcess server = tunnel(b, "server", dir, "ca", "2/16", "--listen", "1194", "--ifname", "tun0",
                    "--address", "fd00:90::2/64");
            NsProcess client = tunnel(a, "client", dir, "ca", "1/16", "--connect", "198.18.90.2:1194", "--peer-cn", "2/16",
                    "--ifname", "tun0", "--address", "fd00:90::1/64");
            Wait.until("both ends say the tunnel is up", Duration.ofSeconds(60),
                    () -> server.log().contains("tunnel up: tun0 <-> 1/16") && client.log().contains("tunnel up: tun0 <-> 2/16"));
            Ping.Result r = Ping.run(a, "fd00:90::2", 5, Duration.ofMillis(50));
            assertEquals(5, r.received(), r.output() + "\n" + client.log() + server.log());
            client.close();
            server.close();

            // The client expects another CN: refused, no tunnel.
            NsProcess server2 = tunnel(b, "server2", dir, "ca", "2/16", "--listen", "1195", "--ifname", "tun1", "--timeout", "10");
            NsProcess wrongCn = tunnel(a, "wrong-cn", dir, "ca", "1/16", "--connect", "198.18.90.2:1195", "--peer-cn", "9/16",
                    "--ifname", "tun1", "--timeout", "10");
            Integer rc = wrongCn.waitFor(Duration.ofSeconds(30));
            assertNotNull(rc, "the client gave up");
            assertTrue(rc != 0 && wrongCn.log().contains("WRONG_CN"), wrongCn.log());
            server2.close();

            // Another network (another CA): refused (the side that checks first says OTHER_CA, the other
            // sees the alert); neither side brings a tunnel up.
            NsProcess server3 = tunnel(b, "server3", dir, "ca", "2/16", "--listen", "1196", "--ifname", "tun2", "--timeout", "10");
            NsProcess stranger = tunnel(a, "stranger", dir, "other", "1/16", "--connect", "198.18.90.2:1196", "--ifname", "tun2",
                    "--timeout", "10");
            Integer rc3 = server3.waitFor(Duration.ofSeconds(30));
            stranger.waitFor(Duration.ofSeconds(30));
            assertTrue((server3.log() + stranger.log()).contains("OTHER_CA"), "server: " + server3.log() + "\nclient: " + stranger.log());
            assertTrue(rc3 != null && rc3 != 0, "server exits: " + rc3);
            assertTrue(!a.exec(Duration.ofSeconds(5), "ip", "link", "show", "tun2").ok(), "no TUN for a refused peer");
        }
    }
}
