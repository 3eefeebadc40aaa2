package re6st.netsim;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs iputils {@code ping} in a namespace and reads its summary. */
public final class Ping {
    /** Summary of a ping run; RTTs in milliseconds (NaN when nothing came back). */
    public record Result(int transmitted, int received, double min, double avg, double max, double mdev, String output) {
        public double lossRatio() {
            return transmitted == 0 ? 1 : 1 - (double) received / transmitted;
        }
    }

    private static final Pattern COUNTS = Pattern.compile("(\\d+) packets transmitted, (\\d+) (?:packets )?received");
    private static final Pattern RTT = Pattern.compile("= ([\\d.]+)/([\\d.]+)/([\\d.]+)/([\\d.]+) ms");

    private Ping() {}

    /**
     * {@code count} pings every {@code interval}, each waiting at most 1 s for its reply. A short
     * interval takes longer than nominal (at 10 ms, about 16 ms a ping on this machine).
     */
    public static Result run(Namespace from, String target, int count, Duration interval) {
        double secs = interval.toNanos() / 1e9;
        // ping sleeps longer than a short interval here (500 pings at 10 ms take 8 s): twice the nominal time
        Duration limit = Duration.ofMillis((long) (count * secs * 2000) + 15_000);
        Cmd.Result r = from.exec(limit, "ping", "-n", "-q", "-c", Integer.toString(count), "-i",
                String.format(java.util.Locale.ROOT, "%.3f", secs), "-W", "1", target);
        return parse(r.output());
    }

    /**
     * Pings every {@code interval} until {@code count} replies have come, for at most 20 s more than
     * the pings take ({@code ping -c count -w deadline}): "this path carries traffic", where a reply
     * late because the machine is loaded is no failure (with {@link #run}, ping gives up on a reply
     * after about two round trips). A lost probe is replaced by another, so loss shows as
     * {@code transmitted > received} only; measure loss with {@link #run}.
     */
    public static Result answered(Namespace from, String target, int count, Duration interval) {
        double secs = interval.toNanos() / 1e9;
        long deadline = (long) Math.ceil(count * secs) + 20;
        Cmd.Result r = from.exec(Duration.ofSeconds(deadline + 10), "ping", "-n", "-q", "-c", Integer.toString(count), "-i",
                String.format(java.util.Locale.ROOT, "%.3f", secs), "-w", Long.toString(deadline), target);
        return parse(r.output());
    }

    public static Result parse(String out) {
        Matcher c = COUNTS.matcher(out);
        if (!c.find())
            throw new IllegalStateException("no ping summary in:\n" + out);
        int tx = Integer.parseInt(c.group(1)), rx = Integer.parseInt(c.group(2));
        Matcher m = RTT.matcher(out);
        if (m.find())
            return new Result(tx, rx, Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)),
                    Double.parseDouble(m.group(3)), Double.parseDouble(m.group(4)), out);
        return new Result(tx, rx, Double.NaN, Double.NaN, Double.NaN, Double.NaN, out);
    }
}
