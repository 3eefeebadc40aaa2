package re6st.node.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import re6st.peer.PeerCode;

/**
 * The socket adapter on loopback, as the registry talks to its node: a real UDP client on
 * {@code [::1]} sends {@code prefix NUL code} and reads the answer; junk and a failing callback
 * do not stop the loop. (Peers cannot be told apart by address on one host, so sessions and the
 * relay are tested in memory, PeerServiceTest.)
 */
class PeerSocketTest {
    static final String B = PeerServiceTest.B;
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @BeforeAll
    static void pki() throws Exception {
        PeerServiceTest.pki();
    }

    /** The registry's side: three lines of NodeChannel, which re6st-node must not depend on. */
    static String ask(DatagramSocket client, int port, String request) throws Exception {
        byte[] q = request.getBytes(StandardCharsets.ISO_8859_1), buf = new byte[65536];
        client.send(new DatagramPacket(q, q.length, new InetSocketAddress("::1", port)));
        DatagramPacket a = new DatagramPacket(buf, buf.length);
        client.receive(a); // bounded by the socket timeout: only "never answers" fails it
        return new String(buf, 0, a.getLength(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void aLocalClientIsAnsweredAndTheLoopSurvivesJunkAndAFailingCallback() throws Exception {
        AtomicInteger versionCalls = new AtomicInteger();
        PeerMesh.RecordingNode node = new PeerMesh.RecordingNode() {
            @Override
            public String softwareVersion() {
                if (versionCalls.incrementAndGet() == 2)
                    throw new IllegalStateException("a bug in the node");
                return super.softwareVersion();
            }
        };
        PeerService service = new PeerService(PeerServiceTest.b, PeerMesh.NETWORK, PeerServiceTest.R, 10,
                TestPki.secrets(new java.util.concurrent.atomic.AtomicLong(1)), PeerServiceTest.v1, node);
        try (PeerSocket socket = new PeerSocket(service, new InetSocketAddress("::1", 0), () -> TestPki.T0, () -> 0L);
                DatagramSocket client = new DatagramSocket(new InetSocketAddress("::1", 0))) {
            client.setSoTimeout(60_000);
            assertEquals(B + "\0\u0004re6st-jvm 0.1, Linux", ask(client, socket.port(), B + "\0\u0004"));

            byte[] junk = "not a request".getBytes(StandardCharsets.US_ASCII);
            client.send(new DatagramPacket(junk, junk.length, new InetSocketAddress("::1", socket.port())));
            byte[] failing = (B + "\0\u0004").getBytes(StandardCharsets.US_ASCII); // the node's callback throws: no answer
            client.send(new DatagramPacket(failing, failing.length, new InetSocketAddress("::1", socket.port())));
            assertEquals(B + "\0\u00051 12/16", ask(client, socket.port(), B + "\0\u0005"), "handled in order after both");
            assertEquals(1L, socket.drops().get("not_local_framing"));
            assertEquals(1, socket.failures(), "the callback's exception, survived");
            assertEquals(3, socket.accepted(), "the three framed requests");

            assertThrows(IllegalArgumentException.class, () -> socket.send("12", PeerCode.ADDRESS, new byte[0]), "checked in the caller's thread");
            socket.close();
            assertThrows(IllegalStateException.class, () -> socket.send(B, PeerCode.ADDRESS, new byte[0]));
        }
    }
}
