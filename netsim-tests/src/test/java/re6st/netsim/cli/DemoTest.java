package re6st.netsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import org.junit.jupiter.api.Test;

import re6st.netsim.RequiresRoot;

/** The README's first command works: the demo builds the mesh, reroutes around the cut, cleans up. */
@RequiresRoot
class DemoTest {
    @Test
    void demoRunsToTheEndAndReportsTheInterruption() {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try {
            System.setOut(new PrintStream(buf, true));
            rc = re6st.cli.Launcher.run(new DemoCommand(), "--cut", "4");
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString();
        System.out.print(out);
        assertEquals(0, rc, out);
        assertTrue(out.contains("pairs ping over the overlay"), out);
        assertTrue(out.contains("traffic interrupted for"), out);
        assertTrue(out.contains("healed:"), out);
    }
}
