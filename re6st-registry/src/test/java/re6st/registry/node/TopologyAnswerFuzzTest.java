package re6st.registry.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import com.code_intelligence.jazzer.junit.FuzzTest;

import re6st.registry.NodePrefix;

/**
 * Jazzer on a node's answer to the registry's topology question ({@code "<n> cn..."}): either
 * null or n outgoing + the rest incoming, every CN canonical; nothing else may escape.
 */
class TopologyAnswerFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void topologyAnswer(byte[] input) {
        NodeChannel.Tunnels t = NodeChannel.parseTopology(new String(input, StandardCharsets.UTF_8));
        if (t == null)
            return;
        for (List<String> l : List.of(t.outgoing(), t.incoming()))
            for (String cn : l)
                assertTrue(NodePrefix.parseCn(cn).cn().equals(cn), "canonical CN: " + cn);
    }
}
