package re6st.netsim.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The registry's {@code getBootstrapPeer} as {@code re6st.registry.Registry.bootstrapPeer}
 * answers it: candidates are the prefixes the registry's node routes plus its own, shuffled and
 * kept 60 s, one taken per call, the caller itself replaced by the registry's node. The address
 * comes from the co-located node: the candidate's when that node holds a peer session with it (the
 * real registry then asks it over that session), else its first question only starts a
 * handshake, and the registry's own node is given instead.
 */
final class BootstrapStandIn {
    static final long KEEP_MS = 60_000;
    private final NodeSimulation world;
    private final SplittableRandom random;
    private ArrayDeque<String> candidates = new ArrayDeque<>();
    private long until = Long.MIN_VALUE;
    long answers, ownNodeGiven;

    BootstrapStandIn(NodeSimulation world, long seed) {
        this.world = world;
        this.random = new SplittableRandom(seed);
    }

    /** {prefix, addresses} for {@code caller}, or null (the registry's node is down: no answer). */
    String[] answer(SimNode caller) {
        SimNode registry = world.registryNode();
        if (!registry.running)
            return null;
        long now = registry.nowMs();
        String own = registry.bits;
        if (until < now || candidates.isEmpty()) {
            List<String> l = new ArrayList<>(world.snapshot(registry).routes().keySet());
            l.remove(own);
            l.add(own);
            for (int i = l.size() - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                l.set(j, l.set(i, l.get(j)));
            }
            candidates = new ArrayDeque<>(l);
            until = now + KEEP_MS;
        }
        String peer = candidates.pop();
        answers++;
        if (peer.equals(caller.bits))
            peer = own;
        if (!peer.equals(own)) {
            SimNode p = world.node(peer);
            if (registry.peers.connected(peer, now) && p.running)
                return new String[] {peer, p.advertised.toString()};
            registry.send(registry.peers.keepSession(peer, now));
        }
        ownNodeGiven++;
        return new String[] {own, registry.advertised.toString()};
    }
}
