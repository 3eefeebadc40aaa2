package re6st.node.tunnel;

/** What the {@link TunnelManager} decided, counted since it started (for tests, metrics and the simulator). */
public final class TunnelManagerCounters {
    long dialsExpired, passes, refreshes, drainsStarted, drainsCompleted, drainsAborted, bootstraps, dials, addressQueries,
            duplicatesDropped, tunnelsLost, killCodesResent;

    /** Passes of the new-tunnel logic (every 5 s). */
    public long passes() { return passes; }
    /** Dials given up after 2 x timeout without a tunnel or a failure. */
    public long dialsExpired() { return dialsExpired; }

    /** Times the {@code tunnel_refresh} timer fired. */
    public long refreshes() { return refreshes; }

    /** Drains started, by a refresh of ours or a peer's code 2. */
    public long drainsStarted() { return drainsStarted; }

    /** Drains that ended with the tunnel gone: we hung up after code 3, or the owner hung up after ours. */
    public long drainsCompleted() { return drainsCompleted; }

    /** Drains undone after a step timed out, or cut short by the tunnel disappearing by itself. */
    public long drainsAborted() { return drainsAborted; }

    /** {@code getBootstrapPeer} questions asked. */
    public long bootstraps() { return bootstraps; }

    /** Dials, a retry on the peer's next address included. */
    public long dials() { return dials; }

    /** Code-1 address questions sent. */
    public long addressQueries() { return addressQueries; }

    /** Our outgoing tunnels dropped because the peer also dialled us and its prefix is greater. */
    public long duplicatesDropped() { return duplicatesDropped; }

    /** Code 2 or 3 sent again by a pass while a kill was locked (the first may have been dropped for want of a session). */
    public long killCodesResent() { return killCodesResent; }

    /** Established outgoing tunnels the transport reported gone without our asking. */
    public long tunnelsLost() { return tunnelsLost; }
}
