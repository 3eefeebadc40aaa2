package re6st.node.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import re6st.net.Ipv6Address;
import re6st.peer.PeerAddress;
import re6st.peer.PeerCode;
import re6st.tunnel.handshake.Credentials;

/**
 * Two or three nodes' peer services wired together in memory on a virtual clock (spec
 * sections 5 and 6): version flooding, address queries, the tunnel-kill codes, what is answered
 * to whom, the registry's relay through {@code [::1]}, and the acceptance filter.
 */
class PeerServiceTest {
    static final String A = "0000000000000111", B = "0000000000001100", R = "0000000000000001"; // 7/16, 12/16, 1/16: R is the registry's node
    static TestPki ca, otherCa;
    static Credentials a, b, r;
    static byte[] v1, v2, v3;

    @BeforeAll
    static void pki() throws Exception {
        ca = new TestPki();
        otherCa = new TestPki();
        a = ca.node("7/16", 2);
        b = ca.node("12/16", 3);
        r = ca.node("1/16", 4);
        v1 = ca.version(1);
        v2 = ca.version(2);
        v3 = ca.version(3);
    }

    final PeerMesh mesh = new PeerMesh(R);

    static byte[] request(int code, String body) {
        byte[] t = body.getBytes(StandardCharsets.UTF_8), p = new byte[1 + t.length];
        p[0] = (byte) code;
        System.arraycopy(t, 0, p, 1, t.length);
        return p;
    }

    static String text(byte[] payload) {
        return new String(payload, StandardCharsets.ISO_8859_1);
    }

    /** {@code from} sends {@code code} to {@code to} over their session; the payload {@code to} answered. */
    byte[] ask(String from, String to, int code, String body) {
        mesh.log.clear();
        mesh.deliver(from, mesh.services.get(from).send(to, code, body.getBytes(StandardCharsets.UTF_8), mesh.now));
        List<PeerMesh.Delivery> answers = mesh.sent(to, from);
        assertEquals(1, mesh.sent(from, to).size() == 0 ? -1 : answers.size(), "one answer to one request");
        return answers.get(0).payload();
    }

    /** A, B and R on version 1, a session between each two. */
    void allThreeWithSessions() {
        mesh.add(a, 10, v1);
        mesh.add(b, 10, v1);
        mesh.add(r, 10, v1);
        mesh.connect(A, B);
        mesh.connect(R, B);
        mesh.connect(A, R);
    }

    @Test
    void aNewerValidVersionFromAPeerIsAdoptedAndTheNodeToldToFetchTheConfig() {
        PeerService sa = mesh.add(a, 10, v1);
        mesh.add(b, 10, v2);
        mesh.connect(A, B); // B accepts A's secret and sends its version, as the original
        assertArrayEquals(v2, sa.version(), "adopted at once");
        assertEquals(List.of("newer version 2 from " + B), mesh.nodes.get(A).events);
        assertEquals(List.of(), mesh.nodes.get(B).events);
    }

    @Test
    void anOlderVersionIsAnsweredWithOurs() {
        mesh.add(a, 10, v2);
        PeerService sb = mesh.add(b, 10, v1);
        mesh.deliver(A, mesh.services.get(A).keepSession(B, mesh.now));
        assertArrayEquals(v2, sb.version(), "B sent v1 after the handshake, A answered with v2");
        assertEquals(List.of("newer version 2 from " + A), mesh.nodes.get(B).events);
        assertEquals(List.of(), mesh.nodes.get(A).events);
    }

    @Test
    void aVersionNotSignedByTheCaIsIgnored() {
        mesh.add(a, 10, otherCa.version(9)); // newer than v1, but not our CA's
        PeerService sb = mesh.add(b, 10, v1);
        mesh.connect(A, B); // B sends v1; A finds it older than its own and answers with the forged one
        assertArrayEquals(v1, sb.version());
        assertEquals(List.of(), mesh.nodes.get(B).events, "never told of the forged version");
        assertEquals(0, ask(A, B, PeerCode.NEW_VERSION, "").length, "and it is acknowledged only");
    }

    @Test
    void floodingSendsOurVersionOnlyToNeighboursThatLackItAndHandshakesWithStrangers() {
        PeerService sa = mesh.add(a, 10, v1);
        PeerService sb = mesh.add(b, 10, v1);
        mesh.add(r, 10, v1);
        mesh.connect(A, B);
        sa.setVersion(v2); // the node fetched a newer config
        List<PeerDatagram> out = sa.floodVersion(List.of(B, R), mesh.now);
        assertEquals(2, out.size());
        mesh.deliver(A, out);
        assertArrayEquals(v2, sb.version());
        assertEquals(List.of("newer version 2 from " + A), mesh.nodes.get(B).events);
        assertEquals(0, mesh.sent(A, R).get(0).datagram().data()[3], "R, without a record, gets a hello (seqno 0)");
        assertEquals(List.of("newer version 2 from " + A), mesh.nodes.get(R).events, "R sent v1 after the handshake, A answered v2");
        assertEquals(List.of(), sa.floodVersion(List.of(B, R), mesh.now), "both know v2 now");
        sa.setVersion(v3);
        assertEquals(2, sa.floodVersion(List.of(B, R), mesh.now).size(), "v3 to both");
    }

    @Test
    void addressesAreAnsweredWithoutTheCountryToPeersBelowProtocol7() {
        PeerService sa = mesh.add(a, 10, v1);
        mesh.add(b, 6, v1);
        mesh.nodes.get(A).addresses = List.of(new PeerAddress("198.51.100.7", 1194, "udp", "FR"), new PeerAddress("2001:db8::7", 1194, "tcp6", "FR"));
        mesh.nodes.get(B).addresses = List.of(new PeerAddress("198.51.100.12", 1194, "udp", "DE"));
        mesh.connect(A, B);
        assertEquals("\u0001198.51.100.7,1194,udp;2001:db8::7,1194,tcp6", text(ask(B, A, PeerCode.ADDRESS, "")));
        assertEquals(List.of("address " + A + " 198.51.100.7,1194,udp;2001:db8::7,1194,tcp6"), mesh.nodes.get(B).events);
        assertEquals("\u0001198.51.100.12,1194,udp,DE", text(ask(A, B, PeerCode.ADDRESS, "")), "A has protocol 10");
        assertEquals("address " + B + " 198.51.100.12,1194,udp,DE", mesh.nodes.get(A).events.get(0));
        mesh.local(A, 40000, A + "\0\u0001");
        assertEquals(A + "\0\u0001198.51.100.7,1194,udp,FR;2001:db8::7,1194,tcp6,FR", text(mesh.localInbox.get(A).get(0).data()),
                "the registry gets the countries");
        mesh.nodes.get(A).addresses = List.of(); // a --client node advertises nothing: acknowledged only
        assertEquals(0, ask(B, A, PeerCode.ADDRESS, "").length);
        assertEquals(0, sa.drops().size());
    }

    @Test
    void aTunnelKillIsRequestedThenConfirmed() {
        mesh.add(a, 10, v1);
        mesh.add(b, 10, v1);
        mesh.connect(A, B);
        assertEquals(0, ask(A, B, PeerCode.TUNNEL_KILL_REQUEST, "").length, "acknowledged");
        assertEquals(List.of("kill requested by " + A), mesh.nodes.get(B).events);
        assertEquals(0, ask(B, A, PeerCode.TUNNEL_KILL_RESPONSE, "").length);
        assertEquals(List.of("kill confirmed by " + B), mesh.nodes.get(A).events);
    }

    @Test
    void topologyIsAnsweredOnlyToTheRegistryVersionToAnyoneUnknownCodesAcknowledged() {
        allThreeWithSessions();
        assertEquals(0, ask(A, B, PeerCode.TOPOLOGY, "").length, "A is not the registry");
        assertEquals(List.of(), mesh.nodes.get(B).events, "B did not even look");
        assertEquals("\u00051 12/16", text(ask(R, B, PeerCode.TOPOLOGY, "")));
        mesh.local(B, 40000, B + "\0\u0005");
        assertEquals(B + "\0\u00051 12/16", text(mesh.localInbox.get(B).get(0).data()), "and to a local asker");
        assertEquals("\u0004re6st-jvm 0.1, Linux", text(ask(A, B, PeerCode.VERSION, "")));
        assertEquals(0, ask(A, B, PeerCode.VERSION, "x").length, "a code 4 with a body is not a question");
        for (int code : new int[] {6, 8, 9, 127})
            assertEquals(0, ask(A, B, code, "").length, "code " + code);
    }

    @Test
    void aLogLineIsLoggedOnlyByTheRegistryNode() {
        allThreeWithSessions();
        assertEquals(0, ask(A, R, PeerCode.LOG, "Invalid route in cache").length);
        assertEquals(List.of("log " + A + ": Invalid route in cache"), mesh.nodes.get(R).events);
        assertEquals(0, ask(A, B, PeerCode.LOG, "Invalid route in cache").length);
        assertEquals(List.of(), mesh.nodes.get(B).events);
    }

    @Test
    void theRegistryNodeRelaysALocalRequestAndForwardsTheAnswerToItsLocalClient() {
        mesh.add(b, 10, v1);
        PeerService sr = mesh.add(r, 10, v1);
        mesh.nodes.get(B).addresses = List.of(new PeerAddress("198.51.100.12", 1194, "udp", null));
        mesh.connect(R, B);
        mesh.local(R, 40000, B + "\0\u0001");
        assertEquals(0x81, mesh.sent(R, B).get(0).payload()[0] & 0xff, "relayed: code | 0x80, no body");
        assertEquals("\u0081198.51.100.12,1194,udp", text(mesh.sent(B, R).get(0).payload()), "B answers with the code as received");
        assertEquals(0, mesh.sent(R, B).get(1).payload().length, "R acknowledges the answer");
        PeerDatagram forwarded = mesh.localInbox.get(R).get(0);
        assertEquals(new PeerDatagram(PeerDatagram.LOOPBACK, 40000, (B + "\0\u0001198.51.100.12,1194,udp").getBytes(StandardCharsets.ISO_8859_1)), forwarded);
        assertEquals(List.of(), mesh.nodes.get(R).events, "a relayed answer is not an address for R's own cache");

        mesh.local(R, 40001, B + "\0\u0005"); // topology through R: B answers, R being the registry's node
        assertEquals(B + "\0\u00051 12/16", text(mesh.localInbox.get(R).get(1).data()));
        assertEquals(40001, mesh.localInbox.get(R).get(1).port(), "to the latest local client");
        long accepted = sr.accepted();
        mesh.local(R, 40001, R + "\0\u0004"); // our own prefix: answered directly
        assertEquals(accepted + 1, sr.accepted());
        assertEquals(R + "\0\u0004re6st-jvm 0.1, Linux", text(mesh.localInbox.get(R).get(2).data()));
        mesh.local(R, 40001, R + "\0\0");
        assertEquals(List.of("config changed"), mesh.nodes.get(R).events);
        assertEquals(Map.of(), sr.drops());
    }

    @Test
    void aRelayedAnswerWithoutALocalClientIsCountedNotForwarded() {
        PeerService sa = mesh.add(a, 10, v1);
        mesh.add(b, 10, v1);
        mesh.connect(A, B);
        mesh.deliver(B, mesh.services.get(B).send(A, PeerCode.ADDRESS | PeerCode.RELAY, "198.51.100.12,1194,udp".getBytes(), mesh.now));
        assertEquals(1, sa.unforwarded());
        assertEquals(List.of(), mesh.localInbox.get(A));
        assertEquals(List.of(), mesh.nodes.get(A).events);
        assertEquals(0, mesh.sent(A, B).get(0).payload().length, "acknowledged");
    }

    @Test
    void datagramsFromOutsideTheNetworkOrTooShortOrMisframedAreRefusedAndCounted() {
        PeerService sb = mesh.add(b, 10, v1);
        byte[] junk = new byte[40];
        for (String source : new String[] {"2001:db8:43::1", "fe80::1", "::ffff:192.0.2.1", "::2"})
            assertEquals(List.of(), sb.receive(new PeerDatagram(Ipv6Address.parse(source), 326, junk), mesh.now), source);
        assertEquals(List.of(), sb.receive(new PeerDatagram(PeerMesh.address(A), 326, new byte[] {0, 0, 0, 9}), mesh.now));
        for (String local : new String[] {"", "0101", A + "\0", "01x\0\u0001", "\0\u0001", "1".repeat(81) + "\0\u0001"})
            assertEquals(List.of(), sb.receive(new PeerDatagram(PeerDatagram.LOOPBACK, 40000, local.getBytes(StandardCharsets.ISO_8859_1)), mesh.now), local);
        assertEquals(Map.of("not_in_network", 4L, "too_short", 1L, "not_local_framing", 5L, "local_prefix_too_long", 1L), sb.drops());
        assertEquals(0, sb.accepted());
        assertEquals(List.of(), sb.receive(new PeerDatagram(PeerMesh.address(A), 326, junk), mesh.now), "junk from inside: the sessions refuse it");
        assertEquals(1L, sb.drops().get("bad_certificate"), "a seqno 0 whose certificate is zeros");
    }

    @Test
    void aPrefixOutsideTheNetworkIsAnErrorOfTheCaller() {
        PeerService sb = mesh.add(b, 10, v1);
        for (String bad : new String[] {"", "012", "1".repeat(81)})
            assertThrows(IllegalArgumentException.class, () -> sb.send(bad, PeerCode.VERSION, new byte[0], mesh.now), bad);
    }

    @Test
    void localRequestsForEverUnknownPrefixesKeepAtMost64RecordsWithoutCertificate() {
        PeerService sb = mesh.add(b, 10, v1);
        int n = PeerProtocol.MAX_UNCERTIFIED + 36;
        for (int i = 0; i < n; i++) { // any local process can ask us to relay to any prefix
            String p = Integer.toBinaryString(0x10000 | 0x8000 | i).substring(1);
            List<PeerDatagram> out = sb.receive(new PeerDatagram(PeerDatagram.LOOPBACK, 40000,
                    (p + "\0\u0004").getBytes(StandardCharsets.ISO_8859_1)), mesh.now);
            assertEquals(1, out.size(), "a hello0 to " + p);
        }
        assertEquals(n, sb.accepted(), "every request relayed (a handshake started)");
        assertEquals(Map.of(), sb.drops(), "no datagram refused");
        assertEquals(36, sb.evicted(), "the records beyond 64 pushed out the oldest");
    }
}
