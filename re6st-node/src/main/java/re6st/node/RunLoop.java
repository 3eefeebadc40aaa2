package re6st.node;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/**
 * The node's runs one after the other: a restart (SIGHUP, new network parameters) closes the
 * current run and starts the next; {@link #stop} (SIGTERM) ends the loop wherever it is: in a
 * run, while the next one waits for its network config (interrupted), or while the last one
 * closes (no next run starts). A SIGHUP when no run is current is already being served: a
 * restart is under way. Thread-safe: the signals come on their own threads.
 */
final class RunLoop {
    private static final Logger LOG = System.getLogger("re6st.node");

    /** How a run of the node ended. */
    enum Outcome { STOPPED, RESTART }

    /** One run of the node with one network config. */
    interface Run {
        void start() throws Exception;

        /** Waits for the end of the run; a run that failed (a CommandFailure) throws it here. */
        Outcome awaitEnd() throws Exception;

        /** Ends the run (any thread); only the first call decides its outcome. */
        void stop(Outcome o);

        /** Closes what the run opened, started or not. */
        void close();
    }

    /** Makes the next run: gets and checks its network config, possibly waiting for the registry (interruptibly). */
    @FunctionalInterface
    interface Runs {
        Run next() throws Exception;
    }

    private final Object lock = new Object();
    private Run current; // guarded by lock, as the two below
    private boolean stopping;
    private Thread thread;

    /** Runs the runs {@code runs} makes until one stops or {@link #stop} is called; what fails is thrown. */
    void run(Runs runs) throws Exception {
        synchronized (lock) {
            thread = Thread.currentThread();
        }
        try {
            for (;;) {
                Run r;
                try {
                    if (stopping())
                        return;
                    r = runs.next();
                } catch (InterruptedException e) {
                    if (stopping())
                        return;
                    throw e;
                }
                synchronized (lock) {
                    if (!stopping)
                        current = r;
                }
                if (current() != r) { // stopped while it was being made: it never starts
                    r.close();
                    return;
                }
                Outcome o;
                try {
                    r.start();
                    o = r.awaitEnd();
                } finally {
                    r.close(); // still current while it closes: a stop now is a stop of the loop
                    synchronized (lock) {
                        current = null;
                    }
                }
                if (o == Outcome.STOPPED || stopping())
                    return;
                LOG.log(Level.INFO, "restarting");
            }
        } finally {
            synchronized (lock) {
                thread = null;
                if (stopping)
                    Thread.interrupted(); // the stop's interrupt, if it came after the last wait, is spent
            }
        }
    }

    /** SIGTERM: the current run stops, or the wait for the next is interrupted; no run starts after this. */
    void stop() {
        Run r;
        synchronized (lock) {
            stopping = true;
            r = current;
            if (r == null && thread != null)
                thread.interrupt(); // waiting for a network config (a backoff sleep), or between two runs
        }
        if (r != null)
            r.stop(Outcome.STOPPED);
    }

    /** SIGHUP: the current run restarts; none current: a restart (or the start) is already under way. */
    void restart() {
        Run r;
        synchronized (lock) {
            if (stopping)
                return;
            r = current;
        }
        if (r != null)
            r.stop(Outcome.RESTART);
        else
            LOG.log(Level.INFO, "a restart is already under way");
    }

    private boolean stopping() {
        synchronized (lock) {
            return stopping;
        }
    }

    private Run current() {
        synchronized (lock) {
            return current;
        }
    }
}
