package io.vipd.testing;

import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Applies {@link Requires}. Skipping is a disabled condition, so neither {@code @BeforeAll} nor {@code @AfterAll}
 * runs and Surefire counts the class or method as skipped; under the switch the check fails the class before its
 * {@code @BeforeAll} methods (or the method before its {@code @BeforeEach} methods) instead.
 */
final class RequirementsExtension implements ExecutionCondition, BeforeAllCallback, BeforeEachCallback {
    /** JUnit configuration parameter that overrides the environment switch (used by the helper's own tests). */
    static final String STRICT_PARAMETER = "vipd.requireAllTests";

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        List<String> missing = missing(context);
        if (missing.isEmpty() || strict(context)) {
            return ConditionEvaluationResult.enabled("requirements met or enforced");
        }
        String line = Requirements.describe(subject(context), missing);
        System.out.println("SKIPPED " + line);
        return ConditionEvaluationResult.disabled(line);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        failUnderTheSwitch(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        failUnderTheSwitch(context);
    }

    /** Reached with something missing only under the switch (otherwise the condition skipped the test). */
    private static void failUnderTheSwitch(ExtensionContext context) {
        List<String> missing = missing(context);
        if (!missing.isEmpty() && strict(context)) {
            throw Requirements.failure(subject(context), missing);
        }
    }

    /** What this context's own annotation (the class's, or the method's) asks for and the machine lacks. */
    private static List<String> missing(ExtensionContext context) {
        Optional<AnnotatedElement> element = context.getElement();
        Optional<Requires> requires = element.flatMap(e -> AnnotationSupport.findAnnotation(e, Requires.class));
        return requires.map(r -> Requirements.missing(r.root(), r.epoll(), Arrays.asList(r.commands())))
                .orElse(List.of());
    }

    private static String subject(ExtensionContext context) {
        String className = context.getRequiredTestClass().getSimpleName();
        return context.getTestMethod()
                .map(Method::getName)
                .map(m -> className + "." + m)
                .orElse(className);
    }

    private static boolean strict(ExtensionContext context) {
        return context.getConfigurationParameter(STRICT_PARAMETER)
                .map(Boolean::parseBoolean)
                .orElseGet(Requirements::strictFromEnvironment);
    }
}
