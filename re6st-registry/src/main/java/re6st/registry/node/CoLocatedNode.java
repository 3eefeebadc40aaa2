package re6st.registry.node;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.System.Logger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import re6st.net.Network;

/**
 * The node on the registry's host, reached as the original registry reaches it: routes from
 * the Babel router's local socket ({@code <run dir>/babeld.sock}, text protocol as Debian's
 * babeld and {@code re6st babel} speak it), questions as datagrams to {@code [::1]:326}
 * ({@link NodeChannel}). Every failure is logged and answered as "nothing known": the RPCs
 * that need the node then answer 204 or leave a node out, as the original does on a timeout.
 */
public final class CoLocatedNode implements NodeLink {
    private static final Logger LOG = System.getLogger("re6st.registry.node");
    static final Duration DUMP_TIMEOUT = Duration.ofSeconds(5);
    static final int MAX_TOPOLOGY_NODES = 10_000;

    private final Path babelSocket;
    private final Network network;
    private final NodeChannel channel;
    private String lastProblem = ""; // routes: logged when it changes, not at every call

    /** @param babelSocket the Babel local socket, or null when there is none to read */
    public CoLocatedNode(Path babelSocket, Network network, NodeChannel channel) {
        this.babelSocket = babelSocket;
        this.network = network;
        this.channel = channel;
    }

    @Override
    public Set<String> routedPrefixes() {
        if (babelSocket == null)
            return Set.of();
        if (!java.nio.file.Files.exists(babelSocket)) {
            problem("no Babel router socket at " + babelSocket + " (is the node running with -r " + babelSocket.getParent() + "?)");
            return Set.of();
        }
        try {
            Set<String> routes = BabelRoutes.read(babelSocket, network, DUMP_TIMEOUT);
            problem("");
            return routes;
        } catch (IOException e) {
            problem(e.getMessage());
            return Set.of();
        }
    }

    /** Logs a problem reading the routes once, and its end. */
    private synchronized void problem(String p) {
        if (p.equals(lastProblem))
            return;
        if (p.isEmpty())
            LOG.log(Level.INFO, "reading the routes of the co-located node again");
        else
            LOG.log(Level.WARNING, "cannot read the routes of the co-located node: " + p + "; bootstrap peers are the registry's node only");
        lastProblem = p;
    }

    @Override
    public Optional<String> addressOf(String prefix) {
        try {
            Optional<String> a = channel.ask(prefix, re6st.peer.PeerCode.ADDRESS);
            if (a.isEmpty())
                LOG.log(Level.INFO, "no answer from the co-located node about the address of {0}", prefix);
            return a;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot ask the co-located node: " + e.getMessage());
            return Optional.empty();
        }
    }

    @Override
    public Map<String, String> versions(Set<String> prefixes) {
        try {
            return channel.versions(prefixes);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot ask the co-located node: " + e.getMessage());
            return NodeLink.NONE.versions(prefixes);
        }
    }

    @Override
    public Map<String, Set<String>> topology(String root) {
        try {
            return channel.topology(root, MAX_TOPOLOGY_NODES);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot ask the co-located node: " + e.getMessage());
            return Map.of();
        }
    }

    @Override
    public void newVersion(String ownPrefix) {
        try {
            channel.send(ownPrefix, re6st.peer.PeerCode.NEW_VERSION);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot tell the co-located node about the new network version: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        channel.close();
    }
}
