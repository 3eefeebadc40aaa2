package re6st.tunnel.data;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

import re6st.tunnel.ReplayWindow;

/**
 * The data channel of one tunnel: seals outgoing packets with the current send key and opens
 * incoming ones with the receive key of their epoch (current or previous, so packets in flight
 * during a rekey still arrive), rejecting replays with a sliding window per key. AES-256-GCM
 * from the JDK (hardware accelerated). Not thread-safe: one sealing thread and one opening
 * thread may use it at the same time (the two sides share nothing), no more.
 *
 * <p>Bad input never throws: {@link #open} returns a negative {@link Drop} code and counts it.
 */
public final class DataChannel {
    /** Why a received packet was dropped ({@link #open} returns {@code -(ordinal + 1)}). */
    public enum Drop {
        TRUNCATED, NOT_DATA, UNKNOWN_EPOCH, AUTH_FAILED, REPLAY, TOO_BIG,
        /** A session tag (byte 2) of no key the tunnel holds: dropped without any cryptography ({@code TunnelSession}). */
        UNKNOWN_SESSION
    }

    /** Counters beyond this need a rekey (GCM stays far within its limits: 2^32 would be the usual bound). */
    public static final long REKEY_AFTER = 1L << 32;

    private final Cipher sealer;
    private final Cipher opener;
    private final byte[] sealIv = new byte[12];
    private final byte[] openIv = new byte[12];
    private DataKey sendKey;
    private long sendCounter;
    private Receiver current, previous, next;
    private long rotations;
    private final int tag;
    private final AtomicLongArray drops;

    private static final class Receiver {
        final DataKey key;
        final ReplayWindow window = new ReplayWindow();

        Receiver(DataKey key) {
            this.key = key;
        }
    }

    public DataChannel(DataKey send, DataKey receive) {
        this(send, receive, 0, null);
    }

    /**
     * A channel whose packets carry session tag {@code tag} (byte 2 of the header: which
     * handshake's keys sealed it, so that a tunnel renewing its session picks the right channel
     * without trying keys) and that counts its drops with {@code countsWith}'s (null: its own),
     * so that a tunnel's drop counters survive its renewals.
     */
    public DataChannel(DataKey send, DataKey receive, int tag, DataChannel countsWith) {
        if (tag < 0 || tag > 255)
            throw new IllegalArgumentException("session tag " + tag + " outside 0..255");
        this.tag = tag;
        this.drops = countsWith != null ? countsWith.drops : new AtomicLongArray(Drop.values().length);
        try {
            sealer = Cipher.getInstance("AES/GCM/NoPadding");
            opener = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no AES/GCM", e);
        }
        this.sendKey = send;
        this.current = new Receiver(receive);
    }

    /** Switches to a new send key (counters restart at 0); the peer keeps accepting the old one a while. */
    public void rekeySend(DataKey send) {
        if (send.epoch == sendKey.epoch)
            throw new IllegalArgumentException("a new send key needs a new epoch (still " + send.epoch + ")");
        sendKey = send;
        sendCounter = 0;
    }

    /** Installs the peer's new key; the previous one stays valid for packets still in flight. */
    public void rekeyReceive(DataKey receive) {
        previous = current;
        current = new Receiver(receive);
    }

    /**
     * Prepares the key the peer will send with after its next rekey: the first authentic packet
     * under it makes it current (the current becomes previous). Rekeying thus needs no message:
     * each side switches its send key when it decides to, the other follows on the first packet.
     * Only this one candidate is tried, so a forged epoch costs one failed tag check, no derivation.
     */
    public void setNextReceiveKey(DataKey receive) {
        if (receive.epoch == current.key.epoch || previous != null && receive.epoch == previous.key.epoch)
            throw new IllegalArgumentException("next receive key epoch " + receive.epoch + " is in use");
        next = new Receiver(receive);
    }

    /** True when no next receive key is waiting (the peer's rekey was followed): install one. */
    public boolean wantsNextReceiveKey() {
        return next == null;
    }

    /** How many times the peer's new key was taken into use. */
    public long receiveRotations() {
        return rotations;
    }

    /** The epoch of the current receive key. */
    public int receiveEpoch() {
        return current.key.epoch;
    }

    /** The epoch of the current send key. */
    public int sendEpoch() {
        return sendKey.epoch;
    }

    /** Forgets the previous receive key (once the peer is known to use the new one). */
    public void dropPreviousReceiveKey() {
        previous = null;
    }

    /** The session tag this channel's packets carry (byte 2 of the header). */
    public int tag() {
        return tag;
    }

    /** Counts a packet dropped before it reached any channel (e.g. {@link Drop#UNKNOWN_SESSION}); consumes it. */
    public int countDrop(ByteBuffer in, Drop why) {
        return drop(in, why);
    }

    public boolean needsRekey() {
        return sendCounter >= REKEY_AFTER;
    }

    public long sendCounter() {
        return sendCounter;
    }

    /**
     * Encrypts the inner packet {@code in[position, limit)} into {@code out} at its position
     * (header, ciphertext, tag: {@link DataPacket#OVERHEAD} bytes more). Positions advance.
     * Returns the packet length.
     */
    public int seal(ByteBuffer in, ByteBuffer out) {
        if (sendCounter >= REKEY_AFTER * 2)
            throw new IllegalStateException("data key used for " + sendCounter + " packets: rekey overdue");
        int start = out.position();
        long counter = sendCounter++;
        out.put((byte) DataPacket.TYPE_DATA).put((byte) sendKey.epoch).put((byte) tag).put((byte) 0).putLong(counter);
        nonce(sealIv, sendKey.salt, counter);
        try {
            sealer.init(Cipher.ENCRYPT_MODE, sendKey.key, new GCMParameterSpec(128, sealIv));
            ByteBuffer aad = out.duplicate().position(start).limit(start + DataPacket.HEADER);
            sealer.updateAAD(aad);
            sealer.doFinal(in, out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM seal failed", e);
        }
        return out.position() - start;
    }

    /**
     * Decrypts the packet {@code in[position, limit)} into {@code out} at its position. Returns
     * the inner packet's length, or {@code -(Drop.ordinal() + 1)} when it is dropped (counted;
     * {@code out} may hold garbage then). {@code in}'s position moves to its limit either way.
     */
    public int open(ByteBuffer in, ByteBuffer out) {
        int start = in.position(), len = in.remaining();
        if (len < DataPacket.OVERHEAD)
            return drop(in, Drop.TRUNCATED);
        if ((in.get(start) & 0xff) != DataPacket.TYPE_DATA)
            return drop(in, Drop.NOT_DATA);
        if (out.remaining() < len - DataPacket.OVERHEAD)
            return drop(in, Drop.TOO_BIG);
        int epoch = in.get(start + 1) & 0xff;
        Receiver r = current.key.epoch == epoch ? current
                : previous != null && previous.key.epoch == epoch ? previous
                : next != null && next.key.epoch == epoch ? next : null;
        if (r == null)
            return drop(in, Drop.UNKNOWN_EPOCH);
        long counter = in.getLong(start + 4);
        if (counter < 0)
            return drop(in, Drop.REPLAY);
        nonce(openIv, r.key.salt, counter);
        int outStart = out.position();
        try {
            opener.init(Cipher.DECRYPT_MODE, r.key.key, new GCMParameterSpec(128, openIv));
            opener.updateAAD(in.duplicate().limit(start + DataPacket.HEADER));
            in.position(start + DataPacket.HEADER);
            opener.doFinal(in, out);
        } catch (AEADBadTagException e) {
            out.position(outStart);
            return drop(in, Drop.AUTH_FAILED);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            out.position(outStart);
            return drop(in, Drop.AUTH_FAILED);
        }
        // Only an authentic packet may move the window.
        if (!r.window.accept(counter)) {
            out.position(outStart);
            return drop(in, Drop.REPLAY);
        }
        if (r == next) { // the peer rekeyed: follow
            previous = current;
            current = next;
            next = null;
            rotations++;
        }
        return out.position() - outStart;
    }

    private int drop(ByteBuffer in, Drop why) {
        in.position(in.limit());
        drops.incrementAndGet(why.ordinal()); // no allocation: a flood of junk costs no garbage
        return -(why.ordinal() + 1);
    }

    /** Dropped packets by reason (for metrics). */
    public Map<Drop, Long> drops() {
        EnumMap<Drop, Long> copy = new EnumMap<>(Drop.class);
        for (Drop d : Drop.values())
            if (drops.get(d.ordinal()) != 0)
                copy.put(d, drops.get(d.ordinal()));
        return copy;
    }

    /** Packets dropped for {@code why} so far (any thread). */
    public long dropped(Drop why) {
        return drops.get(why.ordinal());
    }

    /** The reason for a negative {@link #open} result. */
    public static Drop reason(int openResult) {
        if (openResult >= 0)
            throw new IllegalArgumentException("not a drop: " + openResult);
        return Drop.values()[-openResult - 1];
    }

    private static void nonce(byte[] iv, byte[] salt, long counter) {
        System.arraycopy(salt, 0, iv, 0, 4);
        for (int i = 0; i < 8; i++)
            iv[4 + i] = (byte) (counter >>> (56 - 8 * i));
    }
}
