package re6st.registry.auth;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import re6st.registry.protocol.HmacChain;

/**
 * The registry's authenticated sessions, one per client prefix (the {@code cn} argument),
 * exactly as the original keeps them: a list of (key, protocol) where
 * <ul>
 * <li>{@link #hello} keeps the first entry, the key the client really used last, and puts the
 * new hello secret after it, replacing any earlier hello secret (an unauthenticated hello, maybe
 * from someone else, cannot break a working session; a client's first hello makes the list);</li>
 * <li>{@link #authenticate} accepts a MAC made with any listed key, then collapses the list to
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

    /** A call that passed: the key K it used (its response is MACed with SHA1(K)) and the client's protocol. */
    public record Authenticated(String prefix, byte[] key, int protocol) {
        /** The response's {@code Re6stHMAC} header value. */
        public String responseHeader(byte[] body) {
            return HmacChain.responseHeader(key, body);
        }
    }

    private record Entry(byte[] key, int protocol) {
    }

    private final int capacity;
    private final LinkedHashMap<String, List<Entry>> sessions;
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
            protected boolean removeEldestEntry(Map.Entry<String, List<Entry>> eldest) {
                if (size() <= Sessions.this.capacity)
                    return false;
                evicted++;
                return true;
            }
        };
    }

    /** After a {@code hello} from {@code prefix}: {@code secret} is the K sent to it. */
    public synchronized void hello(String prefix, byte[] secret, int protocol) {
        List<Entry> old = sessions.get(prefix);
        List<Entry> now = new ArrayList<>(2);
        if (old != null)
            now.add(old.get(0));
        now.add(new Entry(secret.clone(), protocol));
        sessions.put(prefix, List.copyOf(now));
    }

    /**
     * Checks the {@code Re6stHMAC} header of a call from {@code prefix} over the path and query
     * as received, and moves its chain forward.
     *
     * @throws AuthenticationException 401 without a session, 400 if no listed key made the MAC
     */
    public synchronized Authenticated authenticate(String prefix, String pathWithQuery, String header)
            throws AuthenticationException {
        List<Entry> session = sessions.get(prefix);
        if (session == null)
            throw new AuthenticationException(AuthenticationException.UNKNOWN_SESSION,
                    "no session for " + prefix + " (registry restarted?): say hello first");
        if (header == null)
            throw new AuthenticationException(AuthenticationException.BAD_MAC, "no " + HmacChain.HEADER + " header");
        for (Entry e : session) {
            if (HmacChain.verifyRequest(e.key(), pathWithQuery, header)) {
                sessions.put(prefix, List.of(new Entry(HmacChain.nextKey(e.key()), e.protocol())));
                return new Authenticated(prefix, e.key().clone(), e.protocol());
            }
        }
        throw new AuthenticationException(AuthenticationException.BAD_MAC, "wrong " + HmacChain.HEADER
                + " for " + prefix + " (replayed, or signed with an old key)");
    }

    /** The protocol of the client's session (the key it really used last), if any (the original's getPeerProtocol). */
    public synchronized OptionalInt protocol(String prefix) {
        List<Entry> s = sessions.get(prefix);
        return s == null ? OptionalInt.empty() : OptionalInt.of(s.get(0).protocol());
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
