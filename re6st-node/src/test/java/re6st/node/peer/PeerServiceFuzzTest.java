package re6st.node.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import re6st.net.Ipv6Address;
import re6st.peer.PeerPacket;

/**
 * Jazzer on the peer service's receiving side: any bytes from {@code [::1]}, from an address in
 * the network or from anywhere are one outcome exactly (refused for one counted reason, or
 * accepted), never throw, and never answer with more than one small datagram: a local request
 * gets its answer or starts one handshake, a stranger gets nothing (it cannot forge a session).
 */
class PeerServiceFuzzTest {
    static final String B = PeerServiceTest.B, A = PeerServiceTest.A;
    /** A hello carries a certificate of about 800 bytes; answers of the recording node are shorter still. */
    static final int MAX_REPLY = 2048;
    static PeerService b;

    @FuzzTest(maxDuration = "5s")
    void anyDatagramFromAnySource(FuzzedDataProvider in) throws Exception {
        if (b == null) {
            PeerServiceTest.pki();
            b = new PeerMesh(PeerServiceTest.R).add(PeerServiceTest.b, 10, PeerServiceTest.v1);
        }
        int kind = in.consumeInt(0, 2), port = in.consumeInt(0, 65535);
        Ipv6Address source = switch (kind) {
            case 0 -> PeerDatagram.LOOPBACK;
            case 1 -> PeerMesh.address(A);
            default -> Ipv6Address.ofBytes(padded(in.consumeBytes(16)));
        };
        byte[] datagram = in.consumeBytes(PeerPacket.MAX_DATAGRAM);
        long before = outcomes();
        List<PeerDatagram> out = b.receive(new PeerDatagram(source, port, datagram), TestPki.T0);
        assertEquals(before + 1, outcomes(), "exactly one outcome counted");
        if (!source.equals(PeerDatagram.LOOPBACK)) {
            assertEquals(List.of(), out, "a stranger gets nothing");
            return;
        }
        assertTrue(out.size() <= 1, "one answer or one hello at most");
        for (PeerDatagram d : out) {
            assertTrue(d.data().length <= MAX_REPLY, "no amplification: " + d.data().length + " bytes");
            assertTrue(d.address().equals(PeerDatagram.LOOPBACK) ? d.port() == port
                    : d.port() == PeerService.PORT && d.address().bits().startsWith(PeerMesh.NETWORK.bits()), d.toString());
        }
    }

    static long outcomes() {
        return b.accepted() + b.drops().values().stream().mapToLong(Long::longValue).sum();
    }

    static byte[] padded(byte[] b) {
        return java.util.Arrays.copyOf(b, 16);
    }
}
