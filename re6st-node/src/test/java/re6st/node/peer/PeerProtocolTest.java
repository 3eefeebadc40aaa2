package re6st.node.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import re6st.peer.DataMessages;
import re6st.peer.PeerCode;
import re6st.tunnel.handshake.Credentials;

/**
 * Two nodes' peer protocols wired back to back on a virtual clock: the handshake of section 3.4
 * from a first send, answered requests, replays and forgeries dropped and counted, the one-a-minute
 * hello0, a secret that is not newer refused, a stranger of another CA refused, liveness.
 */
class PeerProtocolTest {
    static final long T0 = TestPki.T0; // inside the certificates' validity
    static final String A = "0000000000000111", B = "0000000000001100"; // CN 7/16 and 12/16
    static Credentials ca7, ca12, other12;

    @BeforeAll
    static void pki() throws Exception {
        TestPki ca = new TestPki(), otherCa = new TestPki(); // same name "CN=ca", another key
        ca7 = ca.node("7/16", 2);
        ca12 = ca.node("12/16", 3);
        other12 = otherCa.node("12/16", 4);
    }

    static java.util.function.Supplier<byte[]> secrets(AtomicLong clock) {
        return TestPki.secrets(clock);
    }

    final AtomicLong micros = new AtomicLong(1);
    final byte[] versionA = {0x0a, 1, 2}, versionB = {0x0b, 3, 4};
    final List<String> askedOfB = new ArrayList<>(), askedOfA = new ArrayList<>();
    final PeerProtocol.Answers answersA = (p, code, body) -> {
        askedOfA.add(p + ":" + code);
        return code == PeerCode.ADDRESS && body.length == 0 ? "198.51.100.7,1194,udp".getBytes() : null; // a body: a reply, stored
    };
    final PeerProtocol.Answers answersB = (p, code, body) -> {
        askedOfB.add(p + ":" + code);
        return code == PeerCode.ADDRESS && body.length == 0 ? "198.51.100.12,1194,udp".getBytes() : null;
    };

    /** Delivers every datagram until quiet (bounded): A's outputs to B and back. Returns how many went. */
    static int exchange(PeerProtocol a, PeerProtocol b, List<PeerProtocol.Out> fromA, long now, PeerProtocol.Answers ansA,
            PeerProtocol.Answers ansB) {
        int n = 0;
        List<PeerProtocol.Out> toB = fromA, toA = List.of();
        for (int round = 0; round < 20 && (!toB.isEmpty() || !toA.isEmpty()); round++) {
            List<PeerProtocol.Out> nextToA = new ArrayList<>(), nextToB = new ArrayList<>();
            for (PeerProtocol.Out o : toB) {
                nextToA.addAll(b.receive(A + "0001", o.datagram(), now, ansB));
                n++;
            }
            for (PeerProtocol.Out o : toA) {
                nextToB.addAll(a.receive(B + "0001", o.datagram(), now, ansA));
                n++;
            }
            toA = nextToA;
            toB = nextToB;
        }
        return n;
    }

    @Test
    void aFirstSendHandshakesThenRequestsAreAnswered() {
        PeerProtocol a = new PeerProtocol(ca7, 10, secrets(micros), () -> versionA);
        PeerProtocol b = new PeerProtocol(ca12, 10, secrets(micros), () -> versionB);
        List<PeerProtocol.Out> first = a.send(B, DataMessages.payload(PeerCode.ADDRESS, new byte[0]), T0);
        PeerProtocol.Send hello0 = assertInstanceOf(PeerProtocol.Send.class, first.get(0));
        assertEquals(B, hello0.prefix());
        assertEquals(0, ByteBuffer.wrap(hello0.datagram()).getInt(), "no session: a seqno 0, the request is dropped");
        // seqno 0 -> B answers seqno 1 -> A answers seqno 2 -> B: data code 0 + version -> A answers an empty ack -> B
        assertEquals(5, exchange(a, b, first, T0, answersA, answersB));
        assertTrue(a.connected(B, T0) && b.connected(A, T0));
        assertEquals(10, a.protocolOf(B));
        assertEquals(List.of(B + ":0"), askedOfA, "A was told B's version (code 0) after the handshake");

        List<PeerProtocol.Out> ask = a.send(B, DataMessages.payload(PeerCode.ADDRESS, new byte[0]), T0 + 1000);
        assertEquals(1, ask.size());
        List<PeerProtocol.Out> answer = b.receive(A + "0001", ask.get(0).datagram(), T0 + 1000, answersB);
        PeerProtocol.Reply r = assertInstanceOf(PeerProtocol.Reply.class, answer.get(0));
        assertEquals(List.of(A + ":1"), askedOfB);
        List<PeerProtocol.Out> ack = a.receive(B + "0001", r.datagram(), T0 + 1000, answersA);
        assertEquals(List.of(B + ":0", B + ":1"), askedOfA, "the answer (code 1 with a body) reaches A's application");
        assertEquals(24, ack.get(0).datagram().length, "every non-empty message is acknowledged: an empty ack");
        assertEquals(List.of(), b.receive(A + "0001", ack.get(0).datagram(), T0 + 1000, answersB), "an ack is not answered");
        assertTrue(a.connected(B, T0 + 200_000), "answered: connected however long nothing is sent");

        // the same request again (replayed by an attacker): dropped, counted, nothing answered
        assertEquals(List.of(), b.receive(A + "0001", ask.get(0).datagram(), T0 + 2000, answersB));
        assertEquals(1L, b.drops().get(PeerProtocol.Drop.REPLAY));
        byte[] forged = ask.get(0).datagram().clone();
        forged[4] ^= 1;
        assertEquals(List.of(), b.receive(A + "0001", forged, T0 + 2000, answersB));
        assertEquals(1L, b.drops().get(PeerProtocol.Drop.BAD_HMAC));
        assertEquals(List.of(A + ":1"), askedOfB, "neither reached the application");
    }

    @Test
    void anUnansweredSendEndsTheSessionAfterAMinuteAndHelloIsOnceAMinute() {
        PeerProtocol a = new PeerProtocol(ca7, 10, secrets(micros), () -> versionA);
        PeerProtocol b = new PeerProtocol(ca12, 10, secrets(micros), () -> versionB);
        exchange(a, b, a.send(B, null, T0), T0, answersA, answersB);
        assertTrue(a.connected(B, T0));
        assertEquals(1, a.send(B, DataMessages.payload(PeerCode.VERSION, new byte[0]), T0 + 1).size()); // lost: never delivered
        assertTrue(a.connected(B, T0 + PeerProtocol.UNANSWERED_MS), "within the minute");
        assertFalse(a.connected(B, T0 + 1 + PeerProtocol.UNANSWERED_MS), "a minute without an answer");
        List<PeerProtocol.Out> again = a.send(B, DataMessages.payload(PeerCode.VERSION, new byte[0]), T0 + 70_000);
        assertEquals(1, ByteBuffer.wrap(again.get(0).datagram()).getInt(), "a hello0, now seqno 1 (B's certificate is known)");
        assertEquals(List.of(), a.send(B, null, T0 + 70_001), "at most one hello0 a minute");
        exchange(a, b, again, T0 + 70_000, answersA, answersB);
        assertTrue(a.connected(B, T0 + 70_000), "a new session");
    }

    @Test
    void aSecretThatIsNotNewerIsRefused() {
        PeerProtocol a = new PeerProtocol(ca7, 10, secrets(micros), () -> versionA);
        PeerProtocol b = new PeerProtocol(ca12, 10, secrets(micros), () -> versionB);
        List<PeerProtocol.Out> toB = a.send(B, null, T0);
        List<PeerProtocol.Out> seqno1 = b.receive(A + "0001", toB.get(0).datagram(), T0, answersB);
        List<PeerProtocol.Out> seqno2 = a.receive(B + "0001", seqno1.get(0).datagram(), T0, answersA);
        assertEquals(2, ByteBuffer.wrap(seqno2.get(0).datagram()).getInt());
        assertEquals(1, b.receive(A + "0001", seqno2.get(0).datagram(), T0, answersB).size(), "accepted: B sends its version");
        assertEquals(List.of(), b.receive(A + "0001", seqno2.get(0).datagram(), T0 + 1, answersB), "the same seqno 2 replayed");
        assertEquals(1L, b.drops().get(PeerProtocol.Drop.OLD_SECRET));
    }

    @Test
    void aStrangerOrAWrongSourceIsRefused() {
        PeerProtocol b = new PeerProtocol(ca12, 10, secrets(micros), () -> versionB);
        PeerProtocol stranger = new PeerProtocol(other12, 10, secrets(micros), () -> versionB);
        byte[] hello = stranger.send(A, null, T0).get(0).datagram(); // a seqno 0 with a certificate of another CA
        assertEquals(List.of(), b.receive(B + "0001", hello, T0, answersB));
        assertEquals(1L, b.drops().get(PeerProtocol.Drop.BAD_CERTIFICATE));

        PeerProtocol a = new PeerProtocol(ca7, 10, secrets(micros), () -> versionA);
        byte[] fromA = a.send(B, null, T0).get(0).datagram();
        assertEquals(List.of(), b.receive("1111" + "0001", fromA, T0, answersB), "A's certificate from an address outside 7/16");
        assertEquals(1L, b.drops().get(PeerProtocol.Drop.WRONG_SOURCE));
        assertEquals(List.of(), b.receive(A + "0001", new byte[] {0, 0, 0}, T0, answersB));
        assertEquals(1L, b.drops().get(PeerProtocol.Drop.MALFORMED));
        assertEquals(List.of(), b.receive(A + "0001", DataMessages.seal(new byte[20], 5, new byte[] {1}).encode(), T0, answersB));
        assertEquals(1L, b.drops().get(PeerProtocol.Drop.UNKNOWN_PEER), "data from nobody we know");
    }

    @Test
    void aHelloReachesTheApplicationNeverBeforeTheSession() {
        PeerProtocol a = new PeerProtocol(ca7, 10, secrets(micros), () -> versionA);
        PeerProtocol b = new PeerProtocol(ca12, 10, secrets(micros), () -> versionB);
        exchange(a, b, a.send(B, DataMessages.payload(PeerCode.ADDRESS, new byte[0]), T0), T0, answersA, answersB);
        assertEquals(List.of(), askedOfB, "the request that started the handshake was dropped, as the original does");
        assertEquals(List.of(B + ":0"), askedOfA, "only B's version, once the session is up");
    }

    @Test
    void theVersionSentAfterAHandshakeMustBeAnsweredWithinAMinute() {
        PeerProtocol a = new PeerProtocol(ca7, 10, secrets(micros), () -> versionA);
        PeerProtocol b = new PeerProtocol(ca12, 10, secrets(micros), () -> versionB);
        List<PeerProtocol.Out> seqno1 = b.receive(A + "0001", a.send(B, null, T0).get(0).datagram(), T0, answersB);
        List<PeerProtocol.Out> seqno2 = a.receive(B + "0001", seqno1.get(0).datagram(), T0, answersA);
        assertEquals(1, b.receive(A + "0001", seqno2.get(0).datagram(), T0, answersB).size(), "B sends its version: never delivered");
        assertTrue(b.connected(A, T0 + PeerProtocol.UNANSWERED_MS - 1));
        assertFalse(b.connected(A, T0 + PeerProtocol.UNANSWERED_MS), "A never answered (it restarted, say): no session");
    }

    @Test
    void aPeerWhoseCertificateExpiredIsForgotten() {
        PeerProtocol a = new PeerProtocol(ca7, 10, secrets(micros), () -> versionA);
        PeerProtocol b = new PeerProtocol(ca12, 10, secrets(micros), () -> versionB);
        exchange(a, b, a.send(B, null, T0), T0, answersA, answersB);
        long later = ca7.cert().getNotAfter().getTime() + 1;
        assertEquals(ca7.cert().getNotAfter().getTime(), b.nextExpiry());
        List<PeerProtocol.Out> ask = a.send(B, DataMessages.payload(PeerCode.VERSION, new byte[0]), T0 + 1);
        assertEquals(List.of(), b.receive(A + "0001", ask.get(0).datagram(), later, answersB), "A's certificate has expired");
        assertEquals(1L, b.drops().get(PeerProtocol.Drop.BAD_CERTIFICATE));
        assertFalse(b.connected(A, later));
        assertEquals(Long.MAX_VALUE, b.nextExpiry(), "its record is gone");
    }

    @Test
    void anEpochClockSteppedBackAnHourStillLetsAHelloOutAfterTheIntervalOfMonotonicTime() {
        PeerProtocol a = new PeerProtocol(ca7, 10, secrets(micros), () -> versionA);
        PeerProtocol b = new PeerProtocol(ca12, 10, secrets(micros), () -> versionB);
        byte[] seqno0 = a.send(B, null, 0).get(0).datagram();
        assertEquals(1, b.receive(A + "0001", seqno0, T0, 5_000, answersB).size(), "B answers a hello0 (seqno 1)");
        assertEquals(List.of(), b.receive(A + "0001", seqno0, T0 + 30_000, 5_000 + PeerProtocol.HELLO_INTERVAL_MS / 2, answersB),
                "at most one per hello interval");
        long hourBack = T0 - 3_600_000; // NTP stepped the system clock back by an hour
        List<PeerProtocol.Out> again = b.receive(A + "0001", seqno0, hourBack + 61_000, 5_000 + PeerProtocol.HELLO_INTERVAL_MS + 1, answersB);
        System.out.println("hello0 after the interval of monotonic time with the epoch an hour back: " + again.size() + " datagram(s)");
        assertEquals(1, again.size(), "the interval passed on the monotonic clock: the hello0 goes, whatever the epoch says");
        assertEquals(1, ByteBuffer.wrap(again.get(0).datagram()).getInt());
    }

    @Test
    void seqno1IsAnsweredAtMostOncePerSecondPerPeer() {
        PeerProtocol a = new PeerProtocol(ca7, 10, secrets(micros), () -> versionA);
        PeerProtocol b = new PeerProtocol(ca12, 10, secrets(micros), () -> versionB);
        List<PeerProtocol.Out> seqno1 = b.receive(A + "0001", a.send(B, null, T0).get(0).datagram(), T0, answersB);
        byte[] replayed = seqno1.get(0).datagram(); // B's seqno 1, as anyone on the path can replay it to A
        List<PeerProtocol.Out> seqno2 = a.receive(B + "0001", replayed, T0, answersA);
        assertEquals(2, ByteBuffer.wrap(seqno2.get(0).datagram()).getInt());
        exchange(a, b, seqno2, T0, answersA, answersB);
        assertTrue(a.connected(B, T0) && b.connected(A, T0));

        for (int i = 1; i <= 10; i++) // a flood within the second: no RSA operation, the session stays
            assertEquals(List.of(), a.receive(B + "0001", replayed, T0, T0 + 100 * i - 1, answersA));
        assertEquals(10L, a.drops().get(PeerProtocol.Drop.SEQNO1_RATE_LIMITED));
        assertTrue(a.connected(B, T0 + 999), "the session is not reset by the refused ones");
        List<PeerProtocol.Out> later = a.receive(B + "0001", replayed, T0, T0 + PeerProtocol.SEQNO2_INTERVAL_MS, answersA);
        assertEquals(2, ByteBuffer.wrap(later.get(0).datagram()).getInt(), "a second later it is answered again (the original's behaviour)");
        assertEquals(10L, a.drops().get(PeerProtocol.Drop.SEQNO1_RATE_LIMITED));
    }

    @Test
    void recordsWithoutACertificateAreCappedOldestFirst() {
        PeerProtocol a = new PeerProtocol(ca7, 10, secrets(micros), () -> versionA);
        PeerProtocol b = new PeerProtocol(ca12, 10, secrets(micros), () -> versionB);
        exchange(a, b, a.send(B, null, T0), T0, answersA, answersB); // B: a record with a certificate
        List<String> strangers = new ArrayList<>();
        for (int i = 0; i < PeerProtocol.MAX_UNCERTIFIED + 10; i++)
            strangers.add(Integer.toBinaryString(0x10000 | 0x8000 | i).substring(1)); // 16 bits, 1xxx...: neither A nor B
        for (String p : strangers)
            assertEquals(1, a.send(p, null, T0).size(), "a hello0 to each");
        assertEquals(PeerProtocol.MAX_UNCERTIFIED + 1, a.records(), "64 without a certificate, and B's");
        assertEquals(10L, a.evicted());
        for (int i = 0; i < strangers.size(); i++)
            assertEquals(i >= 10, a.versionKnownBy(strangers.get(i)) != null, "the oldest ten went: " + strangers.get(i));
        assertTrue(a.connected(B, T0), "a record with a certificate is never evicted");
    }
}
