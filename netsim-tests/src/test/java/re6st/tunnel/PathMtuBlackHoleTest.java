package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import re6st.netsim.Namespace;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;
import re6st.tunnel.data.DataChannel;

/**
 * A path-MTU black hole: the underlay silently drops datagrams above 1400 bytes (an nftables
 * rule, no ICMP: as a broken middlebox does). The tunnel starts at MTU 1424, its padded probes
 * of that size get no answer while small packets pass, so it steps down until a probe comes
 * back (1344: 1344 + 28 + 28 = 1400) and sets the TUN MTU; a full-size ping with DF then passes.
 * The other direction, not filtered, keeps 1424.
 */
@RequiresRoot
class PathMtuBlackHoleTest {
    @Test
    void bigDatagramsSilentlyLostLowerTheMtu() throws Exception {
        try (TestNet net = TestNet.create("pmtu")) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            net.veth(a, "veth0", b, "veth0");
            a.addAddress("veth0", "198.18.75.1/24");
            b.addAddress("veth0", "198.18.75.2/24");
            long now = System.nanoTime();
            UdpTunnel ta = a.call(() -> new UdpTunnel(TunDevice.open("r6t0"), UdpTunnel.bind(new InetSocketAddress("198.18.75.1", 1194)),
                    new InetSocketAddress("198.18.75.2", 1194), new TunnelSession(new DataChannel(UdpTunnelTest.key(7), UdpTunnelTest.key(8)),
                            Liveness.defaults(now), PathMtu.defaults(1424, now)), UdpTunnel.Listener.NONE));
            net.own(ta);
            UdpTunnel tb = b.call(() -> new UdpTunnel(TunDevice.open("r6t0"), UdpTunnel.bind(new InetSocketAddress("198.18.75.2", 1194)),
                    new InetSocketAddress("198.18.75.1", 1194), new TunnelSession(new DataChannel(UdpTunnelTest.key(8), UdpTunnelTest.key(7)),
                            Liveness.defaults(now), PathMtu.defaults(1424, now)), UdpTunnel.Listener.NONE));
            net.own(tb);
            for (Namespace n : new Namespace[] {a, b})
                n.ip("link", "set", "r6t0", "mtu", "1424", "up");
            a.addAddress("r6t0", "fd00:75::1/64");
            b.addAddress("r6t0", "fd00:75::2/64");
            Wait.until("tunnel passes pings", Duration.ofSeconds(10), () -> a.pings("fd00:75::2"));

            // the black hole, from a to b only
            b.run("nft", "add table inet r6pmtu");
            b.run("nft", "add chain inet r6pmtu in { type filter hook input priority 0 ; }");
            b.run("nft", "add rule inet r6pmtu in ip length > 1400 drop");
            ta.session().requestMtuCheck();
            long t0 = System.nanoTime();
            Wait.until("a lowers its tunnel MTU below the black hole", Duration.ofSeconds(40), () -> mtu(a) == 1344);
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("path MTU black hole: MTU 1424 -> %d in %.1f s (probes sent %d, lost %d)%n", mtu(a), seconds,
                    ta.session().pathMtu().probesSent(), ta.session().pathMtu().probesLost());
            assertEquals(1424, mtu(b), "the other direction is not affected");
            assertTrue(ta.session().liveness().state() == Liveness.State.UP, "small packets kept the tunnel up all along");
            var full = a.exec(Duration.ofSeconds(10), "ping", "-6", "-c", "2", "-W", "2", "-M", "do", "-s", "1296", "fd00:75::2");
            assertEquals(0, full.exit(), "a full-size packet at the new MTU passes: " + full.output());
        }
    }

    static int mtu(Namespace n) {
        String out = n.ip("link", "show", "r6t0").output();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("mtu (\\d+)").matcher(out);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }
}
