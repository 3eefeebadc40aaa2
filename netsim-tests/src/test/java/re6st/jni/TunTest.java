package re6st.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import re6st.netsim.Namespace;
import re6st.netsim.Ping;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;

/** Real packets through real TUN devices: two namespaces joined by a relay written in Java. */
@RequiresRoot
class TunTest {

    /** Copies packets between two TUNs: batches one way, single packets the other way. */
    static final class Relay implements AutoCloseable {
        final AtomicLong packets = new AtomicLong();
        private final Tun a, b;
        private final Thread ab, ba;
        private volatile boolean running = true;

        Relay(Tun a, Tun b) {
            this.a = a;
            this.b = b;
            ab = new Thread(() -> loop(a, b, true), "relay-ab");
            ba = new Thread(() -> loop(b, a, false), "relay-ba");
            ab.start();
            ba.start();
        }

        private void loop(Tun from, Tun to, boolean batched) {
            PacketBatch batch = new PacketBatch(32, 2048);
            try {
                while (running) {
                    if ((from.await(Tun.READABLE, 200_000_000L) & Tun.READABLE) == 0)
                        continue;
                    if (batched) {
                        int n = from.readBatch(batch);
                        to.writeBatch(batch);
                        packets.addAndGet(n);
                    } else {
                        for (int i = 0; i < 64; i++) {
                            int n = from.read(batch.buffer(), 0, 2048);
                            if (n < 0)
                                break;
                            to.write(batch.buffer(), 0, n);
                            packets.incrementAndGet();
                        }
                    }
                }
            } catch (ErrnoException e) {
                if (running)
                    throw new RuntimeException(e);
            }
        }

        @Override
        public void close() throws Exception {
            running = false;
            a.wakeup();
            b.wakeup();
            ab.join(2000);
            ba.join(2000);
        }
    }

    @Test
    void pingsCrossTwoTunsInTwoNamespaces() throws Exception {
        try (TestNet net = TestNet.create("tun")) {
            Namespace a = net.namespace("a"), b = net.namespace("b");
            Tun ta = a.call(() -> Tun.open("tun0"));
            net.own(ta);
            Tun tb = b.call(() -> Tun.open("tun%d"));
            net.own(tb);
            assertEquals("tun0", tb.name(), "the kernel picks the first free number in b's namespace");
            ta.setNonBlocking(true);
            tb.setNonBlocking(true);
            for (Namespace[] p : new Namespace[][] {{a}, {b}}) {
                Namespace ns = p[0];
                ns.up("tun0");
            }
            a.addAddress("tun0", "198.18.1.1/24");
            b.addAddress("tun0", "198.18.1.2/24");
            a.addAddress("tun0", "fd00:1::1/64");
            b.addAddress("tun0", "fd00:1::2/64");
            try (Relay relay = new Relay(ta, tb)) {
                Ping.Result v4 = Ping.run(a, "198.18.1.2", 5, Duration.ofMillis(50));
                assertEquals(5, v4.received(), v4.output());
                Ping.Result v6 = Ping.run(b, "fd00:1::1", 5, Duration.ofMillis(50));
                assertEquals(5, v6.received(), v6.output());
                assertTrue(relay.packets.get() >= 20, "relay saw " + relay.packets.get() + " packets");
            }
        }
    }

    @Test
    void tunDisappearsWhenClosedAndNamesAreChecked() throws Exception {
        try (TestNet net = TestNet.create("tunclose")) {
            Namespace a = net.namespace("a");
            Tun t = a.call(() -> Tun.open("r6tx", Tun.Mode.TUN, Tun.MULTI_QUEUE));
            assertTrue(a.run("ip", "link", "show", "r6tx").ok());
            t.close();
            assertTrue(!a.exec(Duration.ofSeconds(5), "ip", "link", "show", "r6tx").ok(), "device gone after close");
            t.close(); // idempotent
            try {
                Tun.open("a-name-longer-than-15");
                throw new AssertionError("long name accepted");
            } catch (IllegalArgumentException expected) {
                assertTrue(expected.getMessage().contains("15"));
            }
        }
    }
}
