package re6st.tunnel;

import java.nio.ByteBuffer;

import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataPacket;

/**
 * One tunnel's packet logic without I/O: inner packets from the TUN are sealed for the
 * underlay; underlay packets are opened and either handed to the TUN (IP packets) or handled as
 * control messages. Control messages travel inside the data channel (first inner byte 0x00,
 * which no IP packet has), so probes and echoes are encrypted, authenticated and replay-checked
 * like data: a forged packet can neither keep a dead tunnel up nor take a live one down.
 * <pre>
 *   control inner payload: 0x00 | kind (1 = probe, 2 = echo) | 8-byte send time of the probe
 * </pre>
 * One thread handles the TUN side ({@link #fromTun}), another the underlay side
 * ({@link #fromUnderlay}); {@link #tick} runs on the underlay thread. Liveness is updated from
 * the underlay thread only.
 */
public final class TunnelSession {
    static final int CONTROL = 0x00, PROBE = 1, ECHO = 2, CONTROL_LEN = 10;

    /** What an underlay packet turned out to be. */
    public enum Kind { DATA, CONTROL, DROPPED }

    private final DataChannel channel;
    private final Liveness liveness;
    private final re6st.tunnel.handshake.KeySchedule schedule; // null: fixed keys, no rekey
    private final long rekeyIntervalNs;
    private long sendGeneration, receiveGeneration, lastRekey;
    private volatile long rekeys;
    private final ByteBuffer controlOut = ByteBuffer.allocate(CONTROL_LEN);
    private long echoSentTime = Long.MIN_VALUE;
    private Liveness.Action pending = Liveness.Action.NOTHING;

    /** A session with fixed keys (no rekey): for tests and benchmarks. */
    public TunnelSession(DataChannel channel, Liveness liveness) {
        this.channel = channel;
        this.liveness = liveness;
        this.schedule = null;
        this.rekeyIntervalNs = Long.MAX_VALUE;
    }

    /**
     * A session on the keys of a handshake: generation 0 first, then our send key moves to the
     * next generation every {@code rekeyIntervalNs} (or sooner when a key has sealed
     * {@link DataChannel#REKEY_AFTER} packets), and our receive key follows the peer's.
     */
    public TunnelSession(re6st.tunnel.handshake.KeySchedule schedule, Liveness liveness, long rekeyIntervalNs, long now) {
        if (rekeyIntervalNs <= 0)
            throw new IllegalArgumentException("rekey interval must be positive");
        this.schedule = schedule;
        this.channel = new DataChannel(schedule.sendKey(0), schedule.receiveKey(0));
        channel.setNextReceiveKey(schedule.receiveKey(1));
        this.liveness = liveness;
        this.rekeyIntervalNs = rekeyIntervalNs;
        this.lastRekey = now;
    }

    /**
     * Switches our send key to the next generation when it is due. Called by the TUN side once
     * per batch (cheap: a comparison). Returns true when it rekeyed.
     */
    public boolean maybeRekey(long now) {
        if (schedule == null || (now - lastRekey < rekeyIntervalNs && !channel.needsRekey()))
            return false;
        re6st.tunnel.data.DataKey k = schedule.sendKey(sendGeneration + 1); // derived outside the lock
        synchronized (channel) {
            channel.rekeySend(k);
            sendGeneration++;
        }
        lastRekey = now;
        rekeys++;
        return true;
    }

    /** Our send-key changes so far. */
    public long rekeys() {
        return rekeys;
    }

    /** After the peer's rekey was followed, prepares its next key (underlay thread, off the per-packet path). */
    void prepareNextReceiveKey() {
        if (schedule != null && channel.wantsNextReceiveKey()) {
            receiveGeneration++;
            channel.setNextReceiveKey(schedule.receiveKey(receiveGeneration + 1));
        }
    }

    public DataChannel channel() {
        return channel;
    }

    public Liveness liveness() {
        return liveness;
    }

    /** Seals an inner packet from the TUN into {@code udpOut} (at its position); returns the datagram length. */
    public int fromTun(ByteBuffer inner, ByteBuffer udpOut) {
        synchronized (channel) { // the underlay thread also seals (probes, echoes)
            return channel.seal(inner, udpOut);
        }
    }

    /**
     * Opens an underlay datagram. DATA: the inner packet is in {@code tunOut} (position advanced).
     * CONTROL: handled; if {@link #replyPending()} the caller sends {@link #takeReply}. DROPPED:
     * counted in the data channel.
     */
    public Kind fromUnderlay(ByteBuffer datagram, ByteBuffer tunOut, long now) {
        int start = tunOut.position();
        int n = channel.open(datagram, tunOut);
        if (n < 0)
            return Kind.DROPPED;
        byte first = tunOut.get(start);
        if (first != CONTROL) {
            note(liveness.received(now));
            return Kind.DATA;
        }
        if (n < CONTROL_LEN) {
            tunOut.position(start);
            return Kind.DROPPED;
        }
        int kind = tunOut.get(start + 1);
        long time = tunOut.getLong(start + 2);
        tunOut.position(start);
        if (kind == PROBE) {
            echoSentTime = time; // answer with the probe's own time: the prober measures RTT
            note(liveness.received(now));
        } else if (kind == ECHO) {
            note(liveness.echoReceived(time, now));
        }
        return Kind.CONTROL;
    }

    /** Runs the liveness timer; a probe to send is reported by {@link #replyPending()} too. */
    public Liveness.Action tick(long now) {
        prepareNextReceiveKey();
        Liveness.Action a = liveness.tick(now);
        if (a == Liveness.Action.SEND_PROBE || a == Liveness.Action.WENT_DOWN)
            probeTime = now;
        note(a);
        return a;
    }

    private long probeTime = Long.MIN_VALUE;

    /** True when a probe or an echo waits to be sent ({@link #takeReply}). */
    public boolean replyPending() {
        return probeTime != Long.MIN_VALUE || echoSentTime != Long.MIN_VALUE;
    }

    /** Seals the waiting echo (first) or probe into {@code udpOut}; returns its length, 0 if none. */
    public int takeReply(ByteBuffer udpOut) {
        int kind;
        long time;
        if (echoSentTime != Long.MIN_VALUE) {
            kind = ECHO;
            time = echoSentTime;
            echoSentTime = Long.MIN_VALUE;
        } else if (probeTime != Long.MIN_VALUE) {
            kind = PROBE;
            time = probeTime;
            probeTime = Long.MIN_VALUE;
        } else {
            return 0;
        }
        controlOut.clear();
        controlOut.put((byte) CONTROL).put((byte) kind).putLong(time).flip();
        synchronized (channel) {
            return channel.seal(controlOut, udpOut);
        }
    }

    /** The last up/down change not yet collected (NOTHING if none): for the I/O side to act on. */
    public Liveness.Action takeTransition() {
        Liveness.Action a = pending;
        pending = Liveness.Action.NOTHING;
        return a;
    }

    private void note(Liveness.Action a) {
        if (a == Liveness.Action.WENT_DOWN || a == Liveness.Action.WENT_UP)
            pending = a;
    }

    /** Bytes the tunnel adds to each inner packet: the TUN MTU is the underlay's minus this (and IP/UDP headers). */
    public static int overhead() {
        return DataPacket.OVERHEAD;
    }
}
