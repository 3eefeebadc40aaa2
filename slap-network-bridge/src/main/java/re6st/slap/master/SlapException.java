package re6st.slap.master;

/**
 * A request the master cannot satisfy, with the HTTP status slapproxy's clients map it to
 * (slap-protocol.md, "Transport"): 404 NotFound (no such computer or partition, no free
 * partition, no host for a shared instance), 408 ResourceNotReady, 400 for a malformed request,
 * 409 for a report that contradicts what the master asked. The message says what and why, for the
 * response body and the log.
 */
public final class SlapException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Kind {
        BAD_REQUEST(400), NOT_FOUND(404), NOT_READY(408), CONFLICT(409);

        public final int status;

        Kind(int status) {
            this.status = status;
        }
    }

    private final Kind kind;

    public SlapException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public int status() {
        return kind.status;
    }

    static SlapException notFound(String message) {
        return new SlapException(Kind.NOT_FOUND, message);
    }

    static SlapException badRequest(String message) {
        return new SlapException(Kind.BAD_REQUEST, message);
    }

    static SlapException conflict(String message) {
        return new SlapException(Kind.CONFLICT, message);
    }
}
