package re6st.netsim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.Test;

/** A host behind the NAT router reaches a server that has no route back to it; a port forward reaches the host. */
@RequiresRoot
class NatRouterTest {

    @Test
    void masqueradesOutgoingAndForwardsAPort() throws Exception {
        try (TestNet net = TestNet.create("nat")) {
            Namespace host = net.namespace("host");
            NatRouter nat = net.natRouter("nat", "wan0");
            Namespace server = net.namespace("server");
            net.veth(host, "eth0", nat.namespace(), "lan0");
            net.wan("nat-server", nat.namespace(), "wan0", server, "eth0", LinkParams.delayMillis(1));
            host.addAddress("eth0", "198.18.10.2/24");
            nat.namespace().addAddress("lan0", "198.18.10.1/24");
            nat.namespace().addAddress("wan0", "198.18.20.1/24");
            server.addAddress("eth0", "198.18.20.2/24");
            host.route("default", "via", "198.18.10.1");
            // The server knows no route to 198.18.10.0/24: only the NAT lets replies come back.
            Wait.until("host pings the server through the NAT", Duration.ofSeconds(10), () -> host.pings("198.18.20.2"));

            DatagramSocket serverSock = server.call(() -> new DatagramSocket(new InetSocketAddress("198.18.20.2", 5000)));
            DatagramSocket hostSock = host.call(() -> new DatagramSocket(new InetSocketAddress("198.18.10.2", 6000)));
            net.own(serverSock::close);
            net.own(hostSock::close);
            serverSock.setSoTimeout(5000);
            hostSock.setSoTimeout(5000);

            send(hostSock, "hello", new InetSocketAddress("198.18.20.2", 5000));
            DatagramPacket got = receive(serverSock);
            assertEquals("hello", text(got));
            assertEquals(InetAddress.getByName("198.18.20.1"), got.getAddress(), "the server sees the router's outside address");
            send(serverSock, "reply", got.getSocketAddress());
            assertEquals("reply", text(receive(hostSock)));

            nat.portForward("udp", 7000, "198.18.10.2", 6000);
            send(serverSock, "inbound", new InetSocketAddress("198.18.20.1", 7000));
            assertEquals("inbound", text(receive(hostSock)), "the port forward reaches the host");
        }
    }

    private static void send(DatagramSocket s, String text, java.net.SocketAddress to) throws Exception {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        s.send(new DatagramPacket(b, b.length, to));
    }

    private static DatagramPacket receive(DatagramSocket s) throws Exception {
        DatagramPacket p = new DatagramPacket(new byte[1500], 1500);
        s.receive(p);
        return p;
    }

    private static String text(DatagramPacket p) {
        return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
    }
}
