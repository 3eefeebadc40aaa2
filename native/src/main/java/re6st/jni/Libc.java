package re6st.jni;

import com.sun.jna.Native;

/**
 * Rare one-off libc calls through JNA (direct mapping). Nothing on a packet path belongs here:
 * those calls are JNI (see {@link Tun}).
 */
public final class Libc {
    static {
        Native.register("c");
    }

    public static final int CLONE_NEWNET = 0x40000000;
    static final int O_RDONLY = 0, O_CLOEXEC = 0x80000;

    private Libc() {}

    /** Index of the interface in the calling thread's namespace, 0 if none. */
    public static native int if_nametoindex(String name);

    public static native int getuid();

    public static native int geteuid();

    static native int open(String path, int flags);

    static native int close(int fd);

    static native int setns(int fd, int nstype);

    static native int prctl(int option, long arg2, long arg3, long arg4, long arg5);

    private static final int PR_SET_TIMERSLACK = 29;

    /**
     * Sets the calling thread's timer slack (default 50 us): how late the kernel may wake it
     * from a timed wait. Threads that must act at an exact time (the WAN emulator) lower it.
     */
    public static void setTimerSlackNanos(long nanos) {
        prctl(PR_SET_TIMERSLACK, nanos, 0, 0, 0);
    }

    /** True when running as root (tests that need namespaces check this). */
    public static boolean isRoot() {
        return geteuid() == 0;
    }

    static int errno() {
        return Native.getLastError();
    }
}
