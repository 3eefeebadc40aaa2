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
 * we advertise. A pure state machine; thread-safe.
 * <p>
 * The rule, so that one peer cannot redirect us: each peer we dialled has one vote per family,
 * its latest observation, for as long as its tunnel lives ({@link #forget}); the learned address
 * is the one a strict majority of the voters names, and at least {@code minAgree} of them (2; 1
 * for a node that dials a single peer, which depends on that peer anyway). No such majority (a
 * tie, a lone voter): no learned address of that family, the node advertises its own. So a lying
 * peer among three or more cannot move us, and among two can only take the learned address away.
 * {@link #clear} when the host's underlay changes (roaming): what was learned there is stale.
 */
public final class ExternalAddress {
    private final Map<String, InetAddress> votes = new HashMap<>(); // by peer and family
    private final int minAgree;
    private InetAddress chosen4, chosen6;

    /** @param minAgree how many peers must name an address (and be a strict majority) for it to be ours: 2, or 1 */
    public ExternalAddress(int minAgree) {
        if (minAgree < 1)
            throw new IllegalArgumentException("minAgree " + minAgree);
        this.minAgree = minAgree;
    }

    /** Two peers must agree. */
    public ExternalAddress() {
        this(2);
    }

    /** {@code peer} (its CN) says it sees us at {@code ip}. Returns true when this changed what we learned of that family. */
    public synchronized boolean observed(String peer, InetAddress ip) {
        boolean v4 = ip instanceof Inet4Address;
        votes.put(peer + (v4 ? " 4" : " 6"), ip);
        return decide(v4);
    }

    /** {@code peer}'s tunnel is gone: its votes no longer count (the choice is decided again). */
    public synchronized void forget(String peer) {
        votes.remove(peer + " 4");
        votes.remove(peer + " 6");
        decide(true);
        decide(false);
    }

    /** The underlay changed: every vote and choice goes (the peers tell us again from where we are now). */
    public synchronized void clear() {
        votes.clear();
        chosen4 = chosen6 = null;
    }

    private boolean decide(boolean v4) {
        Map<InetAddress, Integer> count = new HashMap<>();
        int voters = 0;
        for (InetAddress ip : votes.values())
            if (ip instanceof Inet4Address == v4) {
                voters++;
                count.merge(ip, 1, Integer::sum);
            }
        InetAddress winner = null;
        for (Map.Entry<InetAddress, Integer> e : count.entrySet())
            if (2 * e.getValue() > voters && e.getValue() >= minAgree)
                winner = e.getKey();
        InetAddress before = v4 ? chosen4 : chosen6;
        if (v4)
            chosen4 = winner;
        else
            chosen6 = winner;
        return winner == null ? before != null : !winner.equals(before);
    }

    /** The learned addresses (IPv4 first), as text; empty until enough peers agree. */
    public synchronized List<String> addresses() {
        List<String> out = new ArrayList<>(2);
        if (chosen4 != null)
            out.add(re6st.net.IpPrefix.format(chosen4));
        if (chosen6 != null)
            out.add(re6st.net.IpPrefix.format(chosen6));
        return out;
    }

    /** How many votes count now, for the status. */
    public synchronized int voters() {
        return votes.size();
    }
}
