package org.fdcap.agent.instrumentation;

/**
 * Referred to by name only ({@link LoadedOwnersTest}): a top-level class, since JUnit loads the
 * nested classes of a test class when it looks for tests among them.
 */
final class OwnerNeverLoaded {
    private OwnerNeverLoaded() {
    }
}
