package re6st.node.upnp;

/** A SOAP fault with a UPnP error (UPnP Device Architecture 1.1, 3.2.2): its errorCode and errorDescription. */
public final class UpnpFault extends UpnpException {
    private static final long serialVersionUID = 1L;
    /** WANIPConnection: the external port is mapped already to another client. */
    public static final int CONFLICT_IN_MAPPING_ENTRY = 718;
    /** WANIPConnection:1: the IGD takes only NewLeaseDuration 0 (a mapping until it is deleted or the IGD restarts). */
    public static final int ONLY_PERMANENT_LEASES_SUPPORTED = 725;

    private final int code;

    public UpnpFault(int code, String description, String action) {
        super(FAULT, action + ": UPnP error " + code + (description.isEmpty() ? "" : " (" + description + ")"));
        this.code = code;
    }

    public int code() {
        return code;
    }
}
