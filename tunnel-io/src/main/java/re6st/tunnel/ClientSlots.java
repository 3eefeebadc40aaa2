package re6st.tunnel;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The places of a server for peers that dial it (re6st's max_clients): a place is taken by a
 * client with a tunnel, and also by a client admitted in its handshake whose tunnel does not
 * exist yet (a <em>hold</em>, keyed by its CN, taken at admission).
 *
 * <p>Why holds: admission runs inside each client's DTLS handshake, once its certificate is
 * verified, so that a client we have no room for hears {@code access_denied} there and backs
 * off. Counting only the tunnels, several new clients handshaking at once for the last place all
 * passed admission (none had a tunnel yet), all finished their handshakes, and all but one were
 * dropped right after: each saw its tunnel established and then dead, and went through its
 * dead-path backoff (in a 10-node mesh, full connectivity took anywhere from 11 to 35 s). With
 * holds, the second one is refused inside its handshake.
 *
 * <p>A hold ends when the tunnel of its CN is created ({@link #take}: it becomes a client's
 * place), when the handshake ends without a tunnel ({@link #release}), or when it expires,
 * {@code holdFor} after its last admission (a handshake that vanished without a word must not
 * keep the place for ever; the owner picks twice its handshake timeout). A CN's concurrent
 * handshakes (a reconnection overlapping a dying one) share one hold: each admission counts one
 * handshake in it, each release one out, so that the dying one failing does not free the place
 * of the live one. A CN with a tunnel or a hold is always admitted (a reconnection, a session
 * renewal, roaming). A client's tunnel gone ({@link #removed}) frees its place.
 *
 * <p>Thread-safe (one lock; admission runs on the handshake threads, the rest on the
 * transport's). Called per handshake and per tunnel, never per packet.
 */
public final class ClientSlots {
    /** A CN's hold: handshakes admitted and not yet ended, and when the hold lapses (clock nanos). */
    private static final class Hold {
        int handshakes;
        long expiresAt;
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
     * Inside {@code cn}'s handshake, once its certificate is verified: null admits it (a client
     * we have, a CN holding a place already, or a new CN while a place is free: it then holds
     * that place), else the reason it is refused ({@code "N clients already (max clients)"}),
     * for its {@code access_denied} alert and the server's log.
     */
    public synchronized String admit(String cn) {
        if (clients.contains(cn))
            return null; // its place is its tunnel's
        long now = clock.getAsLong();
        expire(now);
        Hold h = holds.get(cn);
        if (h == null) {
            int taken = clients.size() + holds.size();
            if (taken >= maxClients)
                return refusal(taken);
            h = new Hold();
            holds.put(cn, h);
        }
        h.handshakes++;
        h.expiresAt = now + holdNs;
        return null;
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
     * A handshake of {@code cn} admitted earlier ended without making a tunnel (it failed, was
     * cut short, or its tunnel could not be set up): it leaves the hold, which ends with its last
     * handshake. Nothing for a client (its place is its tunnel's) or a CN without a hold.
     */
    public synchronized void release(String cn) {
        Hold h = holds.get(cn);
        if (h != null && --h.handshakes <= 0)
            holds.remove(cn);
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
