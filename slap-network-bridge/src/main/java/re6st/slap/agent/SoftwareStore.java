package re6st.slap.agent;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Installed software releases, one directory each under the software root, named by the MD5 of
 * the URL as slapgrid names them: the manifest ({@code software.json}), its files, and a
 * {@code .completed} marker written last (a release half installed is installed again). Release
 * URLs: {@code http(s)://}, {@code file://} or an absolute path.
 */
final class SoftwareStore {
    private static final Logger LOG = System.getLogger("re6st.slap.agent");
    static final int MAX_MANIFEST = 1 << 20;
    static final long MAX_FILE = 64L << 20;
    static final long INSTALL_TIMEOUT_S = 1800;

    private final Path root;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).followRedirects(HttpClient.Redirect.NORMAL).build();

    SoftwareStore(Path root) {
        this.root = root;
    }

    Path dir(String url) {
        try {
            byte[] d = MessageDigest.getInstance("MD5").digest(url.getBytes(StandardCharsets.UTF_8));
            return root.resolve(HexFormat.of().formatHex(d));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    boolean installed(String url) {
        return Files.exists(dir(url).resolve(".completed"));
    }

    /** The installed release's manifest, or null if it is not installed. */
    Manifest manifest(String url) throws IOException {
        if (!installed(url))
            return null;
        return Manifest.parse(Files.readAllBytes(dir(url).resolve("software.json")));
    }

    /**
     * Fetches the manifest and its files, runs its install step. @throws IOException with what
     * failed (for {@code softwareReleaseError}), the install's output tail included
     */
    void install(String url) throws IOException, InterruptedException {
        Path d = dir(url);
        deleteTree(d);
        Files.createDirectories(d);
        Files.writeString(d.resolve(".url"), url + "\n");
        URI base = uri(url);
        byte[] json = fetch(base, MAX_MANIFEST);
        Manifest m;
        try {
            m = Manifest.parse(json);
        } catch (IllegalArgumentException e) {
            throw new IOException(url + ": " + e.getMessage());
        }
        Files.write(d.resolve("software.json"), json);
        for (String f : m.files()) {
            Path target = d.resolve(f).normalize();
            if (!target.startsWith(d))
                throw new IOException("file " + f + " leaves the software directory");
            Files.createDirectories(target.getParent());
            Files.write(target, fetch(base.resolve(f), MAX_FILE));
        }
        if (m.install() != null) {
            Path log = d.resolve(".install.log");
            Process p = new ProcessBuilder("/bin/sh", "-c", m.install()).directory(d.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(INSTALL_TIMEOUT_S, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("the install step did not end within " + INSTALL_TIMEOUT_S + " s:\n" + tail(log));
            }
            if (p.exitValue() != 0)
                throw new IOException("the install step exited with " + p.exitValue() + ":\n" + tail(log));
        }
        setReadable(d);
        Files.writeString(d.resolve(".completed"), "");
        LOG.log(Level.INFO, "software {0} installed in {1}", url, d);
    }

    void remove(String url) throws IOException {
        deleteTree(dir(url));
    }

    static URI uri(String url) throws IOException {
        if (url.startsWith("/"))
            return Path.of(url).toUri();
        URI u;
        try {
            u = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IOException("software release URL " + url + ": " + e.getMessage());
        }
        if (!List.of("http", "https", "file").contains(String.valueOf(u.getScheme())))
            throw new IOException("software release URL " + url + ": http, https, file or an absolute path only");
        return u;
    }

    byte[] fetch(URI u, long max) throws IOException, InterruptedException {
        if ("file".equals(u.getScheme())) {
            Path p = Path.of(u);
            if (Files.size(p) > max)
                throw new IOException(u + " is larger than " + max + " bytes");
            return Files.readAllBytes(p);
        }
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(u).timeout(Duration.ofMinutes(5)).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            if (r.statusCode() != 200)
                throw new IOException("GET " + u + ": " + r.statusCode());
            byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            if (b.length > max)
                throw new IOException(u + " is larger than " + max + " bytes");
            return b;
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException | java.io.UncheckedIOException e) {
            return "(no output)";
        }
    }

    /** Everyone may read and run the release (partition users run it); only the agent writes it. */
    static void setReadable(Path d) throws IOException {
        try (var s = Files.walk(d)) {
            for (Path p : (Iterable<Path>) s::iterator)
                p.toFile().setReadable(true, false);
        }
        try (var s = Files.walk(d)) {
            for (Path p : (Iterable<Path>) s::iterator)
                if (Files.isDirectory(p))
                    p.toFile().setExecutable(true, false);
        }
    }

    static void deleteTree(Path d) throws IOException {
        if (!Files.exists(d, java.nio.file.LinkOption.NOFOLLOW_LINKS))
            return;
        try (var s = Files.walk(d)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList())
                Files.deleteIfExists(p);
        }
    }

    static void copy(Path from, Path to) throws IOException {
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
}
