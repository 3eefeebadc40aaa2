package re6st.babel.mac;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;

/**
 * RFC 8967 MAC authentication for one Babel interface, as babeld 1.12.1 does it. Pure: no
 * sockets, no threads, no clock (times are passed in as nanoseconds from the caller's monotonic
 * clock). Not thread-safe: call it from the protocol core's single thread.
 *
 * <h2>Sending</h2>
 * For every packet sent on the interface, multicast or unicast:
 * <ol>
 * <li>put {@link #nextPc()} in the body (once per packet, anywhere in the body);</li>
 * <li>encode header and body, then append {@link #sign} of that range as the trailer
 *     (one MAC TLV per sign key; never Pad1/PadN in the trailer). Reserve
 *     {@link #trailerLength()} bytes when sizing the body.</li>
 * </ol>
 * {@code src} is the interface's link-local address the packet is sent from, {@code dst} the
 * destination (ff02::1:6 or the neighbour). Both ports in the pseudo-header are the protocol
 * port (see {@link PseudoHeader}), so the socket must send from that port.
 *
 * <h2>Receiving</h2>
 * Decode the packet, then call {@link #check} with the datagram, the decoded body and trailer
 * (the {@link Message.Mac} entries of the trailer are what is verified; other trailer TLVs are
 * ignored). If the verdict is not accepted, ignore the body. In every case send
 * {@link Verdict#toSend()} (challenge request/reply) to the packet's source in a unicast packet
 * on this interface, soon (babeld flushes it immediately). The core ignores Pc, Mac and
 * Challenge* messages itself: they are handled here.
 *
 * <h2>Order of checks (babeld {@code parse_packet} / {@code preparse_packet})</h2>
 * <ol>
 * <li>A MAC TLV matching a sign or accept key, else {@code NO_MAC} / {@code BAD_MAC}: dropped, or
 *     accepted without any PC or challenge processing under accept-bad-signatures.</li>
 * <li>The first PC TLV of the body; challenge requests (ignored if the packet was multicast); each
 *     challenge reply is checked against our outstanding nonce (at most 30 s old).</li>
 * <li>No PC: {@code NO_PC}, dropped. A matching reply: index and PC stored (as both the unicast
 *     and the multicast reference), {@code CHALLENGE_SUCCEEDED}. An unknown index: a challenge
 *     request (at most one per 300 ms, new 8-byte nonce) and {@code UNKNOWN_INDEX}, dropped. Else
 *     the PC must be greater than the last one received by the same kind of destination
 *     (multicast or unicast), else {@code OLD_PC}, dropped.</li>
 * <li>A challenge request is answered with a reply carrying the same nonce (at most one per
 *     300 ms), unless the packet was dropped as {@code OLD_PC} (a replayed request).</li>
 * </ol>
 * Neighbour state is created only for packets whose MAC verified; {@link #forget} drops it when the
 * core forgets the neighbour.
 */
public final class Authenticator {
    private static final System.Logger LOG = System.getLogger(Authenticator.class.getName());
    /** Longest challenge nonce babeld accepts. */
    private static final int MAX_NONCE_LENGTH = 192;

    private final RandomGenerator random;
    private final int protocolPort;
    private final PacketCounter counter;
    private final Map<Addr, NeighbourMacState> neighbours = new HashMap<>();
    private final long[] counts = new long[Verdict.Reason.values().length];
    // The verdicts without messages, made once: the receiving path allocates none for them.
    private static final Verdict AUTHENTICATED = Verdict.accept(Verdict.Reason.AUTHENTICATED, List.of());
    private static final Verdict OLD_PC = Verdict.drop(Verdict.Reason.OLD_PC, List.of());
    private static final Verdict ACCEPTED_NO_MAC = Verdict.accept(Verdict.Reason.NO_MAC, List.of());
    private static final Verdict ACCEPTED_BAD_MAC = Verdict.accept(Verdict.Reason.BAD_MAC, List.of());
    private static final Verdict DROPPED_NO_MAC = Verdict.drop(Verdict.Reason.NO_MAC, List.of());
    private static final Verdict DROPPED_BAD_MAC = Verdict.drop(Verdict.Reason.BAD_MAC, List.of());
    private MacPolicy policy;
    private long challengeRequestsSent, challengeRepliesSent;

    /** Production: SecureRandom, port 6696. */
    public Authenticator(MacPolicy policy) {
        this(policy, new SecureRandom(), PseudoHeader.BABEL_PORT);
    }

    /**
     * @param random       source of the index and nonces (a {@link SecureRandom} outside tests)
     * @param protocolPort the Babel port, put in both port fields of the pseudo-header
     */
    public Authenticator(MacPolicy policy, RandomGenerator random, int protocolPort) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.random = Objects.requireNonNull(random, "random");
        if (protocolPort <= 0 || protocolPort > 0xFFFF)
            throw new IllegalArgumentException("protocol port " + protocolPort + " outside 1..65535");
        this.protocolPort = protocolPort;
        this.counter = new PacketCounter(random);
    }

    public MacPolicy policy() {
        return policy;
    }

    /** Replaces the keys (rotation). Neighbours' indexes and PCs are kept: they do not depend on keys. */
    public void setPolicy(MacPolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** The PC TLV to put in the body of the next packet sent on this interface. */
    public Message.Pc nextPc() {
        return counter.next();
    }

    /** Bytes {@link #sign} will return: room to reserve after the body. */
    public int trailerLength() {
        return policy.trailerLength();
    }

    /**
     * The trailer of a packet: one MAC TLV (type 16, length, digest) per sign key, in order.
     *
     * @param packet header and body at {@code packet[off .. off+len)}; the header's body length
     *               must be {@code len - 4}
     */
    public byte[] sign(byte[] packet, int off, int len, Addr src, Addr dst) {
        int bodyLen = bodyLength(packet, off, len);
        if (bodyLen != len - 4)
            throw new IllegalArgumentException("sign: header says " + bodyLen + " body bytes, range holds " + (len - 4));
        byte[] prefix = PseudoHeader.prefix(src, protocolPort, dst, protocolPort);
        byte[] trailer = new byte[policy.trailerLength()];
        int at = 0;
        for (MacKey k : policy.sign()) {
            byte[] mac = k.compute(prefix, packet, off, len);
            trailer[at++] = 16;
            trailer[at++] = (byte) mac.length;
            System.arraycopy(mac, 0, trailer, at, mac.length);
            at += mac.length;
        }
        return trailer;
    }

    /**
     * Decides whether to accept a received packet.
     *
     * @param packet    the datagram at {@code packet[off .. off+len)} (header, body, trailer); the
     *                  MAC covers the header and the body length the header gives, clamped to the
     *                  datagram as babeld does (a header claiming more body than arrived is
     *                  checked over what arrived: the packet is received as truncated, never thrown)
     * @param src       the source address (the neighbour, link-local)
     * @param dst       the destination address the packet was sent to (ff02::1:6 or ours)
     * @param multicast whether {@code dst} is a multicast address
     * @param body      the decoded body
     * @param trailer   the decoded trailer (its {@link Message.Mac} entries)
     * @param nowNanos  the current time from the caller's monotonic clock
     */
    public Verdict check(byte[] packet, int off, int len, Addr src, Addr dst, boolean multicast,
            List<Message> body, List<Message> trailer, long nowNanos) {
        int bodyLen = Math.min(bodyLength(packet, off, len), len - 4); // babeld: "Received truncated packet", bodylen = len - 4
        return decide(verifyMac(packet, off, 4 + bodyLen, src, dst, trailer), src, multicast, body, nowNanos);
    }

    /**
     * The part of {@link #check} after the MAC: {@code macResult} is null when a MAC verified
     * (the caller computed it, e.g. {@link PacketProtector} with its reusable engines), else
     * {@code NO_MAC} or {@code BAD_MAC}.
     */
    Verdict decide(Verdict.Reason macResult, Addr src, boolean multicast, List<Message> body, long nowNanos) {
        if (macResult != null) {
            if (policy.acceptBadSignatures()) {
                LOG.log(System.Logger.Level.DEBUG, "accepting packet from {0} with {1} (accept-bad-signatures)", src, macResult);
                return count(macResult == Verdict.Reason.NO_MAC ? ACCEPTED_NO_MAC : ACCEPTED_BAD_MAC);
            }
            return count(macResult == Verdict.Reason.NO_MAC ? DROPPED_NO_MAC : DROPPED_BAD_MAC);
        }
        return count(replayCheck(src, multicast, body, nowNanos));
    }

    /** Drops what we know about a neighbour (when the core forgets it): its next packet is challenged. */
    public void forget(Addr neighbour) {
        neighbours.remove(neighbour);
    }

    /** Drops what we know about every neighbour (the interface went down). */
    public void forgetAll() {
        neighbours.clear();
    }

    /** Number of neighbours with MAC state. */
    public int neighbourCount() {
        return neighbours.size();
    }

    /** How many packets got each reason (accepted or not), since creation. */
    public Map<Verdict.Reason, Long> counts() {
        EnumMap<Verdict.Reason, Long> m = new EnumMap<>(Verdict.Reason.class);
        for (Verdict.Reason r : Verdict.Reason.values())
            if (counts[r.ordinal()] > 0)
                m.put(r, counts[r.ordinal()]);
        return m;
    }

    /** The sender's packet counter of this interface. */
    PacketCounter counter() {
        return counter;
    }

    public long challengeRequestsSent() {
        return challengeRequestsSent;
    }

    public long challengeRepliesSent() {
        return challengeRepliesSent;
    }

    /** null if a MAC verified, else NO_MAC or BAD_MAC. Each key's MAC is computed once. */
    private Verdict.Reason verifyMac(byte[] packet, int off, int len, Addr src, Addr dst, List<Message> trailer) {
        List<byte[]> macs = new ArrayList<>();
        for (Message m : trailer)
            if (m instanceof Message.Mac mac)
                macs.add(mac.digest());
        if (macs.isEmpty())
            return Verdict.Reason.NO_MAC;
        byte[] prefix = PseudoHeader.prefix(src, protocolPort, dst, protocolPort);
        for (MacKey k : policy.verifyKeys()) {
            byte[] expected = null;
            for (byte[] got : macs) {
                if (got.length != k.digestLength())
                    continue;
                if (expected == null)
                    expected = k.compute(prefix, packet, off, len);
                if (MessageDigest.isEqual(expected, got))
                    return null;
            }
        }
        return Verdict.Reason.BAD_MAC;
    }

    private Verdict replayCheck(Addr src, boolean multicast, List<Message> body, long now) {
        NeighbourMacState n = neighbours.computeIfAbsent(src, a -> new NeighbourMacState());
        Message.Pc pc = null;
        byte[] requestNonce = null;
        boolean challengeSucceeded = false;
        for (Message m : body) {
            if (m instanceof Message.Pc p) {
                if (pc == null)
                    pc = p;
            } else if (m instanceof Message.ChallengeRequest r) {
                byte[] nonce = r.nonce();
                if (!multicast && nonce.length <= MAX_NONCE_LENGTH)
                    requestNonce = nonce;
            } else if (m instanceof Message.ChallengeReply r) {
                if (!challengeSucceeded && n.answers(r.nonce(), now))
                    challengeSucceeded = true;
            }
        }

        List<Message> toSend = null; // allocated only when there is something to send
        Verdict.Reason reason;
        if (pc == null) {
            reason = Verdict.Reason.NO_PC;
        } else if (challengeSucceeded) {
            n.learn(pc.index(), pc.pc());
            reason = Verdict.Reason.CHALLENGE_SUCCEEDED;
        } else if (!n.knowsIndex(pc.index())) {
            byte[] nonce = n.newChallenge(random, now);
            if (nonce != null) {
                toSend = new ArrayList<>(2);
                toSend.add(new Message.ChallengeRequest(nonce));
                challengeRequestsSent++;
            }
            reason = Verdict.Reason.UNKNOWN_INDEX;
        } else if (!n.advance(pc.pc(), multicast)) {
            // Possibly a replay: answering its challenge request would help an attacker.
            return OLD_PC;
        } else {
            reason = Verdict.Reason.AUTHENTICATED;
        }
        if (requestNonce != null && n.mayReply(now)) {
            if (toSend == null)
                toSend = new ArrayList<>(1);
            toSend.add(new Message.ChallengeReply(requestNonce));
            challengeRepliesSent++;
        }
        if (reason == Verdict.Reason.AUTHENTICATED && toSend == null)
            return AUTHENTICATED;
        boolean accepted = reason == Verdict.Reason.AUTHENTICATED || reason == Verdict.Reason.CHALLENGE_SUCCEEDED;
        return new Verdict(accepted, reason, toSend == null ? List.of() : toSend);
    }

    private Verdict count(Verdict v) {
        counts[v.reason().ordinal()]++;
        return v;
    }

    private static int bodyLength(byte[] packet, int off, int len) {
        Objects.checkFromIndexSize(off, len, packet.length);
        if (len < 4)
            throw new IllegalArgumentException("packet of " + len + " bytes has no 4-byte header");
        return ((packet[off + 2] & 0xFF) << 8) | (packet[off + 3] & 0xFF);
    }
}
