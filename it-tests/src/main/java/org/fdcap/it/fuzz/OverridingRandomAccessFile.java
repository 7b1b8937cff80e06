package org.fdcap.it.fuzz;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.RandomAccessFile;

/**
 * A RandomAccessFile whose every overridable method that uses the descriptor is overridden and
 * calls {@code super}, as wrappers in storage engines do: between the program's calls and the
 * JDK's methods there is always a subclass's frame. The agent must treat {@code super.length()}
 * and {@code super.getFilePointer()} (call sites it rewrites) as the JDK's own methods, and the
 * JDK's final methods ({@code readFully}, {@code readInt}, {@code skipBytes}...) reach these
 * overrides as they do without it. Behaves exactly as RandomAccessFile, so the fuzzer's digests
 * do not depend on which of the two a handle is.
 */
class OverridingRandomAccessFile extends RandomAccessFile {
    OverridingRandomAccessFile(File file, String mode) throws FileNotFoundException {
        super(file, mode);
    }

    @Override
    public int read() throws IOException {
        return super.read();
    }

    @Override
    public int read(byte[] b) throws IOException {
        return super.read(b);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, len);
    }

    @Override
    public void write(int b) throws IOException {
        super.write(b);
    }

    @Override
    public void write(byte[] b) throws IOException {
        super.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        super.write(b, off, len);
    }

    @Override
    public void seek(long pos) throws IOException {
        super.seek(pos);
    }

    @Override
    public long getFilePointer() throws IOException {
        return super.getFilePointer();
    }

    @Override
    public long length() throws IOException {
        return super.length();
    }

    @Override
    public void setLength(long newLength) throws IOException {
        super.setLength(newLength);
    }

    @Override
    public int skipBytes(int n) throws IOException {
        return super.skipBytes(n);
    }

    @Override
    public void close() throws IOException {
        super.close();
    }
}
