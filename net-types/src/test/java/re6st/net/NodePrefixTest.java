package re6st.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

class NodePrefixTest {

    @Test
    void specExample() {
        assertEquals("7/16", new NodePrefix("0000000000000111").cn());
        assertEquals("0000000000000111", NodePrefix.parseCn("7/16").bits());
    }

    @Test
    void edges() {
        assertEquals("0/16", new NodePrefix("0000000000000000").cn());
        assertEquals("1/1", new NodePrefix("1").cn());
        assertEquals("0", NodePrefix.parseCn("0/1").bits());
        String ones = "1".repeat(128);
        assertEquals("340282366920938463463374607431768211455/128", new NodePrefix(ones).cn());
        assertEquals(ones, NodePrefix.parseCn("340282366920938463463374607431768211455/128").bits());
        assertEquals(16, NodePrefix.parseCn("007/16").length(), "leading zeros as int() accepts them");
    }

    @Test
    void randomRoundTrips() {
        Random random = new Random(16);
        for (int i = 0; i < 2000; i++) {
            StringBuilder b = new StringBuilder();
            for (int n = 1 + random.nextInt(128); n > 0; n--)
                b.append(random.nextBoolean() ? '1' : '0');
            NodePrefix p = new NodePrefix(b.toString());
            assertEquals(p, NodePrefix.parseCn(p.cn()));
        }
    }

    @Test
    void rejects() {
        for (String cn : new String[] {"", "7", "/16", "7/", "8/3", "-1/16", "1/0", "1/129", "0x7/16", "7/16 ", " 7/16", "7/1a"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NodePrefix.parseCn(cn), cn);
            assertTrue(e.getMessage().contains("'" + cn + "'"), e.getMessage());
        }
        assertEquals("node CN '8/3': 8 does not fit in 3 bits",
                assertThrows(IllegalArgumentException.class, () -> NodePrefix.parseCn("8/3")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new NodePrefix(""));
        assertThrows(IllegalArgumentException.class, () -> new NodePrefix("0102"));
        assertThrows(IllegalArgumentException.class, () -> new NodePrefix("0".repeat(129)));
    }
}
