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
     * Registers the counters and the current session's gauges under {@code prefix} (e.g.
     * "tunnel.re6st0"): packets/bytes each way, drops by reason, RTT, rekeys, path MTU, liveness
     * (1 up, 0 down) and its probes sent (what the tunnel's control traffic costs). {@code session} gives the session of the moment (it changes when the peer
     * authenticates again; gauges read 0 while there is none).
     */
    public void register(MetricRegistry r, String prefix, java.util.function.Supplier<TunnelSession> session) {
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
            r.register(prefix + ".drops." + d.name().toLowerCase(java.util.Locale.ROOT), gauge(session, s -> s.channel().dropped(d)));
        r.register(prefix + ".rtt.seconds", gauge(session, s -> s.liveness().srttNanos() < 0 ? 0 : s.liveness().srttNanos() / 1e9));
        r.register(prefix + ".rekeys", gauge(session, TunnelSession::rekeys));
        r.register(prefix + ".mtu", gauge(session, s -> s.pathMtu() != null ? s.pathMtu().mtu() : 0));
        r.register(prefix + ".mtu.probes.sent", gauge(session, s -> s.pathMtu() != null ? s.pathMtu().probesSent() : 0));
        r.register(prefix + ".mtu.probes.lost", gauge(session, s -> s.pathMtu() != null ? s.pathMtu().probesLost() : 0));
        r.register(prefix + ".mtu.lowered", gauge(session, s -> s.pathMtu() != null ? s.pathMtu().lowered() : 0));
        r.register(prefix + ".up", gauge(session, s -> s.liveness().state() == Liveness.State.UP ? 1 : 0));
        r.register(prefix + ".liveness.probes", gauge(session, s -> s.liveness().probesSent()));
    }

    private static Gauge<Number> gauge(java.util.function.Supplier<TunnelSession> session,
            java.util.function.Function<TunnelSession, Number> f) {
        return () -> {
            TunnelSession s = session.get();
            return s == null ? 0 : f.apply(s);
        };
    }
}
