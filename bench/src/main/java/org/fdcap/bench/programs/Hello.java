package org.fdcap.bench.programs;

/** The hello-world of the start-up benchmark: the smallest program a JVM can start. */
public final class Hello {
    private Hello() {
    }

    public static void main(String[] args) {
        System.out.println("hello");
    }
}
