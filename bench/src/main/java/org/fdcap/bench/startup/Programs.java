package org.fdcap.bench.startup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.ClassFileVersion;
import net.bytebuddy.description.modifier.Ownership;
import net.bytebuddy.description.modifier.Visibility;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.implementation.FixedValue;
import net.bytebuddy.implementation.MethodCall;
import org.fdcap.bench.programs.HandleHeap;
import org.fdcap.bench.programs.Hello;
import org.fdcap.bench.programs.LoadClasses;

/**
 * The programs the start-up and memory benchmarks run in child JVMs, laid out in a scratch
 * directory: the dependency-free mains of {@code org.fdcap.bench.programs} as plain class files
 * ({@code classes/}), the same hello-world as an executable jar ({@code hello.jar}), and jars of
 * generated classes for the class-loading runs.
 */
final class Programs {
    /** How many classes the class-loading program loads. */
    static final int CLASSES = 5_000;

    final Path dir;

    private Programs(Path dir) {
        this.dir = dir;
    }

    static Programs create() throws IOException {
        Programs p = new Programs(Files.createTempDirectory("fdcap-programs"));
        for (Class<?> c : List.of(Hello.class, LoadClasses.class, HandleHeap.class)) {
            String resource = c.getName().replace('.', '/') + ".class";
            Path target = p.classes().resolve(resource);
            Files.createDirectories(target.getParent());
            try (InputStream in = Programs.class.getClassLoader().getResourceAsStream(resource)) {
                Files.copy(in, target);
            }
        }
        return p;
    }

    Path classes() {
        return dir.resolve("classes");
    }

    /** {@code hello.jar}, run with {@code java -jar}. */
    Path helloJar() throws IOException {
        Path jar = dir.resolve("hello.jar");
        if (!Files.exists(jar)) {
            Manifest mf = new Manifest();
            mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Hello.class.getName());
            String resource = Hello.class.getName().replace('.', '/') + ".class";
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), mf)) {
                out.putNextEntry(new JarEntry(resource));
                Files.copy(classes().resolve(resource), out);
                out.closeEntry();
            }
        }
        return jar;
    }

    /**
     * A jar of {@link #CLASSES} classes {@code gen.C<i>}, each with two small static methods.
     * With {@code callingNatives}, each also has a method calling
     * {@code RandomAccessFile.getFilePointer()}, so that every class passes the agent's
     * pre-filter and is rewritten (the worst case); without, none is (the usual case).
     */
    Path generatedClasses(boolean callingNatives) throws IOException {
        Path jar = dir.resolve(callingNatives ? "classes-calling.jar" : "classes-plain.jar");
        if (Files.exists(jar)) {
            return jar;
        }
        ByteBuddy byteBuddy = new ByteBuddy(ClassFileVersion.JAVA_V17);
        MethodCall getFilePointer;
        try {
            getFilePointer = MethodCall.invoke(RandomAccessFile.class.getMethod("getFilePointer")).onArgument(0);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (int i = 0; i < CLASSES; i++) {
                DynamicType.Builder<Object> b = byteBuddy.subclass(Object.class)
                        .name("gen.C" + i)
                        .defineMethod("id", int.class, Visibility.PUBLIC, Ownership.STATIC)
                        .intercept(FixedValue.value(i))
                        .defineMethod("label", String.class, Visibility.PUBLIC, Ownership.STATIC)
                        .intercept(FixedValue.value("generated class number " + i));
                if (callingNatives) {
                    b = b.defineMethod("position", long.class, Visibility.PUBLIC, Ownership.STATIC)
                            .withParameters(RandomAccessFile.class)
                            .intercept(getFilePointer);
                }
                out.putNextEntry(new JarEntry("gen/C" + i + ".class"));
                out.write(b.make().getBytes());
                out.closeEntry();
            }
        }
        return jar;
    }

    /** {@code n} empty files {@code f0 .. f<n-1>} in a new directory, for the memory run. */
    Path emptyFiles(int n) throws IOException {
        Path files = Files.createDirectory(dir.resolve("files-" + n));
        for (int i = 0; i < n; i++) {
            try (OutputStream unused = Files.newOutputStream(files.resolve("f" + i))) {
                // created empty
            }
        }
        return files;
    }

    void delete() {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
