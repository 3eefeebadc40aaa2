package re6st.jni;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs Java code inside a named network namespace ({@code ip netns add NAME}). Linux binds the
 * namespace to a thread, so the work runs on a fresh thread that entered the namespace with
 * setns(2): sockets, TUN devices and netlink sockets it opens belong to that namespace, and
 * keep belonging to it when used from other threads afterwards.
 */
public final class NetNs {
    private NetNs() {}

    /** Calls {@code task} on a new thread inside namespace {@code name} and returns its result. */
    public static <T> T call(String name, Callable<T> task) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = start(name, "netns-" + name, () -> {
            try {
                result.set(task.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        }, failure);
        t.join();
        Throwable f = failure.get();
        if (f instanceof Exception e)
            throw e;
        if (f instanceof Error e)
            throw e;
        if (f != null)
            throw new ExecutionException(f);
        return result.get();
    }

    /**
     * Starts a daemon thread that enters namespace {@code name} and runs {@code body}. If the
     * namespace cannot be entered, the thread logs nothing and ends; use {@link #call} to see
     * the error.
     */
    public static Thread thread(String name, String threadName, Runnable body) {
        return start(name, threadName, body, new AtomicReference<>());
    }

    private static Thread start(String name, String threadName, Runnable body, AtomicReference<Throwable> failure) {
        Thread t = new Thread(() -> {
            try {
                enter(name);
            } catch (ErrnoException e) {
                failure.set(e);
                return;
            }
            body.run();
        }, threadName);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Moves the calling thread into namespace {@code name}. Only for threads you own. */
    public static void enter(String name) throws ErrnoException {
        if (name.contains("/"))
            throw new IllegalArgumentException("namespace name with '/': " + name);
        String path = "/run/netns/" + name;
        int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0)
            throw new ErrnoException("open " + path, Libc.errno(), Fd.strerror0(Libc.errno()));
        try {
            if (Libc.setns(fd, Libc.CLONE_NEWNET) < 0) {
                int err = Libc.errno();
                throw new ErrnoException("setns " + name, err, Fd.strerror0(err));
            }
        } finally {
            Libc.close(fd);
        }
    }
}
