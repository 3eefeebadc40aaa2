package re6st.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/**
 * The places of a server for its clients (max clients): tunnels plus holds of clients admitted in
 * their handshake. On a virtual clock: a hold's expiry needs no sleep.
 */
class ClientSlotsTest {
    static final Duration HOLD = Duration.ofSeconds(10);
    final AtomicLong now = new AtomicLong(1_000_000_000L);

    ClientSlots slots(int max) {
        return new ClientSlots(max, HOLD, now::get);
    }

    /** {@code cn} is admitted now (the check at its certificate agrees); the hold it is counted in (null: none). */
    static ClientSlots.Hold in(ClientSlots s, String cn) {
        assertNull(s.refusal(cn), cn + " passes the check at its certificate");
        try {
            return s.admit(cn);
        } catch (ClientSlots.Full e) {
            throw new AssertionError(cn + " refused: " + e.getMessage(), e);
        }
    }

    /** {@code cn} is refused now, at its certificate and at its proof alike; the reason. */
    static String out(ClientSlots s, String cn) {
        String atCertificate = s.refusal(cn);
        assertNotNull(atCertificate, cn + " refused at its certificate");
        ClientSlots.Full e = assertThrows(ClientSlots.Full.class, () -> s.admit(cn), cn + " refused at its proof");
        assertEquals(atCertificate, e.getMessage(), "one reason");
        return atCertificate;
    }

    /** {@code cn} handshakes and gets its tunnel. */
    static void client(ClientSlots s, String cn) {
        in(s, cn);
        assertTrue(s.take(cn), cn + " takes its place");
    }

    @Test
    void twoHandshakesAtOnceForTheLastPlaceOneIsRefusedInItsHandshake() {
        ClientSlots s = slots(3);
        client(s, "1/16");
        client(s, "2/16");
        in(s, "3/16"); // the last place, held by the first admitted
        assertEquals("3 clients already (max clients; 1 of them in their handshake)", out(s, "4/16"),
                "the other, still in its handshake too, is refused there");
        assertEquals(3, s.taken());
        assertEquals(1, s.holds());
        assertTrue(s.take("3/16"), "the admitted one's tunnel is made");
        assertFalse(s.take("4/16"), "a tunnel no admission held for finds no place");
        assertEquals(3, s.clients());
        assertEquals(0, s.holds());
        assertEquals("3 clients already (max clients)", out(s, "4/16"), "full of tunnels: the reason of before");
    }

    @Test
    void aCnWithATunnelOrAHoldIsAdmittedWhenFull() {
        ClientSlots s = slots(2);
        client(s, "1/16");
        in(s, "2/16");
        out(s, "3/16"); // full
        in(s, "1/16"); // a client reconnecting, or renewing its session
        in(s, "2/16"); // a second handshake of a CN holding a place
        assertEquals(2, s.taken(), "neither took another place");
        assertEquals(1, s.holds());
        assertTrue(s.take("1/16"), "a client's new session keeps its place");
        assertTrue(s.take("2/16"));
        assertEquals(2, s.clients());
    }

    /** The only place is held for {@code ns} more: {@code newcomer} is refused until then, and admitted then. */
    void assertHeldFor(ClientSlots s, long ns, String newcomer) {
        now.addAndGet(ns - 1);
        out(s, newcomer); // held until its time is up
        now.addAndGet(1);
        assertEquals(0, s.holds(), "a handshake that vanished holds no place for ever");
        in(s, newcomer); // the place is free again
    }

    @Test
    void aHoldExpiresAfterItsTimeAndFreesThePlace() {
        ClientSlots s = slots(1);
        in(s, "1/16");
        assertHeldFor(s, HOLD.toNanos(), "2/16");
        assertFalse(s.take("1/16"), "the lapsed one's tunnel comes too late: the place is 2/16's");
        assertTrue(s.take("2/16"));
    }

    @Test
    void aNewAdmissionOfTheSameCnRenewsItsHold() {
        ClientSlots s = slots(1);
        in(s, "1/16");
        now.addAndGet(HOLD.toNanos() - 1);
        in(s, "1/16"); // it handshakes again
        assertHeldFor(s, HOLD.toNanos(), "2/16");
    }

    @Test
    void aFailedHandshakeFreesItsPlace() {
        ClientSlots s = slots(1);
        ClientSlots.Hold h = in(s, "1/16");
        out(s, "2/16");
        s.release(h);
        assertEquals(0, s.taken());
        in(s, "2/16"); // free at the failure, not at the hold's expiry
    }

    @Test
    void theHoldOfTwoHandshakesOfOneCnEndsWithTheLast() {
        ClientSlots s = slots(1);
        ClientSlots.Hold dying = in(s, "1/16"); // a reconnection...
        ClientSlots.Hold live = in(s, "1/16"); // ... while its previous handshake is dying
        assertSame(dying, live, "one hold for the CN");
        s.release(dying);
        out(s, "2/16"); // the dying one failing leaves the live one's place
        s.release(live);
        in(s, "2/16");
    }

    @Test
    void aReleaseOfAClientChangesNothing() {
        ClientSlots s = slots(2);
        client(s, "1/16");
        assertNull(in(s, "1/16"), "a client's new handshake is counted in no hold");
        s.release(null);
        assertEquals(1, s.clients());
        assertEquals(1, s.taken());
    }

    /** The check at a certificate takes no place: anyone can send a member's certificate and stall. */
    @Test
    void theCheckAtTheCertificateTakesNothing() {
        ClientSlots s = slots(1);
        for (int i = 0; i < 3; i++)
            assertNull(s.refusal("2/16"), "an impostor's certificate, or a genuine one not yet proven");
        assertEquals(0, s.taken());
        client(s, "3/16"); // a client that proved its key meanwhile gets the place
        assertEquals("1 clients already (max clients)", s.refusal("2/16"), "and the certificate's CN is refused now");
    }

    /**
     * A release ends only the hold its handshake was counted in: a client with a tunnel renews
     * (counted in none), its tunnel is removed, it handshakes again (a new hold); the renewal
     * ending must not end that new hold.
     */
    @Test
    void aHandshakeAdmittedWithATunnelReleasesNothingOfALaterHold() {
        ClientSlots s = slots(1);
        client(s, "1/16");
        ClientSlots.Hold renewal = in(s, "1/16");
        assertNull(renewal, "its place is its tunnel's");
        s.removed("1/16");
        ClientSlots.Hold next = in(s, "1/16");
        assertNotNull(next);
        s.release(renewal); // the renewal's handshake ends
        assertEquals(1, s.holds(), "the later handshake still holds the place");
        out(s, "2/16");
        assertTrue(s.take("1/16"));
    }

    /** A hold that lapsed and was taken anew by another handshake of its CN is not ended by the old one's release. */
    @Test
    void aReleaseOfALapsedHoldLeavesTheCnsNewHold() {
        ClientSlots s = slots(1);
        ClientSlots.Hold slow = in(s, "1/16");
        now.addAndGet(HOLD.toNanos()); // lapsed
        ClientSlots.Hold fresh = in(s, "1/16");
        assertNotSame(slow, fresh);
        s.release(slow); // the slow handshake fails at last
        s.release(slow); // (twice: still nothing)
        assertEquals(1, s.holds(), "the new handshake still holds the place");
        out(s, "2/16");
        s.release(fresh);
        assertEquals(0, s.taken());
    }

    @Test
    void aTunnelRemovedFreesItsPlace() {
        ClientSlots s = slots(1);
        client(s, "1/16");
        out(s, "2/16");
        s.removed("1/16");
        assertEquals(0, s.taken());
        in(s, "2/16");
        assertTrue(s.take("2/16"));
        out(s, "1/16"); // the removed client is a new one now
    }

    @Test
    void aLapsedHoldsTunnelTakesAFreePlace() {
        ClientSlots s = slots(2);
        in(s, "1/16");
        now.addAndGet(HOLD.toNanos());
        assertTrue(s.take("1/16"), "a slow handshake's tunnel while there is room");
        assertEquals(1, s.clients());
    }

    @Test
    void zeroPlacesRefuseEveryone() {
        ClientSlots s = slots(0);
        assertEquals("0 clients already (max clients)", out(s, "1/16"));
        assertFalse(s.take("1/16"));
    }

    /** Many handshake threads admit distinct CNs at once for a few places: exactly that many get in. */
    @Test
    void concurrentAdmissionsTakeExactlyThePlaces() throws Exception {
        int threads = 16, places = 5;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 200; round++) {
                ClientSlots s = slots(places);
                CountDownLatch start = new CountDownLatch(1);
                List<Callable<Boolean>> admissions = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    String cn = i + "/16";
                    admissions.add(() -> {
                        start.await();
                        try {
                            s.admit(cn);
                        } catch (ClientSlots.Full full) {
                            return false;
                        }
                        assertTrue(s.take(cn), cn + ": admitted, so its tunnel has a place");
                        return true;
                    });
                }
                List<Future<Boolean>> done = new ArrayList<>();
                for (Callable<Boolean> a : admissions)
                    done.add(pool.submit(a));
                start.countDown();
                int in = 0;
                for (Future<Boolean> f : done)
                    if (f.get(30, TimeUnit.SECONDS))
                        in++;
                assertEquals(places, in, "round " + round);
                assertEquals(places, s.clients(), "round " + round);
                assertEquals(0, s.holds(), "round " + round);
            }
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS), "the admission threads end");
        }
    }

    /**
     * Clients come and go from many threads (a handshake fails, or its tunnel is made and later
     * removed): the clients admitted and not gone never outnumber the places, and the places
     * all come back.
     */
    @Test
    void clientsComingAndGoingNeverOutnumberThePlaces() throws Exception {
        int threads = 12, places = 3, turns = 2000;
        ClientSlots s = slots(places);
        AtomicInteger inside = new AtomicInteger(),
                most = new AtomicInteger(), admitted = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                String cn = i + "/16";
                boolean fails = i % 2 == 0;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int t = 0; t < turns; t++) {
                        ClientSlots.Hold h;
                        try {
                            h = s.admit(cn);
                        } catch (ClientSlots.Full full) {
                            continue;
                        }
                        admitted.incrementAndGet();
                        most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        if (!fails)
                            assertTrue(s.take(cn), cn + ": admitted, so its tunnel has a place");
                        inside.decrementAndGet();
                        if (fails)
                            s.release(h);
                        else
                            s.removed(cn);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done)
                f.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS), "the client threads end");
        }
        System.out.println("admissions: " + admitted.get() + ", most inside at once: " + most.get() + " of " + places);
        assertTrue(admitted.get() >= turns, "clients got in: " + admitted.get());
        assertTrue(most.get() <= places, "at most " + places + " inside at once, saw " + most.get());
        assertEquals(0, s.taken(), "every place given back");
    }
}
