package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import re6st.cli.CommandFailure;

/** SIGTERM and SIGHUP against the node's run/restart loop, wherever they fall: in a run, between two, while one closes. */
class RunLoopTest {
    final RunLoop loop = new RunLoop();
    final List<String> events = new ArrayList<>(); // guarded by itself

    void event(String e) {
        synchronized (events) {
            events.add(e);
        }
    }

    List<String> events() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    /** A run that lasts until stopped (or ends at once with {@code outcome}); {@code onClose} runs in close. */
    final class FakeRun implements RunLoop.Run {
        final String name;
        final CountDownLatch ended = new CountDownLatch(1), started = new CountDownLatch(1);
        volatile RunLoop.Outcome outcome;
        Runnable onClose = () -> { };
        Exception failure;

        FakeRun(String name) {
            this.name = name;
        }

        public void start() {
            event(name + " start");
            started.countDown();
        }

        public RunLoop.Outcome awaitEnd() throws Exception {
            ended.await();
            if (failure != null)
                throw failure;
            return outcome;
        }

        public synchronized void stop(RunLoop.Outcome o) {
            if (ended.getCount() > 0) {
                outcome = o;
                event(name + " stop " + o);
                ended.countDown();
            }
        }

        public void close() {
            event(name + " close");
            onClose.run();
        }
    }

    final AtomicReference<Throwable> thrown = new AtomicReference<>();
    volatile boolean interruptedAfter;

    /** The loop on its own (daemon) thread, as the node's main thread; records how it ended. */
    Thread start(RunLoop.Runs runs) {
        Thread t = new Thread(() -> {
            try {
                loop.run(runs);
                interruptedAfter = Thread.currentThread().isInterrupted();
                event("loop returned");
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, "node-main");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Waits (bounded: only "never" fails it) for the loop to return. */
    void assertReturns(Thread t) throws Exception {
        t.join(60_000);
        assertFalse(t.isAlive(), "the loop returned; events: " + events());
        if (thrown.get() instanceof Exception e)
            throw e;
        assertEquals(null, thrown.get());
        assertFalse(interruptedAfter, "the stop's interrupt is spent");
    }

    @Test
    void aStopWhileTheNextRunWaitsForItsConfigEndsTheLoopAndNoRunStarts() throws Exception {
        CountDownLatch waiting = new CountDownLatch(1);
        Thread t = start(() -> {
            event("waiting for the config");
            waiting.countDown();
            Thread.sleep(600_000); // as NetworkConfigSource.atStart's backoff while the registry is unreachable
            return new FakeRun("never");
        });
        assertTrue(waiting.await(60, TimeUnit.SECONDS));
        loop.stop(); // SIGTERM: no run is current
        assertReturns(t);
        assertEquals(List.of("waiting for the config", "loop returned"), events());
    }

    @Test
    void aStopJustAsTheConfigArrivesClosesTheNewRunUnstarted() throws Exception {
        assertReturns(start(() -> {
            loop.stop(); // SIGTERM after the config wait, before the run is current (the wait was not interrupted)
            return new FakeRun("r0");
        }));
        assertEquals(List.of("r0 close", "loop returned"), events(), "closed, never started");
    }

    @Test
    void aStopWhileTheOldRunClosesAfterARestartStartsNoNewRun() throws Exception {
        List<FakeRun> made = new java.util.concurrent.CopyOnWriteArrayList<>();
        assertReturns(start(() -> {
            FakeRun r = new FakeRun("r" + made.size());
            made.add(r);
            if (made.size() == 1) {
                r.onClose = loop::stop; // SIGTERM while the old run closes
                r.stop(RunLoop.Outcome.RESTART); // new network parameters
            }
            return r;
        }));
        assertEquals(1, made.size(), "no second run; events: " + events());
        assertEquals(List.of("r0 stop RESTART", "r0 start", "r0 close", "loop returned"), events());
    }

    @Test
    void aHangUpRestartsTheCurrentRunThenAStopEndsTheLoop() throws Exception {
        List<FakeRun> made = new ArrayList<>();
        CountDownLatch secondMade = new CountDownLatch(1);
        Thread t = start(() -> {
            FakeRun r = new FakeRun("r" + made.size());
            synchronized (made) {
                made.add(r);
            }
            if (made.size() == 2)
                secondMade.countDown();
            return r;
        });
        assertTrue(waitFirstStarted(made));
        loop.restart(); // SIGHUP
        assertTrue(secondMade.await(60, TimeUnit.SECONDS));
        FakeRun second;
        synchronized (made) {
            second = made.get(1);
        }
        assertTrue(second.started.await(60, TimeUnit.SECONDS));
        loop.stop();
        assertReturns(t);
        assertEquals(List.of("r0 start", "r0 stop RESTART", "r0 close", "r1 start", "r1 stop STOPPED", "r1 close", "loop returned"), events());
        loop.restart(); // after the stop: nothing
        assertEquals(7, events().size());
    }

    private static boolean waitFirstStarted(List<FakeRun> made) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            FakeRun first;
            synchronized (made) {
                first = made.isEmpty() ? null : made.get(0);
            }
            if (first != null)
                return first.started.await(60, TimeUnit.SECONDS);
            Thread.sleep(100); // polling for the condition itself, bounded
        }
        return false;
    }

    @Test
    void aFailedRunIsClosedAndItsFailureThrown() throws Exception {
        FakeRun r = new FakeRun("r");
        r.failure = CommandFailure.failed("the network requires protocol 99 or later");
        r.stop(RunLoop.Outcome.STOPPED);
        Thread t = start(() -> r);
        CommandFailure f = assertThrows(CommandFailure.class, () -> assertReturns(t));
        assertSame(r.failure, f);
        assertEquals(List.of("r stop STOPPED", "r start", "r close"), events());
    }
}
