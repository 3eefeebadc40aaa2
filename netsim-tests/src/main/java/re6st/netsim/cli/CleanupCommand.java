package re6st.netsim.cli;

import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import re6st.cli.CommandFailure;
import re6st.cli.Launcher;
import re6st.jni.Libc;
import re6st.netsim.TestNet;

/** {@code re6st netsim-cleanup}: removes what a killed demo or test run left behind. */
@Command(name = "re6st netsim-cleanup", mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true, versionProvider = Version.class,
        description = "Removes network namespaces (and the processes in them) left by a demo or test run that "
                + "was killed before it could clean up (names r6t<pid>-..., whose pid no longer runs). This also "
                + "happens automatically before every demo and test run. Needs root.")
public final class CleanupCommand implements Callable<Integer> {
    public static void main(String[] args) {
        Launcher.main(new CleanupCommand(), args);
    }

    @Override
    public Integer call() {
        if (!Libc.isRoot())
            throw CommandFailure.failed("needs root to delete network namespaces (run it with sudo)");
        List<String> removed = TestNet.removeStale();
        System.out.println(removed.isEmpty() ? "nothing to remove" : "removed " + String.join(" ", removed));
        List<String> live = TestNet.existingNamespaces();
        if (!live.isEmpty())
            System.out.println("still in use by running processes: " + String.join(" ", live));
        return 0;
    }
}
