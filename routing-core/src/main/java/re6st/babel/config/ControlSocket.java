package re6st.babel.config;

/**
 * babeld's local configuration interface ({@code local-port}, {@code local-port-readwrite},
 * {@code local-path}, {@code local-path-readwrite}; on babeld's command line -g/-G). A TCP port
 * listens on ::1 only; a path is a UNIX-domain socket. Read-only clients may only {@code dump},
 * {@code monitor}, {@code unmonitor} and {@code quit}.
 *
 * @param port      TCP port 1..65534, or 0 when {@code path} is used
 * @param path      socket path, or null when {@code port} is used
 * @param readWrite whether clients may also send configuration statements
 */
public record ControlSocket(int port, String path, boolean readWrite) {
    public ControlSocket {
        if ((path == null) == (port == 0))
            throw new IllegalArgumentException("a control socket has a port or a path");
    }
}
