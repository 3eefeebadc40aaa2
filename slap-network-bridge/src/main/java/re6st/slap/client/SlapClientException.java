package re6st.slap.client;

/** A master's refusal: 404 (NotFound), 408 (ResourceNotReady: rerun later) or another HTTP status, with its reason. */
public final class SlapClientException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Kind { NOT_FOUND, NOT_READY, HTTP }

    private final Kind kind;
    private final int status;

    public SlapClientException(Kind kind, int status, String message) {
        super(message);
        this.kind = kind;
        this.status = status;
    }

    public Kind kind() {
        return kind;
    }

    public int status() {
        return status;
    }
}
