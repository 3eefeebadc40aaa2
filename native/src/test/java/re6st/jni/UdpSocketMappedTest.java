package re6st.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

/**
 * A socket bound to [::] that sends to an IPv4 peer must know that peer by the address its
 * answers come from (IPv4-mapped, AF_INET6): the tunnel endpoint keys its peers by it. Loopback
 * only: no root needed.
 */
class UdpSocketMappedTest {
    static final long WAIT_NS = 30_000_000_000L; // only "never arrives"

    @Test
    void aDualStackSocketKnowsAnIpv4PeerByTheAddressItsAnswersComeFrom() throws Exception {
        try (UdpSocket dual = UdpSocket.bind(new InetSocketAddress(InetAddress.getByName("::"), 0));
                UdpSocket v4 = UdpSocket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0))) {
            InetSocketAddress peer = dual.mapped(new InetSocketAddress("127.0.0.1", v4.localAddress().getPort()));
            assertInstanceOf(java.net.Inet6Address.class, peer.getAddress(), "IPv4-mapped, as the kernel reports it: " + peer);
            SockAddr to = SockAddr.of(peer);
            ByteBuffer b = ByteBuffer.allocateDirect(64);
            b.put(0, (byte) 7);
            assertEquals(1, dual.send(b, 0, 1, 0, to));

            SockAddr client = new SockAddr();
            assertTrue((v4.await(WakeableFd.READABLE, WAIT_NS) & WakeableFd.READABLE) != 0, "the IPv4 socket got the datagram");
            assertEquals(1, v4.receive(b, 0, 64, client));
            assertEquals(1, v4.send(b, 0, 1, 0, client)); // the answer

            SockAddr from = new SockAddr();
            assertTrue((dual.await(WakeableFd.READABLE, WAIT_NS) & WakeableFd.READABLE) != 0, "the answer came back");
            assertEquals(1, dual.receive(b, 0, 64, from));
            assertTrue(from.sameAs(to), "the answer comes from the peer as we address it: from " + from.toInetSocketAddress()
                    + ", sent to " + to.toInetSocketAddress());
        }
    }
}
