package re6st.netsim.sim;

import re6st.babel.sim.Simulation;
import re6st.peer.PeerAddress;

/**
 * One simulated tunnel, from the dial to the close: trusted (no certificates, no crypto: its
 * handshake is a delay), a Babel link of the underlay's delay once the server accepted it. Each
 * end tells its own tunnel manager when its side is up and when the tunnel is gone, as the
 * transports do.
 */
final class Tunnel {
    final SimNode dialler;
    /** The node at the dialled address; null when no node is there. */
    final SimNode server;
    /** The prefix dialled (the CN the dialler expects). */
    final String prefix;
    final PeerAddress address;
    /** The dialler's end; {@code link.peer()} is the server's. Null until the server accepted. */
    Simulation.Link link;
    /** Established at the server (it counted the client), at the dialler. */
    boolean serverUp, diallerUp;
    boolean closed;

    Tunnel(SimNode dialler, SimNode server, String prefix, PeerAddress address) {
        this.dialler = dialler;
        this.server = server;
        this.prefix = prefix;
        this.address = address;
    }

    @Override
    public String toString() {
        return dialler + "->" + server + (closed ? " (closed)" : diallerUp ? " (up)" : serverUp ? " (up at the server)" : " (dialling)");
    }
}
