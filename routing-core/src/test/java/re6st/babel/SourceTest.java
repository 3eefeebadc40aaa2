package re6st.babel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import re6st.babel.message.Message;
import re6st.babel.message.Prefix;

/**
 * Feasibility (RFC 8966 3.5.1): an update (seqno, metric) is feasible when there is no
 * feasibility distance yet, it is a retraction, its seqno is newer (16-bit modular order), or
 * its seqno is the same and its metric strictly below the distance; the distance moves only
 * when we advertise, as babeld's update_feasible / update_source.
 */
class SourceTest {
    static final long S = 1_000_000_000L;
    static final Prefix P = Prefix.parse("2001:db8:1::/48");

    static Source source(int seqno, int fd) {
        return new Source(P, null, 0x42, seqno, fd, 10 * S);
    }

    @Test
    void sameSeqnoIsFeasibleOnlyStrictlyBelowTheDistance() {
        Source s = source(100, 300);
        assertTrue(s.feasible(100, 299, 11 * S));
        assertFalse(s.feasible(100, 300, 11 * S), "equal to the distance: not feasible");
        assertFalse(s.feasible(100, 301, 11 * S));
    }

    @Test
    void aNewerSeqnoIsFeasibleWhateverItsMetricAndAnOlderOneNever() {
        Source s = source(100, 300);
        assertTrue(s.feasible(101, 5000, 11 * S));
        assertFalse(s.feasible(99, 1, 11 * S));
    }

    @Test
    void seqnosCompareModulo2To16() {
        assertTrue(source(0xFFFF, 300).feasible(0, 5000, 11 * S), "0 comes after 65535");
        assertFalse(source(0, 300).feasible(0xFFFF, 1, 11 * S), "65535 comes before 0");
        assertTrue(source(10, 300).feasible(10 + 0x7FFF, 5000, 11 * S), "up to half the space ahead is newer");
        assertFalse(source(10, 300).feasible(10 + 0x8000, 5000, 11 * S), "exactly half the space is older (-32768)");
        assertEquals(1, Seqno.compare(0, 0xFFFF));
        assertEquals(-32768, Seqno.minus(0x8000, 0));
    }

    @Test
    void retractionsAreAlwaysFeasibleAndANewSourceAcceptsAnyMetric() {
        assertTrue(source(100, 300).feasible(50, Message.INFINITY, 11 * S), "an old retraction");
        Source fresh = source(100, Message.INFINITY); // what BabelRouter.newSource makes
        assertTrue(fresh.feasible(100, 0xFFFE, 11 * S), "no distance yet");
    }

    @Test
    void aSourceUnusedFor200SecondsNoLongerConstrains() {
        Source s = source(100, 300);
        assertFalse(s.feasible(99, 1, 10 * S + Source.GC_NS), "at 200 s it still holds");
        assertTrue(s.feasible(99, 1, 10 * S + Source.GC_NS + 1), "past 200 s it is stale");
    }

    @Test
    void advertisingMovesTheDistanceOnlyTowardsNewerSeqnoOrLowerMetric() {
        Source s = source(100, 300);
        s.advertised(100, 400, 11 * S);
        assertEquals(300, s.metric, "same seqno, higher metric: the distance stays");
        assertEquals(11 * S, s.time, "but the source is refreshed");
        s.advertised(100, 200, 12 * S);
        assertEquals(200, s.metric, "same seqno, lower metric: lowered");
        s.advertised(99, 100, 13 * S);
        assertEquals(100, s.seqno, "an older seqno is not taken");
        assertEquals(200, s.metric);
        s.advertised(0, 900, 14 * S); // 0 is older than 100
        assertEquals(100, s.seqno);
        s.advertised(101, 900, 15 * S);
        assertEquals(101, s.seqno, "a newer seqno resets the distance");
        assertEquals(900, s.metric);
        s.advertised(102, Message.INFINITY, 16 * S);
        assertEquals(101, s.seqno, "advertising a retraction changes nothing");
        assertEquals(15 * S, s.time);
        s.advertised(90, 1000, 15 * S + Source.GC_NS + 1);
        assertEquals(90, s.seqno, "a stale source takes whatever we advertise");
        assertEquals(1000, s.metric);
    }
}
