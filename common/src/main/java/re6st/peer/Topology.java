package re6st.peer;

import java.util.ArrayList;
import java.util.List;

import re6st.net.NodePrefix;

/**
 * A node's answer to code 5 (spec/peer-protocol.md 5.4): {@code "<n> cn..."}, the first n CNs
 * its outgoing tunnels' peers, the rest the peers connected to its servers. CNs are node CNs
 * ({@code value/length}).
 */
public record Topology(List<String> outgoing, List<String> incoming) {
    public Topology {
        outgoing = List.copyOf(outgoing);
        incoming = List.copyOf(incoming);
    }

    /** The answer text, e.g. {@code "2 7/16 12/16 3/16"}. */
    public String format() {
        StringBuilder s = new StringBuilder().append(outgoing.size());
        for (List<String> l : List.of(outgoing, incoming))
            for (String cn : l)
                s.append(' ').append(cn);
        return s.toString();
    }

    /** Parses an answer; null when malformed (n not a count within range, a CN that is not N/LEN). */
    public static Topology parse(String payload) {
        String[] w = payload.trim().split(" +");
        int n;
        try {
            n = Integer.parseInt(w[0]);
        } catch (NumberFormatException e) {
            return null;
        }
        if (n < 0 || n > w.length - 1)
            return null;
        List<String> cns = new ArrayList<>();
        for (int i = 1; i < w.length; i++) {
            try {
                cns.add(NodePrefix.parseCn(w[i]).cn());
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return new Topology(cns.subList(0, n), cns.subList(n, cns.size()));
    }
}
