package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The vote on what peers say our external address is. */
class ExternalAddressTest {
    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void oneVoiceIsNotEnoughUnlessTheNodeDialsOnePeer() throws Exception {
        ExternalAddress x = new ExternalAddress();
        assertFalse(x.observed("1/16", ip("198.18.9.1")), "one peer's word alone: nothing learned");
        assertEquals(List.of(), x.addresses());
        assertTrue(x.observed("2/16", ip("198.18.9.1")), "two agree");
        assertEquals(List.of("198.18.9.1"), x.addresses());
        assertFalse(x.observed("2/16", ip("198.18.9.1")), "the same again: no change");

        ExternalAddress single = new ExternalAddress(1); // client_count 1: that peer is all it has
        assertTrue(single.observed("1/16", ip("198.18.9.1")));
        assertEquals(List.of("198.18.9.1"), single.addresses());
    }

    @Test
    void oneLyingPeerAmongThreeCannotRedirectUs() throws Exception {
        ExternalAddress x = new ExternalAddress();
        x.observed("1/16", ip("198.18.9.1"));
        x.observed("2/16", ip("198.18.66.6"));
        assertEquals(List.of(), x.addresses(), "a tie: nothing learned");
        x.observed("3/16", ip("198.18.9.1"));
        assertEquals(List.of("198.18.9.1"), x.addresses());
        x.observed("2/16", ip("198.18.66.7"));
        assertEquals(List.of("198.18.9.1"), x.addresses(), "the liar changing its story changes nothing");
    }

    @Test
    void aLiarFirstIsNeverBelievedAlone() throws Exception {
        ExternalAddress x = new ExternalAddress();
        x.observed("2/16", ip("198.18.66.6"));
        x.observed("1/16", ip("198.18.9.1"));
        assertEquals(List.of(), x.addresses(), "one against one: nothing learned (the node's own addresses are advertised)");
        x.observed("3/16", ip("198.18.9.1"));
        assertEquals(List.of("198.18.9.1"), x.addresses(), "two of three");
    }

    /** Votes do not age: honest peers that keep seeing the same address keep their votes (a liar cannot outlast them). */
    @Test
    void honestVotesLastAsLongAsTheirTunnels() throws Exception {
        ExternalAddress x = new ExternalAddress();
        for (String p : List.of("1/16", "2/16", "3/16"))
            x.observed(p, ip("198.18.9.1"));
        x.observed("4/16", ip("203.0.113.66")); // however late it comes
        assertEquals(List.of("198.18.9.1"), x.addresses());
        x.forget("1/16");
        x.forget("2/16"); // now 3/16 and the liar: a tie
        assertEquals(List.of(), x.addresses(), "no majority left: nothing learned");
        assertEquals(2, x.voters());
    }

    @Test
    void roamingClearsWhatWasLearnedAndTheNewAddressNeedsAMajority() throws Exception {
        ExternalAddress x = new ExternalAddress();
        for (String p : List.of("1/16", "2/16", "3/16"))
            x.observed(p, ip("198.18.9.1"));
        x.clear();
        assertEquals(List.of(), x.addresses());
        assertEquals(0, x.voters());
        x.observed("1/16", ip("198.18.10.1"));
        assertTrue(x.observed("2/16", ip("198.18.10.1")));
        assertEquals(List.of("198.18.10.1"), x.addresses());
    }

    @Test
    void eachFamilyIsDecidedApart() throws Exception {
        ExternalAddress x = new ExternalAddress();
        for (String p : List.of("1/16", "2/16")) {
            x.observed(p, ip("2001:db8::5"));
            x.observed(p, ip("198.18.9.1"));
        }
        assertEquals(List.of("198.18.9.1", "2001:db8::5"), x.addresses());
    }
}
