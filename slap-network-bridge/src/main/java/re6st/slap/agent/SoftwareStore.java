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
 * the URL as slapgrid names them, holding the manifest ({@code software.json}) and its files; the
 * install step runs there as the software user, who owns that tree. Beside it, the agent's own
 * files (never read from the user's tree): {@code <md5>.json} (the manifest), {@code
 * <md5>.install.log} and {@code <md5>.completed}, written last (a release half installed is
 * installed again). Release URLs: {@code http(s)://}, {@code file://} or an absolute path.
 */
final class SoftwareStore {
    private static final Logger LOG = System.getLogger("re6st.slap.agent");
    static final int MAX_MANIFEST = 1 << 20;
    static final long MAX_FILE = 64L << 20;
    static final long INSTALL_TIMEOUT_S = 1800;

    private final Path root;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).followRedirects(HttpClient.Redirect.NORMAL).build();

    /** Runs a command as the software user (setpriv), or as it is without users; and gives it a tree it may write. */
    interface RunAs {
        java.util.List<String> command(java.util.List<String> command);

        void own(Path tree) throws IOException;
    }

    static final RunAs AS_IS = new RunAs() {
        @Override
        public java.util.List<String> command(java.util.List<String> command) {
            return command;
        }

        @Override
        public void own(Path tree) {
        }
    };

    SoftwareStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    Path dir(String url) {
        try {
            byte[] d = MessageDigest.getInstance("MD5").digest(url.getBytes(StandardCharsets.UTF_8));
            return root.resolve(HexFormat.of().formatHex(d));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The agent's own files about a release, beside its directory (which the software user owns): never read from the user's tree. */
    private Path own(String url, String suffix) {
        return root.resolve(dir(url).getFileName() + suffix);
    }

    boolean installed(String url) {
        return Files.exists(own(url, ".completed"));
    }

    /** The installed release's manifest, or null if it is not installed. */
    Manifest manifest(String url) throws IOException {
        if (!installed(url))
            return null;
        return Manifest.parse(Files.readAllBytes(own(url, ".json")));
    }

    /**
     * Fetches the manifest and its files, runs its install step. @throws IOException with what
     * failed (for {@code softwareReleaseError}), the install's output tail included
     */
    void install(String url, RunAs as) throws IOException, InterruptedException {
        try {
            installIn(url, as);
        } catch (IllegalArgumentException e) { // a URI that does not resolve
            throw new IOException(url + ": " + e.getMessage(), e);
        }
    }

    private void installIn(String url, RunAs as) throws IOException, InterruptedException {
        Path d = dir(url);
        Files.deleteIfExists(own(url, ".completed"));
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
        Files.write(own(url, ".json"), json);
        URI dirUri = base.resolve(".").normalize();
        for (String f : m.files()) {
            Path target = d.resolve(f).normalize();
            URI from = base.resolve(f).normalize();
            boolean beside = java.util.Objects.equals(from.getScheme(), base.getScheme()) && java.util.Objects.equals(from.getAuthority(),
                    base.getAuthority()) && from.getPath() != null && dirUri.getPath() != null && from.getPath().startsWith(dirUri.getPath());
            if (!target.startsWith(d) || !beside) // next to the manifest, nowhere else
                throw new IOException("file " + f + " leaves the release's directory");
            Files.createDirectories(target.getParent());
            Files.write(target, fetch(from, MAX_FILE));
        }
        as.own(d); // the install step runs as the software user, in a tree it owns, never as root
        Path log = own(url, ".install.log"); // the agent's, out of the user's tree
        if (m.install() != null) {
            int code = run(as.command(List.of("/bin/sh", "-c", m.install())), d, log);
            if (code != 0)
                throw new IOException("the install step exited with " + code + ":\n" + tail(log));
        }
        int code = run(as.command(List.of("chmod", "-R", "a+rX", ".")), d, log); // partition users run it; as the user: no link followed as root
        if (code != 0)
            throw new IOException("chmod of the release failed (exit " + code + "):\n" + tail(log));
        Files.writeString(own(url, ".completed"), "");
        LOG.log(Level.INFO, "software {0} installed in {1}", url, d);
    }

    /** Runs {@code command} in {@code dir}, its output to {@code log}; killed with its children after the install timeout. */
    private static int run(List<String> command, Path dir, Path log) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        if (!p.waitFor(INSTALL_TIMEOUT_S, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new IOException("the install step did not end within " + INSTALL_TIMEOUT_S + " s:\n" + tail(log));
        }
        return p.exitValue();
    }

    void remove(String url) throws IOException {
        Files.deleteIfExists(own(url, ".completed"));
        Files.deleteIfExists(own(url, ".json"));
        Files.deleteIfExists(own(url, ".install.log"));
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
