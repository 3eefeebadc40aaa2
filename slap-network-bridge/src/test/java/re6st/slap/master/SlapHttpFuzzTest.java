package re6st.slap.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.codahale.metrics.MetricRegistry;

/**
 * Jazzer on the master's dispatch: the first line of the input names an endpoint, the rest is its
 * form body. Whatever comes, the answer is 200 or a 4xx (never a 500: bad input is the client's
 * fault, said in one line), and a refused call leaves the database as it was.
 */
class SlapHttpFuzzTest {
    private static SlapMaster master;
    private static SlapHttpServer server;

    private static synchronized SlapHttpServer server() throws Exception {
        if (server == null) {
            Path dir = Files.createTempDirectory("slap-fuzz");
            master = SlapMaster.open(dir.resolve("master.db"), () -> 1_700_000_000.0);
            server = new SlapHttpServer(master, AllowList.loopback(), new MetricRegistry(), 1);
        }
        return server;
    }

    private static String state() throws Exception {
        return master.computers() + "|" + master.instances() + "|" + master.softwareList(null);
    }

    @FuzzTest(maxDuration = "5s")
    void anyForm(byte[] input) throws Exception {
        SlapHttpServer s = server();
        int nl = 0;
        while (nl < input.length && input[nl] != '\n')
            nl++;
        String endpoint = new String(input, 0, nl, StandardCharsets.UTF_8);
        byte[] body = nl < input.length ? Arrays.copyOfRange(input, nl + 1, input.length) : new byte[0];
        if (endpoint.indexOf('?') >= 0 || endpoint.indexOf('#') >= 0 || endpoint.indexOf('%') >= 0 || endpoint.indexOf(' ') >= 0)
            return; // the path is not what is fuzzed here
        String before = state();
        for (String verb : List.of("POST", "GET")) {
            SlapHttpServer.Result r = s.handle(verb, "/" + endpoint + ("GET".equals(verb) ? "?" + new String(body, StandardCharsets.ISO_8859_1) : ""),
                    "application/x-www-form-urlencoded", body, InetAddress.getLoopbackAddress());
            int code = r.status().code();
            assertTrue(code == 200 || code >= 400 && code < 500, code + " " + r.text());
            if (code != 200)
                assertEquals(before, state(), "a refused " + endpoint + " changed the database: " + r.text());
            before = state();
        }
    }
}
