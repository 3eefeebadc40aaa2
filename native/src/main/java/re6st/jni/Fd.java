package re6st.jni;

import java.nio.ByteBuffer;

/** Raw file-descriptor calls shared by the {@link WakeableFd} descriptors. */
final class Fd {
    static final int POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10;
    /** Set in {@link #poll0}'s result when the wake-up eventfd fired. */
    static final int WOKEN = 0x10000;

    static {
        NativeLibrary.load();
    }

    private Fd() {}

    static native void close0(int fd) throws ErrnoException;

    static native void setNonBlocking0(int fd, boolean on) throws ErrnoException;

    static native int read0(int fd, ByteBuffer buf, int off, int len) throws ErrnoException;

    static native int write0(int fd, ByteBuffer buf, int off, int len) throws ErrnoException;

    static native int poll0(int fd, int events, int wakefd, long timeoutNanos) throws ErrnoException;

    static native int eventfd0() throws ErrnoException;

    static native void signal0(int efd) throws ErrnoException;

    static native String strerror0(int errno);
}
