package re6st.tunnel;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;

/**
 * One tunnel's data-plane counters (Dropwizard {@link Counter}s: striped, no allocation per
 * increment). Drops by reason: the data channel's own (replay, authentication, malformed...)
 * are in {@link re6st.tunnel.data.DataChannel#drops()}; these are the I/O side's.
 */
public final class TunnelCounters {
    public final Counter packetsIn = new Counter(), packetsOut = new Counter();
    public final Counter bytesIn = new Counter(), bytesOut = new Counter();
    /** Datagrams not sent: bigger than the path MTU (EMSGSIZE). */
    public final Counter dropMtu = new Counter();
    /** Datagrams not sent for another network error (unreachable, buffers). */
    public final Counter dropSend = new Counter();
    /** Packets from the TUN with an offload description we cannot handle. */
    public final Counter dropMalformedTun = new Counter();
    /** Opened packets the TUN refused (malformed inner packet, or the interface was down). */
    public final Counter dropTun = new Counter();
    /** write/writev calls on the TUN (packets in / writes = coalescing factor). */
    public final Counter tunWrites = new Counter();
    /** sendmsg / recvmsg calls on the UDP socket (datagrams / calls = GSO and GRO batching). */
    public final Counter udpSends = new Counter(), udpReceives = new Counter();

    /**
     * Registers the counters and the session's gauges under {@code prefix} (e.g.
     * "tunnel.re6st0"): packets/bytes each way, drops by reason, RTT, liveness state.
     */
    public void register(MetricRegistry r, String prefix, TunnelSession session) {
        r.register(prefix + ".packets.in", packetsIn);
        r.register(prefix + ".packets.out", packetsOut);
        r.register(prefix + ".bytes.in", bytesIn);
        r.register(prefix + ".bytes.out", bytesOut);
        r.register(prefix + ".drops.mtu", dropMtu);
        r.register(prefix + ".drops.send", dropSend);
        r.register(prefix + ".drops.malformed_tun", dropMalformedTun);
        r.register(prefix + ".drops.tun", dropTun);
        r.register(prefix + ".tun.writes", tunWrites);
        r.register(prefix + ".udp.sends", udpSends);
        r.register(prefix + ".udp.receives", udpReceives);
        for (re6st.tunnel.data.DataChannel.Drop d : re6st.tunnel.data.DataChannel.Drop.values())
            r.register(prefix + ".drops." + d.name().toLowerCase(java.util.Locale.ROOT),
                    (Gauge<Long>) () -> session.channel().dropped(d));
        r.register(prefix + ".rtt.seconds", (Gauge<Double>) () -> {
            long ns = session.liveness().srttNanos();
            return ns < 0 ? Double.NaN : ns / 1e9;
        });
        r.register(prefix + ".rekeys", (Gauge<Long>) session::rekeys);
        PathMtu pm = session.pathMtu();
        if (pm != null) {
            r.register(prefix + ".mtu", (Gauge<Integer>) pm::mtu);
            r.register(prefix + ".mtu.probes.sent", (Gauge<Long>) pm::probesSent);
            r.register(prefix + ".mtu.probes.lost", (Gauge<Long>) pm::probesLost);
            r.register(prefix + ".mtu.lowered", (Gauge<Long>) pm::lowered);
            r.register(prefix + ".mtu.raised", (Gauge<Long>) pm::raised);
        }
        r.register(prefix + ".up", (Gauge<Integer>) () -> session.liveness().state() == Liveness.State.UP ? 1 : 0);
    }
}
