package io.catflap.testkit;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;

/**
 * A test whose setup was aborted (an assumption failed, e.g. {@link ClickHouseServer#shared()} under
 * {@code -Dcatflap.clickhouse=skip}) is skipped, never an error. Two ways an abort would otherwise turn into one:
 * <ul>
 * <li>a static field set from {@code shared()}, in the class or a superclass: the abort surfaces as an
 * {@link ExceptionInInitializerError}. With {@code -Dcatflap.clickhouse=skip} the class is initialized while its
 * execution condition is evaluated, before any extension touches a static field, and skipped if that aborts;
 * <li>a cleanup method ({@code @AfterAll}, {@code @AfterEach}) that fails on what the aborted setup never made (a
 * server still null): its exception is reported as an abort too.
 * </ul>
 * Registered with {@link LeakCheck}.
 */
public final class SkipOnAbortedSetup implements ExecutionCondition, LifecycleMethodExecutionExceptionHandler {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SkipOnAbortedSetup.class);
    private static final String ABORTED = "aborted";

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Class<?> testClass = context.getTestClass().orElse(null);
        if (!ClickHouseServer.skipping() || testClass == null || context.getTestMethod().isPresent()) {
            return ConditionEvaluationResult.enabled("ClickHouse is not skipped here");
        }
        try {
            Class.forName(testClass.getName(), true, testClass.getClassLoader());
            return ConditionEvaluationResult.enabled("its static initialization needs no ClickHouse");
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e); // the class under test is loaded already
        } catch (ExceptionInInitializerError e) {
            if (e.getCause() instanceof TestAbortedException aborted) {
                return ConditionEvaluationResult.disabled(aborted.getMessage());
            }
            throw e;
        }
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable throwable)
            throws Throwable {
        throw remember(context, throwable);
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable throwable)
            throws Throwable {
        throw remember(context, throwable);
    }

    @Override
    public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable throwable)
            throws Throwable {
        throw afterAbort(context, throwable);
    }

    @Override
    public void handleAfterAllMethodExecutionException(ExtensionContext context, Throwable throwable)
            throws Throwable {
        throw afterAbort(context, throwable);
    }

    private static Throwable remember(ExtensionContext context, Throwable throwable) {
        if (throwable instanceof TestAbortedException) {
            context.getStore(NAMESPACE).put(ABORTED, throwable.getMessage());
        }
        return throwable;
    }

    /** The cleanup's exception as an abort if the setup (of this test or its class) was aborted. */
    private static Throwable afterAbort(ExtensionContext context, Throwable throwable) {
        // A test's store also sees its class's entries.
        Object aborted = context.getStore(NAMESPACE).get(ABORTED);
        if (aborted == null || throwable instanceof TestAbortedException) {
            return throwable;
        }
        TestAbortedException abort = new TestAbortedException("setup aborted (" + aborted
                + "); the cleanup then failed: " + throwable);
        abort.addSuppressed(throwable);
        return abort;
    }
}
