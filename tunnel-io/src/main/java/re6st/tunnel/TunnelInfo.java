package re6st.tunnel;

import java.net.InetSocketAddress;

/**
 * What the node knows of one tunnel: the peer, the interface Babel runs on, where the peer is,
 * who dialled, the transport, and whether its liveness is up.
 *
 * @param peerCn   the peer certificate's CN ({@code value/length})
 * @param ifname   its TUN interface
 * @param remote   the peer's underlay address
 * @param outgoing we dialled it (re6st: a client tunnel); else it dialled our server
 * @param protocol {@link TunnelTransport#protocol()}
 * @param up       liveness up (probes answered) when the snapshot was taken
 */
public record TunnelInfo(String peerCn, String ifname, InetSocketAddress remote, boolean outgoing, String protocol, boolean up) {
}
