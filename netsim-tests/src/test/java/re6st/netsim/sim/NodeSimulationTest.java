package re6st.netsim.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;

import org.junit.jupiter.api.Test;

class NodeSimulationTest {
    @Test
    void smoke() {
        long t0 = System.nanoTime();
        NodeSimulation s = new NodeSimulation(NodeSimulation.Options.defaults(Integer.getInteger("simNodes", 50), 15));
        double full = -1;
        for (int i = 0; i < 300 && full < 0; i++) {
            s.run(1000);
            if (i % 10 == 9)
                System.out.printf(Locale.ROOT, "t=%.0f reach %.4f tunnels %d short %d dials %d refused %d unreachable %d wall %.1f%n", s.nowSeconds(),
                        s.reachability(), s.tunnelsUp(), s.dialableNodesShortOfTunnels(), s.dials, s.refusedFull, s.unreachableDials, (System.nanoTime() - t0) / 1e9);
            if (s.fullyReachable())
                full = s.nowSeconds();
        }
        System.out.println("full at " + full + " wall " + (System.nanoTime() - t0) / 1e9);
        for (int i = 0; i < Integer.getInteger("simMore", 0); i++) {
            s.run(10_000);
            System.out.printf(Locale.ROOT, "t=%.0f reach %.4f tunnels %d short %d dials %d refused %d unreachable %d bytes %d wall %.1f%n", s.nowSeconds(),
                    s.reachability(), s.tunnelsUp(), s.dialableNodesShortOfTunnels(), s.dials, s.refusedFull, s.unreachableDials, s.controlBytes(), (System.nanoTime() - t0) / 1e9);
        }
        NodeSimulation.Paths p = s.paths();
        System.out.println(p);
        assertTrue(full > 0);
    }
}
