package org.fdcap.core;

import java.io.IOException;

/** {@link SystemCalls} through jnr-posix ({@link Posix}); the tracker's default. */
final class JnrSystemCalls implements SystemCalls {
    static final JnrSystemCalls INSTANCE = new JnrSystemCalls();

    private JnrSystemCalls() {
    }

    @Override
    public int open(String path, int flags, int mode) throws IOException {
        return Posix.open(path, flags, mode);
    }

    @Override
    public void close(int fd, String path) throws IOException {
        Posix.close(fd, path);
    }

    @Override
    public long position(int fd, String path) throws IOException {
        return Posix.lseek(fd, 0, Posix.SEEK_CUR, path);
    }

    @Override
    public void seek(int fd, long offset, String path) throws IOException {
        Posix.lseek(fd, offset, Posix.SEEK_SET, path);
    }

    @Override
    public Stat fstat(int fd, String path) throws IOException {
        return Posix.fstat(fd, path);
    }

    @Override
    public Stat statOrNull(String path) {
        return Posix.statOrNull(path);
    }

    @Override
    public String currentPath(int fd) {
        return Posix.currentPath(fd);
    }

    @Override
    public void link(String from, String to) throws IOException {
        Posix.link(from, to);
    }

    @Override
    public void unlink(String path) throws IOException {
        Posix.unlink(path);
    }

    @Override
    public void mkdir(String path, int mode) throws IOException {
        Posix.mkdir(path, mode);
    }

    @Override
    public boolean rmdir(String path) {
        return Posix.rmdir(path);
    }
}
