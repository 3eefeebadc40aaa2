package re6st.jni;

/** The kernel refused an rtnetlink request; the message names the request and the reason. */
public class NetlinkException extends ErrnoException {
    private static final long serialVersionUID = 1L;

    NetlinkException(String operation, int errno, String text) {
        super(operation, errno, text);
    }
}
