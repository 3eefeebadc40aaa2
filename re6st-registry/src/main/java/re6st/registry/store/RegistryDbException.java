package re6st.registry.store;

/** The registry database failed (I/O, locking, a corrupt or foreign file); the operation changed nothing. */
public final class RegistryDbException extends RuntimeException {
    private final boolean busy;

    public RegistryDbException(String message, Throwable cause) {
        this(message, cause, false);
    }

    RegistryDbException(String message, Throwable cause, boolean busy) {
        super(cause == null || cause.getMessage() == null ? message : message + ": " + cause.getMessage(), cause);
        this.busy = busy;
    }

    /** SQLite said SQLITE_BUSY: another connection holds the lock; retrying may succeed. */
    public boolean busy() {
        return busy;
    }
}
