package re6st.tunnel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;

import re6st.jni.Tun;
import re6st.jni.UdpSocket;
import re6st.tunnel.handshake.Credentials;

/** Tunnels over one UDP socket ({@link UdpEndpoint}: DTLS 1.2 handshakes, AES-256-GCM data), as a {@link TunnelTransport}. */
public final class UdpTransport implements TunnelTransport {
    private final UdpEndpoint endpoint;
    private final String protocol;
    private final InetSocketAddress local;

    /** Takes {@code udp} (bound in the calling thread's namespace) and starts the endpoint. */
    public UdpTransport(UdpSocket udp, Credentials me, UdpEndpoint.Options options, TransportEvents events) throws IOException {
        this.local = options.accept() ? udp.localAddress() : null;
        this.protocol = udp.isIpv6() ? "udp6" : "udp";
        this.endpoint = new UdpEndpoint(udp, me, options, new UdpEndpoint.Handler() {
            @Override
            public Tun tunFor(String peerCn, InetSocketAddress address, boolean dialled) throws IOException {
                return events.tunFor(peerCn, address, dialled);
            }

            @Override
            public Tun tunFor(String peerCn, InetSocketAddress address) throws IOException {
                return tunFor(peerCn, address, false); // not called: the endpoint asks with the direction
            }

            @Override
            public void established(UdpEndpoint.PeerTunnel p, boolean first) {
                events.established(info(p));
            }

            @Override
            public void down(UdpEndpoint.PeerTunnel p) {
                events.down(info(p));
            }

            @Override
            public void up(UdpEndpoint.PeerTunnel p) {
                events.up(info(p));
            }

            @Override
            public void handshakeFailed(UdpEndpoint.PeerTunnel p, InetSocketAddress address, IOException why) {
                events.failed(p == null ? null : p.cn() != null ? p.cn() : p.expectedCn, address, why);
            }

            @Override
            public void observed(UdpEndpoint.PeerTunnel p, InetSocketAddress ours) {
                events.observed(info(p), ours);
            }

            @Override
            public void removed(UdpEndpoint.PeerTunnel p) {
                if (p.tun() != null && p.cn() != null)
                    events.removed(info(p));
            }
        });
    }

    private TunnelInfo info(UdpEndpoint.PeerTunnel p) {
        return new TunnelInfo(p.cn(), p.tun() == null ? null : p.tun().name(), p.address(), p.isDialer(), protocol, p.isUp());
    }

    /** The endpoint itself: its counters, metrics and cookie gate. */
    public UdpEndpoint endpoint() {
        return endpoint;
    }

    @Override
    public String protocol() {
        return protocol;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public void dial(InetSocketAddress address, String peerCn) {
        endpoint.connect(address, peerCn); // null: any CN of the network, known once the handshake is done
    }

    @Override
    public void redial() {
        endpoint.redial();
    }

    @Override
    public void hangUp(String peerCn) {
        endpoint.hangUp(peerCn);
    }

    @Override
    public void hangUpOutgoing(String peerCn) {
        endpoint.hangUpOutgoing(peerCn);
    }

    @Override
    public void setCredentials(Credentials c) {
        endpoint.setCredentials(c);
    }

    @Override
    public List<TunnelInfo> tunnels() {
        try {
            return endpoint.peers(this::info);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    @Override
    public Blackholes blackholes() {
        return endpoint.blackholes();
    }

    @Override
    public List<TunnelStats> stats() {
        try {
            return endpoint.peers(p -> TunnelStats.of(info(p), p.establishedAt, p.session, p.counters));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    @Override
    public void close() {
        try {
            endpoint.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
