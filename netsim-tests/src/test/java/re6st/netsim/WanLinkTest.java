package re6st.netsim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The WAN link emulator against real ping: delay, random loss, blackhole and healing. These
 * check the emulator's model, which every later failover measurement relies on; speed is
 * measured in benchmarks/, not here.
 */
@RequiresRoot
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WanLinkTest {
    private TestNet net;
    private Namespace a, b;
    private WanLink link;

    @BeforeAll
    void build() {
        net = TestNet.create("wan");
        a = net.namespace("a");
        b = net.namespace("b");
        link = net.wan("ab", a, "wan0", b, "wan0", LinkParams.PERFECT);
        a.addAddress("wan0", "198.18.2.1/24");
        b.addAddress("wan0", "198.18.2.2/24");
        Wait.until("a pings b over the emulated link", Duration.ofSeconds(10), () -> a.pings("198.18.2.2"));
    }

    @AfterAll
    void tearDown() {
        if (net != null)
            net.close();
    }

    @Test
    void oneWayDelayOf20msGivesA40msRoundTrip() {
        link.set(LinkParams.delayMillis(20));
        Ping.Result r = Ping.run(a, "198.18.2.2", 30, Duration.ofMillis(20));
        assertEquals(30, r.received(), r.output());
        assertTrue(Math.abs(r.avg() - 40) <= 3, "average RTT " + r.avg() + " ms, expected 40 +- 3\n" + r.output());
        assertTrue(r.min() >= 39, "no packet may arrive early: min " + r.min() + " ms");
        link.checkHealthy();
    }

    @Test
    void tenPercentLossLosesEightToTwelvePercentOf2000Pings() {
        link.set(LinkParams.PERFECT);
        link.set(WanLink.Direction.A_TO_B, LinkParams.PERFECT.withLoss(0.10));
        Ping.Result r = Ping.run(a, "198.18.2.2", 2000, Duration.ofMillis(2));
        link.set(LinkParams.PERFECT);
        assertEquals(2000, r.transmitted(), r.output());
        double loss = r.lossRatio();
        assertTrue(loss >= 0.08 && loss <= 0.12, "loss " + loss + " of 2000 pings, expected 0.08..0.12\n" + r.output());
        link.checkHealthy();
    }

    @Test
    void blackholeDropsEverythingKeepsTheLinkUpAndHeals() {
        link.set(LinkParams.delayMillis(1));
        assertTrue(a.pings("198.18.2.2"));
        long droppedBefore = link.dropped();
        link.blackhole(true);
        Ping.Result r = Ping.run(a, "198.18.2.2", 10, Duration.ofMillis(20));
        assertEquals(0, r.received(), "nothing crosses a blackhole\n" + r.output());
        assertTrue(link.dropped() - droppedBefore >= 10, "the emulator counted the drops");
        String state = a.ip("-o", "link", "show", "wan0").output();
        assertTrue(state.contains("state UP") || state.contains("state UNKNOWN"),
                "a blackhole gives no link-down signal: " + state);
        link.blackhole(false);
        Wait.until("traffic flows again after healing", Duration.ofSeconds(10), () -> a.pings("198.18.2.2"));
        link.checkHealthy();
    }

    @Test
    void ipv6CrossesTheLinkToo() {
        link.set(LinkParams.delayMillis(5));
        a.addAddress("wan0", "fd00:2::1/64");
        b.addAddress("wan0", "fd00:2::2/64");
        Wait.until("IPv6 ping over the emulated link", Duration.ofSeconds(10), () -> a.pings("fd00:2::2"));
        Ping.Result r = Ping.run(a, "fd00:2::2", 10, Duration.ofMillis(20));
        assertEquals(10, r.received(), r.output());
        assertTrue(r.min() >= 10, "10 ms round trip at least: " + r.min());
    }
}
