package re6st.tunnel.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;

import org.bouncycastle.tls.DatagramSender;

import com.code_intelligence.jazzer.junit.FuzzTest;

import re6st.tunnel.handshake.CookieGate;

/**
 * Jazzer on the first thing a listening tunnel does with a datagram from anyone: the stateless
 * cookie gate. For every input: it does not throw; nothing without a cookie we issued passes;
 * exactly one outcome is counted, once (a HelloVerifyRequest sent, or ignored); at most one reply
 * goes back, only with a HelloVerifyRequest, and it is small (no amplification beyond a fixed
 * size, whatever the input's).
 */
class CookieGateFuzzTest {
    /** A HelloVerifyRequest: 13-byte record header, 12-byte handshake header, version, cookie of at most 255 bytes. */
    static final int MAX_REPLY = 13 + 12 + 2 + 1 + 255;

    private static final CookieGate GATE = new CookieGate();
    private static final InetSocketAddress FROM = new InetSocketAddress("198.18.0.9", 40000);
    private static int replies, largestReply;
    private static final DatagramSender SINK = new DatagramSender() {
        @Override
        public int getSendLimit() {
            return 1500;
        }

        @Override
        public void send(byte[] buf, int off, int len) {
            replies++;
            largestReply = Math.max(largestReply, len);
        }
    };

    @FuzzTest(maxDuration = "5s")
    void check(byte[] datagram) {
        long hvr = GATE.helloVerifyRequests(), ignored = GATE.ignored(), verified = GATE.verified();
        replies = 0;
        largestReply = 0;
        assertNull(GATE.check(FROM, datagram, 0, datagram.length, SINK), "passed the gate without a cookie");
        long dHvr = GATE.helloVerifyRequests() - hvr, dIgnored = GATE.ignored() - ignored;
        assertEquals(verified, GATE.verified(), "nothing verified");
        assertEquals(1, dHvr + dIgnored, "one outcome counted once: HelloVerifyRequests +" + dHvr + ", ignored +" + dIgnored);
        assertEquals(dHvr, replies, "a reply exactly when a HelloVerifyRequest is counted");
        assertTrue(largestReply <= MAX_REPLY, "reply of " + largestReply + " bytes");
    }
}
