package re6st.netsim;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

import re6st.jni.Libc;

/**
 * Marks tests that build network namespaces, TUN/TAP devices or routes: they run as root (as
 * in CI) and are skipped otherwise, with the reason printed, never silently.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresRoot.Condition.class)
public @interface RequiresRoot {
    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (Libc.isRoot())
                return ConditionEvaluationResult.enabled("running as root");
            String reason = "SKIPPED " + context.getDisplayName()
                    + ": needs root for network namespaces, TUN/TAP and routes (uid " + Libc.geteuid()
                    + "); CI runs it as root";
            System.err.println(reason);
            return ConditionEvaluationResult.disabled(reason);
        }
    }
}
