package re6st.registry.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import re6st.registry.protocol.HmacChain;

class SessionsTest {
    private static final String CN = "0000000000000111";
    private static final String PATH = "/getNetworkConfig?cn=" + CN;
    private final SecureRandom random = new SecureRandom();

    private byte[] secret() {
        byte[] k = new byte[20];
        random.nextBytes(k);
        return k;
    }

    private static int status(Sessions s, String path, String header) {
        return assertThrows(AuthenticationException.class, () -> s.authenticate(CN, path, header)).status();
    }

    @Test
    void twoRequestsThenAReplay() throws Exception {
        Sessions s = new Sessions();
        byte[] k = secret();
        s.hello(CN, k, 10, "192.0.2.1");
        HmacChain client = new HmacChain(k);

        HmacChain.Step first = client.step(PATH);
        Sessions.Authenticated a = s.authenticate(CN, PATH, first.requestHeader());
        assertArrayEquals(k, a.key());
        assertEquals(10, a.protocol());
        byte[] body = "result".getBytes(StandardCharsets.US_ASCII);
        assertTrue(first.responseValid(body, a.responseHeader(body)), "the response is MACed with SHA1(K)");

        HmacChain.Step second = client.step(PATH);
        Sessions.Authenticated b = s.authenticate(CN, PATH, second.requestHeader());
        assertArrayEquals(HmacChain.nextKey(k), b.key(), "the second request used SHA1(SHA1(K))");

        assertEquals(400, status(s, PATH, first.requestHeader()), "replayed first request");
        assertEquals(400, status(s, PATH, second.requestHeader()), "replayed second request");
        // the replays changed nothing: the client goes on
        s.authenticate(CN, PATH, client.step(PATH).requestHeader());
    }

    @Test
    void aHelloInTheMiddleDoesNotBreakTheSession() throws Exception {
        Sessions s = new Sessions();
        byte[] k = secret();
        s.hello(CN, k, 10, "192.0.2.1");
        HmacChain client = new HmacChain(k);
        s.authenticate(CN, PATH, client.step(PATH).requestHeader());

        s.hello(CN, secret(), 9, "198.51.100.7"); // someone else says hello for this prefix (it is unauthenticated)
        s.hello(CN, secret(), 9, "198.51.100.8");
        assertEquals(OptionalInt.of(10), s.protocol(CN), "the key really used last comes first");
        Sessions.Authenticated a = s.authenticate(CN, PATH, client.step(PATH).requestHeader());
        assertEquals(10, a.protocol());
        s.authenticate(CN, PATH, client.step(PATH).requestHeader());
    }

    @Test
    void theLatestHelloFromOneAddressReplacesItsEarlierOnes() throws Exception {
        Sessions s = new Sessions();
        byte[] k1 = secret(), k2 = secret(), k3 = secret();
        s.hello(CN, k1, 7, "192.0.2.1");
        s.hello(CN, k2, 8, "192.0.2.1");
        s.hello(CN, k3, 9, "192.0.2.1");
        assertEquals(400, status(s, PATH, HmacChain.requestHeader(k2, PATH)), "k2 was replaced by k3");
        Sessions.Authenticated a = s.authenticate(CN, PATH, HmacChain.requestHeader(k3, PATH));
        assertEquals(9, a.protocol());
        assertEquals(OptionalInt.of(9), s.protocol(CN), "collapsed to one entry with that protocol");
        assertEquals(400, status(s, PATH, HmacChain.requestHeader(k1, PATH)), "k1 (the first entry) is gone too");
    }

    @Test
    void the1stHelloKeyStaysUsableAfterLaterHellos() throws Exception {
        Sessions s = new Sessions();
        byte[] k1 = secret();
        s.hello(CN, k1, 10, "192.0.2.1");
        s.hello(CN, secret(), 9, "198.51.100.7"); // a stranger's hello before the client's first call
        Sessions.Authenticated a = s.authenticate(CN, PATH, HmacChain.requestHeader(k1, PATH));
        assertArrayEquals(k1, a.key(), "the client's own key, not the stranger's");
        assertEquals(10, a.protocol(), "with the protocol of the client's hello");
        assertArrayEquals(HmacChain.nextKey(k1), s.authenticate(CN, PATH, HmacChain.requestHeader(HmacChain.nextKey(k1), PATH)).key(),
                "and the chain goes on from it");
    }

    @Test
    void theNodesPendingHelloSurvivesStrangersFromThreeOtherAddresses() throws Exception {
        Sessions s = new Sessions();
        byte[] mine = secret();
        s.hello(CN, mine, 10, "192.0.2.1");
        for (int i = 0; i < 20; i++) // the original keeps one pending secret: the first of these would lock the node out
            s.hello(CN, secret(), 9, "198.51.100." + (i % (Sessions.PENDING_PER_PREFIX - 1)));
        Sessions.Authenticated a = s.authenticate(CN, PATH, HmacChain.requestHeader(mine, PATH));
        assertArrayEquals(mine, a.key());
        assertEquals(10, a.protocol());
    }

    @Test
    void aHelloPushingOutAnotherAddressesPendingOnePassesTheGateFirst() throws Exception {
        Sessions s = new Sessions();
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < Sessions.PENDING_PER_PREFIX; i++) {
            keys.add(secret());
            s.hello(CN, keys.get(i), 10, "198.51.100." + i, () -> {
                throw new AssertionError("no pending hello is pushed out yet");
            });
        }
        s.hello(CN, secret(), 10, "198.51.100.0", () -> { // the same address again: replaces its own
            throw new AssertionError("an address replacing its own pending hello pushes nobody out");
        });
        class Refused extends Exception {
            private static final long serialVersionUID = 1L;
        }
        assertThrows(Refused.class, () -> s.hello(CN, secret(), 10, "203.0.113.1", () -> {
            throw new Refused();
        }));
        int[] asked = {0};
        s.hello(CN, secret(), 10, "203.0.113.2", () -> asked[0]++);
        assertEquals(1, asked[0]);
        assertEquals(400, status(s, PATH, HmacChain.requestHeader(keys.get(1), PATH)),
                "the oldest pending hello (198.51.100.1, as 198.51.100.0 said hello again) was pushed out");
        assertArrayEquals(keys.get(2), s.authenticate(CN, PATH, HmacChain.requestHeader(keys.get(2), PATH)).key(),
                "the refused hello pushed nothing out: 198.51.100.2's is still there");
    }

    @Test
    void unknownSessionsAndBadMacs() throws Exception {
        Sessions s = new Sessions();
        AuthenticationException e = assertThrows(AuthenticationException.class,
                () -> s.authenticate(CN, PATH, HmacChain.requestHeader(secret(), PATH)));
        assertEquals(401, e.status());
        assertEquals("no session for " + CN + " (registry restarted?): say hello first", e.getMessage());
        byte[] k = secret();
        s.hello(CN, k, 10, "192.0.2.1");
        assertEquals(400, status(s, PATH, null));
        assertEquals(400, status(s, PATH, "!!"));
        assertEquals(400, status(s, PATH + "&x=", HmacChain.requestHeader(k, PATH)), "signed another query");
        assertEquals(OptionalInt.empty(), s.protocol("1"));
        s.authenticate(CN, PATH, HmacChain.requestHeader(k, PATH)); // failures changed nothing
        s.drop(CN);
        assertEquals(401, status(s, PATH, HmacChain.requestHeader(HmacChain.nextKey(k), PATH)), "revoked: session dropped");
    }

    @Test
    void boundedLeastRecentlyUsedFirst() throws Exception {
        Sessions s = new Sessions(3);
        byte[] k = secret();
        s.hello("0", k, 10, "192.0.2.1");
        s.hello("1", secret(), 10, "192.0.2.1");
        s.hello("10", secret(), 10, "192.0.2.1");
        s.authenticate("0", "/x?cn=0", HmacChain.requestHeader(k, "/x?cn=0")); // "0" is now the most recent
        s.hello("11", secret(), 10, "192.0.2.1");
        assertEquals(3, s.size());
        assertEquals(1, s.evicted());
        assertEquals(OptionalInt.empty(), s.protocol("1"), "least recently used, forgotten");
        assertEquals(OptionalInt.of(10), s.protocol("0"));
        assertEquals(Sessions.DEFAULT_CAPACITY, new Sessions().capacity());
    }

    @Test
    void oneKeyPassesOnceUnderConcurrency() throws Exception {
        Sessions s = new Sessions();
        byte[] k = secret();
        s.hello(CN, k, 10, "192.0.2.1");
        String header = HmacChain.requestHeader(k, PATH);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Callable<Boolean> c = () -> {
                    go.await();
                    try {
                        s.authenticate(CN, PATH, header);
                        return true;
                    } catch (AuthenticationException e) {
                        return false;
                    }
                };
                results.add(pool.submit(c));
            }
            go.countDown();
            int passed = 0;
            for (Future<Boolean> f : results)
                passed += f.get(30, TimeUnit.SECONDS) ? 1 : 0;
            assertEquals(1, passed);
        } finally {
            pool.shutdownNow();
        }
    }
}
