package re6st.tunnel.fuzz;

import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetSocketAddress;

import org.bouncycastle.tls.DatagramSender;

import com.code_intelligence.jazzer.junit.FuzzTest;

import re6st.tunnel.handshake.CookieGate;

/**
 * Jazzer on the first thing a listening tunnel does with a datagram from anyone: the stateless
 * cookie gate. No input may throw, and none without a cookie we issued may pass.
 */
class CookieGateFuzzTest {
    private static final CookieGate GATE = new CookieGate();
    private static final InetSocketAddress FROM = new InetSocketAddress("198.18.0.9", 40000);
    private static final DatagramSender SINK = new DatagramSender() {
        @Override
        public int getSendLimit() {
            return 1500;
        }

        @Override
        public void send(byte[] buf, int off, int len) {
            // the HelloVerifyRequest goes nowhere
        }
    };

    @FuzzTest(maxDuration = "15s")
    void check(byte[] datagram) {
        assertNull(GATE.check(FROM, datagram, 0, datagram.length, SINK), "passed the gate without a cookie");
    }
}
