package re6st.tunnel;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import re6st.tunnel.data.DataChannel;
import re6st.tunnel.data.DataPacket;

/**
 * One tunnel's packet logic without I/O: inner packets from the TUN are sealed for the
 * underlay; underlay packets are opened and either handed to the TUN (IP packets) or handled as
 * control messages. Control messages travel inside the data channel (first inner byte 0x00,
 * which no IP packet has), so probes and echoes are encrypted, authenticated and replay-checked
 * like data: a forged packet can neither keep a dead tunnel up nor take a live one down.
 * <pre>
 *   liveness (10 bytes):  0x00 | kind (1 = probe, 2 = echo) | 8-byte send time of the probe
 *   MTU probe (S bytes):  0x00 | 3 | 2-byte S | 8-byte send time | S - 12 zero bytes
 *   MTU ack (12 bytes):   0x00 | 4 | 2-byte S | 8-byte send time of the probe
 *   keys (10 bytes):      0x00 | 5 | 8-byte send time      (sealed with a renewed session's keys: "I hold them")
 *   observed (20 bytes):  0x00 | 6 | 2-byte port | 16-byte address   ({@link ObservedAddress})
 * </pre>
 * (integers big-endian). An MTU probe of size S is an inner packet of exactly S bytes, so its
 * datagram is as big as a data packet of a full S-byte IP packet; it is answered at once with a
 * small acknowledgement carrying S, unless its length is not S (then it is dropped unanswered:
 * a truncated or forged probe confirms nothing). Liveness probes and echoes are sent by both
 * sides; MTU probes only by a session given a {@link PathMtu} (each side checks the path it
 * sends on), but every session answers them. Decisions to change the TUN MTU are collected with
 * {@link #takeMtuChange}.
 * <p>
 * One thread handles the TUN side ({@link #fromTun}), another the underlay side
 * ({@link #fromUnderlay}); {@link #tick}, {@link #takeReply}, {@link #takeTransition} and
 * {@link #takeMtuChange} run on the underlay thread. Liveness and the path MTU are updated from
 * the underlay thread only; {@link #reportTooBig} and {@link #requestMtuCheck} may be called from
 * any thread (they take effect at the next {@link #tick}).
 */
public final class TunnelSession {
    static final int CONTROL = 0x00, PROBE = 1, ECHO = 2, MTU_PROBE = 3, MTU_ACK = 4, KEYS = 5, CONTROL_LEN = 10, MTU_LEN = 12;
    private static final long NO_REPORT = -1L, NO_HINT = 0xffff_ffffL;

    /** What an underlay packet turned out to be. */
    public enum Kind { DATA, CONTROL, DROPPED }

    /** One handshake's keys: its data channel and the schedule of its rekey generations (null: fixed keys). */
    private static final class Keypair {
        final DataChannel channel;
        final re6st.tunnel.handshake.KeySchedule schedule;
        long sendGeneration, receiveGeneration; // sendGeneration: the TUN side's, under the channel's lock

        Keypair(DataChannel channel, re6st.tunnel.handshake.KeySchedule schedule) {
            this.channel = channel;
            this.schedule = schedule;
        }

        int tag() {
            return channel.tag();
        }
    }

    /**
     * How long the keys of the previous session still open packets once the change-over is
     * complete (both ends use the new keys): packets sealed with the old keys just before may be
     * in flight or reordered for about an RTT. Then the old keys are wiped (forward secrecy).
     */
    public static final long OVERLAP_NS = 2_000_000_000L;
    /** While a renewed session waits for the peer, a KEYS message under it goes out this often. */
    static final long CONFIRM_INTERVAL_NS = 100_000_000L;

    // Sessions (as wireguard-go's keypairs): current seals and opens; previous only opens, until
    // OVERLAP_NS after the change-over; next (a renewal's keys) opens, and becomes current at the
    // first authentic packet under it: the proof that the peer holds it too. The TUN thread reads
    // current only; the rest is the underlay thread's.
    private volatile Keypair current;
    private Keypair previous, next;
    private long previousRetireAt, nextSince, confirmAt;
    private Keypair confirmUnder; // a KEYS message to seal with these keys (null: none)
    private volatile long keySerial = 1, retiredKeypairs;
    private final Liveness liveness;
    private final long rekeyIntervalNs;
    private volatile long lastRekey;
    private volatile long rekeys;
    private final ByteBuffer controlOut = ByteBuffer.allocate(Math.max(MTU_LEN, ObservedAddress.LENGTH));
    // the observed address: what we tell the peer (the side that accepted), what the peer told us (the side that dialled)
    private java.net.InetSocketAddress observedOut;
    private boolean observedDue;
    private long observedNextAt;
    private int observedSent;
    private volatile java.net.InetSocketAddress observedIn;
    private boolean observedNew;
    private volatile long observedReceived;
    private long echoSentTime = Long.MIN_VALUE;
    private Liveness.Action pending = Liveness.Action.NOTHING;
    // path MTU (null: this side does not probe; it still answers the peer's probes)
    private final PathMtu pathMtu;
    private final ByteBuffer mtuProbeOut; // allocated once: the padding stays zero
    private int ackSize;                  // an MTU acknowledgement to send (0: none)
    private long ackTime;
    private int mtuProbeSize;             // an MTU probe to send (0: none)
    private long mtuProbeTime;
    /** EMSGSIZE reports from any thread: smallest refused inner size << 32 | smallest hint (NO_HINT: none). */
    private final AtomicLong tooBig = new AtomicLong(NO_REPORT);
    private final AtomicBoolean mtuCheckRequested = new AtomicBoolean();
    private volatile long malformedControl, mtuProbesUnsent;
    private volatile Blackholes.Cut cut = Blackholes.NEVER;

    /** A session with fixed keys (no rekey) and no path-MTU probing: for tests and benchmarks. */
    public TunnelSession(DataChannel channel, Liveness liveness) {
        this(channel, liveness, null);
    }

    /** A session with fixed keys (no rekey); {@code pathMtu} null: no path-MTU probing. */
    public TunnelSession(DataChannel channel, Liveness liveness, PathMtu pathMtu) {
        this.current = new Keypair(channel, null);
        this.liveness = liveness;
        this.rekeyIntervalNs = Long.MAX_VALUE;
        this.pathMtu = pathMtu;
        this.mtuProbeOut = probeBuffer(pathMtu);
    }

    /**
     * A session on the keys of a handshake: generation 0 first, then our send key moves to the
     * next generation every {@code rekeyIntervalNs} (or sooner when a key has sealed
     * {@link DataChannel#REKEY_AFTER} packets), and our receive key follows the peer's.
     */
    public TunnelSession(re6st.tunnel.handshake.KeySchedule schedule, Liveness liveness, long rekeyIntervalNs, long now) {
        this(schedule, liveness, null, rekeyIntervalNs, now);
    }

    /** As {@link #TunnelSession(re6st.tunnel.handshake.KeySchedule, Liveness, long, long)}, probing the path MTU with {@code pathMtu} (null: not). */
    public TunnelSession(re6st.tunnel.handshake.KeySchedule schedule, Liveness liveness, PathMtu pathMtu, long rekeyIntervalNs,
            long now) {
        if (rekeyIntervalNs <= 0)
            throw new IllegalArgumentException("rekey interval must be positive");
        this.current = keypair(schedule, null);
        this.liveness = liveness;
        this.rekeyIntervalNs = rekeyIntervalNs;
        this.lastRekey = now;
        this.pathMtu = pathMtu;
        this.mtuProbeOut = probeBuffer(pathMtu);
    }

    private static Keypair keypair(re6st.tunnel.handshake.KeySchedule schedule, DataChannel countsWith) {
        DataChannel c = new DataChannel(schedule.sendKey(0), schedule.receiveKey(0), schedule.sessionTag(), countsWith);
        c.setNextReceiveKey(schedule.receiveKey(1));
        return new Keypair(c, schedule);
    }

    private static ByteBuffer probeBuffer(PathMtu p) {
        return p == null ? null : ByteBuffer.allocateDirect(p.maxMtu()); // zeroed: the padding
    }

    /**
     * Switches our send key to the next generation when it is due. Called by the TUN side once
     * per batch (cheap: a comparison). Returns true when it rekeyed.
     */
    public boolean maybeRekey(long now) {
        Keypair k = current;
        if (k.schedule == null || (now - lastRekey < rekeyIntervalNs && !k.channel.needsRekey()))
            return false;
        re6st.tunnel.data.DataKey key;
        try {
            key = k.schedule.sendKey(k.sendGeneration + 1); // derived outside the lock
        } catch (IllegalStateException e) { // renewed meanwhile, and these keys already wiped
            return false;
        }
        synchronized (k.channel) {
            k.channel.rekeySend(key);
            k.sendGeneration++;
        }
        lastRekey = now;
        rekeys++;
        return true;
    }

    /** Our send-key changes so far (rekeys within sessions, not renewals). */
    public long rekeys() {
        return rekeys;
    }

    /** After the peer's rekey was followed, prepares its next key (underlay thread, off the per-packet path). */
    void prepareNextReceiveKey() {
        prepareNextReceiveKey(current);
        if (previous != null)
            prepareNextReceiveKey(previous); // the peer may rekey the old session before it changes over
    }

    private static void prepareNextReceiveKey(Keypair k) {
        if (k.schedule != null && k.channel.wantsNextReceiveKey()) {
            k.receiveGeneration++;
            k.channel.setNextReceiveKey(k.schedule.receiveKey(k.receiveGeneration + 1));
        }
    }

    // ---- renewal: a new handshake's keys replace the session's without a gap -------------------

    /** Why {@link #renew} did not take new keys. */
    public enum Renewal { PENDING, TAG_IN_USE }

    /**
     * Keys of a new handshake with the same peer (underlay thread). They do not seal anything
     * yet: they open packets at once, a KEYS control message goes out under them every
     * {@link #CONFIRM_INTERVAL_NS} (sent by {@link #takeReply}), and they replace the current
     * keys at the first authentic packet the peer sealed with them (its KEYS message or its
     * data): from then on we seal with them, and the old keys still open packets for
     * {@link #OVERLAP_NS} before they are wiped. So traffic never waits for the change-over, and
     * neither side seals with keys the other does not hold yet, whichever completes its
     * handshake first. A renewal already waiting is replaced (its keys wiped).
     * Returns TAG_IN_USE (keys wiped, nothing changed) if the new session's tag is one of the
     * current or previous session's: the caller handshakes again.
     */
    public Renewal renew(re6st.tunnel.handshake.KeySchedule schedule, long now) {
        if (current.schedule == null)
            throw new IllegalStateException("a session with fixed keys cannot be renewed");
        int tag = schedule.sessionTag();
        if (tag == current.tag() || previous != null && tag == previous.tag()) {
            schedule.destroy();
            return Renewal.TAG_IN_USE;
        }
        abandonRenewal();
        next = keypair(schedule, current.channel);
        nextSince = now;
        confirmAt = now; // at the next tick
        return Renewal.PENDING;
    }

    /** Whether renewed keys wait for the peer (since {@link #renewalPendingSince()}). */
    public boolean renewalPending() {
        return next != null;
    }

    public long renewalPendingSince() {
        return nextSince;
    }

    /** Gives up a renewal that waits (the peer never used it): its keys are wiped. */
    public void abandonRenewal() {
        if (next != null) {
            if (confirmUnder == next)
                confirmUnder = null;
            retire(next);
            next = null;
        }
    }

    /** The peer used the renewed keys: they seal from now on; the old ones open for OVERLAP_NS more. */
    private void changeOver(long now) {
        if (previous != null)
            retire(previous);
        previous = current;
        previousRetireAt = now + OVERLAP_NS;
        lastRekey = now;
        current = next; // volatile: the TUN side seals with it from its next packet
        next = null;
        confirmUnder = current; // at once: the peer changes over within an RTT, even on an idle tunnel
        keySerial++;
    }

    private void retire(Keypair k) {
        k.schedule.destroy();
        retiredKeypairs++;
    }

    /** Sessions (handshakes) whose keys have sealed for this tunnel: 1, then one more per renewal. */
    public long keySerial() {
        return keySerial;
    }

    /** The session tag our packets carry now (see {@link DataPacket}). */
    public int sessionTag() {
        return current.tag();
    }

    /** Sessions whose keys were wiped (replaced and past their overlap, or abandoned). */
    public long retiredKeypairs() {
        return retiredKeypairs;
    }

    /** The data channel of the current session (its drop counters count for every session of the tunnel). */
    public DataChannel channel() {
        return current.channel;
    }

    public Liveness liveness() {
        return liveness;
    }

    /**
     * The data path sent a batch to the peer at {@code now} (TUN thread, once per batch, after
     * sending): what lets the liveness probe at once when nothing comes back ({@link Liveness#dataSent}).
     */
    public void dataSent(long now) {
        liveness.dataSent(now);
    }

    /**
     * Puts this session under {@code c} ({@link Blackholes}): while it is on, nothing this session
     * opens or replies is delivered or sent, and the TUN side drops what it reads ({@link #isCut}).
     */
    public void cutBy(Blackholes.Cut c) {
        cut = c;
    }

    /** Whether the tunnel is cut on purpose now: the TUN side drops what it reads. */
    public boolean isCut() {
        return cut.on;
    }

    /** The TUN side dropped {@code packets} because of the cut. */
    void droppedByCut(int packets) {
        cut.dropped(packets);
    }

    /** Seals an inner packet from the TUN into {@code udpOut} (at its position); returns the datagram length. */
    public int fromTun(ByteBuffer inner, ByteBuffer udpOut) {
        DataChannel c = current.channel;
        synchronized (c) { // the underlay thread also seals (probes, echoes)
            return c.seal(inner, udpOut);
        }
    }

    /**
     * Opens an underlay datagram. DATA: the inner packet is in {@code tunOut} (position advanced).
     * CONTROL: handled; if {@link #replyPending()} the caller sends {@link #takeReply}. DROPPED:
     * counted in the data channel.
     */
    public Kind fromUnderlay(ByteBuffer datagram, ByteBuffer tunOut, long now) {
        if (cut.on) { // a silent path: as if it never came (no liveness, no echo, no data)
            cut.dropped(1);
            return Kind.DROPPED;
        }
        int start = tunOut.position();
        Keypair k = current;
        if (datagram.remaining() >= DataPacket.OVERHEAD) { // (shorter: the channel counts it as truncated)
            int tag = datagram.get(datagram.position() + DataPacket.SESSION) & 0xff;
            if (tag != k.tag()) {
                k = previous != null && tag == previous.tag() ? previous : next != null && tag == next.tag() ? next : null;
                if (k == null) {
                    current.channel.countDrop(datagram, DataChannel.Drop.UNKNOWN_SESSION);
                    return Kind.DROPPED;
                }
            }
        }
        int n = k.channel.open(datagram, tunOut);
        if (n < 0)
            return Kind.DROPPED;
        if (k == next)
            changeOver(now);
        byte first = tunOut.get(start);
        if (first != CONTROL) {
            note(liveness.received(now));
            return Kind.DATA;
        }
        if (n < CONTROL_LEN) {
            tunOut.position(start);
            malformedControl++;
            return Kind.DROPPED;
        }
        int kind = tunOut.get(start + 1);
        if (kind == ObservedAddress.KIND) {
            java.net.InetSocketAddress a = ObservedAddress.decode(tunOut, start, n); // rare: off the data path
            tunOut.position(start);
            if (a == null) {
                malformedControl++;
                return Kind.DROPPED;
            }
            observedReceived++;
            if (!a.equals(observedIn)) {
                observedIn = a;
                observedNew = true;
            }
            note(liveness.received(now));
            return Kind.CONTROL;
        }
        if (kind == MTU_PROBE || kind == MTU_ACK) {
            int size = n < MTU_LEN ? -1 : tunOut.getShort(start + 2) & 0xffff;
            long time = n < MTU_LEN ? 0 : tunOut.getLong(start + 4);
            tunOut.position(start);
            if (size < 0 || (kind == MTU_PROBE && size != n)) { // short, or a probe not as big as it says
                malformedControl++;
                return Kind.DROPPED;
            }
            if (kind == MTU_PROBE) {
                ackSize = size; // answered at once, with the probe's own time
                ackTime = time;
            } else if (pathMtu != null) {
                pathMtu.acked(size, now);
            }
            note(liveness.received(now));
            return Kind.CONTROL;
        }
        long time = tunOut.getLong(start + 2);
        tunOut.position(start);
        if (kind == KEYS) {
            note(liveness.received(now)); // authentic: the change-over is done above, if these keys were new
        } else if (kind == PROBE) {
            echoSentTime = time; // answer with the probe's own time: the prober measures RTT
            note(liveness.received(now));
        } else if (kind == ECHO) {
            note(liveness.echoReceived(time, now));
        }
        return Kind.CONTROL;
    }

    /**
     * Runs the liveness timer and the path-MTU timers (applying what {@link #reportTooBig} and
     * {@link #requestMtuCheck} left); a probe to send is reported by {@link #replyPending()} too,
     * an MTU decision by {@link #takeMtuChange}.
     */
    public Liveness.Action tick(long now) {
        prepareNextReceiveKey();
        if (previous != null && now - previousRetireAt >= 0) {
            retire(previous);
            previous = null;
        }
        if (next != null && now - confirmAt >= 0) {
            confirmUnder = next;
            confirmAt = now + CONFIRM_INTERVAL_NS;
        }
        if (observedOut != null && now - observedNextAt >= 0) {
            observedDue = true;
            observedNextAt = now + (observedSent < OBSERVED_REPEATS ? OBSERVED_REPEAT_NS : OBSERVED_REFRESH_NS);
        }
        Liveness.Action a = liveness.tick(now);
        if (a == Liveness.Action.SEND_PROBE || a == Liveness.Action.WENT_DOWN)
            probeTime = now;
        note(a);
        if (pathMtu != null) {
            long r = tooBig.getAndSet(NO_REPORT);
            if (r != NO_REPORT) {
                long hint = r & 0xffff_ffffL;
                pathMtu.tooBig((int) (r >>> 32), hint == NO_HINT ? 0 : (int) hint, now);
            }
            if (mtuCheckRequested.getAndSet(false))
                pathMtu.requestCheck(now);
            int size = pathMtu.tick(now, liveness.state() == Liveness.State.UP, liveness.lastReceived());
            if (size > 0) {
                mtuProbeSize = size;
                mtuProbeTime = now;
                liveness.dataSent(now); // waits for an answer like data: if none comes, a small probe tells a dead path from a black hole
            }
        }
        return a;
    }

    private long probeTime = Long.MIN_VALUE;

    /** When {@link #tick} next has something to do (liveness, or path MTU while the path is up). */
    public long nextCheck(long now) {
        long t = liveness.nextCheck(now);
        if (pathMtu != null && liveness.state() == Liveness.State.UP)
            t = Math.min(t, pathMtu.nextCheck(now));
        if (tooBig.get() != NO_REPORT || mtuCheckRequested.get())
            t = now;
        if (next != null && confirmAt - t < 0)
            t = confirmAt;
        if (previous != null && previousRetireAt - t < 0)
            t = previousRetireAt;
        if (observedOut != null && observedNextAt - t < 0)
            t = observedNextAt;
        return t;
    }

    /** True when a probe, an echo, an MTU probe, an MTU acknowledgement or an observed address waits to be sent ({@link #takeReply}). */
    public boolean replyPending() {
        return probeTime != Long.MIN_VALUE || echoSentTime != Long.MIN_VALUE || ackSize != 0 || mtuProbeSize != 0
                || confirmUnder != null || observedDue;
    }

    /**
     * Seals the waiting KEYS message (first, under the keys it confirms), echo, MTU acknowledgement, observed address, probe or MTU probe (last) into
     * {@code udpOut} (at its position); returns its length, 0 if none or not sent. Call it while
     * {@link #replyPending()}: each call takes one.
     * <p>
     * {@code udpOut} must have room for a padded MTU probe: {@link #maxReplyLength()} bytes
     * (the largest MTU candidate + {@link DataPacket#OVERHEAD}; 1452 for a 1424-byte MTU), e.g. a
     * buffer of {@code TunPump.MAX_PACKET + DataPacket.OVERHEAD}. An MTU probe that does not fit is
     * not sent (0 is returned; it does not count as lost, so a small buffer never lowers the MTU:
     * it only disables the black-hole detection). Echoes, probes and acknowledgements need 40 bytes.
     */
    public int takeReply(ByteBuffer udpOut) {
        int n = sealReply(udpOut);
        if (n > 0 && cut.on) { // taken as if sent (a probe then waits for its echo in vain), never sent
            cut.dropped(1);
            return 0;
        }
        return n;
    }

    private int sealReply(ByteBuffer udpOut) {
        int kind;
        long time;
        DataChannel channel = current.channel;
        if (confirmUnder != null) {
            channel = confirmUnder.channel;
            confirmUnder = null;
            kind = KEYS;
            time = System.nanoTime();
        } else if (echoSentTime != Long.MIN_VALUE) {
            kind = ECHO;
            time = echoSentTime;
            echoSentTime = Long.MIN_VALUE;
        } else if (ackSize != 0) {
            controlOut.clear();
            controlOut.put((byte) CONTROL).put((byte) MTU_ACK).putShort((short) ackSize).putLong(ackTime).flip();
            ackSize = 0;
            synchronized (channel) {
                return channel.seal(controlOut, udpOut);
            }
        } else if (observedDue) {
            observedDue = false;
            observedSent++;
            controlOut.clear();
            ObservedAddress.encode(observedOut, controlOut);
            controlOut.flip();
            synchronized (channel) {
                return channel.seal(controlOut, udpOut);
            }
        } else if (probeTime != Long.MIN_VALUE) {
            kind = PROBE;
            time = probeTime;
            probeTime = Long.MIN_VALUE;
        } else if (mtuProbeSize != 0) {
            int size = mtuProbeSize;
            mtuProbeSize = 0;
            if (udpOut.remaining() < size + DataPacket.OVERHEAD) {
                mtuProbesUnsent++;
                pathMtu.unsent();
                return 0;
            }
            mtuProbeOut.clear();
            mtuProbeOut.put((byte) CONTROL).put((byte) MTU_PROBE).putShort((short) size).putLong(mtuProbeTime);
            mtuProbeOut.position(0).limit(size); // the rest is the zero padding
            synchronized (channel) {
                return channel.seal(mtuProbeOut, udpOut);
            }
        } else {
            return 0;
        }
        controlOut.clear();
        controlOut.put((byte) CONTROL).put((byte) kind).putLong(time).flip();
        synchronized (channel) {
            return channel.seal(controlOut, udpOut);
        }
    }

    /** The room {@link #takeReply} needs: a padded MTU probe of the largest candidate, or a small control packet. */
    public int maxReplyLength() {
        int control = Math.max(MTU_LEN, ObservedAddress.LENGTH);
        return (pathMtu != null ? Math.max(pathMtu.maxMtu(), control) : control) + DataPacket.OVERHEAD;
    }

    // ---- the observed address ({@link ObservedAddress}) ----------------------------------------

    /** An observed address goes out this many more times after the first, this far apart (a datagram may be lost)... */
    static final int OBSERVED_REPEATS = 2;
    static final long OBSERVED_REPEAT_NS = 1_000_000_000L;
    /** ...then this often while the tunnel lives (a peer whose first ones were all lost learns it within a minute). */
    static final long OBSERVED_REFRESH_NS = 60_000_000_000L;

    /**
     * The side that accepted the tunnel: the peer's packets come from {@code a} (underlay thread).
     * A new address is sent at once (at the next {@link #takeReply}), repeated {@link #OBSERVED_REPEATS}
     * times a second apart, then every {@link #OBSERVED_REFRESH_NS}; the same address again changes nothing.
     */
    public void observe(java.net.InetSocketAddress a, long now) {
        if (a.equals(observedOut))
            return;
        observedOut = a;
        observedSent = 0;
        observedDue = true;
        observedNextAt = now + OBSERVED_REPEAT_NS;
    }

    /** The side that dialled: the address the peer last said it sees us at, if it changed since the last call; else null (underlay thread). */
    public java.net.InetSocketAddress takeObserved() {
        if (!observedNew)
            return null;
        observedNew = false;
        return observedIn;
    }

    /** The address the peer last said it sees us at (null: none yet), any thread. */
    public java.net.InetSocketAddress observed() {
        return observedIn;
    }

    /** Observed-address messages received and well formed (malformed ones count in {@link #malformedControl}). */
    public long observedReceived() {
        return observedReceived;
    }

    /**
     * The TUN MTU decided since the last call (lowered after a black hole or EMSGSIZE, raised
     * after a successful probe), or 0: for the I/O side to set on the TUN interface. Underlay
     * thread; the latest decision wins.
     */
    public int takeMtuChange() {
        return pathMtu == null ? 0 : pathMtu.takeDecision();
    }

    /** The current inner MTU the path-MTU logic holds (any thread), or 0 without path-MTU probing. */
    public int mtu() {
        return pathMtu == null ? 0 : pathMtu.mtu();
    }

    /** The path-MTU state machine, or null. */
    public PathMtu pathMtu() {
        return pathMtu;
    }

    /**
     * The kernel refused a datagram with EMSGSIZE (any thread; applied at the next {@link #tick}):
     * {@code datagramLength} is the length of the refused datagram (the GSO segment size for a
     * batch; 0 if unknown), {@code innerMtuHint} the kernel's path MTU converted with
     * {@link PathMtu#innerMtu} (0 if unknown). Lowers the MTU at once, unless the datagram was
     * bigger than the current MTU (a raise probe, or a packet queued before the last lowering).
     * Allocation-free.
     */
    public void reportTooBig(int datagramLength, int innerMtuHint) {
        if (pathMtu == null)
            return;
        long size = Math.max(0, Math.min(0xffff, datagramLength - DataPacket.OVERHEAD));
        if (datagramLength <= 0)
            size = 0;
        long hint = innerMtuHint > 0 ? innerMtuHint : NO_HINT;
        for (;;) {
            long cur = tooBig.get(), merged;
            if (cur == NO_REPORT)
                merged = size << 32 | hint;
            else
                merged = Math.min(cur >>> 32, size) << 32 | Math.min(cur & 0xffff_ffffL, hint);
            if (tooBig.compareAndSet(cur, merged))
                return;
        }
    }

    /** The I/O side suspects the MTU (e.g. many retransmissions): probe it at the next {@link #tick} (any thread). */
    public void requestMtuCheck() {
        if (pathMtu != null)
            mtuCheckRequested.set(true);
    }

    /** Authentic control packets dropped as malformed (too short, an MTU probe whose size does not match, a bad observed address). */
    public long malformedControl() {
        return malformedControl;
    }

    /** MTU probes not sent because the caller's buffer was too small ({@link #takeReply}). */
    public long mtuProbesUnsent() {
        return mtuProbesUnsent;
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
