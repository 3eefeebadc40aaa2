package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What "the tunnel went down" must mean in the tunnel liveness tests, whatever the machine's
 * load: after the cut, and because nothing came back for at least the least silence the
 * liveness design allows ({@link Liveness#MIN_SILENCE_BEFORE_DOWN_NS}: the check, an RTO, the
 * burst, an RTO, at their floors: 0.3 s). How soon after the cut is printed by the tests, not
 * asserted: load only makes it later.
 */
final class LivenessAssertions {
    private LivenessAssertions() {
    }

    /** Checks {@code s} went down for silence after {@code cut} (nanoTime), reported at {@code downAt}; returns seconds from cut to down. */
    static double assertDownForSilence(TunnelSession s, long cut, long downAt) {
        Liveness l = s.liveness();
        assertEquals(Liveness.State.DOWN, l.state(), "the session's liveness says down");
        assertTrue(downAt - cut > 0, "down only after the cut");
        long silence = l.downSince() - l.lastReceived();
        assertTrue(silence >= Liveness.MIN_SILENCE_BEFORE_DOWN_NS, "down after " + silence / 1e6 + " ms of silence, less than the "
                + Liveness.MIN_SILENCE_BEFORE_DOWN_NS / 1e6 + " ms the probe series takes at the least");
        assertEquals(1, l.transitions(), "one transition: up to down");
        System.out.printf("down after %.0f ms of silence (bound %.0f ms: SRTT %.1f ms, recent max RTT %.1f ms, RTO %.0f ms, late ticks %d)%n",
                silence / 1e6, l.silenceBeforeDownNanos() / 1e6, l.srttNanos() / 1e6, l.rttMaxNanos() / 1e6, l.rtoNanos() / 1e6, l.lateTicks());
        return (downAt - cut) / 1e9;
    }
}
