package org.fdcap.core;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tracker's own view of its descriptors, counted exactly where it makes its system calls: one
 * more just before each open(2), one less just after each close(2) returns (and after a failed
 * open). The count is therefore never below the number of descriptors the tracker really holds,
 * and its highest value is an upper bound of what the tracker ever held at once, with no sampling.
 */
final class CountingSystemCalls implements SystemCalls {
    private final SystemCalls calls;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger highest = new AtomicInteger();

    CountingSystemCalls(SystemCalls calls) {
        this.calls = calls;
    }

    /** The tracker's descriptors now (an upper bound: an open under way counts already). */
    int open() {
        return open.get();
    }

    /** The most descriptors the tracker held at once, as an upper bound. */
    int highest() {
        return highest.get();
    }

    @Override
    public int open(String path, int flags, int mode) throws IOException {
        highest.accumulateAndGet(open.incrementAndGet(), Math::max);
        try {
            return calls.open(path, flags, mode);
        } catch (IOException | RuntimeException e) {
            open.decrementAndGet();
            throw e;
        }
    }

    @Override
    public void close(int fd, String path) throws IOException {
        try {
            calls.close(fd, path);
        } finally {
            open.decrementAndGet(); // close(2) releases the number even when it reports an error
        }
    }

    @Override
    public long position(int fd, String path) throws IOException {
        return calls.position(fd, path);
    }

    @Override
    public void seek(int fd, long offset, String path) throws IOException {
        calls.seek(fd, offset, path);
    }

    @Override
    public Stat fstat(int fd, String path) throws IOException {
        return calls.fstat(fd, path);
    }

    @Override
    public Stat fstatOrNull(int fd) {
        return calls.fstatOrNull(fd);
    }

    @Override
    public Stat statOrNull(String path) {
        return calls.statOrNull(path);
    }

    @Override
    public int openFlags(int fd) {
        return calls.openFlags(fd);
    }

    @Override
    public boolean openFlagsTakeADescriptor() {
        return calls.openFlagsTakeADescriptor();
    }

    @Override
    public String currentPath(int fd) {
        return calls.currentPath(fd);
    }

    @Override
    public void link(String from, String to) throws IOException {
        calls.link(from, to);
    }

    @Override
    public void unlink(String path) throws IOException {
        calls.unlink(path);
    }

    @Override
    public void mkdir(String path, int mode) throws IOException {
        calls.mkdir(path, mode);
    }

    @Override
    public boolean rmdir(String path) {
        return calls.rmdir(path);
    }
}
