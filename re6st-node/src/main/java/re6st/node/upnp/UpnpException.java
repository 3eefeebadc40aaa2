package re6st.node.upnp;

import java.io.IOException;

/**
 * A UPnP step that failed, with the reason it is counted under ({@code re6st_upnp_failures_total{reason}}):
 * one of the constants here. The message says what failed and why, for the log.
 */
public class UpnpException extends IOException {
    private static final long serialVersionUID = 1L;
    /** No IGD answered the M-SEARCH, or none with a WAN connection service. */
    public static final String NO_IGD = "no_igd";
    /** An answer (SSDP, description, SOAP) that does not parse, is too big, or names a URL we refuse. */
    public static final String BAD_ANSWER = "bad_answer";
    /** An HTTP status other than 200 without a UPnP fault. */
    public static final String HTTP = "http";
    /** A UPnP fault (errorCode) other than a port conflict. */
    public static final String FAULT = "fault";
    /** The IGD did not answer in time. */
    public static final String TIMEOUT = "timeout";
    /** The connection failed (refused, unreachable...). */
    public static final String IO = "io";

    private final String reason;

    public UpnpException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public UpnpException(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** The counter label: one of the constants of this class. */
    public String reason() {
        return reason;
    }
}
