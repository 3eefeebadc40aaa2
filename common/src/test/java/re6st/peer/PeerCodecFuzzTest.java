package re6st.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import com.code_intelligence.jazzer.junit.FuzzTest;

import re6st.net.NodePrefix;

/**
 * Jazzer on what arrives from the peer side: a node's answer to the registry's topology question
 * ({@code "<n> cn..."}) and a datagram on {@code [::1]:326}. Properties: a topology is null or n
 * outgoing + the rest incoming with every CN canonical, and formats back to text that parses to
 * the same; a datagram decodes to null or to one that encodes back to the same bytes. Nothing
 * else may escape.
 */
class PeerCodecFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void topologyAnswer(byte[] input) {
        Topology t = Topology.parse(new String(input, StandardCharsets.UTF_8));
        if (t == null)
            return;
        for (List<String> l : List.of(t.outgoing(), t.incoming()))
            for (String cn : l)
                assertTrue(NodePrefix.parseCn(cn).cn().equals(cn), "canonical CN: " + cn);
        assertEquals(t, Topology.parse(t.format()));
    }

    @FuzzTest(maxDuration = "10s")
    void localDatagram(byte[] input) {
        LocalDatagram d = LocalDatagram.decode(input, 0, input.length);
        if (d == null)
            return;
        assertArrayEquals(input, d.encode());
    }
}
