package re6st.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import re6st.net.Network;
import re6st.net.NodePrefix;
import re6st.netsim.BabelNode;
import re6st.netsim.Namespace;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;
import re6st.registry.node.BabelRoutes;
import re6st.registry.node.CoLocatedNode;
import re6st.registry.node.NodeChannel;

/**
 * The registry learns which nodes are routed (getBootstrapPeer's candidates, versions) from the
 * Babel router on its host, through the router's local socket: Debian's babeld and our
 * {@code re6st babel} each read in a chain a - b - c where b announces a node subnet of the
 * network and a subnet outside it.
 */
@RequiresRoot
class RegistryBabelRoutesTest {
    static final Duration CONVERGE = Duration.ofSeconds(40);
    static final Network NETWORK = Network.parse("2001:db8:42::/48");

    @Test
    void routedNodePrefixesFromBabeldAndFromOurRouter() throws Exception {
        try (TestNet net = TestNet.create("reg-babel")) {
            Namespace a = net.namespace("a"), b = net.namespace("b"), c = net.namespace("c");
            net.veth(a, "veth0", b, "veth0");
            net.veth(b, "veth1", c, "veth0");
            b.forwarding();
            // b's node subnet 7/16 and a subnet outside the network, as kernel routes babeld redistributes
            b.ip("-6", "route", "add", "unreachable", "2001:db8:42:7::/64", "proto", "static");
            b.ip("-6", "route", "add", "unreachable", "2001:db8:99:1::/64", "proto", "static");
            List<String> common = List.of("default type wired hello-interval 1", "redistribute local deny");
            BabelNode routerA = BabelNode.babeld(a, 1, with(common, "interface veth0"));
            BabelNode.babeld(b, 2, with(List.of("default type wired hello-interval 1", "redistribute ip 2001:db8::/32 ge 48 le 64",
                    "redistribute local deny"), "interface veth0", "interface veth1"));
            BabelNode routerC = BabelNode.ours(c, 3, with(common, "interface veth0"));

            Set<String> expected = Set.of(new NodePrefix("0000000000000111").bits());
            for (BabelNode r : List.of(routerA, routerC))
                Wait.until(r.kind + " routes 7/16 and the registry reads it", CONVERGE,
                        () -> read(r.controlPath()).equals(expected));
            try (CoLocatedNode node = new CoLocatedNode(routerA.controlPath(), NETWORK, new NodeChannel(NodeChannel.DEFAULT_PORT + 20000, 100))) {
                assertEquals(expected, node.routedPrefixes(), "2001:db8:99:1::/64 is outside the network");
            }
            try (CoLocatedNode none = new CoLocatedNode(Path.of("/nonexistent/babeld.sock"), NETWORK,
                    new NodeChannel(NodeChannel.DEFAULT_PORT + 20001, 100))) {
                assertEquals(Set.of(), none.routedPrefixes(), "no router: nothing routed (logged), no exception");
            }
            assertThrows(IOException.class, () -> BabelRoutes.read(Path.of("/nonexistent/babeld.sock"), NETWORK, Duration.ofSeconds(1)));
        }
    }

    static Set<String> read(Path socket) {
        try {
            return BabelRoutes.read(socket, NETWORK, Duration.ofSeconds(5));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // the router answers from the start: a failure is a bug
        }
    }

    static List<String> with(List<String> base, String... more) {
        List<String> l = new java.util.ArrayList<>(base);
        l.addAll(List.of(more));
        return l;
    }
}
