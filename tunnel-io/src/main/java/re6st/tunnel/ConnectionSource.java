package re6st.tunnel;

/**
 * Where a {@link TcpTunnel} gets its connections after the first: a dialling
 * {@link TcpEndpoint} dials again; on a server shared by many peers, {@link TcpTransport} hands
 * each tunnel the connections of its own peer.
 */
interface ConnectionSource {
    /** The connection to use after {@code current}; InterruptedException once the source is closed. */
    TcpConnection next(TcpConnection current) throws InterruptedException;

    TcpCounters counters();

    /** How its connections authenticate (a {@link TcpEndpoint.Dtls} lets the tunnel renew its session in place). */
    TcpEndpoint.Authenticator authenticator();

    /** We dial (so a lost connection is dialled again); else we wait for the peer to connect again. */
    boolean isDialing();

    /** Releases the source (the tunnel owns it). */
    void close();
}
