package re6st.netsim.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import org.junit.jupiter.api.Test;

/** The root-less demo: the same scenario on the simulator, with every path loop-checked at every step. */
class SimulatedDemoTest {
    @Test
    void simulatedDemoConvergesReroutesAndComesBack() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        new SimulatedDemo(new PrintStream(buf, true), 1, 8).run();
        String out = buf.toString();
        System.out.print(out);
        assertTrue(out.contains("every node uses a lowest-latency path"), out);
        assertTrue(out.contains("node1 reaches node2 again after"), out);
        assertTrue(out.contains("the 10 ms path is used again"), out);
        assertTrue(out.contains("no routing loop"), out);
    }
}
