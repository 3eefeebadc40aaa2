package re6st.netsim.sim;

import java.util.SplittableRandom;

/**
 * The Internet under the overlay, as simply as stretch needs: nodes at random points of a square
 * whose side is in milliseconds, the one-way delay between two being a fixed part plus their
 * distance (so the direct path is the shortest underlay path); a share of the pairs broken (no
 * path either way: a dial fails after the handshake timeout); a share of the nodes behind a NAT
 * (they dial out; a dial to them fails the same way).
 */
final class Underlay {
    private final double[] x, y;
    private final boolean[] nat;
    private final double baseMs, broken;
    private final long seed;
    /** Each node's one-way delay to a common router ({@link #Underlay(double[], boolean[])}); null: the square. */
    private final double[] accessMs;
    private final int exempt;
    /** Pairs cut during the run (i * n + j, i < j). */
    private final java.util.Set<Long> cut = new java.util.HashSet<>();

    /**
     * @param sideMs side of the square (one-way ms)
     * @param baseMs one-way delay of two nodes at the same point (access links)
     * @param broken share of the pairs without a path
     * @param nat    share of the nodes behind a NAT
     * @param exempt the registry's node: never behind a NAT, and never cut from anyone (a node that
     *               cannot reach the registry could not have enrolled; one that starts with an empty
     *               peer cache and cannot ask the registry for a bootstrap peer never joins: nobody
     *               routes to it, so nobody asks it for its address)
     */
    Underlay(int n, long seed, double sideMs, double baseMs, double broken, double nat, int exempt) {
        this.seed = seed;
        this.accessMs = null;
        this.baseMs = baseMs;
        this.broken = broken;
        this.exempt = exempt;
        SplittableRandom r = new SplittableRandom(seed);
        x = new double[n];
        y = new double[n];
        this.nat = new boolean[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextDouble() * sideMs;
            y[i] = r.nextDouble() * sideMs;
            this.nat[i] = i != exempt && r.nextDouble() < nat;
        }
    }

    /**
     * A star, as the namespace demo's WAN links: node i is {@code accessMs[i]} one way from a
     * common router, so the delay between i and j is {@code accessMs[i] + accessMs[j]}; no broken
     * pair; the nodes {@code nat} marks behind a NAT.
     */
    Underlay(double[] accessMs, boolean[] nat) {
        if (accessMs.length != nat.length)
            throw new IllegalArgumentException(accessMs.length + " delays, " + nat.length + " NAT flags");
        this.seed = 0;
        this.accessMs = accessMs.clone();
        this.baseMs = 0;
        this.broken = 0;
        this.x = this.y = new double[0];
        this.nat = nat.clone();
        this.exempt = 0; // the registry's host
    }

    /** One-way delay between two nodes, ms. */
    double delayMs(int i, int j) {
        if (accessMs != null)
            return accessMs[i] + accessMs[j];
        return baseMs + Math.hypot(x[i] - x[j], y[i] - y[j]);
    }

    /** No path between the two, either way; the same answer for a given seed. */
    boolean broken(int i, int j) {
        if (i == j || i == exempt || j == exempt)
            return false;
        long a = Math.min(i, j), b = Math.max(i, j);
        if (!cut.isEmpty() && cut.contains(a * nat.length + b))
            return true;
        return new SplittableRandom(seed ^ (a * 1_000_003L + b)).nextDouble() < broken;
    }

    /** From now on there is no path between the two (an ISP fault that lasts). */
    void cut(int i, int j) {
        cut.add((long) Math.min(i, j) * nat.length + Math.max(i, j));
    }

    boolean behindNat(int i) {
        return nat[i];
    }

    /** Whether {@code from} can open a tunnel to {@code to}: a path, and {@code to} not behind a NAT. */
    boolean dialable(int from, int to) {
        return !nat[to] && !broken(from, to);
    }
}
