package re6st.cli;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The service manager's end of sd_notify(3), as systemd holds it: a bound Unix datagram socket that
 * waits for a daemon's {@link SdNotify} messages. For tests that run a daemon the way its systemd unit does.
 */
public final class NotifyListener implements AutoCloseable {
    private static final int SOL_SOCKET = 1, SO_RCVTIMEO = 20;
    private final int fd;
    private final String name;

    /** Binds {@code name}: a file path, or an @abstract name. */
    public NotifyListener(String name) {
        this.name = name;
        fd = C.socket(1, 2 | 0x80000, 0);
        if (fd < 0)
            throw new IllegalStateException("socket: errno " + Native.getLastError());
        byte[] a = SdNotify.sockaddr(name);
        if (C.bind(fd, a, a.length) != 0)
            throw new IllegalStateException("bind " + name + ": errno " + Native.getLastError());
    }

    /** Binds {@code dir/notify}. */
    public static NotifyListener inDirectory(Path dir) {
        return new NotifyListener(dir.resolve("notify").toString());
    }

    /** The next message, waiting at most {@code seconds}; null when none came. */
    public String next(int seconds) {
        ByteBuffer tv = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(seconds).putLong(0);
        C.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv.array(), 16);
        byte[] buf = new byte[4096];
        long n = C.recv(fd, buf, buf.length, 0);
        return n < 0 ? null : new String(buf, 0, (int) n, StandardCharsets.UTF_8);
    }

    /** What to put in the daemon's {@code NOTIFY_SOCKET}. */
    public String name() {
        return name;
    }

    @Override
    public void close() {
        C.close(fd);
    }

    private static final class C {
        static {
            Native.register(Platform.C_LIBRARY_NAME);
        }

        static native int socket(int domain, int type, int protocol);

        static native int bind(int fd, byte[] addr, int addrlen);

        static native int setsockopt(int fd, int level, int name, byte[] value, int len);

        static native long recv(int fd, byte[] buf, long len, int flags);

        static native int close(int fd);
    }
}
