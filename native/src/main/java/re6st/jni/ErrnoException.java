package re6st.jni;

import java.io.IOException;
import java.util.Map;

/**
 * A system call or kernel request failed. The message names the operation, the errno symbol
 * and the kernel's text, e.g. {@code route add 2001:db8::/64 dev r0: EEXIST (File exists)}.
 */
public class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;

    public static final int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, EBADF = 9,
            EAGAIN = 11, ENOMEM = 12, EACCES = 13, EBUSY = 16, EEXIST = 17, ENODEV = 19,
            EINVAL = 22, EMSGSIZE = 90, EPROTONOSUPPORT = 93, EOPNOTSUPP = 95,
            EAFNOSUPPORT = 97, EADDRINUSE = 98, EADDRNOTAVAIL = 99, ENETDOWN = 100,
            ENETUNREACH = 101, ENOBUFS = 105, EHOSTUNREACH = 113;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(EPERM, "EPERM"), Map.entry(ENOENT, "ENOENT"), Map.entry(ESRCH, "ESRCH"),
            Map.entry(EINTR, "EINTR"), Map.entry(EIO, "EIO"), Map.entry(EBADF, "EBADF"),
            Map.entry(EAGAIN, "EAGAIN"), Map.entry(ENOMEM, "ENOMEM"), Map.entry(EACCES, "EACCES"),
            Map.entry(EBUSY, "EBUSY"), Map.entry(EEXIST, "EEXIST"), Map.entry(ENODEV, "ENODEV"),
            Map.entry(EINVAL, "EINVAL"), Map.entry(EMSGSIZE, "EMSGSIZE"),
            Map.entry(EPROTONOSUPPORT, "EPROTONOSUPPORT"), Map.entry(EOPNOTSUPP, "EOPNOTSUPP"),
            Map.entry(EAFNOSUPPORT, "EAFNOSUPPORT"), Map.entry(EADDRINUSE, "EADDRINUSE"),
            Map.entry(EADDRNOTAVAIL, "EADDRNOTAVAIL"), Map.entry(ENETDOWN, "ENETDOWN"),
            Map.entry(ENETUNREACH, "ENETUNREACH"), Map.entry(ENOBUFS, "ENOBUFS"),
            Map.entry(EHOSTUNREACH, "EHOSTUNREACH"));

    private final String operation;
    private final int errno;

    /** Called from JNI with strerror's text. */
    public ErrnoException(String operation, int errno, String text) {
        super(operation + ": " + symbol(errno) + " (" + text + ")" + ((errno == EPERM || errno == EACCES)
                && !"root".equals(System.getProperty("user.name"))
                ? ": TUN devices, routes and raw sockets need root (or the CAP_NET_ADMIN capability)" : ""));
        this.operation = operation;
        this.errno = errno;
    }

    public String operation() {
        return operation;
    }

    public int errno() {
        return errno;
    }

    /** "EEXIST" for 17; "errno 200" for numbers without a name here. */
    public static String symbol(int errno) {
        String name = NAMES.get(errno);
        return name != null ? name : "errno " + errno;
    }
}
