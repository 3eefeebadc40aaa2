package re6st.jni;

import java.io.Closeable;

/**
 * A descriptor that a thread can wait on and another can wake: an eventfd next to it, signalled
 * by {@link #wakeup} and by {@link #close} (so closing never leaves a thread blocked). Shared by
 * {@link Tun}, {@link UdpSocket}, {@link PacketSocket} and the rtnetlink socket.
 */
public abstract class WakeableFd implements Closeable {
    /** Readiness bits returned by {@link #await}. */
    public static final int READABLE = Fd.POLLIN, WRITABLE = Fd.POLLOUT, WOKEN = Fd.WOKEN;

    protected final int fd;
    protected final int wakeFd;
    protected volatile boolean closed;

    protected WakeableFd(int fd, int wakeFd) {
        this.fd = fd;
        this.wakeFd = wakeFd;
    }

    /** Opens an eventfd for a new descriptor {@code fd}; closes {@code fd} if that fails. */
    static int wakeFdFor(int fd) throws ErrnoException {
        try {
            return Fd.eventfd0();
        } catch (ErrnoException | RuntimeException e) {
            Fd.close0(fd);
            throw e;
        }
    }

    public int fd() {
        return fd;
    }

    /**
     * Waits until the descriptor is {@link #READABLE} and/or {@link #WRITABLE} (as asked in
     * {@code events}), {@link #wakeup} is called, or the timeout passes (negative: no timeout).
     * Returns the bits that are set; 0 on timeout.
     */
    public int await(int events, long timeoutNanos) throws ErrnoException {
        if (closed)
            return WOKEN;
        return Fd.poll0(fd, events, wakeFd, timeoutNanos);
    }

    /** Makes a current or the next {@link #await} return {@link #WOKEN}. */
    public void wakeup() throws ErrnoException {
        Fd.signal0(wakeFd);
    }

    public boolean isOpen() {
        return !closed;
    }

    /** Closes the descriptor and wakes any waiting thread. */
    @Override
    public synchronized void close() throws ErrnoException {
        if (closed)
            return;
        closed = true;
        try {
            Fd.signal0(wakeFd);
            Fd.close0(fd);
        } finally {
            Fd.close0(wakeFd);
        }
    }
}
