package re6st.babel.mac;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

import re6st.babel.BabelRouter;
import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.wire.DecodedPacket;
import re6st.babel.wire.MalformedPacketException;
import re6st.babel.wire.PacketDecoder;
import re6st.babel.wire.PacketEncoder;
import re6st.babel.wire.TlvType;

/**
 * Babel packets of one interface, bytes in and bytes out: what the protocol core says becomes
 * packets (packed as they fit, each with its RFC 8967 packet counter and MAC trailer when keys
 * are configured, the Hello's RFC 9616 timestamp written as it leaves), and what arrives is
 * decoded and verified (MAC, index and PC, challenges) before the core sees it. No sockets, no
 * threads; time from the injected clock. The daemon and the simulator both go through it, so
 * the simulator exercises the codec and the MAC that the daemon runs.
 *
 * <p>Sending allocates nothing per packet: one reused encoder buffer, pseudo-header and MAC
 * engines; the MAC is computed straight into the trailer. Receiving allocates what the decoder
 * makes of the packet (its messages) and the {@link Opened} record, nothing for the MAC check.
 * Not thread-safe: the core's thread calls it.
 */
public final class PacketProtector {
    private static final Logger LOG = System.getLogger("re6st.babel");

    /** Where a finished packet goes: {@code packet} (position 0, limit its length) is valid only during the call. */
    @FunctionalInterface
    public interface Sink {
        /** @param dst the neighbour for a unicast packet, null for the multicast group */
        void send(ByteBuffer packet, Addr dst);
    }

    /** What became of a received datagram. */
    public enum Outcome {
        /** For the core: {@link Opened#body()}. */
        ACCEPTED,
        /** The 4-byte header is unusable (too short, bad magic or version): nothing read. */
        MALFORMED,
        /** Decoded but refused by RFC 8967 (no or bad MAC, no PC, unknown index, old PC). */
        REJECTED
    }

    /**
     * A received datagram, opened.
     *
     * @param packet    what it decoded to (null when {@link Outcome#MALFORMED})
     * @param unicast   it was sent to our address (known only from the MAC: false without keys)
     * @param macReason the RFC 8967 verdict, null without keys
     * @param reply     challenge messages to send back to the sender, unicast on this interface,
     *                  also when the packet is rejected
     * @param why       for a packet not accepted: what was wrong with it
     */
    public record Opened(Outcome outcome, DecodedPacket packet, boolean unicast, Verdict.Reason macReason,
            List<Message> reply, String why) {
        public boolean accepted() {
            return outcome == Outcome.ACCEPTED;
        }

        /** The messages for the core; empty unless accepted. */
        public List<Message> body() {
            return accepted() ? packet.body() : List.of();
        }
    }

    private final Addr self;
    private final Addr group;
    private final int port;
    private final int maxSize;
    private final RandomGenerator random;
    private final LongSupplier clock;
    private final byte[] pseudoHeader = new byte[PseudoHeader.PREFIX_LENGTH];
    private final byte[] digest = new byte[64];

    private PacketEncoder encoder;
    private Authenticator auth;          // null: no keys, no MAC
    private MacEngine[] signEngines = {};
    private MacEngine[] verifyEngines = {};

    private long packetsSent, unencodable, accepted, malformed, rejected, malformedTlvs, ignoredTlvs;

    /**
     * @param self     this interface's link-local address: source of what we send, destination of unicast we receive
     * @param maxSize  largest datagram, trailer included ({@link PacketEncoder#maxSizeForMtu})
     * @param policy   the MAC keys, null for none
     * @param group    the multicast group (ff02::1:6)
     * @param port     the protocol port, put in both port fields of the MAC pseudo-header
     * @param random   for the PC index and the challenge nonces
     * @param nanoClock monotonic nanoseconds: the Hello timestamp written when a packet is sealed
     */
    public PacketProtector(Addr self, int maxSize, MacPolicy policy, Addr group, int port, RandomGenerator random,
            LongSupplier nanoClock) {
        this.self = Objects.requireNonNull(self, "self");
        this.group = Objects.requireNonNull(group, "group");
        this.port = port;
        this.maxSize = maxSize;
        this.random = Objects.requireNonNull(random, "random");
        this.clock = Objects.requireNonNull(nanoClock, "nanoClock");
        setPolicy(policy);
    }

    /**
     * Changes the keys at run time (rotation: neighbours' indexes and PCs are kept), or turns MAC
     * on or off (null). The packet size left for the body follows the new trailer.
     */
    public void setPolicy(MacPolicy policy) {
        if (policy == null) {
            auth = null;
            signEngines = verifyEngines = new MacEngine[0];
        } else {
            if (auth == null)
                auth = new Authenticator(policy, random, port);
            else
                auth.setPolicy(policy);
            signEngines = engines(policy.sign());
            verifyEngines = engines(policy.verifyKeys());
        }
        encoder = new PacketEncoder(maxSize, policy == null ? 0 : policy.trailerLength(), self);
    }

    private static MacEngine[] engines(List<MacKey> keys) {
        MacEngine[] e = new MacEngine[keys.size()];
        for (int i = 0; i < e.length; i++)
            e[i] = new MacEngine(keys.get(i));
        return e;
    }

    /** The keys in use, null without MAC. */
    public MacPolicy policy() {
        return auth == null ? null : auth.policy();
    }

    // ------------------------------------------------------------ sending

    /**
     * Packs {@code messages} for {@code dst} (null: the multicast group) into as few packets as
     * they fit, in order, and gives each to {@code sink}. A message that cannot be encoded (larger
     * than a packet, a field out of range) is left out, logged and counted; the others go.
     *
     * @return the number of messages left out
     */
    public int pack(List<Message> messages, Addr dst, Sink sink) {
        int left = 0, inPacket = 0;
        start();
        for (int i = 0, n = messages.size(); i < n; i++) {
            Message m = messages.get(i);
            int r = add(m, dst);
            if (r == FULL && inPacket > 0) {
                seal(dst, sink);
                start();
                inPacket = 0;
                r = add(m, dst);
                if (r == FULL) {
                    LOG.log(Level.WARNING, "message to {0} on {1} left out: larger than a packet of {2} bytes: {3}",
                            dst == null ? group : dst, self, maxSize, m);
                    r = UNENCODABLE;
                }
            }
            if (r == ADDED) {
                inPacket++;
            } else {
                left++;
                unencodable++;
            }
        }
        if (inPacket > 0)
            seal(dst, sink);
        return left;
    }

    private static final int ADDED = 0, FULL = 1, UNENCODABLE = 2;

    private int add(Message m, Addr dst) {
        try {
            return encoder.add(m) ? ADDED : FULL;
        } catch (IllegalArgumentException e) { // the encoder wrote nothing; a core bug, the other messages go
            LOG.log(Level.WARNING, "message to {0} on {1} left out: {2}", dst == null ? group : dst, self, e.getMessage());
            return UNENCODABLE;
        }
    }

    /** A fresh packet; with MAC on, it starts with this interface's packet counter (RFC 8967). */
    private void start() {
        encoder.reset();
        if (auth != null) {
            PacketCounter c = auth.counter();
            long pc = c.advance();
            encoder.addPc(pc, c.index());
        }
    }

    private void seal(Addr dst, Sink sink) {
        if (encoder.hasTimestampedHello())
            encoder.stampHello(BabelRouter.micros(clock.getAsLong())); // RTT: the time it really leaves
        int len = encoder.finish();
        if (auth != null) {
            PseudoHeader.write(pseudoHeader, self, port, dst == null ? group : dst, port);
            byte[] buf = encoder.array();
            for (MacEngine e : signEngines) {
                int at = encoder.appendMac(e.digestLength());
                if (at < 0) // the encoder reserved the policy's trailer length
                    throw new IllegalStateException("no room for the MAC of key " + e.key().id() + " in a packet of " + maxSize);
                e.compute(pseudoHeader, buf, 0, len, buf, at);
            }
        }
        packetsSent++;
        sink.send(encoder.buffer(), dst);
    }

    // ------------------------------------------------------------ receiving

    /**
     * Opens the datagram {@code data[off .. off+len)} received from {@code src} (a link-local
     * address). Never throws for what the datagram holds: a bad header, a bad MAC, a replay is
     * a counted outcome. With keys, the destination (group or us) is the one the MAC verifies
     * with: Java cannot tell it otherwise.
     */
    public Opened open(byte[] data, int off, int len, Addr src, long now) {
        DecodedPacket p;
        try {
            p = PacketDecoder.decode(data, off, len, src);
        } catch (MalformedPacketException e) {
            malformed++;
            return new Opened(Outcome.MALFORMED, null, false, null, List.of(), e.getMessage());
        }
        malformedTlvs += p.malformedCount();
        ignoredTlvs += p.ignoredCount();
        if (auth == null) {
            accepted++;
            return new Opened(Outcome.ACCEPTED, p, false, null, List.of(), null);
        }
        Addr dst = macDestination(data, off + len, p, src);
        Verdict.Reason mac = dst != null ? null : p.trailer().isEmpty() ? Verdict.Reason.NO_MAC : Verdict.Reason.BAD_MAC;
        boolean unicast = dst == self;
        Verdict v = auth.decide(mac, src, !unicast, p.body(), now);
        if (!v.accepted()) {
            rejected++;
            return new Opened(Outcome.REJECTED, p, unicast, v.reason(), v.toSend(), "RFC 8967: " + v.reason());
        }
        accepted++;
        return new Opened(Outcome.ACCEPTED, p, unicast, v.reason(), v.toSend(), null);
    }

    /** The destination (group, then us) whose pseudo-header makes one of the trailer's MACs verify; null if none. */
    private Addr macDestination(byte[] data, int end, DecodedPacket p, Addr src) {
        if (p.trailer().isEmpty())
            return null;
        return verifiesFor(group, data, end, p, src) ? group : verifiesFor(self, data, end, p, src) ? self : null;
    }

    private boolean verifiesFor(Addr dst, byte[] data, int end, DecodedPacket p, Addr src) {
        PseudoHeader.write(pseudoHeader, src, port, dst, port);
        for (MacEngine e : verifyEngines)
            if (verifies(e, data, p.macCoveredOffset(), p.macCoveredLength(), end))
                return true;
        return false;
    }

    /** Whether a MAC TLV of the trailer ({@code data[off+covered .. end)}) holds {@code e}'s MAC; computed once, if needed. */
    private boolean verifies(MacEngine e, byte[] data, int off, int covered, int end) {
        int n = e.digestLength();
        boolean computed = false;
        for (int at = off + covered; at < end; ) {
            int type = data[at] & 0xFF;
            if (type == TlvType.PAD1) {
                at++;
                continue;
            }
            if (at + 2 > end)
                return false;
            int l = data[at + 1] & 0xFF;
            if (at + 2 + l > end)
                return false;
            if (type == TlvType.MAC && l == n) {
                if (!computed) {
                    e.compute(pseudoHeader, data, off, covered, digest, 0);
                    computed = true;
                }
                if (constantTimeEquals(digest, data, at + 2, n))
                    return true;
            }
            at += 2 + l;
        }
        return false;
    }

    private static boolean constantTimeEquals(byte[] a, byte[] b, int bOff, int n) {
        int d = 0;
        for (int i = 0; i < n; i++)
            d |= a[i] ^ b[bOff + i];
        return d == 0;
    }

    /** The interface went down: every neighbour's index and PCs are forgotten, its next packet is challenged. */
    public void forgetNeighbours() {
        if (auth != null)
            auth.forgetAll();
    }

    // ------------------------------------------------------------ counters

    public long packetsSent() {
        return packetsSent;
    }

    /** Messages {@link #pack} left out. */
    public long unencodable() {
        return unencodable;
    }

    public long accepted() {
        return accepted;
    }

    /** Datagrams whose header was unusable. */
    public long malformed() {
        return malformed;
    }

    /** Datagrams refused by RFC 8967. */
    public long rejected() {
        return rejected;
    }

    /** TLVs skipped because they failed to parse (in packets that decoded). */
    public long malformedTlvs() {
        return malformedTlvs;
    }

    /** TLVs deliberately ignored (unknown, not for us). */
    public long ignoredTlvs() {
        return ignoredTlvs;
    }

    /** Received packets by RFC 8967 verdict; empty without keys. */
    public Map<Verdict.Reason, Long> macCounts() {
        return auth == null ? Map.of() : auth.counts();
    }
}
