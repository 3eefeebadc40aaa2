package re6st.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RouteTest {
    @Test
    void routeValidatesFamilies() {
        assertThrows(IllegalArgumentException.class, () -> Route.to("2001:db8::/32").via("198.18.0.1").build());
        assertThrows(IllegalArgumentException.class, () -> Route.to("198.18.0.0/15").from("2001:db8::/32").build());
        assertEquals("unreachable 2001:db8::/32 table 100 proto 42",
                Route.to("2001:db8::/32").type(RouteType.UNREACHABLE).table(100).protocol(42).build().toString());
    }
}
