package re6st.tunnel;

import java.io.IOException;
import java.net.InetSocketAddress;

import re6st.jni.Tun;

/**
 * What a {@link TunnelTransport} tells its owner (the node), and the one thing it asks: a TUN
 * interface for a newly authenticated peer. Called from the transport's threads: keep them short.
 * The liveness events come as soon as the path is found dead or healed, which is what lets the
 * node fail over in well under a second (Babel: interface down now).
 */
public interface TransportEvents {
    /**
     * A peer authenticated and needs an interface: open one ({@link TunDevice#open}) configured
     * (MTU, addresses), or return null to refuse the peer (e.g. too many clients).
     */
    Tun tunFor(String peerCn, InetSocketAddress remote, boolean outgoing) throws IOException;

    /** The tunnel is established (the first time, or again after a new handshake or connection). */
    default void established(TunnelInfo t) {}

    /** Liveness lost: the path is dead, the interface was set down. */
    default void down(TunnelInfo t) {}

    /** Liveness back: the interface is up again. */
    default void up(TunnelInfo t) {}

    /**
     * We dialled this tunnel, and the peer tells us the source address and port it sees our
     * packets come from ({@link ObservedAddress}): behind a NAT, the NAT's external address. Sent
     * by the peer after the handshake and when it changes; called when it differs from the last one.
     * One peer's word: the node weighs what several peers say.
     */
    default void observed(TunnelInfo t, InetSocketAddress ours) {}

    /** The tunnel is gone (hung up, revoked, dead too long, closing); its interface is closed after this. */
    default void removed(TunnelInfo t) {}

    /**
     * A handshake failed (refused certificate, the peer's alert, time-out). {@code peerCn} is null
     * for an unknown client, or for a dial without a name ({@code remote} is then the server dialled).
     */
    default void failed(String peerCn, InetSocketAddress remote, IOException why) {}
}
