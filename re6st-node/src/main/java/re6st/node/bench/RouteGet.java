package re6st.node.bench;

import java.util.List;

/**
 * The kernel's route to an address, from {@code ip -6 route get ADDRESS}: the interface it leaves
 * by (the first hop) and the next hop, or that the address is this host's.
 *
 * @param dev   the outgoing interface ({@code dev}), null if the line has none
 * @param via   the next hop ({@code via}), null when on-link
 * @param local the address is one of this host's ({@code local ...} / {@code dev lo})
 */
public record RouteGet(String dev, String via, boolean local) {
    /** Parses the first line of {@code ip -6 route get}; IllegalArgumentException for anything else (an error message). */
    public static RouteGet parse(String output) {
        String line = output.strip().lines().findFirst().orElse("");
        List<String> w = List.of(line.split("\\s+"));
        if (line.isEmpty() || line.startsWith("RTNETLINK") || line.startsWith("Error"))
            throw new IllegalArgumentException(line.isEmpty() ? "no answer" : line);
        String dev = after(w, "dev"), via = after(w, "via");
        boolean local = w.get(0).equals("local") || "lo".equals(dev);
        if (dev == null && !local)
            throw new IllegalArgumentException("no interface in '" + line + "'");
        return new RouteGet(dev, via, local);
    }

    private static String after(List<String> w, String key) {
        int i = w.indexOf(key);
        return i >= 0 && i + 1 < w.size() ? w.get(i + 1) : null;
    }
}
