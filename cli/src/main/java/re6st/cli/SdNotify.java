package re6st.cli;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * systemd's readiness protocol (sd_notify(3)) without libsystemd: one datagram per state change
 * ({@code READY=1}, {@code RELOADING=1}, {@code STOPPING=1}, {@code STATUS=...}) to the Unix socket
 * named by {@code $NOTIFY_SOCKET}, so that a {@code Type=notify} unit is "started" only once the
 * daemon serves. Without {@code $NOTIFY_SOCKET} (not under systemd) it does nothing and loads
 * nothing. Java 17 has no Unix datagram sockets, so the three libc calls go through JNA.
 */
public final class SdNotify {
    private static final System.Logger LOG = System.getLogger("re6st.cli");
    private static final int AF_UNIX = 1, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000, MSG_NOSIGNAL = 0x4000;
    /** sizeof(sockaddr_un.sun_path) on Linux. */
    static final int PATH_MAX = 108;

    /** Set once libc could not be reached through JNA (no native support here): we stop trying, said once. */
    private static volatile boolean unavailable;

    private SdNotify() {}

    /**
     * Sends {@code state} (newline-separated {@code KEY=VALUE} lines) to the service manager.
     * Returns false when there is none ({@code $NOTIFY_SOCKET} unset) or the send failed (logged
     * once at debug: a lost notification must never stop the daemon).
     */
    public static boolean notify(String state) {
        return notify(System.getenv("NOTIFY_SOCKET"), state);
    }

    static boolean notify(String socket, String state) {
        if (socket == null || socket.isEmpty())
            return false;
        byte[] address;
        try {
            address = sockaddr(socket);
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "NOTIFY_SOCKET {0}: {1}; systemd is not told our state", socket, e.getMessage());
            return false;
        }
        if (unavailable)
            return false;
        try {
            return send(socket, address, state.getBytes(StandardCharsets.UTF_8));
        } catch (LinkageError e) { // JNA could not load its native part (e.g. a noexec temporary directory)
            unavailable = true;
            LOG.log(System.Logger.Level.WARNING, "cannot tell systemd our state through {0}: {1} (set -Djna.tmpdir to an executable "
                    + "directory)", socket, e.toString());
            return false;
        }
    }

    private static boolean send(String socket, byte[] address, byte[] message) {
        int fd = Libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            LOG.log(System.Logger.Level.DEBUG, "sd_notify: socket() failed, errno {0}", Native.getLastError());
            return false;
        }
        try {
            long sent = Libc.sendto(fd, message, message.length, MSG_NOSIGNAL, address, address.length);
            if (sent != message.length) {
                LOG.log(System.Logger.Level.DEBUG, "sd_notify to {0} failed, errno {1}", socket, Native.getLastError());
                return false;
            }
            return true;
        } finally {
            Libc.close(fd);
        }
    }

    /**
     * struct sockaddr_un for {@code path}: family (host order), then the path; a leading '@' names
     * an abstract socket (a NUL first byte, length exact); a file path gets its terminating NUL.
     */
    static byte[] sockaddr(String path) {
        if (!path.startsWith("/") && !path.startsWith("@"))
            throw new IllegalArgumentException("expected an absolute path or an @abstract name");
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        boolean abstractName = p[0] == '@';
        if (p.length + (abstractName ? 0 : 1) > PATH_MAX)
            throw new IllegalArgumentException("longer than " + PATH_MAX + " bytes");
        ByteBuffer b = ByteBuffer.allocate(2 + p.length + (abstractName ? 0 : 1)).order(ByteOrder.nativeOrder());
        b.putShort((short) AF_UNIX);
        b.put(abstractName ? (byte) 0 : p[0]);
        b.put(p, 1, p.length - 1);
        return b.array(); // a file path's NUL is the zero the buffer ends with
    }

    /** Direct-mapped libc, loaded only when a notification is sent. */
    static final class Libc {
        static {
            Native.register(Platform.C_LIBRARY_NAME);
        }

        private Libc() {}

        static native int socket(int domain, int type, int protocol);

        static native long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen);

        static native int close(int fd);
    }
}
