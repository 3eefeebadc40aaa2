package re6st.tunnel;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

import re6st.tunnel.handshake.AdmissionRefusedException;
import re6st.tunnel.handshake.DtlsHandshake;

/**
 * The places of a server for peers that dial it (re6st's max_clients): a place is taken by a
 * client with a tunnel, and also by a client admitted in its handshake whose tunnel does not
 * exist yet (a <em>hold</em>, keyed by its CN, taken at admission).
 *
 * <p>Why holds: admission runs inside each client's DTLS handshake, so that a client we have no
 * room for hears {@code access_denied} there and backs off. Counting only the tunnels, several
 * new clients handshaking at once for the last place all passed admission (none had a tunnel
 * yet), all finished their handshakes, and all but one were dropped right after: each saw its
 * tunnel established and then dead, and went through its dead-path backoff (in a 10-node mesh,
 * full connectivity took anywhere from 11 to 35 s). With holds, the second one is refused inside
 * its handshake.
 *
 * <p>Two steps, because a certificate proves nothing by itself (members' certificates are
 * public: every handshake sends one in clear): {@link #refusal} is asked when the client's
 * certificate arrives and takes nothing, so that a client with no room is refused at once;
 * {@link #admit} takes the hold only once the client has proved that it holds the
 * certificate's key (its CertificateVerify), still before the Finished messages, so that a late
 * refusal still reaches it as {@code access_denied} inside its handshake. Holding at the
 * certificate let anyone who had seen a member's certificate stall a handshake and keep a place
 * for that CN until the hold lapsed, refusing genuine clients meanwhile.
 *
 * <p>A hold ends when the tunnel of its CN is created ({@link #take}: it becomes a client's
 * place), when the handshakes counted in it end without a tunnel ({@link #release}), or when it
 * expires, {@code holdFor} after its last admission (a handshake that vanished without a word
 * must not keep the place for ever; the owner picks twice its handshake timeout). A CN's
 * concurrent handshakes (a reconnection overlapping a dying one) share one hold: each admission
 * counts one handshake in it, each release one out, so that the dying one failing does not free
 * the place of the live one. {@link #admit} answers the hold it counted the handshake in (null
 * when it counted nothing: a client with a tunnel), and {@link #release} takes that hold, not a
 * CN: a handshake admitted while its CN had a tunnel, or whose hold lapsed and was taken anew by
 * another handshake of the CN, must not end the hold of a later handshake of that CN. A CN with
 * a tunnel or a hold is always admitted (a reconnection, a session renewal, roaming). A client's
 * tunnel gone ({@link #removed}) frees its place.
 *
 * <p>Thread-safe (one lock; admission runs on the handshake threads, the rest on the
 * transport's). Called per handshake and per tunnel, never per packet.
 */
public final class ClientSlots {
    /**
     * A CN's hold: handshakes admitted and not yet ended, and when the hold lapses (clock nanos).
     * Also the token an admission gets, to give back by {@link #release} (nothing else is public).
     */
    public static final class Hold {
        private final String cn;
        private int handshakes;
        private long expiresAt;

        private Hold(String cn) {
            this.cn = cn;
        }

        @Override
        public String toString() {
            return "Hold[" + cn + "]";
        }
    }

    /** {@link #admit} refused a new client: no place is left; the message says so, for its alert and the log. */
    public static final class Full extends Exception {
        private static final long serialVersionUID = 1L;

        Full(String reason) {
            super(reason, null, false, false); // an answer, not a failure: no stack trace
        }
    }

    private final int maxClients;
    private final long holdNs;
    private final LongSupplier clock;
    private final Set<String> clients = new HashSet<>();       // CNs with a tunnel
    private final Map<String, Hold> holds = new HashMap<>();   // CNs admitted without a tunnel yet (never a client's)

    /** {@code maxClients} places; a hold lapses {@code holdFor} after its last admission, on {@link System#nanoTime}. */
    public ClientSlots(int maxClients, Duration holdFor) {
        this(maxClients, holdFor, System::nanoTime);
    }

    /** As {@link #ClientSlots(int, Duration)}, on {@code nanoClock} (monotonic nanoseconds; tests pass a virtual one). */
    public ClientSlots(int maxClients, Duration holdFor, LongSupplier nanoClock) {
        if (maxClients < 0)
            throw new IllegalArgumentException("max clients must not be negative, got " + maxClients);
        if (holdFor.isNegative() || holdFor.isZero())
            throw new IllegalArgumentException("a hold must last a positive time, got " + holdFor);
        this.maxClients = maxClients;
        this.holdNs = holdFor.toNanos();
        this.clock = nanoClock;
    }

    /**
     * When {@code cn}'s certificate arrives (verified, but its key not yet proven): null if
     * {@link #admit} would take it now (a client we have, a CN holding a place, or a new CN while
     * a place is free), else the reason it is refused ({@code "N clients already (max
     * clients)"}). Takes nothing: anyone can send a member's certificate.
     */
    public synchronized String refusal(String cn) {
        if (clients.contains(cn))
            return null;
        expire(clock.getAsLong());
        int taken = clients.size() + holds.size();
        return holds.containsKey(cn) || taken < maxClients ? null : refusal(taken);
    }

    /**
     * Inside {@code cn}'s handshake, once it proved it holds its certificate's key: admits it (a
     * client we have, a CN holding a place, or a new CN while a place is free: it then holds that
     * place), answering the hold this handshake is counted in, for {@link #release} (null: none,
     * a client we have, whose place is its tunnel's); or throws {@link Full}, whose message is
     * the reason ({@code "N clients already (max clients)"}), for the client's {@code
     * access_denied} alert and the server's log.
     */
    public synchronized Hold admit(String cn) throws Full {
        if (clients.contains(cn))
            return null; // its place is its tunnel's
        long now = clock.getAsLong();
        expire(now);
        Hold h = holds.get(cn);
        if (h == null) {
            int taken = clients.size() + holds.size();
            if (taken >= maxClients)
                throw new Full(refusal(taken));
            h = new Hold(cn);
            holds.put(cn, h);
        }
        h.handshakes++;
        h.expiresAt = now + holdNs;
        return h;
    }

    /**
     * {@link #admit} for a handshake's {@link DtlsHandshake.Admission#admit}: the reservation
     * releases the hold this admission was counted in; a refusal is an {@link
     * AdmissionRefusedException} (the client hears {@code access_denied}).
     */
    public DtlsHandshake.Reservation reserve(String cn) throws AdmissionRefusedException {
        try {
            Hold h = admit(cn);
            return h == null ? DtlsHandshake.Reservation.NONE : () -> release(h);
        } catch (Full full) {
            throw new AdmissionRefusedException(cn, full.getMessage());
        }
    }

    /**
     * The tunnel of {@code cn} is created now: its hold becomes a client's place. True also for a
     * client we have, and for a CN without a hold (it lapsed) while a place is free; false, and
     * nothing changes, when no place is left for it: the caller drops it (the late refusal that
     * holds make rare).
     */
    public synchronized boolean take(String cn) {
        if (clients.contains(cn))
            return true;
        expire(clock.getAsLong());
        if (holds.remove(cn) == null && clients.size() + holds.size() >= maxClients)
            return false;
        clients.add(cn);
        return true;
    }

    /**
     * A handshake admitted earlier in {@code hold} ({@link #admit}'s answer) ended without making
     * a tunnel (it failed, was cut short, or its tunnel could not be set up): it leaves the hold,
     * which ends with its last handshake. Nothing when {@code hold} is null (the client had a
     * tunnel) or no longer its CN's hold (it became a client's place, or lapsed, even if its
     * CN holds another one since). Call once per admission.
     */
    public synchronized void release(Hold hold) {
        if (hold != null && holds.get(hold.cn) == hold && --hold.handshakes <= 0)
            holds.remove(hold.cn);
    }

    /** The tunnel of client {@code cn} is gone: its place is free. Nothing if it had none. */
    public synchronized void removed(String cn) {
        clients.remove(cn);
    }

    /** Places taken now: clients with a tunnel plus live holds. */
    public synchronized int taken() {
        expire(clock.getAsLong());
        return clients.size() + holds.size();
    }

    /** Live holds now: clients admitted in their handshake without a tunnel yet. */
    public synchronized int holds() {
        expire(clock.getAsLong());
        return holds.size();
    }

    /** Clients with a tunnel now. */
    public synchronized int clients() {
        return clients.size();
    }

    public int maxClients() {
        return maxClients;
    }

    /** The reason a new client is refused when {@code taken} places are taken. */
    private String refusal(int taken) {
        int holding = holds.size();
        return taken + " clients already (max clients" + (holding > 0 ? "; " + holding + " of them in their handshake)" : ")");
    }

    /** Drops the holds whose last admission is {@code holdNs} old (a handful at most: a scan). */
    private void expire(long now) {
        for (Iterator<Hold> i = holds.values().iterator(); i.hasNext(); )
            if (now - i.next().expiresAt >= 0)
                i.remove();
    }
}
