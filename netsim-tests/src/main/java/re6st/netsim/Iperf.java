package re6st.netsim;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** iperf3 between namespaces: a server, and one TCP stream measured from a client. */
public final class Iperf {
    private static final Pattern RECEIVER = Pattern.compile("([\\d.]+) ([KMG]?)bits/sec\\s+receiver");

    private Iperf() {}

    /** Starts {@code iperf3 -s} in {@code ns} and waits until it listens. */
    public static NsProcess server(Namespace ns) {
        NsProcess p = ns.start("iperf3", "iperf3", "-s");
        Wait.until("iperf3 listening in " + ns.label(), Duration.ofSeconds(10),
                () -> ns.exec(Duration.ofSeconds(5), "ss", "-ltn", "sport = :5201").output().contains("5201"));
        return p;
    }

    /** One TCP stream for {@code seconds} from {@code client} to {@code target}; the receiver's Mbit/s. */
    public static double mbits(Namespace client, String target, int seconds) {
        Cmd.Result r = client.exec(Duration.ofSeconds(seconds + 20), "iperf3", "-c", target, "-t", Integer.toString(seconds), "-f", "m");
        Matcher m = RECEIVER.matcher(r.output());
        if (!r.ok() || !m.find())
            throw new IllegalStateException("iperf3 failed:\n" + r.output());
        double v = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "K" -> v / 1000;
            case "G" -> v * 1000;
            case "" -> v / 1e6;
            default -> v;
        };
    }
}
