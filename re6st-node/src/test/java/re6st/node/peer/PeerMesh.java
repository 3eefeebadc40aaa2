package re6st.node.peer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import re6st.net.Ipv6Address;
import re6st.net.Network;
import re6st.net.NodePrefix;
import re6st.peer.PeerAddress;
import re6st.peer.PeerPacket;
import re6st.peer.Topology;
import re6st.pki.Certificates;
import re6st.tunnel.handshake.Credentials;

/**
 * Peer services of several nodes on one virtual clock, their datagrams delivered in memory by
 * destination address: a peer's anycast address or node address reaches the node whose subnet
 * holds it (with our node address as the source, as babeld's pref-src makes it), {@code [::1]}
 * stays on the sending host (its local client's inbox). Every delivery is logged.
 */
final class PeerMesh {
    static final Network NETWORK = Network.parse("2001:db8:42::/48");

    /** One delivered datagram. */
    record Delivery(String from, String to, PeerDatagram datagram) {
        /** The payload of a data message (code byte and body; empty for an ack): seqno and HMAC cut off. */
        byte[] payload() {
            byte[] d = datagram.data();
            return Arrays.copyOfRange(d, 4, d.length - PeerPacket.HMAC_LENGTH);
        }
    }

    /** A node that records what the service tells it, and answers with fixed values. */
    static class RecordingNode implements PeerService.Node {
        final List<String> events = new ArrayList<>();
        List<PeerAddress> addresses = List.of();
        Topology topology = new Topology(List.of("12/16"), List.of());

        @Override
        public List<PeerAddress> addresses() {
            return addresses;
        }

        @Override
        public String softwareVersion() {
            return "re6st-jvm 0.1, Linux";
        }

        @Override
        public Topology topology() {
            events.add("topology asked");
            return topology;
        }

        @Override
        public void addressReceived(String prefix, String text) {
            events.add("address " + prefix + " " + text);
        }

        @Override
        public void newerVersionSeen(String prefix, byte[] version) {
            events.add("newer version " + version[0] + " from " + prefix);
        }

        @Override
        public void configChangedLocally() {
            events.add("config changed");
        }

        @Override
        public void tunnelKillRequested(String prefix) {
            events.add("kill requested by " + prefix);
        }

        @Override
        public void tunnelKillConfirmed(String prefix) {
            events.add("kill confirmed by " + prefix);
        }

        @Override
        public void peerLog(String prefix, String text) {
            events.add("log " + prefix + ": " + text);
        }
    }

    final Map<String, PeerService> services = new LinkedHashMap<>();
    final Map<String, RecordingNode> nodes = new LinkedHashMap<>();
    final Map<String, List<PeerDatagram>> localInbox = new LinkedHashMap<>();
    final List<Delivery> log = new ArrayList<>();
    final AtomicLong micros = new AtomicLong(1);
    final String registry;
    long now = TestPki.T0;

    PeerMesh(String registry) {
        this.registry = registry;
    }

    PeerService add(Credentials me, long protocol, byte[] version) {
        String prefix = Certificates.nodePrefix(me.cert()).bits();
        RecordingNode n = new RecordingNode();
        PeerService s = new PeerService(me, NETWORK, registry, protocol, TestPki.secrets(micros), version, n);
        services.put(prefix, s);
        nodes.put(prefix, n);
        localInbox.put(prefix, new ArrayList<>());
        return s;
    }

    static Ipv6Address address(String prefix) {
        return NETWORK.subnet(new NodePrefix(prefix)).nodeAddress();
    }

    /** What {@code from}'s service sent, delivered, and everything that follows until quiet (bounded). */
    void deliver(String from, List<PeerDatagram> sent) {
        List<Delivery> queue = new ArrayList<>();
        for (PeerDatagram d : sent)
            queue.add(new Delivery(from, null, d));
        for (int i = 0; i < queue.size(); i++) {
            if (i > 200)
                throw new AssertionError("the services never go quiet: " + queue.subList(0, 10));
            Delivery d = queue.get(i);
            if (d.datagram().fromLoopback()) {
                localInbox.get(d.from()).add(d.datagram());
                continue;
            }
            String to = services.keySet().stream().filter(p -> NETWORK.subnet(new NodePrefix(p)).prefix().contains(d.datagram().address()))
                    .findFirst().orElseThrow(() -> new AssertionError("no node at " + d.datagram().address()));
            log.add(new Delivery(d.from(), to, d.datagram()));
            for (PeerDatagram r : services.get(to).receive(new PeerDatagram(address(d.from()), PeerService.PORT, d.datagram().data()), now))
                queue.add(new Delivery(to, null, r));
        }
    }

    /** Sessions both ways between {@code a} and {@code b}. */
    void connect(String a, String b) {
        deliver(a, services.get(a).keepSession(b, now));
        if (!services.get(a).connected(b, now) || !services.get(b).connected(a, now))
            throw new AssertionError("no session between " + a + " and " + b);
        log.clear();
    }

    /** A request of a local client on {@code host} from [::1]:{@code port}, delivered with what follows. */
    void local(String host, int port, String text) {
        byte[] d = text.getBytes(StandardCharsets.ISO_8859_1);
        deliver(host, services.get(host).receive(new PeerDatagram(PeerDatagram.LOOPBACK, port, d), now));
    }

    /** The deliveries from {@code from} to {@code to}, in order. */
    List<Delivery> sent(String from, String to) {
        return log.stream().filter(d -> d.from().equals(from) && d.to().equals(to)).toList();
    }
}
