package re6st.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import com.code_intelligence.jazzer.junit.FuzzTest;

/** Jazzer on an address list from a peer or the registry: parsing never throws, and what it keeps formats and reads back the same. */
class PeerAddressFuzzTest {
    @FuzzTest(maxDuration = "5s")
    void addressList(String text) {
        List<PeerAddress> l = PeerAddress.parse(text);
        assertEquals(l, PeerAddress.parse(PeerAddress.format(l, 10)));
    }
}
