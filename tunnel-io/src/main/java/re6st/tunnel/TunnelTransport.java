package re6st.tunnel;

import java.net.InetSocketAddress;
import java.util.List;

import re6st.tunnel.handshake.Credentials;

/**
 * One way of carrying tunnels (UDP or TCP, over IPv4 or IPv6), as the node drives it: every
 * tunnel is with one peer (its certificate's CN), has its own TUN interface, is always encrypted
 * and authenticated with the network CA, and reports what happens to it through
 * {@link TransportEvents} (established, down, up, removed, failed). {@link UdpTransport} and
 * {@link TcpTransport} are the two kinds; the node treats them alike. A transport works in the
 * network namespace it was made in, whichever thread later calls it.
 */
public interface TunnelTransport extends AutoCloseable {
    /** {@code udp}, {@code udp6}, {@code tcp} or {@code tcp6}: how re6st names a server's protocol. */
    String protocol();

    /** Where peers reach this transport (the port the kernel chose for port 0); null when it does not accept tunnels. */
    InetSocketAddress localAddress();

    /**
     * Opens a tunnel to {@code peerCn} at {@code address} and keeps it: after a failure or a dead
     * path it dials again (with backoff) until {@link #hangUp} or {@link #close}. The peer must
     * present a certificate of the network with exactly that CN; with {@code peerCn} null, any CN
     * of the network ({@code --client} mode: the node knows the server's address, not its name).
     * Without a name, UDP follows whichever node answers at the address, also on a redial; TCP
     * learns the name at the first handshake and from then on dials that node only.
     */
    void dial(InetSocketAddress address, String peerCn);

    /**
     * The host's underlay changed (one of its addresses went away, the default route changed, a
     * laptop moved to another network): every tunnel we dialled handshakes or connects again at
     * once, from the source address the kernel picks now, instead of waiting for its liveness to
     * fail; its interface and routes carry on. The peer takes the new address over (a new
     * authentication of the same CN moves its tunnel). Tunnels the peers dialled are left to them.
     * Asynchronous.
     */
    void redial();

    /** Closes the tunnel with {@code peerCn}, whichever side dialled, and stops dialling it. Asynchronous. */
    void hangUp(String peerCn);

    /**
     * Stops dialling {@code peerCn} and closes the tunnel we dialled to it, leaving a tunnel it
     * dialled to us open (when both dialled, the node keeps one: the other's). Asynchronous.
     */
    void hangUpOutgoing(String peerCn);

    /**
     * New credentials, normally a new CRL from a new network config: from now on handshakes use
     * them, and live tunnels whose peer is now revoked or expired are closed.
     */
    void setCredentials(Credentials c);

    /** The established tunnels, a consistent snapshot. */
    List<TunnelInfo> tunnels();

    /**
     * The cuts of this transport's tunnels ({@code re6st bench failover}): {@code blackholes().set(cn, true)}
     * silences every tunnel with {@code cn}, also one re-established during the cut, until set back.
     */
    Blackholes blackholes();

    /** The established tunnels with their figures (RTT, bytes, since when), for {@code re6st status} and metrics. */
    List<TunnelStats> stats();

    /** Closes every tunnel (each reported removed) and the sockets. */
    @Override
    void close();
}
