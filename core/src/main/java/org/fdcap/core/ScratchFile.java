package org.fdcap.core;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * Files and directories of fdcap's own, under names no other file has, as
 * {@code Files.createTempFile} and {@code createTempDirectory} make them (mode 600 and 700, created
 * with {@code O_EXCL}: never an existing file, never through a symbolic link), but named from
 * {@link ThreadLocalRandom}, not {@code SecureRandom}. The JDK's methods initialize
 * {@code SecureRandom}: the security providers, about 70 classes, and {@code /dev/random} and
 * {@code /dev/urandom} kept open for good, on every start of the agent. An unpredictable name is
 * not what keeps these files safe: the exclusive creation is. A name that exists already
 * (by chance, or made by someone guessing) fails that creation, and the next name is tried.
 */
public final class ScratchFile {
    /** Names tried before giving up: 64 random bits each, a clash is nearly always someone's doing. */
    static final int ATTEMPTS = 100;

    private static final FileAttribute<Set<PosixFilePermission>> FILE_MODE =
            PosixFilePermissions.asFileAttribute(EnumSet.of(PosixFilePermission.OWNER_READ,
                    PosixFilePermission.OWNER_WRITE));
    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY_MODE =
            PosixFilePermissions.asFileAttribute(EnumSet.of(PosixFilePermission.OWNER_READ,
                    PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));

    /** A class, not a lambda: no class to spin at start. */
    private static final LongSupplier RANDOM = new LongSupplier() {
        @Override
        public long getAsLong() {
            return ThreadLocalRandom.current().nextLong();
        }
    };

    private ScratchFile() {
    }

    /**
     * Creates an empty file {@code <prefix><random><suffix>} in {@code dir}, mode 600 (less the
     * umask), that did not exist before.
     *
     * @param dir the directory, or null for {@code java.io.tmpdir}
     * @return the new file
     * @throws FileAlreadyExistsException when {@link #ATTEMPTS} names in a row were taken
     * @throws IOException when the directory cannot take the file
     */
    public static Path create(Path dir, String prefix, String suffix) throws IOException {
        return create(dir, prefix, suffix, RANDOM);
    }

    static Path create(Path dir, String prefix, String suffix, LongSupplier random) throws IOException {
        FileAlreadyExistsException clash = null;
        for (int i = 0; i < ATTEMPTS; i++) {
            Path p = name(dir, prefix, suffix, random);
            try {
                Files.newByteChannel(p, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                        FILE_MODE).close();
                return p;
            } catch (FileAlreadyExistsException e) {
                clash = e;
            }
        }
        throw clash;
    }

    /**
     * Creates a directory {@code <prefix><random>} in {@code dir}, mode 700 (less the umask), that
     * did not exist before.
     *
     * @param dir the parent, or null for {@code java.io.tmpdir}
     * @return the new directory
     * @throws FileAlreadyExistsException when {@link #ATTEMPTS} names in a row were taken
     * @throws IOException when the parent cannot take the directory
     */
    public static Path createDirectory(Path dir, String prefix) throws IOException {
        return createDirectory(dir, prefix, RANDOM);
    }

    static Path createDirectory(Path dir, String prefix, LongSupplier random) throws IOException {
        FileAlreadyExistsException clash = null;
        for (int i = 0; i < ATTEMPTS; i++) {
            Path p = name(dir, prefix, "", random);
            try {
                return Files.createDirectory(p, DIRECTORY_MODE);
            } catch (FileAlreadyExistsException e) {
                clash = e;
            }
        }
        throw clash;
    }

    private static Path name(Path dir, String prefix, String suffix, LongSupplier random) {
        Path d = dir != null ? dir : Paths.get(System.getProperty("java.io.tmpdir"));
        // String.concat, not +: each new shape of an indy string concatenation spins method
        // handle classes at start (about 15 classes for this one)
        return d.resolve(prefix.concat(Long.toHexString(random.getAsLong())).concat(suffix));
    }
}
