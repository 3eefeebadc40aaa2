package re6st.babel;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;

/**
 * A neighbour: one address on one interface (RFC 8966 3.4). Holds the hello histories, the
 * cost the neighbour reported for its side (txcost, from IHUs), the RTT measured with RFC 9616
 * timestamps, and the re6st cost multiplier (raised to drain a tunnel before closing it).
 */
public final class Neighbour {
    static final long RTT_VALIDITY_NS = 180_000_000_000L;
    static final long SILENCE_LIMIT_NS = 300_000_000_000L;

    final Interface ifc;
    final Addr address;
    final HelloHistory hello = new HelloHistory();
    final HelloHistory uhello = new HelloHistory();
    int txcost = Message.INFINITY;
    long ihuTime = Long.MIN_VALUE;
    int ihuInterval;           // cs
    // RFC 9616: the timestamp of the neighbour's last Hello and when we got it (our us clock).
    long helloSendUs = Message.NO_TIMESTAMP;
    long helloRttReceiveUs = Message.NO_TIMESTAMP;
    int rtt;                   // smoothed, microseconds
    long rttTime = Long.MIN_VALUE;
    int costMultiplier = 1;
    int cachedCost = Message.INFINITY;
    /** The routes learned from this neighbour (identity set: cost changes touch only these). */
    final java.util.Set<Route> routes = new java.util.LinkedHashSet<>();

    Neighbour(Interface ifc, Addr address) {
        this.ifc = ifc;
        this.address = address;
    }

    public Addr address() {
        return address;
    }

    public String interfaceName() {
        return ifc.name;
    }

    public int reach() {
        return hello.reach;
    }

    public int unicastReach() {
        return uhello.reach;
    }

    public int txcost() {
        return txcost;
    }

    public int costMultiplier() {
        return costMultiplier;
    }

    /** Smoothed RTT in microseconds, or -1 when there is no valid measurement. */
    public int rttMicros(long now) {
        return validRtt(now) ? rtt : -1;
    }

    boolean validRtt(long now) {
        return rttTime != Long.MIN_VALUE && now - rttTime < RTT_VALIDITY_NS;
    }

    /** What we announce in IHUs: our view of the link from the neighbour to us (babeld's neighbour_rxcost). */
    public int rxcost(long now) {
        long delay = hello.heard() ? now - hello.time : Long.MAX_VALUE;
        long udelay = uhello.heard() ? now - uhello.time : Long.MAX_VALUE;
        if (((hello.reach & 0xFFF0) == 0 || delay >= 180_000_000_000L)
                && ((uhello.reach & 0xFFF0) == 0 || udelay >= 180_000_000_000L))
            return Message.INFINITY;
        return hello.twoOfThree() || uhello.twoOfThree() ? ifc.settings.rxcost() : Message.INFINITY;
    }

    /** The RTT part of the cost: 0 below rtt-min, linear to max-rtt-penalty at rtt-max. */
    public int rttCost(long now) {
        InterfaceSettings s = ifc.settings;
        if (s.maxRttPenalty() == 0 || !validRtt(now))
            return 0;
        if (rtt <= s.rttMin())
            return 0;
        if (rtt <= s.rttMax())
            return (int) ((long) s.maxRttPenalty() * (rtt - s.rttMin()) / (s.rttMax() - s.rttMin()));
        return s.maxRttPenalty();
    }

    /**
     * The most a multiplier raises a link's cost to: a drained link stays usable (finite metric)
     * until another path is feasible and better; routes learnt through it with a metric up to
     * INFINITY/2 stay finite too.
     */
    public static final int MULTIPLIED_COST_CAP = Message.INFINITY / 2;

    /**
     * Link cost (babeld's neighbour_cost without link quality): txcost + RTT cost, times the
     * multiplier. A multiplied cost stops at {@link #MULTIPLIED_COST_CAP}: draining a tunnel must
     * move routes off it, not make them unreachable. An infinite metric turned the installed
     * route into an unreachable one at once, while the path through another neighbour stayed
     * unfeasible until its source answered our seqno request: packets were lost in between (about
     * 30-50 ms at every drain, NodeMeshTest's refresh scenario). With a finite cost the route stays
     * and carries traffic until the other path becomes feasible, then Babel switches.
     */
    public int cost(long now) {
        if (txcost >= Message.INFINITY)
            return Message.INFINITY;
        if (rxcost(now) >= Message.INFINITY)
            return Message.INFINITY;
        long c = (long) txcost + rttCost(now);
        if (costMultiplier > 1)
            c = Math.max(c, Math.min(c * costMultiplier, MULTIPLIED_COST_CAP));
        return (int) Math.min(c, Message.INFINITY);
    }

    /**
     * Takes one RTT sample from a packet that carried the neighbour's timestamped Hello
     * ({@code t3}) and an IHU about us with the echoed {@code t1} (our Hello's time) and
     * {@code t2} (when the neighbour received it); {@code t4} is our receive time. All in
     * microseconds modulo 2^32. Returns true if the RTT cost changed.
     */
    boolean rttSample(long t1, long t2, long t3, long t4, long now) {
        long remoteWaiting = (t3 - t2) & 0xFFFFFFFFL;
        long localWaiting = (t4 - t1) & 0xFFFFFFFFL;
        if (remoteWaiting > 600_000_000L || localWaiting > 600_000_000L)
            return false;
        int sample = (int) Math.max(0, localWaiting - remoteWaiting);
        int old = rttCost(now);
        if (validRtt(now)) {
            int decay = ifc.settings.rttDecay();
            long smoothed = (long) decay * sample + (long) (256 - decay) * rtt;
            rtt = (int) (rtt >= sample ? smoothed / 256 : (smoothed + 255) / 256);
        } else {
            rtt = (int) Math.min(Integer.MAX_VALUE, 2L * sample); // conservative with a new neighbour
        }
        rttTime = now;
        return rttCost(now) != old;
    }

    @Override
    public String toString() {
        return address + "%" + ifc.name;
    }
}
