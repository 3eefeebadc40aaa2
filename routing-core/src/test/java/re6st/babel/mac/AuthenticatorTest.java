package re6st.babel.mac;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import re6st.babel.mac.TestPackets.Received;
import re6st.babel.mac.Verdict.Reason;
import re6st.babel.message.Addr;
import re6st.babel.message.Message;

class AuthenticatorTest {
    static final long MS = 1_000_000L, S = 1_000 * MS;
    static final Addr ME = Addr.parse("fe80::1"), PEER = Addr.parse("fe80::2"), OTHER = Addr.parse("fe80::3");
    static final Addr GROUP = Addr.parse("ff02::1:6");
    static final MacKey OLD = MacKey.fromHex("old", MacAlgorithm.HMAC_SHA256, "00112233445566778899aabbccddeeff");
    static final MacKey NEW = MacKey.fromHex("new", MacAlgorithm.BLAKE2S_128, "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100");
    static final byte[] PEER_INDEX = {1, 2, 3, 4, 5, 6, 7, 8};
    static final Message HELLO = new Message.Hello(false, 1, 400, Message.NO_TIMESTAMP);

    final Authenticator me = new Authenticator(MacPolicy.of(OLD), new Random(42), PseudoHeader.BABEL_PORT);
    long now = 1_000 * S;

    /** A packet from PEER with a PC, signed with {@code keys}. */
    static Received peer(List<MacKey> keys, Addr dst, long pc, byte[] index, Message... more) {
        List<Message> body = new ArrayList<>();
        body.add(new Message.Pc(pc, index));
        body.addAll(List.of(more));
        return TestPackets.signed(keys, PEER, dst, body.toArray(Message[]::new));
    }

    Verdict multicast(long pc, Message... more) {
        return peer(List.of(OLD), GROUP, pc, PEER_INDEX, more).checkBy(me, PEER, GROUP, true, now);
    }

    Verdict unicast(long pc, Message... more) {
        return peer(List.of(OLD), ME, pc, PEER_INDEX, more).checkBy(me, PEER, ME, false, now);
    }

    static byte[] challengeNonce(Verdict v) {
        for (Message m : v.toSend())
            if (m instanceof Message.ChallengeRequest r)
                return r.nonce();
        throw new AssertionError("no challenge request in " + v);
    }

    /** Unknown peer -> challenge -> its reply: from now on PEER_INDEX is known, last PC = {@code pc}. */
    void handshake(long pc) {
        Verdict first = multicast(pc - 1, HELLO);
        assertEquals(Reason.UNKNOWN_INDEX, first.reason());
        now += 10 * MS;
        Verdict reply = unicast(pc, new Message.ChallengeReply(challengeNonce(first)));
        assertEquals(Reason.CHALLENGE_SUCCEEDED, reply.reason());
    }

    @Test
    void aHeaderClaimingMoreBodyThanArrivedIsDroppedAndCountedNeverThrown() {
        // the datagram that stopped re6st babel's core thread: magic 42, version 2, body length 65535, nothing else
        byte[] d = {0x2A, 0x02, (byte) 0xFF, (byte) 0xFF};
        Verdict v = me.check(d, 0, d.length, PEER, GROUP, true, List.of(), List.of(), now);
        assertFalse(v.accepted());
        assertEquals(Reason.NO_MAC, v.reason());
        assertEquals(1L, me.counts().get(Reason.NO_MAC));
        // a signed packet cut inside its body, with the MAC TLVs its decoder found: checked over what arrived
        // (as babeld), so the MAC cannot match
        Received r = peer(List.of(OLD), GROUP, 5, PEER_INDEX, HELLO);
        int bodyLen = ((r.datagram()[2] & 0xFF) << 8) | (r.datagram()[3] & 0xFF);
        byte[] cut = Arrays.copyOf(r.datagram(), 4 + bodyLen - 2);
        Verdict w = me.check(cut, 0, cut.length, PEER, GROUP, true, r.body(), r.trailer(), now);
        assertFalse(w.accepted());
        assertEquals(Reason.BAD_MAC, w.reason());
        assertEquals(1L, me.counts().get(Reason.BAD_MAC));
        assertEquals(0, me.neighbourCount(), "nothing learnt from a dropped packet");
    }

    @Test
    void unknownIndexIsChallengedAndDropped() {
        Verdict v = multicast(0, HELLO);
        assertFalse(v.accepted());
        assertEquals(Reason.UNKNOWN_INDEX, v.reason());
        assertEquals(1, v.toSend().size());
        assertEquals(8, challengeNonce(v).length);
        assertEquals(1, me.challengeRequestsSent());
    }

    @Test
    void matchingChallengeReplyAcceptsAndStoresIndexAndPc() {
        Verdict first = multicast(7, HELLO);
        now += 50 * MS;
        Verdict v = unicast(8, new Message.ChallengeReply(challengeNonce(first)));
        assertTrue(v.accepted());
        assertTrue(v.authenticated());
        assertEquals(Reason.CHALLENGE_SUCCEEDED, v.reason());
        assertEquals(List.of(), v.toSend());
        now += 50 * MS;
        assertEquals(Reason.AUTHENTICATED, multicast(9, HELLO).reason());
        assertEquals(Reason.AUTHENTICATED, unicast(9, HELLO).reason());
    }

    @Test
    void wrongNonceDoesNotAuthenticate() {
        Verdict first = multicast(7);
        byte[] wrong = challengeNonce(first);
        wrong[0] ^= 1;
        now += 400 * MS;
        Verdict v = unicast(8, new Message.ChallengeReply(wrong));
        assertEquals(Reason.UNKNOWN_INDEX, v.reason());
        assertFalse(v.accepted());
        assertEquals(1, v.toSend().size(), "re-challenged");
    }

    @Test
    void samePcIsAReplay() {
        handshake(10);
        assertEquals(Reason.AUTHENTICATED, multicast(11, HELLO).reason());
        Verdict replay = multicast(11, HELLO);
        assertFalse(replay.accepted());
        assertEquals(Reason.OLD_PC, replay.reason());
        assertEquals(List.of(), replay.toSend());
    }

    @Test
    void lowerPcIsDropped() {
        handshake(10);
        assertEquals(Reason.AUTHENTICATED, multicast(20).reason());
        assertEquals(Reason.OLD_PC, multicast(15).reason());
        assertEquals(Reason.OLD_PC, multicast(10).reason());
        assertEquals(Reason.AUTHENTICATED, multicast(21).reason());
    }

    /** babeld 1.12.1 / RFC 9467: one last-PC for multicast, one for unicast. */
    @Test
    void multicastAndUnicastPcsAreSeparate() {
        handshake(10);
        assertEquals(Reason.AUTHENTICATED, multicast(12).reason());
        assertEquals(Reason.AUTHENTICATED, unicast(11).reason(), "unicast sent before the multicast, arrived after");
        assertEquals(Reason.OLD_PC, multicast(11).reason());
        assertEquals(Reason.OLD_PC, unicast(11).reason());
        assertEquals(Reason.AUTHENTICATED, unicast(13).reason());
    }

    /** PCs compare as unsigned 32-bit numbers, without wrap-around (babeld's memcmp). */
    @Test
    void pcIsUnsignedWithoutWrap() {
        handshake(0x7FFF_FFFFL);
        assertEquals(Reason.AUTHENTICATED, multicast(0x8000_0000L).reason());
        assertEquals(Reason.AUTHENTICATED, multicast(0xFFFF_FFFFL).reason());
        assertEquals(Reason.OLD_PC, multicast(0).reason(), "a sender that wraps changes its index instead");
    }

    @Test
    void newIndexIsChallengedThenAccepted() {
        handshake(100);
        byte[] restarted = {9, 9, 9, 9, 9, 9, 9, 9};
        now += 1 * S;
        Verdict v = peer(List.of(OLD), GROUP, 0, restarted, HELLO).checkBy(me, PEER, GROUP, true, now);
        assertEquals(Reason.UNKNOWN_INDEX, v.reason());
        now += 20 * MS;
        Verdict r = peer(List.of(OLD), ME, 1, restarted, new Message.ChallengeReply(challengeNonce(v)))
                .checkBy(me, PEER, ME, false, now);
        assertEquals(Reason.CHALLENGE_SUCCEEDED, r.reason());
        now += 20 * MS;
        assertEquals(Reason.AUTHENTICATED,
                peer(List.of(OLD), GROUP, 2, restarted).checkBy(me, PEER, GROUP, true, now).reason());
        assertEquals(Reason.UNKNOWN_INDEX, multicast(500).reason(), "the old index is gone");
    }

    @Test
    void atMostOneChallengeRequestPer300Ms() {
        Verdict a = multicast(1);
        assertEquals(1, a.toSend().size());
        now += 100 * MS;
        Verdict b = multicast(2);
        assertEquals(Reason.UNKNOWN_INDEX, b.reason());
        assertEquals(List.of(), b.toSend());
        now += 200 * MS; // exactly 300 ms after the first: still limited (babeld: now <= limit)
        assertEquals(List.of(), multicast(3).toSend());
        now += 1;
        Verdict c = multicast(4);
        assertEquals(1, c.toSend().size());
        assertFalse(Arrays.equals(challengeNonce(a), challengeNonce(c)), "a fresh nonce");
        assertEquals(2, me.challengeRequestsSent());
        // only the latest nonce is outstanding, as in babeld
        now += 10 * MS;
        assertEquals(Reason.UNKNOWN_INDEX, unicast(5, new Message.ChallengeReply(challengeNonce(a))).reason());
        now += 10 * MS;
        assertEquals(Reason.CHALLENGE_SUCCEEDED, unicast(6, new Message.ChallengeReply(challengeNonce(c))).reason());
    }

    @Test
    void rateLimitIsPerNeighbour() {
        assertEquals(1, multicast(1).toSend().size());
        Verdict other = TestPackets.signed(List.of(OLD), OTHER, GROUP, new Message.Pc(1, PEER_INDEX))
                .checkBy(me, OTHER, GROUP, true, now);
        assertEquals(Reason.UNKNOWN_INDEX, other.reason());
        assertEquals(1, other.toSend().size());
        assertEquals(2, me.neighbourCount());
    }

    @Test
    void challengeExpiresAfter30Seconds() {
        Verdict first = multicast(1);
        now += 30 * S; // exactly 30 s: still in time
        assertEquals(Reason.CHALLENGE_SUCCEEDED, unicast(2, new Message.ChallengeReply(challengeNonce(first))).reason());

        me.forget(PEER);
        Verdict again = multicast(3);
        now += 30 * S + 1;
        Verdict late = unicast(4, new Message.ChallengeReply(challengeNonce(again)));
        assertEquals(Reason.UNKNOWN_INDEX, late.reason());
        assertFalse(late.accepted());
        assertEquals(1, late.toSend().size(), "challenged anew");
    }

    @Test
    void aChallengeIsConsumedByItsReply() {
        Verdict first = multicast(1);
        Message reply = new Message.ChallengeReply(challengeNonce(first));
        assertEquals(Reason.CHALLENGE_SUCCEEDED, unicast(5, reply).reason());
        // the same reply replayed later with the old PC does not reset the PC
        assertEquals(Reason.AUTHENTICATED, unicast(6).reason());
        assertEquals(Reason.OLD_PC, unicast(5, reply).reason());
    }

    @Test
    void unicastChallengeRequestIsAnsweredWithTheSameNonce() {
        byte[] nonce = {10, 20, 30, 40, 50, 60, 70, 80};
        Verdict v = unicast(1, new Message.ChallengeRequest(nonce));
        assertEquals(Reason.UNKNOWN_INDEX, v.reason(), "answered even while we challenge it ourselves");
        assertEquals(2, v.toSend().size());
        assertInstanceOf(Message.ChallengeRequest.class, v.toSend().get(0));
        assertEquals(new Message.ChallengeReply(nonce), v.toSend().get(1));
        assertEquals(1, me.challengeRepliesSent());
    }

    @Test
    void multicastChallengeRequestIsIgnored() {
        handshake(10);
        Verdict v = multicast(11, new Message.ChallengeRequest(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
        assertEquals(Reason.AUTHENTICATED, v.reason());
        assertEquals(List.of(), v.toSend());
    }

    @Test
    void challengeRepliesAreRateLimitedAndReplaysNotAnswered() {
        handshake(10);
        byte[] n1 = {1, 1, 1, 1, 1, 1, 1, 1}, n2 = {2, 2, 2, 2, 2, 2, 2, 2};
        assertEquals(List.of(new Message.ChallengeReply(n1)), unicast(11, new Message.ChallengeRequest(n1)).toSend());
        now += 100 * MS;
        Verdict limited = unicast(12, new Message.ChallengeRequest(n2));
        assertTrue(limited.accepted());
        assertEquals(List.of(), limited.toSend());
        now += 300 * MS;
        Verdict replay = unicast(12, new Message.ChallengeRequest(n2));
        assertEquals(Reason.OLD_PC, replay.reason());
        assertEquals(List.of(), replay.toSend());
        assertEquals(List.of(new Message.ChallengeReply(n2)), unicast(13, new Message.ChallengeRequest(n2)).toSend());
    }

    @Test
    void packetWithoutPcIsDropped() {
        Received r = TestPackets.signed(List.of(OLD), PEER, GROUP, HELLO);
        Verdict v = r.checkBy(me, PEER, GROUP, true, now);
        assertFalse(v.accepted());
        assertEquals(Reason.NO_PC, v.reason());
    }

    @Test
    void onlyTheFirstPcCounts() {
        handshake(10);
        Received r = TestPackets.signed(List.of(OLD), PEER, GROUP, new Message.Pc(5, PEER_INDEX), new Message.Pc(50, PEER_INDEX));
        assertEquals(Reason.OLD_PC, r.checkBy(me, PEER, GROUP, true, now).reason());
    }

    @Test
    void unsignedOrBadlySignedPacketsAreDropped() {
        Received unsigned = TestPackets.signed(List.of(), PEER, GROUP, new Message.Pc(1, PEER_INDEX));
        assertEquals(Reason.NO_MAC, unsigned.checkBy(me, PEER, GROUP, true, now).reason());
        MacKey stranger = MacKey.fromHex("old", MacAlgorithm.HMAC_SHA256, "00112233445566778899aabbccddeefe");
        Verdict bad = peer(List.of(stranger), GROUP, 1, PEER_INDEX).checkBy(me, PEER, GROUP, true, now);
        assertFalse(bad.accepted());
        assertEquals(Reason.BAD_MAC, bad.reason());
        assertEquals(List.of(), bad.toSend(), "no challenge for an unauthenticated packet");
        assertEquals(0, me.neighbourCount(), "no state for unauthenticated senders");
    }

    @Test
    void macCoversAddressesHeaderAndBody() {
        Received r = peer(List.of(OLD), GROUP, 1, PEER_INDEX, HELLO);
        assertEquals(Reason.BAD_MAC, r.checkBy(me, OTHER, GROUP, true, now).reason(), "other source");
        assertEquals(Reason.BAD_MAC, r.checkBy(me, PEER, ME, true, now).reason(), "other destination");
        byte[] tampered = r.datagram().clone();
        tampered[tampered.length - 40] ^= 1; // a body byte (the trailer is 34 bytes)
        assertEquals(Reason.BAD_MAC, me.check(tampered, 0, tampered.length, PEER, GROUP, true, r.body(), r.trailer(), now).reason());
        // a different port in the pseudo-header does not verify either
        Authenticator otherPort = new Authenticator(MacPolicy.of(OLD), new Random(1), 6697);
        assertEquals(Reason.BAD_MAC, r.checkBy(otherPort, PEER, GROUP, true, now).reason());
        assertEquals(Reason.UNKNOWN_INDEX, r.checkBy(me, PEER, GROUP, true, now).reason(), "the original verifies");
    }

    @Test
    void macOfTheWrongLengthIsSkippedAndAnyMatchingMacSuffices() {
        MacKey stranger = MacKey.fromHex("x", MacAlgorithm.BLAKE2S_128, "01");
        Received r = peer(List.of(stranger, OLD), GROUP, 1, PEER_INDEX);
        assertEquals(Reason.UNKNOWN_INDEX, r.checkBy(me, PEER, GROUP, true, now).reason());
    }

    @Test
    void keyRotation() {
        handshake(10);
        // the peer already signs with NEW; we still sign with OLD and accept NEW
        me.setPolicy(MacPolicy.of(OLD).withAccept(NEW));
        assertEquals(Reason.AUTHENTICATED, peer(List.of(NEW), GROUP, 11, PEER_INDEX).checkBy(me, PEER, GROUP, true, now).reason());
        // we switch to NEW, OLD remains accepted
        me.setPolicy(MacPolicy.of(NEW).withAccept(OLD));
        assertEquals(Reason.AUTHENTICATED, peer(List.of(OLD), GROUP, 12, PEER_INDEX).checkBy(me, PEER, GROUP, true, now).reason());
        assertEquals(Reason.AUTHENTICATED, peer(List.of(NEW), GROUP, 13, PEER_INDEX).checkBy(me, PEER, GROUP, true, now).reason());
        // OLD removed: a packet signed only with OLD is dropped, one signed with both is fine
        me.setPolicy(MacPolicy.of(NEW));
        Verdict v = peer(List.of(OLD), GROUP, 14, PEER_INDEX).checkBy(me, PEER, GROUP, true, now);
        assertFalse(v.accepted());
        assertEquals(Reason.BAD_MAC, v.reason());
        assertEquals(Reason.AUTHENTICATED, peer(List.of(OLD, NEW), GROUP, 15, PEER_INDEX).checkBy(me, PEER, GROUP, true, now).reason());
    }

    @Test
    void acceptBadSignatures() {
        me.setPolicy(MacPolicy.of(OLD).withAcceptBadSignatures(true));
        Received unsigned = TestPackets.signed(List.of(), PEER, GROUP, HELLO);
        Verdict v = unsigned.checkBy(me, PEER, GROUP, true, now);
        assertTrue(v.accepted());
        assertFalse(v.authenticated());
        assertEquals(Reason.NO_MAC, v.reason());
        Verdict bad = peer(List.of(NEW), GROUP, 1, PEER_INDEX).checkBy(me, PEER, GROUP, true, now);
        assertTrue(bad.accepted());
        assertEquals(Reason.BAD_MAC, bad.reason());
        assertEquals(List.of(), bad.toSend());
        assertEquals(1L, me.counts().get(Reason.NO_MAC));
        assertEquals(1L, me.counts().get(Reason.BAD_MAC));
        // a correctly signed packet still goes through the PC checks, as in babeld
        handshake(10);
        assertEquals(Reason.OLD_PC, multicast(10).reason());
        assertFalse(multicast(10).accepted());
    }

    @Test
    void pcsAreAPerInterfaceCounterWithARandomIndex() {
        Message.Pc p0 = me.nextPc(), p1 = me.nextPc(), p2 = me.nextPc();
        assertEquals(0, p0.pc());
        assertEquals(1, p1.pc());
        assertEquals(2, p2.pc());
        assertEquals(8, p0.index().length);
        assertArrayEquals(p0.index(), p2.index());
        Authenticator other = new Authenticator(MacPolicy.of(OLD), new Random(43), PseudoHeader.BABEL_PORT);
        assertFalse(Arrays.equals(p0.index(), other.nextPc().index()));
    }

    @Test
    void counterWrapDrawsANewIndex() {
        PacketCounter c = new PacketCounter(new Random(7), 0xFFFF_FFFEL);
        Message.Pc a = c.next(), b = c.next(), wrapped = c.next(), after = c.next();
        assertEquals(0xFFFF_FFFEL, a.pc());
        assertEquals(0xFFFF_FFFFL, b.pc());
        assertArrayEquals(a.index(), b.index());
        assertEquals(0, wrapped.pc());
        assertFalse(Arrays.equals(b.index(), wrapped.index()));
        assertEquals(1, after.pc());
        assertArrayEquals(wrapped.index(), after.index());
    }

    @Test
    void signProducesOneMacTlvPerSignKey() {
        Authenticator a = new Authenticator(new MacPolicy(List.of(OLD, NEW), List.of(MacKey.fromHex("acc", MacAlgorithm.HMAC_SHA256, "01")), false),
                new Random(1), PseudoHeader.BABEL_PORT);
        assertEquals(2 + 32 + 2 + 16, a.trailerLength());
        byte[] p = TestPackets.unsigned(List.of(a.nextPc(), HELLO));
        byte[] t = a.sign(p, 0, p.length, ME, GROUP);
        assertEquals(a.trailerLength(), t.length);
        assertEquals(16, t[0]);
        assertEquals(32, t[1]);
        assertEquals(16, t[34]);
        assertEquals(16, t[35]);
        byte[] old = OLD.compute(PseudoHeader.prefix(ME, 6696, GROUP, 6696), p, 0, p.length);
        assertArrayEquals(old, Arrays.copyOfRange(t, 2, 34));
        assertThrows(IllegalArgumentException.class, () -> a.sign(p, 0, p.length - 1, ME, GROUP), "range shorter than the header says");
    }

    @Test
    void policyRejectsTwoSecretsUnderOneName() {
        MacKey other = MacKey.fromHex("old", MacAlgorithm.HMAC_SHA256, "42");
        assertThrows(IllegalArgumentException.class, () -> MacPolicy.of(OLD).withAccept(other));
        assertEquals(List.of(OLD, NEW), new MacPolicy(List.of(OLD), List.of(OLD, NEW), false).verifyKeys());
    }

    /** Two authenticators talking to each other: both challenge, both answer, then all is accepted. */
    @Test
    void twoPeersAuthenticateEachOther() {
        Authenticator a = new Authenticator(MacPolicy.of(NEW), new Random(100), PseudoHeader.BABEL_PORT);
        Authenticator b = new Authenticator(MacPolicy.of(NEW), new Random(200), PseudoHeader.BABEL_PORT);
        Addr aAddr = ME, bAddr = PEER;

        Verdict atB = TestPackets.from(a, aAddr, GROUP, List.of(HELLO)).checkBy(b, aAddr, GROUP, true, now);
        assertEquals(Reason.UNKNOWN_INDEX, atB.reason());
        now += 5 * MS;
        // b's unicast packet carrying its challenge request to a
        Verdict atA = TestPackets.from(b, bAddr, aAddr, atB.toSend()).checkBy(a, bAddr, aAddr, false, now);
        assertEquals(Reason.UNKNOWN_INDEX, atA.reason());
        assertEquals(2, atA.toSend().size(), "a challenges b and answers b's challenge");
        now += 5 * MS;
        Verdict atB2 = TestPackets.from(a, aAddr, bAddr, atA.toSend()).checkBy(b, aAddr, bAddr, false, now);
        assertEquals(Reason.CHALLENGE_SUCCEEDED, atB2.reason());
        assertEquals(1, atB2.toSend().size(), "b answers a's challenge");
        now += 5 * MS;
        Verdict atA2 = TestPackets.from(b, bAddr, aAddr, atB2.toSend()).checkBy(a, bAddr, aAddr, false, now);
        assertEquals(Reason.CHALLENGE_SUCCEEDED, atA2.reason());
        assertEquals(List.of(), atA2.toSend());
        for (int i = 0; i < 5; i++) {
            now += 1 * S;
            assertEquals(Reason.AUTHENTICATED, TestPackets.from(a, aAddr, GROUP, List.of(HELLO)).checkBy(b, aAddr, GROUP, true, now).reason());
            assertEquals(Reason.AUTHENTICATED, TestPackets.from(b, bAddr, GROUP, List.of(HELLO)).checkBy(a, bAddr, GROUP, true, now).reason());
        }
        assertNotEquals(0, a.challengeRepliesSent());
    }
}
