package re6st.jni;

import java.nio.ByteBuffer;

/** An rtnetlink socket (NETLINK_ROUTE), bound in the namespace of the thread that opened it. */
final class NetlinkSocket extends WakeableFd {
    static final int NETLINK_ROUTE = 0;

    static {
        NativeLibrary.load();
    }

    NetlinkSocket(int rcvbuf) throws ErrnoException {
        this(open0(NETLINK_ROUTE, rcvbuf), true);
    }

    private NetlinkSocket(int fd, boolean opened) throws ErrnoException {
        super(fd, wakeFdFor(fd));
    }

    void addMembership(int group) throws ErrnoException {
        addMembership0(fd, group);
    }

    void send(ByteBuffer buf, int off, int len) throws ErrnoException {
        send0(fd, buf, off, len);
    }

    /** Blocking receive of one datagram; returns its length. */
    int recv(ByteBuffer buf) throws ErrnoException {
        return recv0(fd, buf, 0, buf.capacity(), false);
    }

    /** Non-blocking receive; -1 if nothing waits. */
    int recvNow(ByteBuffer buf) throws ErrnoException {
        return recv0(fd, buf, 0, buf.capacity(), true);
    }

    /** Waits for data; returns false on timeout or wakeup. */
    boolean awaitReadable(long timeoutNanos) throws ErrnoException {
        if (closed)
            return false;
        int r = Fd.poll0(fd, Fd.POLLIN, wakeFd, timeoutNanos);
        return (r & (Fd.POLLIN | Fd.POLLERR)) != 0 && (r & Fd.WOKEN) == 0;
    }

    private static native int open0(int protocol, int rcvbuf) throws ErrnoException;

    private static native void addMembership0(int fd, int group) throws ErrnoException;

    private static native void send0(int fd, ByteBuffer buf, int off, int len) throws ErrnoException;

    private static native int recv0(int fd, ByteBuffer buf, int off, int len, boolean dontwait) throws ErrnoException;
}
