package org.fdcap.it.scenarios;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * The RandomAccessFile subclasses of {@link Subclasses}, each with its {@link Shape}: how the
 * program opens one and the calls it makes through a variable of the subclass's own type.
 */
final class SubclassShapes {
    private SubclassShapes() {
    }

    /** A getter that may fail, for method references to {@code long} methods that throw IOException. */
    interface IoLong {
        long get() throws IOException;
    }

    /** The same, unbound. */
    interface IoLongOf<T> {
        long apply(T t) throws IOException;
    }

    /**
     * A subclass shape: how one is opened, and the calls made through a variable of its own type
     * (which the compiler names as the owner of the call, not RandomAccessFile).
     */
    abstract static class Shape {
        final String name;
        /** What reads after close said, and how many handles said it. */
        final Map<String, Integer> afterClose = new LinkedHashMap<>();
        Subclasses.Outcomes outcomes = new Subclasses.Outcomes();
        /** Calls that reached the shape's overrides, by method, over all its handles. */
        final Map<String, Integer> calls = new LinkedHashMap<>();

        Shape(String name) {
            this.name = name;
        }

        abstract RandomAccessFile open(File f) throws IOException;

        /** getFilePointer() through the subclass type: directly and by method references. */
        abstract String positions(RandomAccessFile raf) throws IOException;

        /** length() through the subclass type: directly and by method references. */
        abstract String lengths(RandomAccessFile raf) throws IOException;

        /** setLength(n) through the subclass type. */
        abstract void setLength(RandomAccessFile raf, long n) throws IOException;

        /** The program's own close of a handle. */
        void close(RandomAccessFile raf) throws IOException {
            raf.close();
        }

        void count(String method) {
            calls.merge(method, 1, Integer::sum);
        }

        String counts() {
            return calls.toString();
        }
    }

    // ---- full: every overridable method that uses the descriptor, each calling super ----

    static final class FullShape extends Shape {
        FullShape(String name) {
            super(name);
        }

        @Override
        RandomAccessFile open(File f) throws IOException {
            return new Full(f, this);
        }

        @Override
        String positions(RandomAccessFile raf) throws IOException {
            Full full = (Full) raf;
            IoLong bound = full::getFilePointer;
            IoLongOf<Full> unbound = Full::getFilePointer;
            return full.getFilePointer() + " " + bound.get() + " " + unbound.apply(full);
        }

        @Override
        String lengths(RandomAccessFile raf) throws IOException {
            Full full = (Full) raf;
            IoLong bound = full::length;
            IoLongOf<Full> unbound = Full::length;
            return full.length() + " " + bound.get() + " " + unbound.apply(full);
        }

        @Override
        void setLength(RandomAccessFile raf, long n) throws IOException {
            ((Full) raf).setLength(n);
        }
    }

    private static final class Full extends RandomAccessFile {
        private final Shape shape;

        Full(File f, Shape shape) throws IOException {
            super(f, "rw");
            this.shape = shape;
        }

        @Override
        public int read() throws IOException {
            shape.count("read()");
            return super.read();
        }

        @Override
        public int read(byte[] b) throws IOException {
            shape.count("read(b)");
            return super.read(b);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            shape.count("read(b,off,len)");
            return super.read(b, off, len);
        }

        @Override
        public void write(int b) throws IOException {
            shape.count("write(int)");
            super.write(b);
        }

        @Override
        public void write(byte[] b) throws IOException {
            shape.count("write(b)");
            super.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            shape.count("write(b,off,len)");
            super.write(b, off, len);
        }

        @Override
        public void seek(long pos) throws IOException {
            shape.count("seek");
            super.seek(pos);
        }

        @Override
        public long getFilePointer() throws IOException {
            shape.count("getFilePointer");
            return super.getFilePointer();
        }

        @Override
        public long length() throws IOException {
            shape.count("length");
            return super.length();
        }

        @Override
        public void setLength(long newLength) throws IOException {
            shape.count("setLength");
            super.setLength(newLength);
        }

        @Override
        public int skipBytes(int n) throws IOException {
            shape.count("skipBytes");
            return super.skipBytes(n);
        }

        @Override
        public void close() throws IOException {
            shape.count("close");
            super.close();
        }
    }

    // ---- closes-twice ----

    static final class ClosesTwiceShape extends Shape {
        ClosesTwiceShape(String name) {
            super(name);
        }

        @Override
        RandomAccessFile open(File f) throws IOException {
            return new ClosesTwice(f, this);
        }

        @Override
        String positions(RandomAccessFile raf) throws IOException {
            ClosesTwice c = (ClosesTwice) raf;
            IoLongOf<ClosesTwice> unbound = ClosesTwice::getFilePointer;
            return c.getFilePointer() + " " + unbound.apply(c);
        }

        @Override
        String lengths(RandomAccessFile raf) throws IOException {
            ClosesTwice c = (ClosesTwice) raf;
            IoLongOf<ClosesTwice> unbound = ClosesTwice::length;
            return c.length() + " " + unbound.apply(c);
        }

        @Override
        void setLength(RandomAccessFile raf, long n) throws IOException {
            ((ClosesTwice) raf).setLength(n);
        }

        /** Closed once more by the program, through its own type, after its close closed it twice. */
        @Override
        void close(RandomAccessFile raf) throws IOException {
            raf.close();
            ((ClosesTwice) raf).close();
        }
    }

    private static final class ClosesTwice extends RandomAccessFile {
        private final Shape shape;

        ClosesTwice(File f, Shape shape) throws IOException {
            super(f, "rw");
            this.shape = shape;
        }

        @Override
        public void close() throws IOException {
            shape.count("close");
            super.close();
            super.close();
        }
    }

    // ---- measures-in-constructor ----

    static final class MeasuresShape extends Shape {
        MeasuresShape(String name) {
            super(name);
        }

        private final CRC32 openings = new CRC32();
        private int opened;

        @Override
        RandomAccessFile open(File f) throws IOException {
            Measures m = new Measures(f, this);
            openings.update((m.opened + " at " + m.at + "\n").getBytes(StandardCharsets.UTF_8));
            opened++;
            return m;
        }

        @Override
        String positions(RandomAccessFile raf) throws IOException {
            Measures m = (Measures) raf;
            IoLongOf<Measures> unbound = Measures::getFilePointer;
            return m.getFilePointer() + " " + unbound.apply(m);
        }

        @Override
        String lengths(RandomAccessFile raf) throws IOException {
            Measures m = (Measures) raf;
            IoLongOf<Measures> unbound = Measures::length;
            return m.length() + " " + unbound.apply(m) + " opened " + m.opened;
        }

        @Override
        void setLength(RandomAccessFile raf, long n) throws IOException {
            ((Measures) raf).setLength(n);
        }

        @Override
        String counts() {
            return calls + ", " + opened + " constructed, lengths and positions measured there: crc "
                    + openings.getValue();
        }
    }

    /**
     * Measures its file in its constructor, after {@code super(file, mode)} opened it: the calls
     * are virtual calls on {@code this} (the compiler names this class as their owner), and
     * {@code seek} is its own override.
     */
    private static final class Measures extends RandomAccessFile {
        private final Shape shape;
        final long opened;
        final long at;

        Measures(File f, Shape shape) throws IOException {
            super(f, "rw");
            this.shape = shape;
            opened = length();
            seek(opened / 2);
            at = getFilePointer();
        }

        @Override
        public void seek(long pos) throws IOException {
            shape.count("seek");
            super.seek(pos);
        }
    }

    // ---- own-bookkeeping: answers position and length from its own fields ----

    static final class OwnBookkeepingShape extends Shape {
        OwnBookkeepingShape(String name) {
            super(name);
        }

        @Override
        RandomAccessFile open(File f) throws IOException {
            return new OwnBookkeeping(f);
        }

        @Override
        String positions(RandomAccessFile raf) throws IOException {
            OwnBookkeeping b = (OwnBookkeeping) raf;
            IoLong bound = b::getFilePointer;
            return b.getFilePointer() + " " + bound.get() + " real " + b.getChannel().position();
        }

        @Override
        String lengths(RandomAccessFile raf) throws IOException {
            OwnBookkeeping b = (OwnBookkeeping) raf;
            IoLong bound = b::length;
            return b.length() + " " + bound.get() + " real " + b.getChannel().size();
        }

        @Override
        void setLength(RandomAccessFile raf, long n) throws IOException {
            ((OwnBookkeeping) raf).setLength(n);
        }
    }

    /**
     * Keeps its position and length in fields, as a program that distrusts or avoids system calls
     * does: its {@code getFilePointer()} and {@code length()} never reach the JDK's natives.
     */
    private static final class OwnBookkeeping extends RandomAccessFile {
        private long pointer;
        private long cachedLength;

        OwnBookkeeping(File f) throws IOException {
            super(f, "rw");
            cachedLength = getChannel().size();
        }

        @Override
        public int read() throws IOException {
            int c = super.read();
            pointer += c < 0 ? 0 : 1;
            return c;
        }

        @Override
        public int read(byte[] b) throws IOException {
            return read(b, 0, b.length);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            pointer += Math.max(n, 0);
            return n;
        }

        @Override
        public void write(int b) throws IOException {
            super.write(b);
            grown(1);
        }

        @Override
        public void write(byte[] b) throws IOException {
            write(b, 0, b.length);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            super.write(b, off, len);
            grown(len);
        }

        private void grown(int written) {
            pointer += written;
            cachedLength = Math.max(cachedLength, pointer);
        }

        @Override
        public void seek(long pos) throws IOException {
            super.seek(pos);
            pointer = pos;
        }

        @Override
        public long getFilePointer() {
            return pointer;
        }

        @Override
        public long length() {
            return cachedLength;
        }

        @Override
        public void setLength(long newLength) throws IOException {
            super.setLength(newLength);
            cachedLength = newLength;
            pointer = Math.min(pointer, newLength);
        }
    }

    // ---- two-level: Outer extends Inner extends RandomAccessFile ----

    static final class TwoLevelShape extends Shape {
        TwoLevelShape(String name) {
            super(name);
        }

        @Override
        RandomAccessFile open(File f) throws IOException {
            return new Outer(f, this);
        }

        @Override
        String positions(RandomAccessFile raf) throws IOException {
            Outer outer = (Outer) raf;
            Inner inner = outer;
            IoLong boundOuter = outer::getFilePointer;
            IoLong boundInner = inner::getFilePointer;
            IoLongOf<Inner> unbound = Inner::getFilePointer;
            return outer.getFilePointer() + " " + inner.getFilePointer() + " " + boundOuter.get() + " "
                    + boundInner.get() + " " + unbound.apply(outer);
        }

        @Override
        String lengths(RandomAccessFile raf) throws IOException {
            Outer outer = (Outer) raf;
            Inner inner = outer;
            IoLong boundOuter = outer::length;
            IoLong boundInner = inner::length;
            return outer.length() + " " + inner.length() + " " + boundOuter.get() + " " + boundInner.get();
        }

        @Override
        void setLength(RandomAccessFile raf, long n) throws IOException {
            Inner inner = (Inner) raf;
            inner.setLength(n);
        }
    }

    private static class Inner extends RandomAccessFile {
        final Shape shape;

        Inner(File f, Shape shape) throws IOException {
            super(f, "rw");
            this.shape = shape;
        }

        @Override
        public long getFilePointer() throws IOException {
            shape.count("Inner.getFilePointer");
            return super.getFilePointer();
        }

        @Override
        public long length() throws IOException {
            shape.count("Inner.length");
            return super.length();
        }

        @Override
        public void setLength(long newLength) throws IOException {
            shape.count("Inner.setLength");
            super.setLength(newLength);
        }

        @Override
        public void seek(long pos) throws IOException {
            shape.count("Inner.seek");
            super.seek(pos);
        }
    }

    private static final class Outer extends Inner {
        Outer(File f, Shape shape) throws IOException {
            super(f, shape);
        }

        @Override
        public long getFilePointer() throws IOException {
            shape.count("Outer.getFilePointer");
            return super.getFilePointer();
        }

        @Override
        public long length() throws IOException {
            shape.count("Outer.length");
            return super.length();
        }

        @Override
        public void setLength(long newLength) throws IOException {
            shape.count("Outer.setLength");
            super.setLength(newLength);
        }

        @Override
        public void seek(long pos) throws IOException {
            shape.count("Outer.seek");
            super.seek(pos);
        }
    }

    // ---- buffered: a read buffer of its own ----

    static final class BufferedShape extends Shape {
        BufferedShape(String name) {
            super(name);
        }

        @Override
        RandomAccessFile open(File f) throws IOException {
            return new Buffered(f);
        }

        @Override
        String positions(RandomAccessFile raf) throws IOException {
            Buffered b = (Buffered) raf;
            IoLong bound = b::getFilePointer;
            return b.getFilePointer() + " " + bound.get() + " buffered " + b.buffered();
        }

        @Override
        String lengths(RandomAccessFile raf) throws IOException {
            Buffered b = (Buffered) raf;
            IoLongOf<Buffered> unbound = Buffered::length;
            return b.length() + " " + unbound.apply(b);
        }

        @Override
        void setLength(RandomAccessFile raf, long n) throws IOException {
            ((Buffered) raf).setLength(n);
        }
    }

    /**
     * Reads through a buffer of its own; the descriptor's offset runs ahead of the program's
     * position by the bytes buffered and not yet returned, which {@code getFilePointer()} takes
     * off. Writes, seeks and truncations drop the buffer first (moving the descriptor's offset
     * back to the program's position), as storage engines' buffered files do.
     */
    private static final class Buffered extends RandomAccessFile {
        private final byte[] buf = new byte[512];
        private int next;
        private int limit;

        Buffered(File f) throws IOException {
            super(f, "rw");
        }

        int buffered() {
            return limit - next;
        }

        @Override
        public int read() throws IOException {
            if (next == limit && !fill()) {
                return -1;
            }
            return buf[next++] & 0xff;
        }

        @Override
        public int read(byte[] b) throws IOException {
            return read(b, 0, b.length);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            if (next == limit) {
                if (len >= buf.length) {
                    return super.read(b, off, len);
                }
                if (!fill()) {
                    return -1;
                }
            }
            int n = Math.min(len, limit - next);
            System.arraycopy(buf, next, b, off, n);
            next += n;
            return n;
        }

        private boolean fill() throws IOException {
            int n = super.read(buf, 0, buf.length);
            next = 0;
            limit = Math.max(n, 0);
            return n > 0;
        }

        private void drop() throws IOException {
            if (next < limit) {
                long position = getFilePointer();
                next = limit = 0;
                super.seek(position);
            }
            next = limit = 0;
        }

        @Override
        public long getFilePointer() throws IOException {
            return super.getFilePointer() - (limit - next);
        }

        @Override
        public void seek(long pos) throws IOException {
            next = limit = 0;
            super.seek(pos);
        }

        @Override
        public void write(int b) throws IOException {
            drop();
            super.write(b);
        }

        @Override
        public void write(byte[] b) throws IOException {
            drop();
            super.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            drop();
            super.write(b, off, len);
        }

        @Override
        public void setLength(long newLength) throws IOException {
            drop();
            super.setLength(newLength);
        }
    }

    // ---- deep-super: the leaf's super call names a middle class that does not override ----

    static final class DeepSuperShape extends Shape {
        DeepSuperShape(String name) {
            super(name);
        }

        @Override
        RandomAccessFile open(File f) throws IOException {
            return new Leaf(f, this);
        }

        @Override
        String positions(RandomAccessFile raf) throws IOException {
            Leaf leaf = (Leaf) raf;
            Middle middle = leaf;
            return leaf.getFilePointer() + " " + middle.getFilePointer();
        }

        @Override
        String lengths(RandomAccessFile raf) throws IOException {
            Leaf leaf = (Leaf) raf;
            Middle middle = leaf;
            return leaf.length() + " " + middle.length();
        }

        @Override
        void setLength(RandomAccessFile raf, long n) throws IOException {
            ((Leaf) raf).setLength(n);
        }
    }

    /** Overrides only a read: the natives are RandomAccessFile's. */
    private static class Middle extends RandomAccessFile {
        final Shape shape;

        Middle(File f, Shape shape) throws IOException {
            super(f, "rw");
            this.shape = shape;
        }

        @Override
        public int read() throws IOException {
            shape.count("Middle.read()");
            return super.read();
        }
    }

    /** Its super calls are {@code invokespecial Middle.getFilePointer()J} and so on. */
    private static final class Leaf extends Middle {
        Leaf(File f, Shape shape) throws IOException {
            super(f, shape);
        }

        @Override
        public long getFilePointer() throws IOException {
            shape.count("Leaf.getFilePointer");
            return super.getFilePointer();
        }

        @Override
        public long length() throws IOException {
            shape.count("Leaf.length");
            return super.length();
        }

        @Override
        public void setLength(long newLength) throws IOException {
            shape.count("Leaf.setLength");
            super.setLength(newLength);
        }
    }

    // ---- interface-call: the natives reached through an interface the subclass implements ----

    /** What a storage engine's file abstraction often declares; RandomAccessFile's methods implement it. */
    interface Positioned {
        long getFilePointer() throws IOException;

        long length() throws IOException;

        void setLength(long newLength) throws IOException;
    }

    static final class InterfaceCallShape extends Shape {
        InterfaceCallShape(String name) {
            super(name);
        }

        @Override
        RandomAccessFile open(File f) throws IOException {
            return new PositionedFile(f);
        }

        @Override
        String positions(RandomAccessFile raf) throws IOException {
            Positioned p = (Positioned) raf;
            IoLong bound = p::getFilePointer;
            return p.getFilePointer() + " " + bound.get();
        }

        @Override
        String lengths(RandomAccessFile raf) throws IOException {
            Positioned p = (Positioned) raf;
            IoLongOf<Positioned> unbound = Positioned::length;
            return p.length() + " " + unbound.apply(p);
        }

        @Override
        void setLength(RandomAccessFile raf, long n) throws IOException {
            ((Positioned) raf).setLength(n);
        }
    }

    private static final class PositionedFile extends RandomAccessFile implements Positioned {
        PositionedFile(File f) throws IOException {
            super(f, "rw");
        }
    }

    // ---- bound-reference: sub::getFilePointer on a subclass type that does not override it ----

    static final class BoundReferenceShape extends Shape {
        BoundReferenceShape(String name) {
            super(name);
        }

        @Override
        RandomAccessFile open(File f) throws IOException {
            return new Plain(f);
        }

        @Override
        String positions(RandomAccessFile raf) throws IOException {
            Plain p = (Plain) raf;
            IoLong bound = p::getFilePointer;
            return Long.toString(bound.get());
        }

        @Override
        String lengths(RandomAccessFile raf) throws IOException {
            Plain p = (Plain) raf;
            IoLong bound = p::length;
            return Long.toString(bound.get());
        }

        @Override
        void setLength(RandomAccessFile raf, long n) throws IOException {
            ((Plain) raf).setLength(n);
        }
    }

    /** Overrides nothing: {@code plain::getFilePointer} is a handle on RandomAccessFile's native. */
    private static final class Plain extends RandomAccessFile {
        Plain(File f) throws IOException {
            super(f, "rw");
        }
    }
}
