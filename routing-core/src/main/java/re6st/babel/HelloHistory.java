package re6st.babel;

/**
 * The 16-hello reachability history of a neighbour (RFC 8966 appendix A.1), multicast and
 * unicast Hellos each having their own. Follows babeld's update_neighbour: missed Hellos are
 * counted from the announced interval, a seqno far in the past means the neighbour rebooted.
 */
final class HelloHistory {
    int reach;          // bit 15 = most recent hello
    int seqno;
    long time = Long.MIN_VALUE; // when the last hello was accounted (ns); MIN = never
    int interval;       // announced interval, centiseconds

    boolean heard() {
        return time != Long.MIN_VALUE;
    }

    /**
     * Accounts a received Hello ({@code hello >= 0}) or checks for missed ones ({@code hello < 0}).
     * Returns true when reachability changed in a way that may change the link cost.
     */
    boolean update(int hello, int helloInterval, long now) {
        boolean changed = false;
        int missed;
        if (hello < 0) {
            if (interval <= 0 || !heard())
                return false;
            long elapsedMs = (now - time) / 1_000_000;
            missed = (int) ((elapsedMs - interval * 7L) / (interval * 10L));
            if (missed <= 0)
                return false;
            time += missed * interval * 10_000_000L;
        } else {
            if (reach != 0) {
                missed = Seqno.minus(hello, seqno) - 1;
                if (missed < -8) { // the neighbour rebooted and lost its seqno
                    reach = 0;
                    missed = 0;
                    changed = true;
                } else if (missed < 0) { // a late hello (buffering)
                    reach = (reach << -missed) & 0xFFFF;
                    missed = 0;
                    changed = true;
                }
            } else {
                missed = 0;
            }
            if (helloInterval != 0) {
                time = now;
                interval = helloInterval;
            }
        }
        if (missed > 0) {
            reach = missed >= 16 ? 0 : reach >>> missed;
            seqno = Seqno.plus(seqno, missed);
            changed = true;
        }
        if (hello >= 0) {
            seqno = hello;
            reach = (reach >>> 1) | 0x8000;
            if ((reach & 0xFC00) != 0xFC00)
                changed = true;
        }
        return changed;
    }

    /** "2 out of 3": the link is up if 2 of the last 3 hellos arrived (babeld's two_three). */
    boolean twoOfThree() {
        if ((reach & 0xC000) == 0xC000)
            return true;
        if ((reach & 0xC000) == 0)
            return false;
        return (reach & 0x2000) != 0;
    }
}
