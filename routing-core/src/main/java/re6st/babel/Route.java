package re6st.babel;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Prefix;

/**
 * A route learned from one neighbour (RFC 8966 3.2.5): the source it leads to, its seqno and
 * reported metric, the link cost when computed, and whether it is the one installed.
 */
public final class Route {
    final RouteTable.Entry entry;
    final Neighbour neighbour;
    Source source;
    Addr nextHop;
    int refmetric;
    int cost;            // neighbour cost, refreshed when it changes
    int addMetric;       // from the input filter
    int seqno;
    long time;           // last feasible, finite update (ns)
    long holdNs;
    long retractedAt = Long.MIN_VALUE;
    long refreshAsked = Long.MIN_VALUE;
    boolean installed;
    // metric smoothing (babeld's smoothing-half-life)
    double smoothed;
    long smoothedTime;

    Route(RouteTable.Entry entry, Neighbour neighbour) {
        this.entry = entry;
        this.neighbour = neighbour;
    }

    public Prefix prefix() {
        return entry.prefix;
    }

    /** Source prefix, or null. */
    public Prefix sourcePrefix() {
        return entry.src;
    }

    public long routerId() {
        return source.routerId;
    }

    public Neighbour neighbour() {
        return neighbour;
    }

    public Addr nextHop() {
        return nextHop;
    }

    public int refmetric() {
        return refmetric;
    }

    public int seqno() {
        return seqno;
    }

    public boolean installed() {
        return installed;
    }

    /** Reported metric plus link cost (plus filter), capped at INFINITY. */
    public int metric() {
        if (refmetric >= Message.INFINITY)
            return Message.INFINITY;
        return Math.min(refmetric + cost + addMetric, Message.INFINITY);
    }

    /**
     * The metric seen through exponential smoothing (equal to {@link #metric} when smoothing is off).
     * An infinite metric is no history to smooth from: a route that becomes usable (its
     * neighbour's cost just known, a retraction undone) starts at its metric, where babeld starts
     * it at max(metric, INFINITY / 2) and needs 6-7 half-lives to prefer a new, better neighbour.
     */
    int smoothedMetric(long now, long halfLifeNs) {
        int m = metric();
        if (halfLifeNs <= 0 || m >= Message.INFINITY || smoothed >= Message.INFINITY || smoothed == m)
            return m;
        double decay = Math.pow(0.5, (double) (now - smoothedTime) / halfLifeNs);
        return (int) Math.round(m + (smoothed - m) * decay);
    }

    /** Folds the current smoothed value in before the metric changes. */
    void beforeMetricChange(long now, long halfLifeNs) {
        smoothed = smoothedMetric(now, halfLifeNs);
        smoothedTime = now;
    }

    /** RFC 8966 3.5.1: whether its last update is feasible (a route that can be selected without risking a loop). */
    public boolean feasible(long now) {
        return source.feasible(seqno, refmetric, now);
    }

    boolean expired(long now) {
        return now - time > holdNs;
    }

    /** 7/8 of the hold time: ask for a refresh before the route expires. */
    boolean old(long now) {
        return now - time > holdNs / 8 * 7;
    }

    /** How long a retracted route is kept (to answer requests, for feasibility) before it is flushed. */
    long keepRetractedNs() {
        return Math.max(holdNs / 2, 30_000 * BabelRouter.MS);
    }

    /**
     * The first instant the expiry scan has something to do with this route as it is now: flush
     * it (retracted), retract it (expired), or ask its neighbour for a refresh (installed and
     * old). The conditions are those of {@code BabelRouter.expireRoutes}, each a strict
     * inequality, hence the + 1. Only an update, a retraction or an install moves it earlier.
     */
    long expiryDue() {
        if (refmetric >= Message.INFINITY) {
            long since = retractedAt == Long.MIN_VALUE ? time : retractedAt;
            return Math.min(since + keepRetractedNs(), time + 2 * holdNs) + 1;
        }
        long due = time + holdNs + 1;
        if (installed) {
            long refresh = time + holdNs / 8 * 7 + 1;
            if (refreshAsked != Long.MIN_VALUE)
                refresh = Math.max(refresh, refreshAsked + holdNs / 16 + 1);
            due = Math.min(due, refresh);
        }
        return due;
    }

    @Override
    public String toString() {
        return prefix() + (sourcePrefix() == null ? "" : " from " + sourcePrefix()) + " via " + neighbour + " metric "
                + metric() + " (ref " + refmetric + ", seqno " + seqno + ")" + (installed ? " installed" : "");
    }
}
