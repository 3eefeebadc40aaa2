package re6st.node.tunnel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The peers a new outgoing tunnel may go to (spec/node-behaviour.md, "New peers"): every node
 * prefix Babel routes, minus our direct neighbours (a tunnel to them adds nothing) and ourselves,
 * shuffled, the {@code --neighbour} peers first. Deterministic for a given generator state: the
 * snapshot's prefixes are sorted before the shuffle.
 */
final class Candidates {
    private Candidates() {}

    /** In the order to try them. */
    static List<String> of(RouteSnapshot routes, String self, Set<String> neighbourOption, RandomGenerator random) {
        List<String> c = new ArrayList<>();
        routes.routes().forEach((prefix, r) -> {
            if (!r.neighbour() && !prefix.equals(self))
                c.add(prefix);
        });
        shuffle(c, random);
        // stable: the shuffle's order holds within each group
        c.sort(Comparator.comparing(p -> !neighbourOption.contains(p)));
        return c;
    }

    /** Fisher-Yates with the caller's generator (Collections.shuffle wants a java.util.Random). */
    static <T> void shuffle(List<T> l, RandomGenerator random) {
        for (int i = l.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            l.set(j, l.set(i, l.get(j)));
        }
    }
}
