package re6st.node.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * One line of the control socket's {@code routes ADDRESS} answer: a route Babel knows to a prefix
 * holding the address, through a neighbour on an interface, and whether it could be selected
 * (feasible, finite metric).
 */
public record BabelRoute(String prefix, boolean installed, boolean feasible, int metric, String via, String ifname) {
    /** Babel's infinite metric: a retracted route. */
    public static final int INFINITY = 0xFFFF;

    /** Whether traffic could take it now (RFC 8966 3.5.1: feasible, and not retracted). */
    public boolean usable() {
        return feasible && metric < INFINITY;
    }

    /** Parses the answer; IllegalArgumentException at a line that is no route. */
    public static List<BabelRoute> parseAll(String answer) {
        List<BabelRoute> out = new ArrayList<>();
        for (String line : answer.lines().toList())
            if (!line.isBlank())
                out.add(parse(line));
        return out;
    }

    static BabelRoute parse(String line) {
        String[] w = line.trim().split("\\s+");
        try {
            if (!w[0].equals("route"))
                throw new IllegalArgumentException();
            return new BabelRoute(word(w, "prefix"), word(w, "installed").equals("yes"), word(w, "feasible").equals("yes"),
                    Integer.parseInt(word(w, "metric")), word(w, "via"), word(w, "if"));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a route line from the node: '" + line + "'");
        }
    }

    private static String word(String[] w, String key) {
        for (int i = 0; i + 1 < w.length; i++)
            if (w[i].equals(key))
                return w[i + 1];
        throw new IllegalArgumentException(key);
    }
}
