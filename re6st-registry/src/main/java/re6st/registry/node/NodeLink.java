package re6st.registry.node;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the registry asks of the node that runs on the same host (the "co-located node"),
 * kept small on purpose: {@code getBootstrapPeer}, {@code getIPv4Information}, {@code versions}
 * and {@code topology} need it, and a new network-configuration version is announced through it.
 * Prefixes are binary node prefixes relative to the network ({@code cert.prefix} form).
 *
 * <p>{@link CoLocatedNode} speaks what the original re6st registry speaks to its node: Babel's
 * local interface for the routed prefixes, and datagrams to {@code [::1]:326} for the rest.
 * {@link #NONE} is a registry without a node: nothing routed, nobody answers.
 */
public interface NodeLink extends AutoCloseable {
    /** The node prefixes the host's Babel router has a route to; empty when there is no router to ask. */
    Set<String> routedPrefixes();

    /**
     * The tunnel addresses of node {@code prefix} ({@code ip,port,proto[,country]} entries joined by
     * {@code ;}), asked through the co-located node (the node relays the question to that peer);
     * empty if no answer came in time.
     */
    Optional<String> addressOf(String prefix);

    /** Each node's {@code "version, platform"} answer, or null for a node that did not answer. */
    Map<String, String> versions(Set<String> prefixes);

    /**
     * The tunnel graph, explored from {@code root}: for each node CN ({@code "7/16"}) that answered,
     * the CNs it has tunnels with; key {@code ""} lists every node that answered.
     */
    Map<String, Set<String>> topology(String root);

    /** Tells the node at {@code ownPrefix} that a new network configuration exists: it fetches it and floods the new version. */
    void newVersion(String ownPrefix);

    @Override
    default void close() {
    }

    NodeLink NONE = new NodeLink() {
        @Override
        public Set<String> routedPrefixes() {
            return Set.of();
        }

        @Override
        public Optional<String> addressOf(String prefix) {
            return Optional.empty();
        }

        @Override
        public Map<String, String> versions(Set<String> prefixes) {
            Map<String, String> out = new java.util.TreeMap<>();
            prefixes.forEach(p -> out.put(p, null));
            return out;
        }

        @Override
        public Map<String, Set<String>> topology(String root) {
            return Map.of();
        }

        @Override
        public void newVersion(String ownPrefix) {
        }
    };
}
