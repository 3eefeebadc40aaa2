package re6st.babel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.time.Duration;


import org.junit.jupiter.api.Test;

import re6st.netsim.BabelNode;
import re6st.netsim.Namespace;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;

/** No datagram can stop re6st babel: bad input is dropped and counted, and the router goes on. */
@RequiresRoot
class BabelRobustnessTest {
    static final String KEY = "key id k1 type blake2s128 value 000102030405060708090a0b0c0d0e0f";

    /** A counter from the control socket's {@code metrics} (Prometheus text). */
    static long metric(BabelNode n, String name) {
        for (String l : n.request("metrics"))
            if (l.startsWith(name + " "))
                return (long) Double.parseDouble(l.substring(name.length() + 1).trim());
        throw new AssertionError("no metric " + name + " in " + n.request("metrics"));
    }

    @Test
    void aHeaderClaimingA65535ByteBodyIsDroppedAndCountedAndHellosGoOn() throws Exception {
        try (TestNet net = TestNet.create("babel-robust")) {
            Namespace a = BabeldInteropTest.host(net, "a", "2001:db8:a::1"), b = BabeldInteropTest.host(net, "b", "2001:db8:b::1");
            net.veth(a, "veth0", b, "veth0");
            BabelNode ours = BabelNode.ours(a, 1, BabeldInteropTest.statements("wired", KEY, "interface veth0 key k1"));
            BabelNode babeld = BabelNode.babeld(b, 2, BabeldInteropTest.statements("wired", KEY, "interface veth0 key k1"));
            Wait.until("babeld installs our prefix (MAC accepted both ways)", Duration.ofSeconds(60),
                    () -> BabeldInteropTest.routed(babeld, "2001:db8:a::1"));
            long droppedBefore = metric(ours, "babel_mac_dropped");
            // the datagram a review sent by hand: magic 42, version 2, body length 65535, and nothing more
            b.call(() -> {
                try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("::"))) {
                    Inet6Address group = Inet6Address.getByAddress("ff02::1:6", InetAddress.getByName("ff02::1:6").getAddress(),
                            NetworkInterface.getByName("veth0"));
                    byte[] d = {0x2A, 0x02, (byte) 0xFF, (byte) 0xFF};
                    s.send(new DatagramPacket(d, d.length, group, 6696));
                }
                return null;
            });
            Wait.until("the datagram is dropped and counted as unauthenticated", Duration.ofSeconds(10),
                    () -> metric(ours, "babel_mac_dropped") > droppedBefore);
            long sent = metric(ours, "babel_packets_sent");
            Wait.until("hellos go on after it (3 more packets sent at hello 1 s)", Duration.ofSeconds(30),
                    () -> metric(ours, "babel_packets_sent") >= sent + 3);
            assertEquals(0, metric(ours, "babel_loop_failures"), "no exception in any loop");
            assertTrue(BabeldInteropTest.routed(babeld, "2001:db8:a::1"), "babeld still routes to us");
        }
    }

    /** A local user other than the router's cannot change it (MAC keys, costs) through the read-write control socket. */
    @Test
    void theReadWriteControlSocketIsTheRouterUsersOnly() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/python3")),
                "SKIPPED: needs /usr/bin/python3 to connect as another user (apt-get install python3)");
        try (TestNet net = TestNet.create("babel-ctl")) {
            Namespace a = BabeldInteropTest.host(net, "a", "2001:db8:a::1"), b = BabeldInteropTest.host(net, "b", "2001:db8:b::1");
            net.veth(a, "veth0", b, "veth0");
            BabelNode ours = BabelNode.ours(a, 1, BabeldInteropTest.statements("wired", "interface veth0"));
            java.nio.file.Path ctl = ours.controlPath();
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(ctl)),
                    "only the router's user may even connect");
            // someone loosens the mode: the peer's credentials still decide
            java.nio.file.Files.setPosixFilePermissions(ctl, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
            String script = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\nf=s.makefile('rw')\n"
                    + "for _ in range(1000):\n  l=f.readline()\n  if not l or l.strip()=='ok': break\n"
                    + "if not l: sys.exit('the control socket closed before its ok')\nf.write('cost-multiplier veth0 fe80::1 2\\n'); f.flush()\nprint(f.readline().strip())\n";
            re6st.netsim.Cmd.Result r = re6st.netsim.Cmd.exec(java.time.Duration.ofSeconds(30), "setpriv", "--reuid=65534", "--regid=65534",
                    "--clear-groups", "/usr/bin/python3", "-c", script, ctl.toString());
            assertEquals("no not allowed: only the router's own user may change it", r.output().strip(), r.toString());
            assertTrue(ours.command("cost-multiplier veth0 fe80::1 2").startsWith("no "), "root may (the neighbour is unknown: no)");
            assertTrue(!ours.command("cost-multiplier veth0 fe80::1 2").contains("not allowed"));
        }
    }
}
