package re6st.bench;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The JNA side of the comparison: libc read(2)/write(2) through JNA direct mapping, the
 * fastest way JNA offers (no Structure, no varargs; errno via {@link Native#getLastError()}).
 */
final class JnaLibc {
    static {
        Native.register("c");
    }

    static final int EINTR = 4, EAGAIN = 11;

    private JnaLibc() {}

    /** ssize_t read(int fd, void *buf, size_t count): long is 64 bits on LP64 Linux. */
    static native long read(int fd, Pointer buf, long count);

    /** ssize_t write(int fd, const void *buf, size_t count). */
    static native long write(int fd, Pointer buf, long count);

    static int errno() {
        return Native.getLastError();
    }
}
