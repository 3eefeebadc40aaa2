package re6st.node.peer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

import re6st.net.Ipv6Prefix;
import re6st.net.Network;
import re6st.peer.DataMessages;
import re6st.peer.LocalDatagram;
import re6st.peer.PeerAddress;
import re6st.peer.PeerCode;
import re6st.peer.Topology;
import re6st.pki.Certificates;
import re6st.tunnel.handshake.Credentials;

/**
 * The node's side of the peer protocol on UDP 326 (spec/peer-protocol.md), sans I/O, driven by
 * one thread with the time passed in: the acceptance filter of section 1.1, the sessions
 * ({@link PeerProtocol}), the codes of section 5 ({@link PeerCodes}), and the relay bit and
 * plaintext {@code [::1]} framing of section 6 by which the registry talks to its co-located
 * node. Datagrams in, datagrams out ({@link PeerDatagram}: to a peer's anycast address, port
 * 326; back to the source of the datagram being handled; or to the local client on {@code ::1}
 * that last wrote, the forward address). Every refused datagram is counted by reason; nothing
 * a datagram holds makes it throw. Two clocks, as {@link PeerProtocol}: {@code epochMs} for
 * certificates, {@code monoMs} (monotonic) for rate limits and liveness.
 */
public final class PeerService {
    /** The peer protocol's port on every node. */
    public static final int PORT = 326;

    /**
     * What the service needs of the node. Called on the thread that drives the service: schedule
     * work, never block.
     */
    public interface Node {
        /** Our tunnel servers' addresses, countries included when the network has same_country (code 1). */
        List<PeerAddress> addresses();

        /** {@code "<software version>, <platform>"} (code 4). */
        String softwareVersion();

        /** Our tunnels (code 5). */
        Topology topology();

        /**
         * {@code prefix} sent its address list (code 1 reply), asked for or not: store it in the
         * peer cache; open a tunnel only if it was asked for in the current tunnel-manager pass.
         */
        void addressReceived(String prefix, String addresses);

        /** A valid version newer than ours came from {@code prefix} and is now ours: fetch the network config in 1 s. */
        void newerVersionSeen(String prefix, byte[] version);

        /** The registry (code 0 on {@code [::1]}) says the network config changed: fetch it in 1 s. */
        void configChangedLocally();

        /** {@code prefix} asks to close the tunnel it has to our server (code 2); the node answers with code 3 if it drains it. */
        void tunnelKillRequested(String prefix);

        /** {@code prefix} drained its side of our outgoing tunnel to it (code 3). */
        void tunnelKillConfirmed(String prefix);

        /** A line {@code prefix} wants logged at the registry's node (code 7); only called on that node. */
        void peerLog(String prefix, String text);
    }

    /** Why the service refused a datagram before the sessions saw it (the sessions' own reasons are {@link PeerProtocol.Drop}). */
    public enum Drop {
        /** From outside the network prefix: another network, link-local, IPv4. */
        NOT_IN_NETWORK,
        /** Four bytes or fewer: not even a seqno and something. */
        TOO_SHORT,
        /** From {@code ::1} but not {@code <prefix> NUL <code> [body]}. */
        NOT_LOCAL_FRAMING,
        /** A local request for a prefix that does not fit in the network's address bits. */
        LOCAL_PREFIX_TOO_LONG
    }

    private final Network network;
    private final String prefix;
    private final PeerProtocol sessions;
    private final PeerCodes codes;
    private final Map<Drop, Long> drops = new EnumMap<>(Drop.class);
    private long accepted, unforwarded;
    private int forwardPort = -1; // the local client on ::1 that relayed answers go to (tunnel.py _forward)

    /**
     * @param registryPrefix the prefix of the registry's node: the only peer answered code 5, and
     *                       the node that logs code 7
     * @param protocol       our peer protocol number (10)
     * @param secrets        new 20-byte session secrets, later ones greater (8-byte microsecond time first)
     * @param version        our network version blob (as in the cached network config)
     */
    public PeerService(Credentials me, Network network, String registryPrefix, long protocol, Supplier<byte[]> secrets,
            byte[] version, Node node) {
        this.network = network;
        this.prefix = Certificates.nodePrefix(me.cert()).bits();
        checkPrefix(registryPrefix);
        checkPrefix(prefix);
        this.sessions = new PeerProtocol(me, protocol, secrets, this::version);
        this.codes = new PeerCodes(node, sessions, me.ca().getPublicKey(), prefix, registryPrefix, version);
    }

    /** Our node prefix. */
    public String prefix() {
        return prefix;
    }

    /** {@link #receive(PeerDatagram, long, long)} on a virtual clock where both times are the same (tests). */
    List<PeerDatagram> receive(PeerDatagram from, long nowMs) {
        return receive(from, nowMs, nowMs);
    }

    /** Handles one received datagram; what to send in answer. */
    public List<PeerDatagram> receive(PeerDatagram from, long epochMs, long monoMs) {
        List<PeerDatagram> out = new ArrayList<>(1);
        if (from.fromLoopback()) {
            local(from, monoMs, out);
            return out;
        }
        String bits = from.address().bits();
        if (!bits.startsWith(network.bits())) {
            drop(Drop.NOT_IN_NETWORK);
            return out;
        }
        byte[] data = from.data();
        if (data.length <= 4) {
            drop(Drop.TOO_SHORT);
            return out;
        }
        long droppedBefore = sessions.dropped();
        List<PeerProtocol.Out> sent = sessions.receive(bits.substring(network.bits().length()), data, epochMs, monoMs,
                (peer, codeByte, body) -> answer(peer, codeByte, body, out));
        if (sessions.dropped() == droppedBefore)
            accepted++;
        for (PeerProtocol.Out o : sent)
            out.add(o instanceof PeerProtocol.Send s ? toPeer(s.prefix(), s.datagram()) : new PeerDatagram(from.address(), from.port(), o.datagram()));
        return out;
    }

    /** An authenticated message from {@code peer}: a relayed answer is forwarded to the local client, the rest is a code. */
    private byte[] answer(String peer, int codeByte, byte[] body, List<PeerDatagram> out) {
        if (PeerCode.relayed(codeByte) && body.length > 0) {
            if (forwardPort < 0)
                unforwarded++;
            else
                out.add(new PeerDatagram(PeerDatagram.LOOPBACK, forwardPort, new LocalDatagram(peer, PeerCode.code(codeByte), body).encode()));
            return null;
        }
        return codes.answer(peer, PeerCode.code(codeByte), body);
    }

    /** Section 6.1: a plaintext request from a local process (the registry), for us or to relay. */
    private void local(PeerDatagram from, long monoMs, List<PeerDatagram> out) {
        byte[] data = from.data();
        LocalDatagram d = LocalDatagram.decode(data, 0, data.length);
        if (d == null) {
            drop(Drop.NOT_LOCAL_FRAMING);
            return;
        }
        if (d.prefix().length() > network.maxNodePrefixLength()) {
            drop(Drop.LOCAL_PREFIX_TOO_LONG);
            return;
        }
        accepted++;
        forwardPort = from.port();
        if (d.prefix().equals(prefix)) {
            byte[] answer = PeerCode.relayed(d.code()) && d.body().length > 0 ? null : codes.answer(null, PeerCode.code(d.code()), d.body());
            if (answer != null && answer.length > 0)
                out.add(new PeerDatagram(from.address(), from.port(), new LocalDatagram(prefix, d.code(), answer).encode()));
            return;
        }
        // Without a session this only starts a handshake and the request is lost: the registry asks again.
        sendPayload(d.prefix(), DataMessages.payload(d.code() | PeerCode.RELAY, d.body()), monoMs, out);
    }

    /**
     * Sends code {@code code} with {@code body} to {@code prefix} (an address query, a tunnel
     * kill, a log line...). Without a live session the message is dropped and a handshake
     * started instead (at most one hello a minute per peer), as the original: ask again later.
     * {@code monoMs}: monotonic time.
     */
    public List<PeerDatagram> send(String prefix, int code, byte[] body, long monoMs) {
        checkPrefix(prefix);
        List<PeerDatagram> out = new ArrayList<>(1);
        sendPayload(prefix, DataMessages.payload(code, body), monoMs, out);
        return out;
    }

    /** Makes sure there is a session with {@code prefix} (handshakes if needed, sends nothing else): nodes keep one with the registry's node. */
    public List<PeerDatagram> keepSession(String prefix, long monoMs) {
        checkPrefix(prefix);
        List<PeerDatagram> out = new ArrayList<>(1);
        sendPayload(prefix, null, monoMs, out);
        return out;
    }

    /**
     * After a config change (5.1): our version to each neighbour whose record shows an older
     * one; a neighbour without a record gets a handshake instead, after which it is told our
     * version anyway.
     */
    public List<PeerDatagram> floodVersion(Collection<String> neighbours, long monoMs) {
        neighbours.forEach(this::checkPrefix); // all before any is sent: a refusal leaves nothing half done
        List<PeerDatagram> out = new ArrayList<>();
        byte[] v = version();
        for (String p : neighbours) {
            byte[] known = sessions.versionKnownBy(p);
            if (known == null) {
                sendPayload(p, null, monoMs, out);
            } else if (Arrays.compareUnsigned(known, v) < 0) {
                boolean up = sessions.connected(p, monoMs); // else the version is not sent, only a hello
                sendPayload(p, DataMessages.payload(PeerCode.NEW_VERSION, v), monoMs, out);
                if (up)
                    sessions.setVersionKnownBy(p, v);
            }
        }
        return out;
    }

    private void sendPayload(String prefix, byte[] payload, long monoMs, List<PeerDatagram> out) {
        for (PeerProtocol.Out o : sessions.send(prefix, payload, monoMs))
            out.add(toPeer(prefix, o.datagram()));
    }

    /** To the subnet-router anycast address of {@code prefix}: network bits, prefix, zeros. */
    private PeerDatagram toPeer(String prefix, byte[] datagram) {
        return new PeerDatagram(Ipv6Prefix.ofBits(network.bits() + prefix).address(), PORT, datagram);
    }

    /**
     * Refuses (IllegalArgumentException) what cannot be a node prefix of this network. Thread-safe:
     * callers on other threads check before queueing.
     */
    public void checkPrefix(String prefix) {
        if (prefix == null || prefix.isEmpty() || prefix.length() > network.maxNodePrefixLength() || !prefix.matches("[01]+"))
            throw new IllegalArgumentException("not a node prefix of network " + network + ": '" + prefix + "' (1 to "
                    + network.maxNodePrefixLength() + " characters 0/1)");
    }

    /** Our network version blob: the config's, or a newer valid one a peer sent. */
    public byte[] version() {
        return codes.version();
    }

    /** The version of the network config the node now holds (after a fetch). */
    public void setVersion(byte[] version) {
        codes.setVersion(version);
    }

    /** New credentials (a new CRL, a renewed certificate): sessions with peers now revoked or expired are forgotten. */
    public void setCredentials(Credentials c, long epochMs) {
        sessions.setCredentials(c, epochMs);
    }

    /** Forgets peers whose certificate expired; due at {@link #nextExpiry()}. */
    public void expire(long epochMs) {
        sessions.expire(epochMs);
    }

    /** When {@link #expire} is next due (epoch ms), or Long.MAX_VALUE. */
    public long nextExpiry() {
        return sessions.nextExpiry();
    }

    public boolean connected(String prefix, long monoMs) {
        return sessions.connected(prefix, monoMs);
    }

    /** Refused datagrams by reason (lower-case names of {@link Drop} and {@link PeerProtocol.Drop}). */
    public Map<String, Long> drops() {
        Map<String, Long> all = new TreeMap<>();
        drops.forEach((k, v) -> all.put(k.name().toLowerCase(Locale.ROOT), v));
        sessions.drops().forEach((k, v) -> all.put(k.name().toLowerCase(Locale.ROOT), v));
        return all;
    }

    /** Datagrams accepted: by the sessions (handshakes, authentic messages) or as local requests. */
    public long accepted() {
        return accepted;
    }

    /**
     * Peer records without a certificate forgotten to make room for a new one (sends to at most
     * {@link PeerProtocol#MAX_UNCERTIFIED} unknown prefixes are remembered: any local process can ask
     * for sends); not in {@link #drops}, which counts datagrams.
     */
    public long evicted() {
        return sessions.evicted();
    }

    /** Relayed answers that came while no local client had written (nowhere to forward them). */
    public long unforwarded() {
        return unforwarded;
    }

    private void drop(Drop why) {
        drops.merge(why, 1L, Long::sum);
    }
}
