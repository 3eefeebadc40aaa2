package re6st.tunnel;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where the TUN side puts sealed packets: an underlay transport's send buffer. {@link #add}
 * seals one inner packet into the buffer (framing it as the transport needs), {@link #flush}
 * hands everything added to the kernel in as few system calls as the transport allows (UDP GSO:
 * one per run of equal-sized datagrams; TCP: one write). Used by one thread.
 */
public interface Outbox {
    /** Seals {@code view[off, off+len)} (an inner IP packet) with {@code session} into the buffer. */
    void add(TunnelSession session, ByteBuffer view, int off, int len) throws IOException;

    /** Sends what was added. */
    void flush() throws IOException;
}
