package re6st.registry.geo;


import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import re6st.registry.Counterparts;

/**
 * Real MaxMind DB files for tests, written by Debian's libmaxmind-db-writer-perl through
 * {@code write-country-mmdb.pl} (next to this class in the test resources). Without perl or the
 * module, {@link #requireWriter} prints a SKIPPED line and skips the test.
 */
public final class TestGeoDb {
    static final String SCRIPT = "write-country-mmdb.pl";

    private TestGeoDb() {
    }

    /** Skips the calling test, with a printed reason, when the writer cannot run here. */
    public static void requireWriter(String test) {
        Counterparts.assume(writerAvailable(), "perl's MaxMind::DB::Writer::Tree for " + test, "libmaxmind-db-writer-perl");
    }

    static boolean writerAvailable() {
        try {
            Process p = new ProcessBuilder("perl", "-MMaxMind::DB::Writer::Tree", "-e", "1").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false; // no perl
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Writes {@code dir/name}: an IPv6 GeoIP2-Country database (or IPv4-only with {@code ipv4}) with
     * the given {@code network, country, continent} triples ("-" leaves a field out).
     */
    public static Path write(Path dir, String name, boolean ipv4, String... triples) throws IOException, InterruptedException {
        Path script = dir.resolve(SCRIPT);
        if (!Files.exists(script))
            try (InputStream in = TestGeoDb.class.getResourceAsStream(SCRIPT)) {
                if (in == null)
                    throw new IOException(SCRIPT + " is missing from the test resources");
                Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
            }
        Path out = dir.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("perl", script.toString()));
        if (ipv4)
            cmd.add("-4");
        cmd.add(out.toString());
        cmd.addAll(List.of(triples));
        Path logFile = dir.resolve(name + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(SCRIPT + " did not finish in 60 s");
        }
        String log = Files.readString(logFile);
        if (p.exitValue() != 0 || !Files.exists(out))
            throw new IOException(SCRIPT + " failed (exit " + p.exitValue() + "): " + log);
        return out;
    }
}
