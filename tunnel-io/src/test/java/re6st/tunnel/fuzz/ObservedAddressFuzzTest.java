package re6st.tunnel.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import com.code_intelligence.jazzer.junit.FuzzTest;

import re6st.tunnel.Liveness;
import re6st.tunnel.TunnelSession;
import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataKey;

/**
 * Jazzer on the observed-address control message as the dialler receives it: any body after
 * {@code 0x00 6}, sealed by the peer (authentic: only the peer can send it, but a peer may be
 * buggy or lying). For every input, checked against a reference reading of the layout (20
 * bytes, port not 0, an address that is neither unspecified, multicast nor loopback): a good
 * one is taken (CONTROL, the address reported once); anything else is DROPPED, counted once as
 * malformed, writes nothing for the TUN and leaves the last address as it was.
 */
class ObservedAddressFuzzTest {
    private static final TunnelSession DIALLER, ACCEPTER;
    private static final ByteBuffer WIRE = ByteBuffer.allocate(70_000), TUN = ByteBuffer.allocate(70_000);

    static {
        byte[] k1 = new byte[32], k2 = new byte[32];
        new Random(1).nextBytes(k1);
        new Random(2).nextBytes(k2);
        DataKey ab = new DataKey(k1, new byte[] {1, 1, 1, 1}, 0), ba = new DataKey(k2, new byte[] {2, 2, 2, 2}, 0);
        ACCEPTER = new TunnelSession(new DataChannel(ab, ba), Liveness.defaults(0));
        DIALLER = new TunnelSession(new DataChannel(ba, ab), Liveness.defaults(0));
    }

    @FuzzTest(maxDuration = "5s")
    void fromUnderlay(byte[] body) throws Exception {
        byte[] message = new byte[Math.min(body.length, 1400) + 2];
        message[1] = 6;
        System.arraycopy(body, 0, message, 2, message.length - 2);
        InetSocketAddress expected = reference(message);
        InetSocketAddress before = DIALLER.observed();
        long malformed = DIALLER.malformedControl(), received = DIALLER.observedReceived();

        WIRE.clear();
        ACCEPTER.fromTun(ByteBuffer.wrap(message), WIRE);
        TUN.clear();
        TunnelSession.Kind k = DIALLER.fromUnderlay(WIRE.flip(), TUN, 1);
        assertEquals(0, TUN.position(), "a control message writes nothing for the TUN");
        if (expected == null) {
            assertEquals(TunnelSession.Kind.DROPPED, k);
            assertEquals(malformed + 1, DIALLER.malformedControl(), "counted once");
            assertEquals(received, DIALLER.observedReceived());
            assertEquals(before, DIALLER.observed(), "unchanged");
            assertEquals(null, DIALLER.takeObserved(), "nothing new");
        } else {
            assertEquals(TunnelSession.Kind.CONTROL, k);
            assertEquals(malformed, DIALLER.malformedControl());
            assertEquals(received + 1, DIALLER.observedReceived());
            assertEquals(expected, DIALLER.observed());
            assertEquals(expected.equals(before) ? null : expected, DIALLER.takeObserved(), "reported when it changed");
            assertEquals(null, DIALLER.takeObserved(), "once");
        }
    }

    /** The layout read independently of ObservedAddress: 0x00 6 port(2) address(16, IPv4 mapped). */
    private static InetSocketAddress reference(byte[] m) throws Exception {
        if (m.length != 20)
            return null;
        int port = (m[2] & 0xff) << 8 | m[3] & 0xff;
        byte[] a = Arrays.copyOfRange(m, 4, 20);
        boolean mapped = Arrays.equals(Arrays.copyOf(a, 12), new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1});
        byte[] ip = mapped ? Arrays.copyOfRange(a, 12, 16) : a;
        boolean zero = Arrays.equals(ip, new byte[ip.length]);
        boolean multicast = mapped ? (ip[0] & 0xf0) == 0xe0 : (ip[0] & 0xff) == 0xff;
        boolean loopback = mapped ? ip[0] == 127 : Arrays.equals(ip, new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        if (port == 0 || zero || multicast || loopback)
            return null;
        return new InetSocketAddress(InetAddress.getByAddress(ip), port);
    }
}
