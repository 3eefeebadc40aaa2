package re6st.node.tunnel;

/**
 * The connectivity test's memory (spec/node-behaviour.md, "Connectivity test"; tunnel.py
 * 935-1004): whether the registry was found unreachable, and when we may try to rejoin again.
 * The first try is immediate; each try then waits {@code timeout * (1 + rand(0..#peers))}, so
 * that many nodes cut off together do not all ask the registry at once. Also which
 * {@code getBootstrapPeer} question is outstanding: one at a time.
 */
final class Bootstrap {
    /** Why we asked the registry, which decides what its answer is used for. */
    enum Purpose {
        /** Routes exist but not to the registry: a peer outside what we route helps us rejoin. */
        REJOIN,
        /** No route at all and the cache had nothing usable: the registry's peer, else a blacklisted entry. */
        STARTUP
    }

    private boolean disconnected;
    private int tries;
    private long nextTry = Long.MIN_VALUE;
    private Purpose pending;

    /** The registry is reachable: the next loss of it is tested at once. */
    void connected() {
        disconnected = false;
        tries = 0;
        nextTry = Long.MIN_VALUE;
    }

    /** Rejoin attempts since the registry was last reachable. */
    int tries() {
        return tries;
    }

    boolean disconnected() {
        return disconnected;
    }

    /** The registry is unreachable and the backoff has passed. */
    boolean due(long now) {
        return now >= nextTry;
    }

    /** A rejoin attempt starts now; the next may start after {@code backoff} ms. */
    void tried(long now, long backoff) {
        disconnected = true;
        tries++;
        nextTry = now + backoff;
    }

    Purpose pending() {
        return pending;
    }

    void asked(Purpose p) {
        pending = p;
    }

    /** The outstanding question's purpose, now answered; null if none was asked. */
    Purpose answered() {
        Purpose p = pending;
        pending = null;
        return p;
    }
}
