package org.fdcap.agent.managed;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;

/**
 * An absolute path whose string form is the program's own {@code String} (the name the
 * {@code RandomAccessFile} or channel keeps anyway): the tracker records a handle's path as
 * {@code toAbsolutePath().toString()}, and a JDK {@code Path} would give it a fresh copy, tens of
 * bytes per managed file. Everything else is the real path's.
 */
final class ProgramPath implements Path {
    private final String name;
    private final Path path;

    private ProgramPath(String name, Path path) {
        this.name = name;
        this.path = path;
    }

    /** {@code path}, carrying {@code name} as its string form when that is exactly its string form. */
    static Path of(String name, Path path) {
        return path.isAbsolute() && name.equals(path.toString()) ? new ProgramPath(name, path) : path;
    }

    private static Path unwrap(Object o) {
        return o instanceof ProgramPath ? ((ProgramPath) o).path : (Path) o;
    }

    @Override
    public String toString() {
        return name;
    }

    @Override
    public Path toAbsolutePath() {
        return this;
    }

    @Override
    public boolean isAbsolute() {
        return true;
    }

    @Override
    public FileSystem getFileSystem() {
        return path.getFileSystem();
    }

    @Override
    public Path getRoot() {
        return path.getRoot();
    }

    @Override
    public Path getFileName() {
        return path.getFileName();
    }

    @Override
    public Path getParent() {
        return path.getParent();
    }

    @Override
    public int getNameCount() {
        return path.getNameCount();
    }

    @Override
    public Path getName(int index) {
        return path.getName(index);
    }

    @Override
    public Path subpath(int beginIndex, int endIndex) {
        return path.subpath(beginIndex, endIndex);
    }

    @Override
    public boolean startsWith(Path other) {
        return path.startsWith(unwrap(other));
    }

    @Override
    public boolean endsWith(Path other) {
        return path.endsWith(unwrap(other));
    }

    @Override
    public Path normalize() {
        return path.normalize();
    }

    @Override
    public Path resolve(Path other) {
        return path.resolve(unwrap(other));
    }

    @Override
    public Path relativize(Path other) {
        return path.relativize(unwrap(other));
    }

    @Override
    public URI toUri() {
        return path.toUri();
    }

    @Override
    public Path toRealPath(LinkOption... options) throws IOException {
        return path.toRealPath(options);
    }

    @Override
    public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers)
            throws IOException {
        return path.register(watcher, events, modifiers);
    }

    @Override
    public int compareTo(Path other) {
        return path.compareTo(unwrap(other));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Path && path.equals(unwrap(o));
    }

    @Override
    public int hashCode() {
        return path.hashCode();
    }
}
