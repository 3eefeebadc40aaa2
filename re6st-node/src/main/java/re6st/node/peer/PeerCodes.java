package re6st.node.peer;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.Arrays;

import re6st.peer.PeerAddress;
import re6st.peer.PeerCode;
import re6st.registry.protocol.NetworkVersion;

/**
 * What a node does with each code of spec/peer-protocol.md section 5, as the original's
 * _processPacket (tunnel.py): the answer to a request, or the node told about a reply. The
 * relay bit is already cleared and relayed answers already forwarded ({@link PeerService}); a
 * null {@code peer} is a local request through {@code [::1]}, unauthenticated. Also holds our
 * network version, since a newer valid one is adopted at once (later versions are compared with
 * it) while the node fetches the config that comes with it.
 */
final class PeerCodes {
    private final PeerService.Node node;
    private final PeerProtocol sessions;
    private final PublicKey caKey;
    private final String ownPrefix, registryPrefix;
    private byte[] version;

    PeerCodes(PeerService.Node node, PeerProtocol sessions, PublicKey caKey, String ownPrefix, String registryPrefix, byte[] version) {
        this.node = node;
        this.sessions = sessions;
        this.caKey = caKey;
        this.ownPrefix = ownPrefix;
        this.registryPrefix = registryPrefix;
        this.version = version.clone();
    }

    byte[] version() {
        return version.clone();
    }

    void setVersion(byte[] v) {
        version = v.clone();
    }

    /** The answer to {@code code} (relay bit cleared) with {@code body} from {@code peer} (null: local); null for none. */
    byte[] answer(String peer, int code, byte[] body) {
        switch (code) {
            case PeerCode.NEW_VERSION:
                if (peer == null) {
                    node.configChangedLocally(); // the registry's way to say "fetch the config"
                    return null;
                }
                return versionFrom(peer, body);
            case PeerCode.ADDRESS:
                if (body.length > 0) {
                    if (peer != null)
                        node.addressReceived(peer, text(body));
                    return null;
                }
                // A local asker (the registry) gets every field; peers below protocol 7 cannot read the country.
                String list = PeerAddress.format(node.addresses(), peer == null ? Long.MAX_VALUE : sessions.protocolOf(peer));
                return list.isEmpty() ? null : bytes(list);
            case PeerCode.TUNNEL_KILL_REQUEST:
                if (peer != null)
                    node.tunnelKillRequested(peer);
                return null;
            case PeerCode.TUNNEL_KILL_RESPONSE:
                if (peer != null)
                    node.tunnelKillConfirmed(peer);
                return null;
            case PeerCode.VERSION:
                return body.length == 0 ? bytes(node.softwareVersion()) : null;
            case PeerCode.TOPOLOGY: // for the registry's debugging only
                return peer == null || peer.equals(registryPrefix) ? bytes(node.topology().format()) : null;
            case PeerCode.LOG:
                if (peer != null && ownPrefix.equals(registryPrefix))
                    node.peerLog(peer, text(body));
                return null;
            default:
                return null; // unknown codes get an empty ack, so that the sender still knows we are there
        }
    }

    /** Code 0 from a peer (5.1): ours back when it is older, adopted when newer; either way the peer now knows ours. */
    private byte[] versionFrom(String peer, byte[] v) {
        try {
            if (Arrays.equals(v, version) || !valid(v))
                return null;
            if (Arrays.compareUnsigned(v, version) < 0)
                return version.clone();
            version = v.clone();
            node.newerVersionSeen(peer, version.clone());
            return null;
        } finally {
            sessions.setVersionKnownBy(peer, version);
        }
    }

    private boolean valid(byte[] v) {
        try {
            NetworkVersion.verify(v, caKey);
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
