package re6st.tunnel;

import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Tunnels cut on purpose ({@code re6st bench failover}): every session with a cut peer drops all
 * it would send and all it receives (data, Babel inside the data, liveness probes and echoes,
 * MTU probes), as a WAN path that fell silent would: no link-down signal, so the tunnel's own
 * liveness has to find out, as in a real failure. One {@link Cut} per peer CN, shared by every
 * session with that peer, so a session the peer re-handshakes during the cut is cut too. The
 * transports also fail handshakes with a cut peer (UDP: its DTLS records are dropped, when it comes
 * from an address we know it at; TCP: the authenticated handshake is refused), since a re-handshake
 * through a dead path would fail and a fresh session would blur what is measured. Whoever cuts
 * also restores: this class has no clock and no bound.
 */
public final class Blackholes {
    /** One peer's switch; sessions read it once per batch or datagram (a volatile read). */
    public static final class Cut {
        volatile boolean on;
        final LongAdder dropped = new LongAdder();

        public boolean on() {
            return on;
        }

        /** A packet the cut dropped (only while on: nothing on the data path otherwise). */
        void dropped(int packets) {
            dropped.add(packets);
        }
    }

    /** The switch of a session that nobody cuts. */
    static final Cut NEVER = new Cut();

    private final ConcurrentHashMap<String, Cut> byCn = new ConcurrentHashMap<>();

    /** The switch for {@code peerCn}'s sessions (the same object for every call). */
    public Cut of(String peerCn) {
        return peerCn == null ? NEVER : byCn.computeIfAbsent(peerCn, k -> new Cut());
    }

    /** Cuts ({@code cut}) or restores every session with {@code peerCn}, present and future. Returns whether that changed anything. */
    public boolean set(String peerCn, boolean cut) {
        Cut c = of(peerCn);
        boolean was = c.on;
        c.on = cut;
        return was != cut;
    }

    /** The peers cut now, sorted. */
    public Set<String> cut() {
        Set<String> s = new TreeSet<>();
        byCn.forEach((cn, c) -> {
            if (c.on)
                s.add(cn);
        });
        return s;
    }

    /** Packets dropped by cuts so far, both ways, all peers. */
    public long dropped() {
        long n = 0;
        for (Cut c : byCn.values())
            n += c.dropped.sum();
        return n;
    }
}
