package re6st.babel;

import re6st.babel.message.Prefix;

/**
 * A source (RFC 8966 3.5.1): a (prefix, source prefix, router-id) triple and its feasibility
 * distance, the best (seqno, metric) we advertised for it.
 */
final class Source {
    static final long GC_NS = 200_000_000_000L;

    final Prefix prefix;
    final Prefix src;
    final long routerId;
    int seqno;
    int metric;
    long time;

    Source(Prefix prefix, Prefix src, long routerId, int seqno, int metric, long now) {
        this.prefix = prefix;
        this.src = src;
        this.routerId = routerId;
        this.seqno = seqno;
        this.metric = metric;
        this.time = now;
    }

    /** RFC 8966 3.5.1: is an update with this (seqno, metric) feasible? */
    boolean feasible(int useqno, int refmetric, long now) {
        if (now - time > GC_NS)
            return true; // stale data
        if (refmetric >= re6st.babel.message.Message.INFINITY)
            return true; // retractions always are
        int c = Seqno.compare(useqno, seqno);
        return c > 0 || (c == 0 && refmetric < metric);
    }

    /** Called when we advertise (seqno, metric) for this source. */
    void advertised(int aseqno, int ametric, long now) {
        if (ametric >= re6st.babel.message.Message.INFINITY)
            return;
        if (now - time > GC_NS || Seqno.compare(seqno, aseqno) < 0 || (seqno == aseqno && metric > ametric)) {
            seqno = aseqno;
            metric = ametric;
        }
        time = now;
    }

    @Override
    public String toString() {
        return prefix + (src == null ? "" : " from " + src) + " id " + RouterId.format(routerId) + " seqno " + seqno
                + " fd " + metric;
    }
}
