package re6st.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import org.junit.jupiter.api.Test;

import re6st.jni.NetlinkMessage.MalformedException;
import re6st.jni.NetlinkMessage.Reader;
import re6st.jni.NetlinkMessage.Writer;

/** The netlink codec without a kernel: what we write parses back, and garbage is refused cleanly. */
class NetlinkMessageTest {

    /** Builds an RTM_NEWROUTE as the kernel would announce it. */
    private static Writer route(Route r) {
        Writer w = new Writer(4096);
        w.begin(NetlinkMessage.RTM_NEWROUTE, 0, 7).u8(r.family()).u8(r.dst().length())
                .u8(r.src() == null ? 0 : r.src().length()).u8(0).u8(r.table()).u8(r.protocol()).u8(0)
                .u8(r.type().code()).u32(r.onlink() ? Netlink.RTNH_F_ONLINK : 0);
        if (r.dst().length() > 0)
            w.attrAddress(Netlink.RTA_DST, r.dst().address());
        if (r.src() != null)
            w.attrAddress(Netlink.RTA_SRC, r.src().address());
        if (r.gateway() != null)
            w.attrAddress(Netlink.RTA_GATEWAY, r.gateway());
        if (r.oif() != 0)
            w.attrU32(Netlink.RTA_OIF, r.oif());
        if (r.metric() != 0)
            w.attrU32(Netlink.RTA_PRIORITY, r.metric());
        w.attrU32(Netlink.RTA_TABLE, r.table());
        return w;
    }

    @Test
    void routesRoundTrip() {
        Route[] routes = {
            Route.to("2001:db8:1::/64").via("fe80::1").dev(3).table(100).protocol(42).metric(256).onlink(true).build(),
            Route.to("::/0").from("2001:db8:7::/48").via("fd00::2").dev(4).protocol(42).build(),
            Route.to("198.18.0.0/15").type(RouteType.UNREACHABLE).table(200).protocol(4).build(),
            Route.to("::ffff:0:0/96").via("fe80::1").dev(3).build(), // IPv4-mapped: an IPv6 route, not an IPv4 /96
        };
        for (Route r : routes) {
            Writer w = route(r);
            int len = w.finish();
            Reader rd = new Reader(w.buf, len);
            assertTrue(rd.next());
            assertEquals(r, Netlink.parseRoute(rd));
            assertFalse(rd.next());
        }
    }

    @Test
    void clonedRoutesAndUnknownFamiliesAreSkipped() {
        Writer w = new Writer(256);
        w.begin(NetlinkMessage.RTM_NEWROUTE, 0, 1).u8(Netlink.AF_INET6).u8(0).u8(0).u8(0).u8(254).u8(2).u8(0).u8(1)
                .u32(Netlink.RTM_F_CLONED);
        int len = w.finish();
        Reader r = new Reader(w.buf, len);
        assertTrue(r.next());
        assertNull(Netlink.parseRoute(r));
        w.begin(NetlinkMessage.RTM_NEWROUTE, 0, 1).u8(7).u8(0).u8(0).u8(0).u8(254).u8(2).u8(0).u8(1).u32(0);
        r = new Reader(w.buf, w.finish());
        assertTrue(r.next());
        assertNull(Netlink.parseRoute(r));
    }

    @Test
    void malformedMessagesAreRefusedWithAReason() {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.nativeOrder());
        b.putInt(0, 200); // length beyond the datagram
        MalformedException e = assertThrows(MalformedException.class, () -> new Reader(b, 64).next());
        assertTrue(e.getMessage().contains("length 200"), e.getMessage());

        b.putInt(0, 8); // shorter than a header
        assertThrows(MalformedException.class, () -> new Reader(b, 64).next());

        // A route message whose attribute claims more bytes than the message has.
        Writer w = new Writer(256);
        w.begin(NetlinkMessage.RTM_NEWROUTE, 0, 1).u8(Netlink.AF_INET6).u8(64).u8(0).u8(0).u8(254).u8(2).u8(0).u8(1).u32(0)
                .u16(40).u16(Netlink.RTA_DST).u32(0);
        Reader r = new Reader(w.buf, w.finish());
        assertTrue(r.next());
        assertThrows(MalformedException.class, () -> Netlink.parseRoute(r));

        // An IPv6 destination of 5 bytes.
        w.begin(NetlinkMessage.RTM_NEWROUTE, 0, 1).u8(Netlink.AF_INET6).u8(64).u8(0).u8(0).u8(254).u8(2).u8(0).u8(1).u32(0)
                .attr(Netlink.RTA_DST, new byte[5]);
        Reader r2 = new Reader(w.buf, w.finish());
        assertTrue(r2.next());
        MalformedException e2 = assertThrows(MalformedException.class, () -> Netlink.parseRoute(r2));
        assertTrue(e2.getMessage().contains("5 bytes"), e2.getMessage());
    }

    /** Random and mutated datagrams: parsing either works or throws MalformedException/IllegalArgumentException. */
    @Test
    void randomInputNeverEscapesAsAnotherException() {
        Random rnd = new Random(42);
        Writer good = route(Route.to("2001:db8:1::/64").via("fe80::1").dev(3).table(100).protocol(42).build());
        int goodLen = good.finish();
        byte[] template = new byte[goodLen];
        good.buf.get(0, template);
        for (int i = 0; i < 20_000; i++) {
            byte[] data;
            if (i % 2 == 0) {
                data = template.clone();
                for (int k = 0; k < 1 + rnd.nextInt(4); k++)
                    data[rnd.nextInt(data.length)] = (byte) rnd.nextInt(256);
            } else {
                data = new byte[rnd.nextInt(128)];
                rnd.nextBytes(data);
            }
            ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
            try {
                Reader r = new Reader(b, data.length);
                for (int m = 0; m < 100 && r.next(); m++) {
                    switch (r.type) {
                        case NetlinkMessage.RTM_NEWROUTE -> Netlink.parseRoute(r);
                        case NetlinkMessage.RTM_NEWLINK -> Netlink.parseLink(r);
                        case NetlinkMessage.RTM_NEWADDR -> Netlink.parseAddress(r, false);
                        case NetlinkMessage.RTM_NEWRULE -> Netlink.parseRule(r);
                        default -> { }
                    }
                }
            } catch (MalformedException | IllegalArgumentException expected) {
                // refused cleanly
            }
        }
    }
}
