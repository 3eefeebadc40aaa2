package re6st.node.tunnel;

import re6st.peer.PeerAddress;

/**
 * What the {@link TunnelManager} asks the node to do. The node drives its transports, its
 * in-process Babel and its peer protocol; a simulation acts on virtual nodes; a unit test records
 * the calls. Peers are node prefixes as bit strings ({@code 0000000000000111}).
 *
 * <p>Ordering rules: effects come in the order they must take effect. {@code hangUp(p)} comes
 * before a later {@code dial(p, ...)} (switching to the peer's next address), and a kill code is
 * sent only after {@code setCostMultiplier(p, DRAIN)} and a route snapshot showing that no route
 * uses {@code p} any more. The manager never calls back into itself: an effect may feed an event
 * back into the manager only after the current call has returned.
 */
public interface TunnelEffects {
    /**
     * Open an outgoing tunnel to {@code prefix} at this one address (the manager picks it: the
     * first of the list that our transports and {@code same_country} allow), and keep it until
     * {@link #hangUp}. When the attempt fails the node reports {@link TunnelManager#failed}; the
     * manager then hangs up and dials the peer's next address.
     */
    void dial(String prefix, PeerAddress address);

    /** Close our outgoing tunnel to {@code prefix} (or stop dialling it). Never for an incoming tunnel. */
    void hangUp(String prefix);

    /** Ask {@code prefix} its address list (peer protocol code 1, empty body); the answer comes to {@link TunnelManager#addressReceived}. */
    void askAddress(String prefix);

    /** Ask the registry {@code getBootstrapPeer}, off the manager's thread; the outcome comes to {@link TunnelManager#bootstrapAnswer} or {@link TunnelManager#bootstrapFailed}. */
    void askBootstrap();

    /**
     * Set the Babel cost multiplier of the neighbour reached through our tunnel with {@code prefix}
     * ({@link TunnelManager#DRAIN_MULTIPLIER} to move routes away, {@link TunnelManager#NORMAL_MULTIPLIER} to undo).
     */
    void setCostMultiplier(String prefix, int multiplier);

    /** Send peer-protocol code 2 (please drain your side) or 3 (my side is drained) to {@code prefix}. */
    void sendKill(String prefix, int code);
}
