package re6st.registry.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import com.code_intelligence.jazzer.junit.FuzzTest;

import re6st.net.Network;

/** Jazzer on a Babel router's dump as the registry reads it: only node prefixes inside the network come out. */
class BabelDumpFuzzTest {
    static final Network NETWORK = Network.parse("2001:db8:42::/48");

    @FuzzTest(maxDuration = "5s")
    void babelDump(byte[] input) {
        List<String> lines = List.of(new String(input, StandardCharsets.ISO_8859_1).split("\n", -1));
        for (String p : BabelRoutes.nodePrefixes(lines, NETWORK))
            assertTrue(p.matches("[01]{1,80}"), "a node prefix of at most 128 - 48 bits: " + p);
    }
}
