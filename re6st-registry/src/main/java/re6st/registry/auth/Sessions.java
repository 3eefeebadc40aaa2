package re6st.registry.auth;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import re6st.registry.protocol.HmacChain;

/**
 * The registry's authenticated sessions, one per client prefix (the {@code cn} argument), as the
 * original keeps them, except that a stranger's hello cannot lock a node out:
 * <ul>
 * <li>{@link #hello} keeps the key the client really used last, if any, and adds the new hello
 * secret as pending for the address it came from: one pending secret per source address (a new
 * hello from the same address replaces its earlier one) and up to {@value #PENDING_PER_PREFIX}
 * addresses per prefix. The original keeps a single pending secret, so anyone's hello for a
 * prefix replaced the node's own between its hello and its first call; here a stranger needs
 * {@value #PENDING_PER_PREFIX} addresses to push it out, and a hello that would push one out
 * passes a gate first, charged to the address that says hello (the registry's
 * --hello-evictions-per-source), never to the prefix: a shared allowance per prefix would let
 * strangers use it up and lock the node out;</li>
 * <li>{@link #authenticate} accepts a MAC made with any listed key, then collapses the session to
 * one entry: the next key of the chain, SHA1(SHA1(K)), with that entry's protocol. So every
 * key works once: a replayed request is refused;</li>
 * <li>a client without a session gets 401 (after a restart), a bad MAC 400, the session unchanged.</li>
 * </ul>
 * Thread-safe (one lock: each check-and-advance is atomic, so two calls with one key cannot
 * both pass). Bounded: beyond {@code capacity} sessions (default {@value #DEFAULT_CAPACITY})
 * the least recently used one is forgotten; its client gets a 401 and says hello again.
 * Sessions live in memory only, like the original's.
 */
public final class Sessions {
    public static final int DEFAULT_CAPACITY = 100_000;
    /**
     * Pending hello secrets kept per prefix, one per source address: a stranger who wants to push
     * the node's fresh one out must say hello for it from this many addresses within the moment
     * between the node's hello and its first call, each address within its own eviction allowance.
     */
    public static final int PENDING_PER_PREFIX = 16;

    /** A call that passed: the key K it used (its response is MACed with SHA1(K)) and the client's protocol. */
    public record Authenticated(String prefix, byte[] key, int protocol) {
        /** The response's {@code Re6stHMAC} header value. */
        public String responseHeader(byte[] body) {
            return HmacChain.responseHeader(key, body);
        }
    }

    /** Asked before a hello pushes out another address's pending secret; throws to refuse (nothing is changed then). */
    @FunctionalInterface
    public interface EvictionGate<E extends Exception> {
        void admit() throws E;
    }

    private record Entry(byte[] key, int protocol) {
    }

    private static final class Session {
        Entry used; // the key the client really used last; null until its first call
        final LinkedHashMap<String, Entry> pending = new LinkedHashMap<>(); // by source address, oldest first
    }

    private final int capacity;
    private final LinkedHashMap<String, Session> sessions;
    private long evicted;

    public Sessions() {
        this(DEFAULT_CAPACITY);
    }

    public Sessions(int capacity) {
        if (capacity < 1)
            throw new IllegalArgumentException("session capacity must be positive, got " + capacity);
        this.capacity = capacity;
        this.sessions = new LinkedHashMap<>(16, 0.75f, true) { // access order: the eldest is the least recently used
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Session> eldest) {
                if (size() <= Sessions.this.capacity)
                    return false;
                evicted++;
                return true;
            }
        };
    }

    /** After a {@code hello} from {@code prefix} and {@code source} (an address): {@code secret} is the K sent to it. */
    public synchronized void hello(String prefix, byte[] secret, int protocol, String source) {
        hello(prefix, secret, protocol, source, () -> {});
    }

    /**
     * {@link #hello}, asking {@code gate} first when this would push out the oldest pending secret
     * of another address; if the gate throws, nothing changes.
     */
    public synchronized <E extends Exception> void hello(String prefix, byte[] secret, int protocol, String source,
            EvictionGate<E> gate) throws E {
        Session s = sessions.get(prefix);
        if (s != null && !s.pending.containsKey(source) && s.pending.size() >= PENDING_PER_PREFIX)
            gate.admit();
        if (s == null)
            s = new Session();
        s.pending.remove(source); // re-added last: the newest
        s.pending.put(source, new Entry(secret.clone(), protocol));
        for (var i = s.pending.keySet().iterator(); s.pending.size() > PENDING_PER_PREFIX; ) {
            i.next();
            i.remove();
        }
        sessions.put(prefix, s);
    }

    /**
     * Checks the {@code Re6stHMAC} header of a call from {@code prefix} over the path and query
     * as received, and moves its chain forward.
     *
     * @throws AuthenticationException 401 without a session, 400 if no listed key made the MAC
     */
    public synchronized Authenticated authenticate(String prefix, String pathWithQuery, String header)
            throws AuthenticationException {
        Session session = sessions.get(prefix);
        if (session == null)
            throw new AuthenticationException(AuthenticationException.UNKNOWN_SESSION,
                    "no session for " + prefix + " (registry restarted?): say hello first");
        if (header == null)
            throw new AuthenticationException(AuthenticationException.BAD_MAC, "no " + HmacChain.HEADER + " header");
        List<Entry> keys = new ArrayList<>(1 + session.pending.size());
        if (session.used != null)
            keys.add(session.used);
        keys.addAll(session.pending.values());
        for (Entry e : keys) {
            if (HmacChain.verifyRequest(e.key(), pathWithQuery, header)) {
                session.used = new Entry(HmacChain.nextKey(e.key()), e.protocol());
                session.pending.clear();
                return new Authenticated(prefix, e.key().clone(), e.protocol());
            }
        }
        throw new AuthenticationException(AuthenticationException.BAD_MAC, "wrong " + HmacChain.HEADER
                + " for " + prefix + " (replayed, or signed with an old key)");
    }

    /**
     * The protocol of the client's session (the key it really used last; before any call, its
     * oldest pending hello's, as the original's first entry), if any (the original's getPeerProtocol).
     */
    public synchronized OptionalInt protocol(String prefix) {
        Session s = sessions.get(prefix);
        if (s == null)
            return OptionalInt.empty();
        return OptionalInt.of(s.used != null ? s.used.protocol() : s.pending.values().iterator().next().protocol());
    }

    /** Forgets a client's session ({@code revoke}). */
    public synchronized void drop(String prefix) {
        sessions.remove(prefix);
    }

    public synchronized int size() {
        return sessions.size();
    }

    /** Sessions forgotten so far because the table was full. */
    public synchronized long evicted() {
        return evicted;
    }

    public int capacity() {
        return capacity;
    }
}
