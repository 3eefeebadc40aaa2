package re6st.node.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** iputils ping -D -O output (20221126, as Debian ships it) read into replies and gaps. */
class ProbeLogTest {
    static final long T0 = 1_764_750_000L * 1_000_000L;

    static String reply(int seq, long micros) {
        return String.format("[%d.%06d] 64 bytes from 2001:db8:0:7::1: icmp_seq=%d ttl=63 time=0.412 ms", micros / 1_000_000, micros % 1_000_000, seq);
    }

    @Test
    void readsRepliesAndIgnoresTheRest() {
        ProbeLog l = new ProbeLog();
        assertFalse(l.accept("PING 2001:db8:0:7::1(2001:db8:0:7::1) 56 data bytes"));
        assertTrue(l.accept(reply(1, T0)));
        assertTrue(l.accept("[1764750000.01] 64 bytes from 2001:db8:0:7::1: icmp_seq=2 ttl=63 time=0.5 ms"), "short fraction");
        assertFalse(l.accept(reply(2, T0 + 10_500) + " (DUP!)"));
        assertFalse(l.accept("[1764750000.030000] no answer yet for icmp_seq=3"));
        assertFalse(l.accept("[1764750000.040000] From 2001:db8:0:1::1 icmp_seq=4 Destination unreachable: No route"));
        assertEquals(2, l.replies().size());
        assertEquals(T0 + 10_000, l.replies().get(1).atMicros());
        assertEquals(3, l.sent(), "the highest sequence number before the summary");
        assertEquals(2, l.answered());
        l.accept("1000 packets transmitted, 957 received, 4.3% packet loss, time 10021ms");
        assertEquals(1000, l.sent());
        assertEquals(957, l.answered());
    }

    @Test
    void theLongestGapIsTheOneTheCutFellIntoCountedWhole() {
        ProbeLog l = new ProbeLog();
        long t = T0;
        int seq = 1;
        for (; seq <= 10; seq++, t += 10_000)
            l.accept(reply(seq, t)); // every 10 ms up to T0 + 90 ms
        long cut = T0 + 95_000;
        t += 400_000; // silent for 400 ms more than the cadence
        for (; seq <= 20; seq++, t += 10_000)
            l.accept(reply(seq, t));
        ProbeLog.Gap g = l.longestGap(cut, t);
        assertEquals(T0 + 90_000, g.fromMicros(), "from the last reply before the cut");
        assertEquals(T0 + 500_000, g.toMicros(), "to the first after it");
        assertEquals(410_000, g.micros());
        assertEquals(10_000, l.longestGap(T0 + 510_000, t).micros(), "after it: the cadence");
    }

    @Test
    void aStreamThatNeverCameBackIsOneGapToTheEnd() {
        ProbeLog l = new ProbeLog();
        l.accept(reply(1, T0));
        l.accept(reply(2, T0 + 10_000));
        ProbeLog.Gap g = l.longestGap(T0 + 15_000, T0 + 2_000_000);
        assertEquals(T0 + 10_000, g.fromMicros());
        assertEquals(T0 + 2_000_000, g.toMicros());
        assertNull(new ProbeLog().longestGap(T0, T0 + 1));
    }

    @Test
    void sequenceNumbersUnwrapAt65536() {
        ProbeLog l = new ProbeLog();
        l.accept(reply(65535, T0));
        l.accept(reply(0, T0 + 10_000));
        l.accept(reply(1, T0 + 20_000));
        assertEquals(65536 + 1, l.replies().get(2).seq());
        assertEquals(65537, l.sent());
    }
}
