package re6st.tunnel;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;

/**
 * The TCP transport's own counters, next to the data plane's {@link TunnelCounters} (which
 * count packets and bytes the same way for both transports).
 */
public final class TcpCounters {
    /** Connections closed for a bad frame length (0, or more than the largest datagram). */
    public final Counter framingErrors = new Counter();
    /** Connections that completed the handshake (the first one included). */
    public final Counter connections = new Counter();
    /** Connections lost (EOF, reset, or closed for an error) while they carried the tunnel. */
    public final Counter disconnects = new Counter();
    /** Handshakes that failed (refused certificate, peer's alert, EOF, timeout). */
    public final Counter handshakeFailures = new Counter();
    /** Handshakes cut by the handshake timeout. */
    public final Counter handshakeTimeouts = new Counter();
    /** Incoming connections closed at once: too many were handshaking already. */
    public final Counter refusedBusy = new Counter();
    /** Incoming connections closed at once: their address had MAX_PENDING_PER_ADDRESS handshakes in progress already. */
    public final Counter refusedPerAddress = new Counter();
    /** Connections closed because they sent nothing before their handshake while a new client needed the slot. */
    public final Counter evicted = new Counter();
    /** Incoming connections refused after the handshake: another peer than the tunnel's. */
    public final Counter refusedPeer = new Counter();
    /** Connections closed because the peer's certificate was revoked (a new CRL) or expired while they ran. */
    public final Counter closedInvalid = new Counter();
    /** Connection attempts that failed (refused, unreachable, timed out) before the handshake. */
    public final Counter connectFailures = new Counter();
    /** Batches of frames handed to the socket (frames / writes = batching factor). */
    public final Counter writes = new Counter();
    /** Reads from the socket (frames / reads). */
    public final Counter reads = new Counter();

    public void register(MetricRegistry r, String prefix) {
        r.register(prefix + ".tcp.framing_errors", framingErrors);
        r.register(prefix + ".tcp.connections", connections);
        r.register(prefix + ".tcp.disconnects", disconnects);
        r.register(prefix + ".tcp.handshake_failures", handshakeFailures);
        r.register(prefix + ".tcp.handshake_timeouts", handshakeTimeouts);
        r.register(prefix + ".tcp.refused_busy", refusedBusy);
        r.register(prefix + ".tcp.evicted", evicted);
        r.register(prefix + ".tcp.refused_per_address", refusedPerAddress);
        r.register(prefix + ".tcp.refused_peer", refusedPeer);
        r.register(prefix + ".tcp.connect_failures", connectFailures);
        r.register(prefix + ".tcp.closed_revoked_or_expired", closedInvalid);
        r.register(prefix + ".tcp.writes", writes);
        r.register(prefix + ".tcp.reads", reads);
    }
}
