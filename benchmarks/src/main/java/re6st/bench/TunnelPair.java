package re6st.bench;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Random;

import re6st.netsim.Namespace;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;
import re6st.tunnel.Liveness;
import re6st.tunnel.TunDevice;
import re6st.tunnel.TunnelSession;
import re6st.tunnel.UdpTunnel;
import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataKey;

/**
 * Two namespaces on a veth (underlay 198.18.{@code n}.1 and .2 /24) joined by one
 * {@link UdpTunnel} with fixed keys (TUN {@code r6t0}, MTU 1400, fd00:{@code n}::1 and ::2 /64),
 * passing pings: the set-up the tunnel benchmarks share. Everything belongs to {@code net}.
 */
record TunnelPair(Namespace a, Namespace b, UdpTunnel ta, UdpTunnel tb, String underlayB, String overlayB) {
    static TunnelPair udp(TestNet net, int n) throws Exception {
        Namespace a = net.namespace("a"), b = net.namespace("b");
        net.veth(a, "veth0", b, "veth0");
        String ua = "198.18." + n + ".1", ub = "198.18." + n + ".2";
        a.addAddress("veth0", ua + "/24");
        b.addAddress("veth0", ub + "/24");
        byte[] k1 = new byte[32], k2 = new byte[32];
        new Random(1).nextBytes(k1);
        new Random(2).nextBytes(k2);
        DataKey ab = new DataKey(k1, new byte[] {1, 0, 0, 0}, 0), ba = new DataKey(k2, new byte[] {2, 0, 0, 0}, 0);
        UdpTunnel ta = a.call(() -> new UdpTunnel(TunDevice.open("r6t0"), UdpTunnel.bind(new InetSocketAddress(ua, 1194)),
                new InetSocketAddress(ub, 1194), new TunnelSession(new DataChannel(ab, ba), Liveness.defaults(System.nanoTime())),
                UdpTunnel.Listener.NONE));
        net.own(ta);
        UdpTunnel tb = b.call(() -> new UdpTunnel(TunDevice.open("r6t0"), UdpTunnel.bind(new InetSocketAddress(ub, 1194)), null,
                new TunnelSession(new DataChannel(ba, ab), Liveness.defaults(System.nanoTime())), UdpTunnel.Listener.NONE));
        net.own(tb);
        for (Namespace x : new Namespace[] {a, b})
            x.ip("link", "set", "r6t0", "mtu", "1400", "up");
        String oa = "fd00:" + n + "::1", ob = "fd00:" + n + "::2";
        a.addAddress("r6t0", oa + "/64");
        b.addAddress("r6t0", ob + "/64");
        Wait.until("tunnel passes pings", Duration.ofSeconds(10), () -> a.pings(ob));
        return new TunnelPair(a, b, ta, tb, ub, ob);
    }
}
