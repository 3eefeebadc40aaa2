package re6st.registry.http;

/**
 * A deliberate RPC error: its HTTP status (400 bad request, 401 unknown session, 403 refused,
 * 404 unknown, 409 conflict) and a message for the client and the log (never a secret).
 */
public final class RpcException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;

    public RpcException(int status, String message) {
        super(message);
        if (status < 400 || status > 599)
            throw new IllegalArgumentException("not an error status: " + status);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public static RpcException badRequest(String message) {
        return new RpcException(400, message);
    }

    public static RpcException forbidden(String message) {
        return new RpcException(403, message);
    }
}
