package re6st.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import com.code_intelligence.jazzer.junit.FuzzTest;

import re6st.net.NodePrefix;

/**
 * Jazzer on a node's answer to the registry's topology question ({@code "<n> cn..."}): null, or n
 * outgoing + the rest incoming with every CN canonical, formatting back to text that parses to the
 * same. Nothing else may escape.
 */
class TopologyFuzzTest {
    @FuzzTest(maxDuration = "5s")
    void topologyAnswer(byte[] input) {
        Topology t = Topology.parse(new String(input, StandardCharsets.UTF_8));
        if (t == null)
            return;
        for (List<String> l : List.of(t.outgoing(), t.incoming()))
            for (String cn : l)
                assertTrue(NodePrefix.parseCn(cn).cn().equals(cn), "canonical CN: " + cn);
        assertEquals(t, Topology.parse(t.format()));
    }
}
