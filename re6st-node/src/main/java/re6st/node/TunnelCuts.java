package re6st.node;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import re6st.tunnel.Blackholes;
import re6st.tunnel.TunnelInfo;

/**
 * Tunnels blackholed on purpose through the control socket ({@code re6st bench failover}): the
 * node drops everything it sends and receives on the tunnel with a peer ({@link Blackholes}: data,
 * Babel, liveness; no link-down signal), for a bounded time. The node restores it by itself at the
 * bound ({@link #expire}, from the daemon's timer), so a client that died leaves nothing behind;
 * a cut also ends with {@code unblackhole} or the node. Every cut and restore is logged with who
 * asked and why, shown as a warning in {@code re6st status} and counted.
 * <pre>
 *   blackhole IFACE|PEER-CN SECONDS [WHY...]   cut (again: a new bound), 1 to {@value #MAX_SECONDS} s
 *   unblackhole IFACE|PEER-CN                  restore now
 * </pre>
 * Any thread: the methods are synchronized; they only flip the tunnels' switches.
 */
public final class TunnelCuts {
    private static final Logger LOG = System.getLogger("re6st.node.blackhole");
    /** The longest cut: an operator's experiment, not a way to ban a peer. */
    public static final int MAX_SECONDS = 300;

    /** One cut: the peer, the interface it was asked by (or the peer's at the time), until when (clock ms), who and why. */
    public record Cut(String peerCn, String ifname, long untilMs, String who, String why) {}

    /** Counts for the metrics. */
    public record Figures(int active, long started, long restoredAtBound, long restoredOnRequest, long droppedPackets) {}

    private final Supplier<List<TunnelInfo>> tunnels;
    private final Supplier<Collection<Blackholes>> switches;
    private final LongSupplier clockMs;
    private final Map<String, Cut> active = new LinkedHashMap<>();
    private long started, restoredAtBound, restoredOnRequest;

    /**
     * @param tunnels  the node's established tunnels (to find a peer by interface, and check it has one)
     * @param switches every transport's {@link Blackholes} (a peer may be on any)
     * @param clockMs  a monotonic clock, ms
     */
    public TunnelCuts(Supplier<List<TunnelInfo>> tunnels, Supplier<Collection<Blackholes>> switches, LongSupplier clockMs) {
        this.tunnels = tunnels;
        this.switches = switches;
        this.clockMs = clockMs;
    }

    /** {@code blackhole TARGET SECONDS [WHY...]}; IllegalArgumentException (nothing changed) for bad input. */
    public synchronized String blackhole(List<String> args, String who) {
        if (args.size() < 2)
            throw new IllegalArgumentException("usage: blackhole IFACE|PEER-CN SECONDS [WHY...]");
        String s = args.get(1);
        if (!s.matches("-?[0-9]+")) // ASCII digits only: Integer.parseInt takes "+5" and other scripts' digits too
            throw new IllegalArgumentException("blackhole: '" + s + "' is not a whole number of seconds");
        java.math.BigInteger n = new java.math.BigInteger(s); // more digits than an int holds: out of bounds, not "not a number"
        if (n.signum() <= 0 || n.compareTo(java.math.BigInteger.valueOf(MAX_SECONDS)) > 0)
            throw new IllegalArgumentException("blackhole: " + s + " s is out of bounds (1 to " + MAX_SECONDS + " s)");
        int seconds = n.intValue();
        TunnelInfo t = tunnel(args.get(0));
        String why = args.size() > 2 ? printable(String.join(" ", args.subList(2, args.size()))) : "no reason given";
        long until = clockMs.getAsLong() + seconds * 1000L;
        Cut c = new Cut(t.peerCn(), t.ifname(), until, who, why);
        boolean again = active.put(t.peerCn(), c) != null;
        for (Blackholes b : switches.get())
            b.set(t.peerCn(), true);
        started++;
        LOG.log(Level.WARNING, "tunnel {0} to {1} blackholed{2} for {3} s by {4}: {5} (restored at the bound, or by: unblackhole {0})",
                t.ifname(), t.peerCn(), again ? " again" : "", Integer.toString(seconds), who, why);
        return "blackholed " + t.ifname() + " " + t.peerCn() + " " + seconds;
    }

    /** {@code unblackhole TARGET}; IllegalArgumentException when it names no cut tunnel. */
    public synchronized String unblackhole(List<String> args, String who) {
        if (args.size() != 1)
            throw new IllegalArgumentException("usage: unblackhole IFACE|PEER-CN");
        Cut c = find(args.get(0));
        if (c == null)
            throw new IllegalArgumentException("unblackhole: no blackholed tunnel '" + args.get(0) + "'" + listed());
        restore(c, "by " + who);
        restoredOnRequest++;
        return "restored " + c.ifname() + " " + c.peerCn();
    }

    /** Restores the cuts whose bound has come; returns when the next one comes (clock ms; Long.MAX_VALUE: none). */
    public synchronized long expire() {
        long now = clockMs.getAsLong(), next = Long.MAX_VALUE;
        for (Cut c : List.copyOf(active.values())) {
            if (now - c.untilMs() >= 0) {
                restore(c, "at its bound");
                restoredAtBound++;
            } else {
                next = Math.min(next, c.untilMs());
            }
        }
        return next;
    }

    /** Restores every cut (the node stops). */
    public synchronized void restoreAll() {
        for (Cut c : List.copyOf(active.values()))
            restore(c, "as the node stops");
    }

    /** The cuts now, for {@code re6st status}'s warnings. */
    public synchronized List<String> warnings() {
        long now = clockMs.getAsLong();
        List<String> w = new ArrayList<>();
        for (Cut c : active.values())
            w.add(String.format(Locale.ROOT, "tunnel %s to %s is blackholed on purpose for %d more s (by %s: %s): traffic avoids it; "
                    + "'unblackhole %s' on the control socket restores it", c.ifname(), c.peerCn(),
                    Math.max(0, (c.untilMs() - now + 999) / 1000), c.who(), c.why(), c.ifname()));
        return w;
    }

    public synchronized List<Cut> active() {
        return List.copyOf(active.values());
    }

    public synchronized Figures figures() {
        long dropped = 0;
        for (Blackholes b : switches.get())
            dropped += b.dropped();
        return new Figures(active.size(), started, restoredAtBound, restoredOnRequest, dropped);
    }

    private void restore(Cut c, String how) {
        active.remove(c.peerCn());
        for (Blackholes b : switches.get())
            b.set(c.peerCn(), false);
        LOG.log(Level.WARNING, "tunnel {0} to {1} restored {2} (blackholed by {3}: {4})", c.ifname(), c.peerCn(), how, c.who(), c.why());
    }

    /** A cut by its interface or peer CN. */
    private Cut find(String target) {
        for (Cut c : active.values())
            if (c.peerCn().equals(target) || c.ifname().equals(target))
                return c;
        return null;
    }

    /** The established tunnel named by its interface or its peer's CN. */
    private TunnelInfo tunnel(String target) {
        List<TunnelInfo> all = tunnels.get();
        for (TunnelInfo t : all)
            if (target.equals(t.ifname()) || target.equals(t.peerCn()))
                return t;
        throw new IllegalArgumentException("blackhole: no tunnel '" + target + "' (tunnels: "
                + (all.isEmpty() ? "none" : String.join(", ", all.stream().map(t -> t.ifname() + " to " + t.peerCn()).toList())) + ")");
    }

    /**
     * The reason as logged and shown ({@code re6st status} on a terminal): control characters (ESC
     * sequences, NEL) and line or paragraph separators each become '?', so that it stays one line of text.
     */
    static String printable(String why) {
        StringBuilder b = new StringBuilder(why.length());
        why.codePoints().forEach(c -> {
            int type = Character.getType(c);
            b.appendCodePoint(Character.isISOControl(c) || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR ? '?' : c);
        });
        return b.toString();
    }

    private String listed() {
        return active.isEmpty() ? " (none is)" : " (blackholed: " + String.join(", ", active.values().stream().map(Cut::ifname).toList()) + ")";
    }
}
