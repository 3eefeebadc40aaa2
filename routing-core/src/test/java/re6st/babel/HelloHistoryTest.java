package re6st.babel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;

/**
 * The 16-hello history (RFC 8966 A.1, babeld's update_neighbour) and what the link cost makes of
 * it (babeld's neighbour_rxcost / neighbour_cost for wired and tunnel links: "2 out of 3", no link
 * quality estimation).
 */
class HelloHistoryTest {
    static final long MS = 1_000_000L, S = 1000 * MS;
    static final int INTERVAL_CS = 100; // 1 s

    @Test
    void eachHelloShiftsInABitAndAGapInSeqnosShiftsInZeros() {
        HelloHistory h = new HelloHistory();
        assertTrue(h.update(10, INTERVAL_CS, 1 * S), "the first hello changes reachability");
        assertEquals(0x8000, h.reach);
        h.update(11, INTERVAL_CS, 2 * S);
        h.update(12, INTERVAL_CS, 3 * S);
        assertEquals(0xE000, h.reach);
        h.update(14, INTERVAL_CS, 5 * S); // 13 missed
        assertEquals(0xB800, h.reach);
        assertEquals(14, h.seqno);
    }

    @Test
    void aFullHistoryIsNotAChangeButOneMissedHelloIs() {
        HelloHistory h = new HelloHistory();
        for (int i = 0; i < 6; i++)
            h.update(i, INTERVAL_CS, i * S);
        assertEquals(0xFC00, h.reach);
        assertFalse(h.update(6, INTERVAL_CS, 6 * S), "another hello on a full history changes nothing");
        assertTrue(h.update(8, INTERVAL_CS, 8 * S), "a missed one does");
    }

    @Test
    void missedHellosAreCountedFromTheAnnouncedIntervalWithSlack() {
        HelloHistory h = new HelloHistory();
        h.update(1, INTERVAL_CS, 10 * S);
        h.update(2, INTERVAL_CS, 11 * S);
        assertFalse(h.update(-1, 0, 11 * S + 1699 * MS), "not yet: 0.7 of an interval of slack");
        assertEquals(0xC000, h.reach);
        assertTrue(h.update(-1, 0, 11 * S + 1700 * MS), "one interval and 0.7 later: one hello missed");
        assertEquals(0x6000, h.reach);
        assertEquals(3, h.seqno, "the missed hello's seqno is accounted");
        assertEquals(12 * S, h.time, "time moves by one interval, not to now");
        assertTrue(h.update(-1, 0, 12 * S + 2700 * MS), "two more intervals: two more missed");
        assertEquals(0x1800, h.reach);
        assertTrue(h.update(-1, 0, 40 * S), "16 or more missed empty the history");
        assertEquals(0, h.reach);
    }

    @Test
    void aChangedIntervalIsWhatMissedHellosAreCountedWith() {
        HelloHistory h = new HelloHistory();
        h.update(1, INTERVAL_CS, 10 * S);
        h.update(2, 400, 11 * S); // the neighbour now says 4 s
        assertFalse(h.update(-1, 0, 11 * S + 3 * S), "3 s is no missed hello at 4 s");
        assertTrue(h.update(-1, 0, 11 * S + 6800 * MS), "4 s + 0.7 x 4 s is");
        assertEquals(0x6000, h.reach);
    }

    static HelloHistory sixteenHellos() {
        HelloHistory h = new HelloHistory();
        for (int i = 100; i < 116; i++)
            h.update(i, INTERVAL_CS, (i - 99) * S);
        assertEquals(0xFFFF, h.reach);
        return h;
    }

    @Test
    void aSeqnoMoreThan8HellosInThePastMeansAReboot() {
        HelloHistory h = sixteenHellos();
        assertTrue(h.update(107, INTERVAL_CS, 20 * S), "8 back from 115 (9 'missed' backwards): the neighbour restarted");
        assertEquals(0x8000, h.reach, "history restarted with this hello");
        assertEquals(107, h.seqno);
        h = sixteenHellos();
        h.update(108, INTERVAL_CS, 20 * S); // 7 back: only late
        assertEquals(0xFF80, h.reach, "shifted back by 8 (0xFF00), then this hello shifted in");
    }

    @Test
    void aSlightlyLateHelloShiftsTheHistoryBack() {
        HelloHistory h = new HelloHistory();
        h.update(10, INTERVAL_CS, 1 * S);
        h.update(12, INTERVAL_CS, 2 * S); // 11 missed: 0x4000 then | 0x8000
        assertEquals(0xA000, h.reach);
        assertTrue(h.update(11, INTERVAL_CS, 3 * S), "11 arrives late (link-layer buffering)");
        assertEquals(11, h.seqno);
        assertEquals(0xC000, h.reach, "the history is shifted back by two, then 11 shifted in (babeld)");
    }

    @Test
    void wrappedSeqnosAreConsecutive() {
        HelloHistory h = new HelloHistory();
        h.update(0xFFFE, INTERVAL_CS, 1 * S);
        h.update(0xFFFF, INTERVAL_CS, 2 * S);
        h.update(0, INTERVAL_CS, 3 * S);
        assertEquals(0xE000, h.reach, "65534, 65535, 0: three in a row");
    }

    @Test
    void twoOfTheLastThree() {
        HelloHistory h = new HelloHistory();
        for (int[] c : new int[][] {{0xC000, 1}, {0xA000, 1}, {0x6000, 1}, {0x8000, 0}, {0x4000, 0}, {0x2000, 0}, {0, 0},
                {0x9FFF, 0}}) {
            h.reach = c[0];
            assertEquals(c[1] == 1, h.twoOfThree(), Integer.toHexString(c[0]));
        }
    }

    static Neighbour neighbour(InterfaceSettings s) {
        Interface ifc = new Interface("eth0", s, Addr.parse("fe80::1"));
        return new Neighbour(ifc, Addr.parse("fe80::2"));
    }

    @Test
    void rxcostIsTheInterfaceCostWhileTwoOfThreeArriveElseInfinite() {
        Neighbour n = neighbour(InterfaceSettings.wired(1000));
        assertEquals(Message.INFINITY, n.rxcost(0), "never heard");
        n.hello.update(1, INTERVAL_CS, 1 * S);
        assertEquals(Message.INFINITY, n.rxcost(1 * S), "one hello is not two of three");
        n.hello.update(2, INTERVAL_CS, 2 * S);
        assertEquals(96, n.rxcost(2 * S));
        n.hello.update(-1, 0, 3700 * MS); // one missed: 0x6000, still two of three
        assertEquals(96, n.rxcost(3700 * MS));
        n.hello.update(-1, 0, 4700 * MS); // two missed: 0x3000
        assertEquals(Message.INFINITY, n.rxcost(4700 * MS), "two of the last three missed");
    }

    @Test
    void rxcostIsInfiniteWithoutARecentFullEnoughHistory() {
        Neighbour n = neighbour(InterfaceSettings.wired(1000));
        n.hello.reach = 0x000F; // old hellos only: nothing in the top 12 bits
        n.hello.time = 1 * S;
        n.hello.interval = INTERVAL_CS;
        assertEquals(Message.INFINITY, n.rxcost(2 * S));
        n.hello.reach = 0xE000;
        assertEquals(96, n.rxcost(2 * S));
        assertEquals(Message.INFINITY, n.rxcost(1 * S + 180 * S), "180 s since the last hello");
        n.hello.reach = 0;
        n.uhello.update(7, INTERVAL_CS, 180 * S);
        n.uhello.update(8, INTERVAL_CS, 181 * S);
        assertEquals(96, n.rxcost(181 * S), "unicast hellos count too");
    }

    @Test
    void linkCostIsTxcostPlusRttCostTimesTheMultiplierCapped() {
        Neighbour n = neighbour(InterfaceSettings.wired(1000));
        n.hello.update(1, INTERVAL_CS, 1 * S);
        n.hello.update(2, INTERVAL_CS, 2 * S);
        assertEquals(Message.INFINITY, n.cost(2 * S), "no IHU yet: txcost infinite");
        n.txcost = 200;
        assertEquals(200, n.cost(2 * S));
        n.costMultiplier = 3;
        assertEquals(600, n.cost(2 * S));
        n.costMultiplier = 1000;
        assertEquals(Message.INFINITY / 2, n.cost(2 * S), "capped, and finite: a drained link stays usable");
        n.costMultiplier = 1;
        n.hello.update(-1, 0, 10 * S);
        assertEquals(Message.INFINITY, n.cost(10 * S), "our side of the link is down: infinite whatever txcost");
    }
}
