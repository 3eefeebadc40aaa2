package re6st.netsim.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The root-less demo: the namespace demo's story on the node simulator (real tunnel manager, peer
 * protocol and Babel), every installed path loop-checked at every step. Behaviour only, no timing
 * thresholds: virtual times depend on the protocol's randomness.
 */
class SimulatedDemoTest {
    @Test
    void simulatedDemoReachesEveryPairCutsTheBestDirectPathReroutesAndComesBack() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        new SimulatedDemo(new PrintStream(buf, true), 4, 6).run();
        String out = buf.toString();
        System.out.print(out);
        assertTrue(out.contains("SIMULATED") && out.contains("virtual time") && out.contains("This was a simulation"), out);
        assertTrue(out.contains("every ordered pair has a working path"), out);
        for (String host : new String[] {"reg", "n1", "n2", "n3", "n4", "home"})
            assertTrue(Pattern.compile("(?m)^ +" + host + " +\\d+ ms one way").matcher(out).find(), "host " + host + ":\n" + out);
        // the matrix: 6 rows, every pair answered
        String matrix = out.substring(out.indexOf("== Ping matrix"), out.indexOf("== Cutting"));
        assertFalse(matrix.contains("lost") || matrix.contains(" ?"), matrix);
        assertTrue(Pattern.compile("(?m)^ +home( +-| +\\d+ (=|\\w+)){6}\\s*$").matcher(matrix).find(), matrix);

        assertTrue(out.contains("== Cutting the best direct path"), out);
        assertTrue(out.contains("LIVENESS_DETECTION_MS"), "the liveness model is said: " + out);
        Matcher m = Pattern.compile("traffic interrupted for (\\d+\\.\\d+) s; (\\S+) now reaches (\\S+) via (\\S+)").matcher(out);
        assertTrue(m.find(), out);
        double gap = Double.parseDouble(m.group(1));
        assertTrue(gap > 0 && Double.isFinite(gap), out);
        assertFalse(m.group(4).equals(m.group(3)), "the new path is not the cut tunnel: " + out);
        assertTrue(Pattern.compile("healed .*: " + m.group(2) + " reaches " + m.group(3) + " over their\\s+direct tunnel again")
                .matcher(out).find(), out);
        assertTrue(out.contains("none looped"), out);
    }
}
