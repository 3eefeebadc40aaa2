package re6st.node;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Our external address as the peers see it ({@code --ip any}; the original's ip-changed hook):
 * every tunnel we dialled tells us the source address its server sees (tunnel-io's observed
 * address, behind a NAT the NAT's external address), and this decides, per family, which one
 * we advertise. A pure state machine on the caller's clock (ms); thread-safe.
 * <p>
 * The rule, so that one peer cannot redirect us: each peer has one vote per family (its latest
 * observation, for {@link #TTL_MS}: peers repeat theirs every minute); the chosen address
 * changes only to one that a strict majority of the peers voting names, and at least two of
 * them, except when a single peer votes at all (a node with one tunnel has only that peer's
 * word, and depends on that peer anyway). A tie, or no majority, keeps the current choice. So a
 * lying peer among three or more cannot move us, and among two can only hold a tie. A peer
 * whose tunnel is gone loses its vote ({@link #forget}); a choice stays when every vote has
 * expired (the last known address beats none).
 */
public final class ExternalAddress {
    /** An observation counts this long after it was heard (its peer repeats it every minute while the tunnel lives). */
    public static final long TTL_MS = 5 * 60_000;

    private record Vote(InetAddress ip, long at) {}

    private final Map<String, Vote> votes = new HashMap<>(); // by peer and family
    private InetAddress chosen4, chosen6;

    /**
     * {@code peer} (its CN) says it sees us at {@code ip}. Returns the newly chosen address of that
     * family when this changed the choice, else null.
     */
    public synchronized InetAddress observed(String peer, InetAddress ip, long nowMs) {
        boolean v4 = ip instanceof Inet4Address;
        votes.put(peer + (v4 ? " 4" : " 6"), new Vote(ip, nowMs));
        return decide(v4, nowMs);
    }

    /** {@code peer}'s tunnel is gone: its votes no longer count (the choice is decided again). */
    public synchronized void forget(String peer, long nowMs) {
        votes.remove(peer + " 4");
        votes.remove(peer + " 6");
        decide(true, nowMs);
        decide(false, nowMs);
    }

    private InetAddress decide(boolean v4, long nowMs) {
        Map<InetAddress, Integer> count = new HashMap<>();
        int voters = 0;
        for (Vote v : votes.values())
            if (v.ip instanceof Inet4Address == v4 && nowMs - v.at < TTL_MS) {
                voters++;
                count.merge(v.ip, 1, Integer::sum);
            }
        InetAddress winner = null;
        for (Map.Entry<InetAddress, Integer> e : count.entrySet())
            if (2 * e.getValue() > voters && (e.getValue() >= 2 || voters == 1))
                winner = e.getKey();
        InetAddress before = v4 ? chosen4 : chosen6;
        if (winner == null || winner.equals(before))
            return null;
        if (v4)
            chosen4 = winner;
        else
            chosen6 = winner;
        return winner;
    }

    /** The chosen addresses (IPv4 first), as text; empty before any peer told us. */
    public synchronized List<String> addresses() {
        List<String> out = new ArrayList<>(2);
        if (chosen4 != null)
            out.add(re6st.net.IpPrefix.format(chosen4));
        if (chosen6 != null)
            out.add(re6st.net.IpPrefix.format(chosen6));
        return out;
    }

    /** How many peers vote now, for the status. */
    public synchronized int voters(long nowMs) {
        return (int) votes.values().stream().filter(v -> nowMs - v.at < TTL_MS).count();
    }
}
