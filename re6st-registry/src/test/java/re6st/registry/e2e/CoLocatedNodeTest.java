package re6st.registry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bouncycastle.asn1.x500.X500Name;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import re6st.net.Network;
import re6st.net.NodePrefix;
import re6st.pki.Pem;
import re6st.registry.Registry;
import re6st.registry.alloc.Communities;
import re6st.registry.ca.CertificateAuthority;
import re6st.registry.ca.TestCa;
import re6st.registry.cli.RegistryOptions;
import re6st.registry.client.NodeSession;
import re6st.registry.client.RegistryClient.BootstrapPeer;
import re6st.registry.client.RegistryClient;
import re6st.registry.http.RpcServer;
import re6st.registry.node.CoLocatedNode;
import re6st.registry.node.NodeChannel;
import re6st.registry.node.StandInNode;
import re6st.registry.store.RegistryDb;

/**
 * The RPCs that need the node on the registry's host (getBootstrapPeer, getIPv4Information,
 * versions, topology) and the announcement of new network versions, over HTTP, with a node that
 * answers the registry's datagrams as the original re6stnet does. No Babel socket here: the
 * candidates are the registry's own node only (BabelRoutes is tested against babeld in netsim).
 */
class CoLocatedNodeTest {
    @Test
    void bootstrapVersionsTopologyAndNewVersions(@TempDir Path dir) throws Exception {
        CertificateAuthority ca = CertificateAuthority.initCa(Network.parse("2001:db8:42::/48"), 2048, new X500Name("CN=test"),
                Duration.ofDays(3650), Clock.systemUTC());
        RegistryOptions o = new RegistryOptions();
        new CommandLine(o).parseArgs("--db", dir.resolve("registry.db").toString(), "--anonymous-prefix-length", "16",
                "--node-address", "198.18.0.1,1194,udp");
        try (StandInNode node = new StandInNode(); RegistryDb db = RegistryDb.open(o.db);
                CoLocatedNode link = new CoLocatedNode(null, ca.network(), new NodeChannel(node.port(), 1500))) {
            Served server = serve(new Registry(o, ca, db, null, Communities.none(), null, Clock.systemUTC(), link), o);
            try {
                RegistryClient client = server.client();
                KeyPair k = TestCa.rsa(2048);
                String own = prefix(client.requestCertificate("", TestCa.csr(k, "O=registry node"), "", ""));
                assertEquals(own, node.newVersions.poll(10, TimeUnit.SECONDS),
                        "the first certificate makes the registry's node and a new version, announced to the node");
                String other = prefix(client.requestCertificate("", TestCa.csr(k, "O=node"), "", ""));
                NodeSession s = new NodeSession(other, k.getPrivate(), ca.publicKey());

                // the node does not know its own address yet: --node-address answers for it
                assertEquals(Optional.of(new BootstrapPeer(own, "198.18.0.1,1194,udp")), client.getBootstrapPeer(s));
                // the node answers: its answer wins; the country stays for protocol >= 7
                node.nodes.put(own, new StandInNode.Info("198.18.0.9,1194,udp,FR;198.18.0.9,1194,tcp,FR", "0.1, Linux", "0"));
                assertEquals(Optional.of(new BootstrapPeer(own, "198.18.0.9,1194,udp,FR;198.18.0.9,1194,tcp,FR")), client.getBootstrapPeer(s));
                NodeSession old = new NodeSession(other, k.getPrivate(), ca.publicKey(), "6");
                assertEquals(Optional.of(new BootstrapPeer(own, "198.18.0.9,1194,udp;198.18.0.9,1194,tcp")), client.getBootstrapPeer(old),
                        "protocol < 7 nodes get no country field");
                // nonsense from the node is not passed on (it answered: refused, not timed out)
                node.nodes.put(own, new StandInNode.Info("198.18.0.9,99999,udp", "0.1, Linux", "0"));
                java.util.List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
                java.util.logging.Logger jul = java.util.logging.Logger.getLogger("re6st.registry");
                java.util.logging.Handler capture = new java.util.logging.Handler() {
                    @Override
                    public void publish(java.util.logging.LogRecord r) {
                        if (r.getLevel() == java.util.logging.Level.WARNING)
                            warnings.add(new java.util.logging.SimpleFormatter().formatMessage(r));
                    }

                    @Override
                    public void flush() {}

                    @Override
                    public void close() {}
                };
                jul.addHandler(capture);
                try {
                    assertEquals(Optional.empty(), client.getBootstrapPeer(s));
                } finally {
                    jul.removeHandler(capture);
                }
                assertTrue(warnings.stream().anyMatch(w -> w.contains("answered bad addresses") && w.contains("99999")), warnings.toString());

                // admin RPCs: versions (JSON, null for silence) and topology
                node.nodes.put(own, new StandInNode.Info("198.18.0.9,1194,udp", "0.1, Linux", "1 " + new NodePrefix(other).cn()));
                ObjectMapper json = new ObjectMapper();
                assertEquals(json.readTree("{\"" + own + "\": \"0.1, Linux\"}"), json.readTree(client.call("versions", java.util.Map.of())));
                assertEquals(json.readTree("{\"" + new NodePrefix(own).cn() + "\": [\"" + new NodePrefix(other).cn() + "\"], \"\": [\""
                        + new NodePrefix(own).cn() + "\"]}"), json.readTree(client.call("topology", java.util.Map.of())));

                // a revocation bumps the version: the node hears of it
                node.newVersions.clear();
                client.call("revoke", RegistryClient.params("cn_or_serial", new NodePrefix(other).cn()));
                assertEquals(own, node.newVersions.poll(10, TimeUnit.SECONDS));
                client.call("updateHMAC", java.util.Map.of());
                assertEquals(own, node.newVersions.poll(10, TimeUnit.SECONDS), "updateHMAC forces a new version");
            } finally {
                server.close();
            }
        }
    }

    @Test
    void ipv4InformationNeedsARoutedNode(@TempDir Path dir) throws Exception {
        CertificateAuthority ca = CertificateAuthority.initCa(Network.parse("2001:db8:42::/48"), 2048, new X500Name("CN=test"),
                Duration.ofDays(3650), Clock.systemUTC());
        RegistryOptions o = new RegistryOptions();
        new CommandLine(o).parseArgs("--db", dir.resolve("registry.db").toString(), "--anonymous-prefix-length", "16");
        try (StandInNode node = new StandInNode(); RegistryDb db = RegistryDb.open(o.db);
                NodeChannel ch = new NodeChannel(node.port(), 1500)) {
            java.util.Set<String> routed = new java.util.concurrent.CopyOnWriteArraySet<>();
            CoLocatedNode link = new CoLocatedNode(null, ca.network(), ch);
            re6st.registry.node.NodeLink routedLink = new re6st.registry.node.NodeLink() {
                @Override
                public Set<String> routedPrefixes() {
                    return routed; // what Babel would route (BabelRoutes is tested against babeld in netsim)
                }

                @Override
                public Optional<String> addressOf(String prefix) {
                    return link.addressOf(prefix);
                }

                @Override
                public java.util.Map<String, String> versions(Set<String> prefixes) {
                    return link.versions(prefixes);
                }

                @Override
                public java.util.Map<String, Set<String>> topology(String root) {
                    return link.topology(root);
                }

                @Override
                public void newVersion(String ownPrefix) {
                    link.newVersion(ownPrefix);
                }
            };
            Served server = serve(new Registry(o, ca, db, null, Communities.none(), null, Clock.systemUTC(), routedLink), o);
            try {
                RegistryClient client = server.client();
                KeyPair k = TestCa.rsa(2048);
                client.requestCertificate("", TestCa.csr(k, "O=registry node"), "", "");
                String token = new String(client.call("addToken", RegistryClient.params("email", "carol@example.org", "token", "")));
                String carol = prefix(client.requestCertificate(token, TestCa.csr(k, "O=carol"), "", ""));
                node.nodes.put(carol, new StandInNode.Info("198.18.7.7,1194,udp;2001:db8::7,1194,udp6", "", ""));
                assertEquals(0, client.call("getIPv4Information", RegistryClient.params("email", "carol@example.org")).length,
                        "not routed: no answer");
                routed.add(carol);
                assertEquals("198.18.7.7", new String(client.call("getIPv4Information", RegistryClient.params("email", "carol@example.org")),
                        StandardCharsets.UTF_8));
                assertEquals(0, client.call("getIPv4Information", RegistryClient.params("email", "nobody@example.org")).length);
            } finally {
                server.close();
            }
        }
    }

    @Test
    void aCandidateWhoseAddressDoesNotComeIsReplacedByTheRegistrysNode(@TempDir Path dir) throws Exception {
        CertificateAuthority ca = CertificateAuthority.initCa(Network.parse("2001:db8:42::/48"), 2048, new X500Name("CN=test"),
                Duration.ofDays(3650), Clock.systemUTC());
        RegistryOptions o = new RegistryOptions();
        new CommandLine(o).parseArgs("--db", dir.resolve("registry.db").toString(), "--anonymous-prefix-length", "16",
                "--node-address", "198.18.0.1,1194,udp");
        try (StandInNode node = new StandInNode(); RegistryDb db = RegistryDb.open(o.db);
                CoLocatedNode link = new CoLocatedNode(null, ca.network(), new NodeChannel(node.port(), 300))) {
            Set<String> routed = new java.util.concurrent.CopyOnWriteArraySet<>();
            re6st.registry.node.NodeLink routedLink = new re6st.registry.node.NodeLink() {
                @Override
                public Set<String> routedPrefixes() {
                    return routed;
                }

                @Override
                public Optional<String> addressOf(String prefix) {
                    return link.addressOf(prefix);
                }

                @Override
                public java.util.Map<String, String> versions(Set<String> prefixes) {
                    return link.versions(prefixes);
                }

                @Override
                public java.util.Map<String, Set<String>> topology(String root) {
                    return link.topology(root);
                }

                @Override
                public void newVersion(String ownPrefix) {
                    link.newVersion(ownPrefix);
                }
            };
            Served server = serve(new Registry(o, ca, db, null, Communities.none(), null, Clock.systemUTC(), routedLink), o);
            try {
                RegistryClient client = server.client();
                KeyPair k = TestCa.rsa(2048);
                String own = prefix(client.requestCertificate("", TestCa.csr(k, "O=registry node"), "", ""));
                String silent = prefix(client.requestCertificate("", TestCa.csr(k, "O=silent"), "", ""));
                String caller = prefix(client.requestCertificate("", TestCa.csr(k, "O=caller"), "", ""));
                routed.add(silent); // routed, but the node has no answer about it (StandInNode knows nothing of it)
                NodeSession s = new NodeSession(caller, k.getPrivate(), ca.publicKey());
                // candidates: the silent one and the registry's node, in a random order: both calls get the registry's node
                for (int i = 0; i < 2; i++)
                    assertEquals(Optional.of(new BootstrapPeer(own, "198.18.0.1,1194,udp")), client.getBootstrapPeer(s), "call " + i);
            } finally {
                server.close();
            }
        }
    }

    record Served(RpcServer server, RegistryClient client) {
        void close() {
            server.close();
        }
    }

    /** The registry's RPCs on a loopback port, and a client for them. */
    static Served serve(Registry registry, RegistryOptions o) throws Exception {
        RpcServer server = new RpcServer(registry.authenticator(), Set.copyOf(o.origins()), new MetricRegistry(), 4);
        registry.declare(server);
        int port = server.start(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))).get(0).getPort();
        return new Served(server, new RegistryClient(URI.create("http://127.0.0.1:" + port + "/")));
    }

    static String prefix(byte[] pem) throws Exception {
        return NodePrefix.parseCn(Pem.parseCertificate(new String(pem, StandardCharsets.US_ASCII)).getSubjectX500Principal().getName()
                .replaceAll(".*CN=([0-9]+/[0-9]+).*", "$1")).bits();
    }
}
