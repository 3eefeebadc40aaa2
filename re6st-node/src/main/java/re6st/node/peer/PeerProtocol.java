package re6st.node.peer;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

import re6st.peer.DataMessages;
import re6st.peer.MalformedPeerPacketException;
import re6st.peer.PeerCode;
import re6st.peer.PeerPacket;
import re6st.pki.Certificates;
import re6st.pki.Pem;
import re6st.pki.Rsa;
import re6st.tunnel.handshake.CertificateRefusedException;
import re6st.tunnel.handshake.Credentials;
import re6st.tunnel.handshake.PeerVerifier;

/**
 * The peer protocol's sessions (spec/peer-protocol.md sections 3 and 4), sans I/O: datagrams and
 * time in, datagrams out. One record per peer prefix, found for a datagram by the longest prefix
 * of the sender's bits (its overlay address after the network bits); the handshake of section
 * 3.4 (hello0 rate-limited to one a minute per peer, a new secret accepted only if strictly
 * greater than the one held); data messages accepted when their HMAC is right and their seqno
 * greater than the last; every non-empty message answered (with the application's answer, or an
 * empty ack); a peer is connected while nothing it was sent stays unanswered for a minute.
 * Two clocks: certificates are checked against epoch time ({@code epochMs}), the rate limits and
 * the liveness window run on a monotonic clock ({@code monoMs}), so that a step of the system clock
 * (NTP) neither silences hellos nor ends sessions. Records of peers whose certificate is not known
 * (a send to a prefix, possibly on behalf of any local process) are at most
 * {@link #MAX_UNCERTIFIED}; seqno-1 hellos are answered (an RSA private-key operation that also
 * resets the session) at most once a second per peer.
 * Compatible with the original re6stnet (re6st/tunnel.py, re6st/x509.py). Not thread-safe: one
 * thread (the node's peer loop) drives it.
 */
public final class PeerProtocol {
    /**
     * hello0 at most this often per peer (the original: 60 s, a local policy, not on the wire: a lost
     * hello0 then delayed a session, so an address query or a config flood, by a minute), and a
     * session is dead when a send stays unanswered this long.
     */
    public static final long HELLO_INTERVAL_MS = 5_000, UNANSWERED_MS = 60_000;
    /** A seqno 1 is answered (seqno 2) at most this often per peer; a genuine peer retries its hello0 later. */
    public static final long SEQNO2_INTERVAL_MS = 1_000;
    /** Records without a peer certificate kept at most; the oldest goes first. */
    public static final int MAX_UNCERTIFIED = 64;
    private static final long CONFIRMED = Long.MIN_VALUE, UNCONFIRMED = Long.MIN_VALUE + 1;

    /** What the application answers to an authenticated request (null or empty: an empty ack). */
    @FunctionalInterface
    public interface Answers {
        byte[] answer(String prefix, int code, byte[] body);
    }

    /** A datagram to send: to the anycast address of {@code prefix}, or back to where the datagram being handled came from. */
    public sealed interface Out {
        byte[] datagram();
    }

    /** To the subnet-router anycast address of {@code prefix} (network bits + prefix), port 326. */
    public record Send(String prefix, byte[] datagram) implements Out {
    }

    /** To the source address and port of the datagram being handled. */
    public record Reply(byte[] datagram) implements Out {
    }

    /** Why a datagram changed nothing. */
    public enum Drop {
        MALFORMED, BAD_CERTIFICATE, WRONG_SOURCE, UNKNOWN_PEER, BAD_SIGNATURE, BAD_SECRET, OLD_SECRET, BAD_HMAC, REPLAY,
        /** A seqno 1 within {@link #SEQNO2_INTERVAL_MS} of the last one answered for the same peer: not answered. */
        SEQNO1_RATE_LIMITED
    }

    static final class Peer {
        final String prefix;
        X509Certificate cert;
        byte[] key;
        long received, sent; // i and j of the original
        long last = UNCONFIRMED; // monotonic
        long helloAfter = Long.MIN_VALUE; // monotonic
        long seqno2After = Long.MIN_VALUE; // monotonic
        long protocol;
        byte[] versionKnown;

        Peer(String prefix, byte[] key) {
            this.prefix = prefix;
            this.key = key;
        }
    }

    private Credentials me;
    private final long protocol;
    private byte[] myDer, myFingerprint;
    private final byte[] initialKey;
    private final Supplier<byte[]> secrets;
    private final Supplier<byte[]> version;
    private final TreeMap<String, Peer> peers = new TreeMap<>();
    private final LinkedHashSet<String> uncertified = new LinkedHashSet<>(); // oldest first
    private final Map<Drop, Long> drops = new EnumMap<>(Drop.class);
    private long evicted;

    /**
     * @param protocol our protocol number (10)
     * @param secrets  new 20-byte session secrets, later ones greater (8-byte microsecond time first)
     * @param version  our current network version blob (sent after a handshake, code 0)
     */
    public PeerProtocol(Credentials me, long protocol, Supplier<byte[]> secrets, Supplier<byte[]> version) {
        this.me = me;
        this.protocol = protocol;
        this.secrets = secrets;
        this.version = version;
        ourCertificate(me);
        this.initialKey = secrets.get(); // a lower bound: only a later secret installs a session
    }

    private void ourCertificate(Credentials c) {
        try {
            this.myDer = c.cert().getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("our certificate cannot be encoded", e);
        }
        this.myFingerprint = sha1(myDer);
    }

    /** New credentials (a new CRL, a renewed certificate of ours): records of peers now revoked or expired are forgotten. */
    public void setCredentials(Credentials c, long epochMs) {
        this.me = c;
        ourCertificate(c);
        expire(epochMs);
    }

    /**
     * Forgets the records whose peer certificate is past its notAfter or revoked (as the original
     * at each record's notAfter). Call it at {@link #nextExpiry} at the latest.
     */
    public void expire(long epochMs) {
        peers.values().removeIf(p -> p.cert != null && !valid(p.cert, epochMs));
    }

    /** When the first peer certificate held expires (epoch ms), or Long.MAX_VALUE. */
    public long nextExpiry() {
        long next = Long.MAX_VALUE;
        for (Peer p : peers.values())
            if (p.cert != null)
                next = Math.min(next, p.cert.getNotAfter().getTime());
        return next;
    }

    /** {@link #receive(String, byte[], long, long, Answers)} on a virtual clock where both times are the same (tests). */
    List<Out> receive(String senderBits, byte[] datagram, long nowMs, Answers answers) {
        return receive(senderBits, datagram, nowMs, nowMs, answers);
    }

    /**
     * Handles one datagram from {@code senderBits} (its source address after the network bits).
     *
     * @param epochMs what certificates are checked against
     * @param monoMs  monotonic time: rate limits and liveness
     */
    public List<Out> receive(String senderBits, byte[] datagram, long epochMs, long monoMs, Answers answers) {
        List<Out> out = new ArrayList<>(1);
        PeerPacket packet;
        try {
            packet = PeerPacket.parse(datagram, 0, datagram.length);
        } catch (MalformedPeerPacketException e) {
            drop(Drop.MALFORMED);
            return out;
        }
        if (packet instanceof PeerPacket.Hello0 h) {
            X509Certificate c = verified(h.certificate(), epochMs);
            if (c == null) {
                drop(Drop.BAD_CERTIFICATE);
                return out;
            }
            hello0(senderBits, c, -1, false, monoMs, out);
        } else if (packet instanceof PeerPacket.Hello0Fingerprint h) {
            X509Certificate c = verified(h.certificate(), epochMs);
            PeerPacket.Hello0Fingerprint read = h;
            if (c == null) { // a protocol-0 peer: no protocol field
                try {
                    read = h.asLegacy();
                    c = verified(read.certificate(), epochMs);
                } catch (MalformedPeerPacketException e) {
                    c = null;
                }
            }
            if (c == null) {
                drop(Drop.BAD_CERTIFICATE);
                return out;
            }
            hello0(senderBits, c, read.protocol(), MessageDigest.isEqual(read.fingerprint(), myFingerprint), monoMs, out);
        } else if (packet instanceof PeerPacket.Hello h) {
            hello(senderBits, h, epochMs, monoMs, out);
        } else if (packet instanceof PeerPacket.Data d) {
            data(senderBits, d, epochMs, monoMs, answers, out);
        }
        return out;
    }

    private void hello0(String senderBits, X509Certificate c, long peerProtocol, boolean matches, long monoMs, List<Out> out) {
        String p = Certificates.nodePrefix(c).bits();
        Peer r = lookup(senderBits);
        if (r == null || !r.prefix.equals(p)) {
            if (!senderBits.startsWith(p)) {
                drop(Drop.WRONG_SOURCE);
                return;
            }
            r = peers.computeIfAbsent(p, k -> new Peer(k, initialKey));
        }
        r.cert = c;
        uncertified.remove(r.prefix);
        if (peerProtocol >= 0 && matches) {
            if (monoMs < r.seqno2After) { // a flood of (replayed, spoofed) seqno 1: no RSA operation and no session reset for each
                drop(Drop.SEQNO1_RATE_LIMITED);
                return;
            }
            r.seqno2After = monoMs + SEQNO2_INTERVAL_MS;
            byte[] secret = secrets.get();
            byte[] e = Rsa.encrypt(c.getPublicKey(), secret);
            out.add(new Reply(new PeerPacket.Hello(peerProtocol == 0 ? -1 : protocol, e, Rsa.sign(me.key(), e)).encode()));
            r.key = secret;
            r.received = r.sent = 2;
            r.last = UNCONFIRMED;
            r.protocol = peerProtocol;
            return;
        }
        byte[] h = hello0(r, monoMs);
        if (h != null)
            out.add(new Reply(h));
    }

    private void hello(String senderBits, PeerPacket.Hello h, long epochMs, long monoMs, List<Out> out) {
        Peer r = lookup(senderBits);
        if (r == null || r.cert == null) {
            drop(Drop.UNKNOWN_PEER);
            return;
        }
        if (r.cert.getNotAfter().getTime() < epochMs) {
            peers.remove(r.prefix);
            drop(Drop.BAD_CERTIFICATE);
            return;
        }
        if (!Rsa.verify(r.cert.getPublicKey(), h.encrypted(), h.signature())) {
            drop(Drop.BAD_SIGNATURE);
            return;
        }
        byte[] secret;
        try {
            secret = Rsa.decrypt(me.key(), h.encrypted());
        } catch (GeneralSecurityException | RuntimeException e) {
            drop(Drop.BAD_SECRET);
            return;
        }
        if (secret.length != DataMessages.SECRET_LENGTH) {
            drop(Drop.BAD_SECRET);
            return;
        }
        if (Arrays.compareUnsigned(secret, r.key) <= 0) { // a replay, or it lost the race to a newer one
            drop(Drop.OLD_SECRET);
            return;
        }
        r.key = secret;
        r.received = r.sent = 2;
        r.last = CONFIRMED;
        r.protocol = Math.max(0, h.protocol());
        byte[] v = version.get();
        out.add(new Reply(DataMessages.seal(r.key, ++r.sent, DataMessages.payload(PeerCode.NEW_VERSION, v)).encode()));
        r.last = monoMs; // sent, not yet answered: connected for a minute unless the peer answers
        r.versionKnown = v;
    }

    private void data(String senderBits, PeerPacket.Data d, long epochMs, long monoMs, Answers answers, List<Out> out) {
        Peer r = lookup(senderBits);
        if (r == null) {
            drop(Drop.UNKNOWN_PEER);
            return;
        }
        if (r.cert != null && r.cert.getNotAfter().getTime() < epochMs) {
            peers.remove(r.prefix);
            drop(Drop.BAD_CERTIFICATE);
            return;
        }
        if (!DataMessages.authentic(r.key, d)) {
            drop(Drop.BAD_HMAC);
            return;
        }
        if (d.seqno() <= r.received) {
            drop(Drop.REPLAY);
            return;
        }
        r.received = d.seqno();
        r.last = CONFIRMED;
        if (d.code() < 0)
            return; // an ack is never answered
        byte[] answer = answers.answer(r.prefix, d.code(), d.body());
        byte[] payload = answer == null || answer.length == 0 ? new byte[0] : DataMessages.payload(d.code(), answer);
        out.add(new Reply(DataMessages.seal(r.key, ++r.sent, payload).encode()));
        if (payload.length > 0)
            r.last = monoMs; // as the original's sent(): an answer is a send awaiting its ack
    }

    /**
     * Sends {@code payload} (a code byte and a body; null: only make sure there is a session) to
     * {@code prefix}. Without a live session the payload is dropped and a hello0 is sent instead
     * (at most once a minute per peer), as the original does: the caller tries again later.
     *
     * @param monoMs monotonic time
     * @return what to send; empty when nothing is due
     */
    public List<Out> send(String prefix, byte[] payload, long monoMs) {
        List<Out> out = new ArrayList<>(1);
        Peer r = peers.get(prefix);
        if (r == null) {
            if (uncertified.size() >= MAX_UNCERTIFIED) { // anyone on ::1 can make us send to any prefix: bounded
                Iterator<String> oldest = uncertified.iterator();
                peers.remove(oldest.next());
                oldest.remove();
                evicted++; // not a datagram's drop: what asked for the new record goes on
            }
            r = new Peer(prefix, initialKey);
            peers.put(prefix, r);
            uncertified.add(prefix);
        }
        if (connected(r, monoMs)) {
            if (payload != null) {
                out.add(new Send(prefix, DataMessages.seal(r.key, ++r.sent, payload).encode()));
                if (payload.length > 0 && r.last == CONFIRMED)
                    r.last = monoMs;
            }
            return out;
        }
        byte[] h = hello0(r, monoMs);
        if (h != null)
            out.add(new Send(prefix, h));
        return out;
    }

    /** A hello0 for {@code r} if its rate limit allows: seqno 1 when its certificate is known, else seqno 0. */
    private byte[] hello0(Peer r, long monoMs) {
        if (monoMs <= r.helloAfter)
            return null;
        r.helloAfter = monoMs + HELLO_INTERVAL_MS;
        if (r.cert == null)
            return new PeerPacket.Hello0(myDer).encode();
        try {
            return PeerPacket.Hello0Fingerprint.of(protocol, sha1(r.cert.getEncoded()), myDer).encode();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether the session with {@code prefix} is up: confirmed, and nothing sent to it unanswered for a minute. */
    public boolean connected(String prefix, long monoMs) {
        Peer r = peers.get(prefix);
        return r != null && connected(r, monoMs);
    }

    private static boolean connected(Peer r, long monoMs) {
        return r.last == CONFIRMED || r.last != UNCONFIRMED && monoMs < r.last + UNANSWERED_MS;
    }

    /** Records without a certificate forgotten to make room for a new one ({@link #MAX_UNCERTIFIED}). */
    public long evicted() {
        return evicted;
    }

    /** Records held (with or without a certificate). */
    public int records() {
        return peers.size();
    }

    /** The peer protocol the peer told (0 before its seqno 1 or 2). */
    public long protocolOf(String prefix) {
        Peer r = peers.get(prefix);
        return r == null ? 0 : r.protocol;
    }

    /** Datagrams dropped so far, by reason. */
    public Map<Drop, Long> drops() {
        return new EnumMap<>(drops);
    }

    /** Datagrams dropped so far, all reasons together. */
    public long dropped() {
        long n = 0;
        for (long v : drops.values())
            n += v;
        return n;
    }

    /**
     * The network version {@code prefix} is believed to know (empty before any), or null when
     * there is no record for exactly that prefix: version flooding handshakes with such a peer
     * instead (tunnel.py _babel_dump_new_version).
     */
    public byte[] versionKnownBy(String prefix) {
        Peer r = peers.get(prefix);
        return r == null ? null : r.versionKnown == null ? new byte[0] : r.versionKnown.clone();
    }

    /** Records that {@code prefix} knows {@code version} (it told us, or we told it); nothing without a record. */
    public void setVersionKnownBy(String prefix, byte[] version) {
        Peer r = peers.get(prefix);
        if (r != null)
            r.versionKnown = version.clone();
    }

    /** The record whose prefix is a prefix of {@code senderBits}, if any. */
    private Peer lookup(String senderBits) {
        Map.Entry<String, Peer> e = peers.floorEntry(senderBits);
        return e != null && senderBits.startsWith(e.getKey()) ? e.getValue() : null;
    }

    private X509Certificate verified(byte[] der, long epochMs) {
        X509Certificate c;
        try {
            c = Pem.parseCertificate(der);
        } catch (CertificateException | RuntimeException e) {
            return null;
        }
        return valid(c, epochMs) ? c : null;
    }

    private boolean valid(X509Certificate c, long epochMs) {
        try {
            PeerVerifier.verify(c, me, null, new Date(epochMs));
            Certificates.nodePrefix(c);
            return true;
        } catch (CertificateRefusedException | IllegalArgumentException e) {
            return false;
        }
    }

    private void drop(Drop why) {
        drops.merge(why, 1L, Long::sum);
    }

    private static byte[] sha1(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
