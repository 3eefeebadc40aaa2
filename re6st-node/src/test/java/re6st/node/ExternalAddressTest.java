package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The vote on what peers say our external address is, on a virtual clock (ms). */
class ExternalAddressTest {
    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void aSinglePeerIsBelievedWhenItIsTheOnlyOne() throws Exception {
        ExternalAddress x = new ExternalAddress();
        assertEquals(List.of(), x.addresses());
        assertEquals(ip("198.18.9.1"), x.observed("1/16", ip("198.18.9.1"), 0));
        assertEquals(List.of("198.18.9.1"), x.addresses());
        assertNull(x.observed("1/16", ip("198.18.9.1"), 1_000), "the same again: no change");
    }

    @Test
    void oneLyingPeerAmongThreeCannotRedirectUs() throws Exception {
        ExternalAddress x = new ExternalAddress();
        x.observed("1/16", ip("198.18.9.1"), 0);
        assertNull(x.observed("2/16", ip("198.18.66.6"), 10), "a tie keeps the choice");
        assertNull(x.observed("3/16", ip("198.18.9.1"), 20));
        assertEquals(List.of("198.18.9.1"), x.addresses());
        assertNull(x.observed("2/16", ip("198.18.66.7"), 30), "the liar changing its story changes nothing");
        assertEquals(List.of("198.18.9.1"), x.addresses());
    }

    @Test
    void aLiarFirstAmongSeveralIsOutvotedOnceTwoAgree() throws Exception {
        ExternalAddress x = new ExternalAddress();
        assertEquals(ip("198.18.66.6"), x.observed("2/16", ip("198.18.66.6"), 0), "alone, it is believed");
        assertNull(x.observed("1/16", ip("198.18.9.1"), 10), "one against one: a tie");
        assertEquals(ip("198.18.9.1"), x.observed("3/16", ip("198.18.9.1"), 20), "two of three");
        assertEquals(List.of("198.18.9.1"), x.addresses());
    }

    @Test
    void roamingMovesTheChoiceWhenAMajorityOfPeersSeesTheNewAddress() throws Exception {
        ExternalAddress x = new ExternalAddress();
        for (String p : List.of("1/16", "2/16", "3/16"))
            x.observed(p, ip("198.18.9.1"), 0);
        assertNull(x.observed("1/16", ip("198.18.10.1"), 5_000), "1 of 3");
        assertEquals(ip("198.18.10.1"), x.observed("2/16", ip("198.18.10.1"), 5_100), "2 of 3");
        assertEquals(List.of("198.18.10.1"), x.addresses());
    }

    @Test
    void votesExpireAndGoWithTheirTunnel() throws Exception {
        ExternalAddress x = new ExternalAddress();
        x.observed("1/16", ip("198.18.9.1"), 0);
        x.observed("2/16", ip("198.18.9.1"), 0);
        assertEquals(2, x.voters(0));
        // the two votes expire: a new peer alone decides
        assertEquals(ip("198.18.10.1"), x.observed("3/16", ip("198.18.10.1"), ExternalAddress.TTL_MS));
        assertEquals(1, x.voters(ExternalAddress.TTL_MS));
        // a tunnel gone: its vote goes; the remaining peer decides again
        ExternalAddress y = new ExternalAddress();
        y.observed("1/16", ip("198.18.9.1"), 0);
        y.observed("2/16", ip("198.18.10.1"), 0); // tie: keeps .9.1
        y.forget("1/16", 10);
        assertEquals(List.of("198.18.10.1"), y.addresses());
        y.forget("2/16", 20);
        assertEquals(List.of("198.18.10.1"), y.addresses(), "no vote left: the last known address stays");
    }

    @Test
    void eachFamilyIsDecidedApart() throws Exception {
        ExternalAddress x = new ExternalAddress();
        x.observed("1/16", ip("2001:db8::5"), 0);
        x.observed("1/16", ip("198.18.9.1"), 0);
        assertEquals(List.of("198.18.9.1", "2001:db8::5"), x.addresses());
    }
}
