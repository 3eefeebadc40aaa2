package re6st.registry.alloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommunitiesTest {
    @TempDir
    Path dir;

    @Test
    void parseAndLookupOrder() throws Exception {
        Path file = dir.resolve("community.conf");
        Files.writeString(file, """
                # communities of the test network
                01 FR @EU

                001   DE   JP
                1 * @NA
                """);
        Communities c = Communities.parse(file);
        assertEquals(List.of(new Communities.Community(2, "01", List.of("FR", "@EU")),
                new Communities.Community(4, "001", List.of("DE", "JP")),
                new Communities.Community(5, "1", List.of("*", "@NA"))), c.list());
        assertEquals("01", c.lookup("FR", "EU"));
        assertEquals("001", c.lookup("DE", "EU"), "the country before the continent");
        assertEquals("01", c.lookup("IT", "EU"));
        assertEquals("01", c.lookup("IT", "@EU"));
        assertEquals("001", c.lookup("JP", "AS"));
        assertEquals("1", c.lookup("US", "NA"));
        assertEquals("1", c.lookup("BR", "SA"), "the default");
        assertEquals("1", c.lookup("*", "*"));
        assertEquals("1", c.lookup(null, null));
        assertEquals("1", c.fallback());
    }

    @Test
    void none() {
        Communities c = Communities.none();
        assertEquals("", c.lookup("FR", "EU"));
        assertEquals("", c.fallback());
    }

    @Test
    void badFiles() {
        assertEquals("f: communities 01 (line 1) and 011 (line 3) overlap",
                assertThrows(IllegalArgumentException.class, () -> Communities.parse("f", "01 FR\n1 *\n011 DE\n")).getMessage());
        assertEquals("f: communities 10 (line 2) and 10 (line 3) overlap",
                assertThrows(IllegalArgumentException.class, () -> Communities.parse("f", "0 *\n10 FR\n10 DE\n")).getMessage());
        assertEquals("f: communities 011 (line 1) and 0 (line 2) overlap",
                assertThrows(IllegalArgumentException.class, () -> Communities.parse("f", "011 *\n0 DE\n")).getMessage());
        assertEquals("f: no community has the default location '*'",
                assertThrows(IllegalArgumentException.class, () -> Communities.parse("f", "0 FR\n1 DE\n")).getMessage());
        assertEquals("f: no community has the default location '*'",
                assertThrows(IllegalArgumentException.class, () -> Communities.parse("f", "# nothing\n")).getMessage());
        assertEquals("f, line 2: a second default location '*' (the first is on line 1): exactly one community is the default",
                assertThrows(IllegalArgumentException.class, () -> Communities.parse("f", "0 *\n1 *\n")).getMessage());
        assertEquals("f, line 2: location FR is already given to the community of line 1",
                assertThrows(IllegalArgumentException.class, () -> Communities.parse("f", "0 FR *\n1 FR\n")).getMessage());
        assertEquals("f, line 1: subprefix '0a' has 'a': only 0 and 1 allowed",
                assertThrows(IllegalArgumentException.class, () -> Communities.parse("f", "0a *\n")).getMessage());
        assertEquals("f, line 1: location 'fr' is not a country (two capital letters, e.g. FR), '@' and a continent"
                + " (e.g. @EU) or '*'",
                assertThrows(IllegalArgumentException.class, () -> Communities.parse("f", "0 fr *\n")).getMessage());
    }
}
