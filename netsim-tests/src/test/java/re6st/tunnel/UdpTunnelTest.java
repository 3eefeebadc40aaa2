package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import re6st.jni.Tun;
import re6st.netsim.LinkParams;
import re6st.netsim.Namespace;
import re6st.netsim.Ping;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;
import re6st.netsim.WanLink;
import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataKey;

/**
 * A tunnel between two namespaces over an emulated WAN link (keys given directly: the
 * handshake is tested on its own): traffic passes encrypted, a blackholed underlay takes the
 * tunnel interface down within about a second, healing brings it back without a restart.
 */
@RequiresRoot
class UdpTunnelTest {

    static DataKey key(int seed) {
        byte[] k = new byte[32];
        new Random(seed).nextBytes(k);
        return new DataKey(k, new byte[] {(byte) seed, 0, 0, 1}, 0);
    }

    @Test
    void pingThroughTheTunnelThenBlackholeAndHeal() throws Exception {
        try (TestNet net = TestNet.create("udptunnel")) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            WanLink wan = net.wan("ab", a, "wan0", b, "wan0", LinkParams.delayMillis(2));
            a.addAddress("wan0", "198.18.70.1/24");
            b.addAddress("wan0", "198.18.70.2/24");
            DataKey ab = key(1), ba = key(2);
            AtomicLong downAt = new AtomicLong(), upAt = new AtomicLong();
            UdpTunnel.Listener watch = new UdpTunnel.Listener() {
                @Override
                public void up(UdpTunnel t) {
                    upAt.set(System.nanoTime());
                }

                @Override
                public void down(UdpTunnel t) {
                    downAt.set(System.nanoTime());
                }
            };
            UdpTunnel ta = a.call(() -> new UdpTunnel(Tun.open("r6t0"),
                    UdpTunnel.bind(new InetSocketAddress("198.18.70.1", 1194)), new InetSocketAddress("198.18.70.2", 1194),
                    new TunnelSession(new DataChannel(ab, ba), Liveness.defaults(System.nanoTime())), watch));
            net.own(ta);
            UdpTunnel tb = b.call(() -> new UdpTunnel(Tun.open("r6t0"),
                    UdpTunnel.bind(new InetSocketAddress("198.18.70.2", 1194)), null,
                    new TunnelSession(new DataChannel(ba, ab), Liveness.defaults(System.nanoTime())), UdpTunnel.Listener.NONE));
            net.own(tb);
            a.addAddress("r6t0", "fd00:70::1/64");
            b.addAddress("r6t0", "fd00:70::2/64");
            a.up("r6t0");
            b.up("r6t0");
            Ping.Result r = Ping.run(a, "fd00:70::2", 5, Duration.ofMillis(50));
            assertEquals(5, r.received(), r.output());
            assertTrue(tb.peer() != null, "the accepting side learned the peer's address");

            long cut = System.nanoTime();
            wan.blackhole(true);
            Wait.until("tunnel down at a", Duration.ofSeconds(5), () -> downAt.get() != 0);
            double seconds = (downAt.get() - cut) / 1e9;
            assertTrue(seconds < 1.5, "down after " + seconds + " s");
            assertTrue(!a.ip("link", "show", "r6t0").output().contains(",UP"), "the TUN interface is down");
            wan.blackhole(false);
            long healed = System.nanoTime();
            Wait.until("tunnel up again at a", Duration.ofSeconds(5), () -> upAt.get() > healed);
            Ping.Result again = Ping.run(a, "fd00:70::2", 3, Duration.ofMillis(50));
            assertEquals(3, again.received(), again.output());
            System.out.printf("tunnel: down %.2f s after the cut, up %.2f s after healing%n", seconds,
                    (upAt.get() - healed) / 1e9);
        }
    }
}
