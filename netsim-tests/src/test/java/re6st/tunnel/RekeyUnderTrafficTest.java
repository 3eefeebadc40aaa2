package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import re6st.netsim.Iperf;
import re6st.netsim.Namespace;
import re6st.netsim.NsProcess;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;
import re6st.tunnel.data.DataChannel;
import re6st.tunnel.handshake.KeySchedule;

/**
 * Acceptance: rekey under traffic loses nothing. A 30 s iperf3 run through a tunnel whose ends
 * move to new data keys every 0.5 s and 0.7 s (about 100 rekeys in all; the unit test TunnelSessionTest wraps the 8-bit epoch): the
 * data channel drops nothing (no unknown epoch, no failed tag, no replay), each side followed
 * every rekey of the other, and every datagram one end sent was opened by the other (minus any
 * the receiving kernel dropped for a full socket buffer, which is not ours to lose).
 */
@RequiresRoot
class RekeyUnderTrafficTest {
    static final int SECONDS = 30;

    @Test
    void thirtySecondsOfIperfAcrossManyRekeys() throws Exception {
        try (TestNet net = TestNet.create("rekey")) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            net.veth(a, "veth0", b, "veth0");
            a.addAddress("veth0", "198.18.72.1/24");
            b.addAddress("veth0", "198.18.72.2/24");
            byte[] secret = new byte[KeySchedule.SECRET_LENGTH];
            new SecureRandom().nextBytes(secret);
            KeySchedule[] ks = {new KeySchedule(secret, true), new KeySchedule(secret, false)};
            long now = System.nanoTime();
            // b (which waits to hear from a) is bound before a sends its first probe: a datagram to a port not
            // yet bound is counted by b's kernel as NoPorts and was once the "1 lost" this test reported
            UdpTunnel tb = b.call(() -> new UdpTunnel(TunDevice.open("r6t0"),
                    UdpTunnel.bind(new InetSocketAddress("198.18.72.2", 1194)), null,
                    new TunnelSession(ks[1], Liveness.defaults(now), 700_000_000L, now), UdpTunnel.Listener.NONE));
            net.own(tb);
            UdpTunnel ta = a.call(() -> new UdpTunnel(TunDevice.open("r6t0"),
                    UdpTunnel.bind(new InetSocketAddress("198.18.72.1", 1194)), new InetSocketAddress("198.18.72.2", 1194),
                    new TunnelSession(ks[0], Liveness.defaults(now), 500_000_000L, now), UdpTunnel.Listener.NONE));
            net.own(ta);
            for (Namespace n : new Namespace[] {b, a})
                n.ip("link", "set", "r6t0", "mtu", "1400", "up");
            a.addAddress("r6t0", "fd00:72::1/64");
            b.addAddress("r6t0", "fd00:72::2/64");
            Wait.until("tunnel passes pings", Duration.ofSeconds(10), () -> a.pings("fd00:72::2"));
            NsProcess server = Iperf.server(b);
            net.own(server);
            long bufErrorsBefore = rcvbufErrors(a) + rcvbufErrors(b);
            double mbits = Iperf.mbits(a, "fd00:72::2", SECONDS);
            assertTrue(mbits > 0, "iperf3 ran");
            // wait until every datagram sent was opened or dropped by a full socket buffer (the last ones land,
            // and idle-tunnel probes keep crossing meanwhile): a real loss keeps this false until the bound
            long[] bufErrorsNow = {0};
            boolean accounted = Wait.poll(Duration.ofSeconds(30), () -> {
                bufErrorsNow[0] = rcvbufErrors(a) + rcvbufErrors(b) - bufErrorsBefore;
                return lost(ta, tb) <= bufErrorsNow[0];
            });
            long bufErrors = bufErrorsNow[0];
            TunnelSession sa = ta.session(), sb = tb.session();
            System.out.printf("rekey under traffic: %.0f Mbit/s for %d s, rekeys a %d b %d, followed a %d b %d,"
                    + " a sent %d b opened %d, b sent %d a opened %d, socket buffer drops %d%n", mbits, SECONDS,
                    sa.rekeys(), sb.rekeys(), sa.channel().receiveRotations(), sb.channel().receiveRotations(),
                    ta.counters().packetsOut.getCount(), tb.counters().packetsIn.getCount(),
                    tb.counters().packetsOut.getCount(), ta.counters().packetsIn.getCount(), bufErrors);
            assertTrue(sa.rekeys() >= SECONDS && sb.rekeys() >= SECONDS * 5 / 7, "rekeys happened");
            assertEquals(sa.rekeys(), sb.channel().receiveRotations(), "b followed every rekey of a");
            assertEquals(sb.rekeys(), sa.channel().receiveRotations(), "a followed every rekey of b");
            Map<DataChannel.Drop, Long> none = Map.of();
            assertEquals(none, sa.channel().drops(), "a dropped nothing");
            assertEquals(none, sb.channel().drops(), "b dropped nothing");
            long lost = lost(ta, tb);
            assertTrue(accounted && lost >= 0, () -> lost + " datagrams lost after 30 s, " + bufErrors + " dropped by full socket buffers; "
                    + "where a loss could hide (seen once in CI, 1 of 8.5 M: tell where it went next time): " + diagnostics(a, b, ta, tb));
        }
    }

    /** Datagrams one end sent that the other has not opened (yet), both ways. */
    static long lost(UdpTunnel ta, UdpTunnel tb) {
        return ta.counters().packetsOut.getCount() - tb.counters().packetsIn.getCount()
                + tb.counters().packetsOut.getCount() - ta.counters().packetsIn.getCount();
    }

    /** The kernels' UDP error counters and the tunnels' own drop counters, for a failure message. */
    static String diagnostics(Namespace a, Namespace b, UdpTunnel ta, UdpTunnel tb) {
        StringBuilder sb = new StringBuilder();
        for (Namespace n : new Namespace[] {a, b})
            for (String f : new String[] {"InErrors", "RcvbufErrors", "SndbufErrors", "InCsumErrors", "MemErrors", "NoPorts"})
                sb.append(n.label()).append(" Udp ").append(f).append(' ').append(re6st.netsim.ProcStats.snmp(n, "Udp", f)).append("; ");
        for (UdpTunnel t : new UdpTunnel[] {ta, tb})
            sb.append(t == ta ? "a" : "b").append(" tunnel drops: tun ").append(t.counters().dropTun.getCount()).append(", send ")
                    .append(t.counters().dropSend.getCount()).append(", mtu ").append(t.counters().dropMtu.getCount())
                    .append(", malformed ").append(t.counters().dropMalformedTun.getCount()).append("; ");
        return sb.toString();
    }

    /** UDP datagrams the namespace's kernel dropped because a socket's receive buffer was full. */
    static long rcvbufErrors(Namespace ns) {
        return re6st.netsim.ProcStats.snmp(ns, "Udp", "RcvbufErrors");
    }
}
