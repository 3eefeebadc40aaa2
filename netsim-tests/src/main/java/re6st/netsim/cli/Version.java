package re6st.netsim.cli;

import java.io.InputStream;
import java.util.Properties;

import picocli.CommandLine.IVersionProvider;

/** {@code --version}: the Maven version the jar was built as. */
public final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() throws Exception {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("/META-INF/maven/re6st/re6st-netsim-tests/pom.properties")) {
            if (in != null)
                p.load(in);
        }
        return new String[] {"re6st " + p.getProperty("version", "(development build)")};
    }
}
