package re6st.node.bench;

import java.util.Locale;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What {@code re6st bench failover} measured. Times are seconds after the cut (negative: before),
 * -1 when it did not happen.
 *
 * @param target          the probed address
 * @param cut             the tunnel cut ("re6st-2 to 4/16")
 * @param durationS       how long it was cut
 * @param interruptionS   the longest gap between replies from the cut to the end of the run
 * @param gapFromS        when that gap began (the last reply before it)
 * @param gapToS          when it ended (the first reply after it; the end of the run if none came)
 * @param newHop          the first hop the kernel used during the cut instead (null: none seen)
 * @param newHopAtS       when it was first seen
 * @param restoredAtS     when the cut was lifted
 * @param backAtS         when the original first hop was used again (-1: not within the wait)
 * @param sent            probes sent
 * @param answered        probes answered
 * @param intervalMs      the probes' mean interval, ms (the time ping ran over the probes it sent)
 */
public record FailoverReport(String target, String cut, int durationS, double interruptionS, double gapFromS, double gapToS, String newHop,
        double newHopAtS, double restoredAtS, double backAtS, long sent, long answered, double intervalMs) {

    public String text() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "failover to %s: cut %s for %d s%n", target, cut, durationS));
        b.append(String.format(Locale.ROOT, "  interruption  %.3f s (longest gap between replies: %+.3f s to %+.3f s after the cut)%n",
                interruptionS, gapFromS, gapToS));
        if (newHop != null)
            b.append(String.format(Locale.ROOT, "  new path      %s (first used %+.3f s after the cut)%n", newHop, newHopAtS));
        else
            b.append(String.format(Locale.ROOT, "  new path      none seen: traffic had nowhere else to go during the cut%n"));
        b.append(String.format(Locale.ROOT, "  restored      %+.3f s after the cut%n", restoredAtS));
        if (backAtS >= 0)
            b.append(String.format(Locale.ROOT, "  back on %s %.3f s after the restore%n", cut, backAtS - restoredAtS));
        else
            b.append(String.format(Locale.ROOT, "  not back on %s within the wait (Babel keeps the other path while it is as good)%n", cut));
        b.append(String.format(Locale.ROOT, "  probes        %d sent, %d answered (%d lost), one every %.1f ms%n", sent, answered,
                Math.max(0, sent - answered), intervalMs));
        return b.toString();
    }

    public String json() {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("target", target).put("cut", cut).put("duration_s", durationS).put("interruption_s", interruptionS)
                .put("gap_from_s", gapFromS).put("gap_to_s", gapToS).put("new_hop", newHop).put("new_hop_at_s", newHopAtS)
                .put("restored_at_s", restoredAtS).put("back_at_s", backAtS).put("sent", sent).put("answered", answered).put("interval_ms", intervalMs);
        return o.toString();
    }
}
