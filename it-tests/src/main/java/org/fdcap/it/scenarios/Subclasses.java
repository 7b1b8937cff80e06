package org.fdcap.it.scenarios;

import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.function.Function;
import java.util.zip.CRC32;
import org.fdcap.it.scenarios.SubclassShapes.IoLong;
import org.fdcap.it.scenarios.SubclassShapes.IoLongOf;
import org.fdcap.it.scenarios.SubclassShapes.Shape;

/**
 * RandomAccessFile subclasses in the shapes real programs give them, a few hundred kept open and
 * used round-robin by a seeded program, so that under a small cap every visit finds the file
 * suspended. The agent rewrites the call sites of the public natives ({@code getFilePointer()},
 * and {@code length()}/{@code setLength(long)} on JDK 17) and advises the other methods inside
 * the JDK; a subclass's own methods sit between the two. Whatever it overrides, and whether it
 * calls {@code super} once, twice or never, the program must see what it sees without the agent
 * (issue 20: an override returning {@code super.length()} overflowed the stack).
 *
 * <p>The shapes (one name each on the command line):
 * <ul>
 * <li>{@code full}: overrides every overridable method that uses the descriptor and calls
 *     {@code super} (the final ones, {@code readFully}, {@code readInt}, {@code getChannel},
 *     {@code getFD}..., are called);
 * <li>{@code closes-twice}: {@code close()} calls {@code super.close()} twice, nothing else;
 * <li>{@code measures-in-constructor}: opens through {@code super(file, mode)}, then calls
 *     {@code length()}, {@code seek} (overridden) and {@code getFilePointer()} in its constructor;
 * <li>{@code own-bookkeeping}: {@code getFilePointer()} and {@code length()} answer from its own
 *     fields and never call {@code super};
 * <li>{@code two-level}: {@code Outer extends Inner extends RandomAccessFile}, both overriding
 *     {@code getFilePointer}, {@code length}, {@code setLength} and {@code seek} and calling
 *     {@code super};
 * <li>{@code buffered}: a read buffer of its own, {@code getFilePointer()} =
 *     {@code super.getFilePointer()} less the buffered bytes, as storage engines do;
 * </ul>
 * and three shapes a first fix missed (each has a test of its own):
 * <ul>
 * <li>{@code deep-super}: {@code Leaf extends Middle extends RandomAccessFile} where only the leaf
 *     overrides the natives: its {@code super.getFilePointer()} names {@code Middle} as owner;
 * <li>{@code interface-call}: a subclass that implements an interface declaring
 *     {@code getFilePointer()}/{@code length()} with RandomAccessFile's own natives, called through
 *     the interface;
 * <li>{@code bound-reference}: {@code sub::getFilePointer} (and {@code sub::length}) on a variable
 *     of a subclass type that does not override them.
 * </ul>
 * Every handle is used through a variable of type RandomAccessFile and through its own type,
 * directly and through method references (bound on both types, and unbound).
 *
 * <p>Prints one line per round and shape (CRCs of what was read, of positions, of lengths), then
 * per shape the calls its overrides counted, what reads after close said, and the length and CRC
 * of every file's final bytes; then {@code done}. Exceptions other than the deliberate ones end
 * the program with their stack trace.
 *
 * <p>Usage: {@code Subclasses dir filesPerShape rounds shape[,shape...]}
 */
public final class Subclasses {
    private static final long SEED = 20;
    private static final int OPS_PER_VISIT = 3;
    /** Files stay under about 13 KiB: seeks and new lengths below this, writes under 700 bytes. */
    private static final int MAX_POS = 12_000;

    private static final Map<String, Function<String, Shape>> SHAPES = new LinkedHashMap<>();

    static {
        SHAPES.put("full", SubclassShapes.FullShape::new);
        SHAPES.put("closes-twice", SubclassShapes.ClosesTwiceShape::new);
        SHAPES.put("measures-in-constructor", SubclassShapes.MeasuresShape::new);
        SHAPES.put("own-bookkeeping", SubclassShapes.OwnBookkeepingShape::new);
        SHAPES.put("two-level", SubclassShapes.TwoLevelShape::new);
        SHAPES.put("buffered", SubclassShapes.BufferedShape::new);
        SHAPES.put("deep-super", SubclassShapes.DeepSuperShape::new);
        SHAPES.put("interface-call", SubclassShapes.InterfaceCallShape::new);
        SHAPES.put("bound-reference", SubclassShapes.BoundReferenceShape::new);
    }

    private Subclasses() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Scratch.fresh(args[0]);
        int perShape = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        List<Shape> shapes = new ArrayList<>();
        for (String name : args[3].split(",")) {
            shapes.add(Objects.requireNonNull(SHAPES.get(name), "no shape " + name).apply(name));
        }
        Random r = new Random(SEED);
        List<Handle> handles = new ArrayList<>();
        for (Shape shape : shapes) {
            for (int i = 0; i < perShape; i++) {
                File f = dir.resolve(shape.name + "-" + i).toFile();
                Files.write(f.toPath(), bytes(r, 1 + r.nextInt(6_000)));
                handles.add(new Handle(shape, f, shape.open(f)));
            }
        }
        for (int round = 1; round <= rounds; round++) {
            for (Shape shape : shapes) {
                shape.outcomes = new Outcomes();
            }
            for (Handle h : handles) {
                for (int k = 0; k < OPS_PER_VISIT; k++) {
                    operate(h, r);
                }
            }
            for (Shape shape : shapes) {
                System.out.println("round " + round + " " + shape.name + ": " + shape.outcomes);
            }
        }
        for (int i = 0; i < handles.size(); i++) {
            Handle h = handles.get(i);
            if (i % 2 == 0) {
                h.shape.close(h.raf);
            } else {
                // FileChannelImpl closes its parent: the subclass's close() through the JDK
                h.raf.getChannel().close();
            }
            h.shape.afterClose.merge(afterClose(h.raf), 1, Integer::sum);
        }
        for (Shape shape : shapes) {
            System.out.println(shape.name + " counted: " + shape.counts());
            System.out.println(shape.name + " after close: " + shape.afterClose);
        }
        for (Handle h : handles) {
            byte[] all = Files.readAllBytes(h.file.toPath());
            System.out.println(h.file.getName() + " length " + all.length + " crc " + crc(all, 0, all.length));
        }
        System.out.println("done");
    }

    /** One seeded operation on a handle, its outcome added to the CRCs of its shape. */
    private static void operate(Handle h, Random r) throws IOException {
        RandomAccessFile raf = h.raf;
        Shape shape = h.shape;
        Outcomes o = shape.outcomes;
        switch (r.nextInt(21)) {
            case 0:
                o.read("read() " + raf.read());
                break;
            case 1: {
                byte[] b = new byte[r.nextInt(700)];
                int n = raf.read(b);
                o.read("read(b) " + n + " " + crc(b, 0, Math.max(n, 0)));
                break;
            }
            case 2: {
                int len = r.nextInt(700);
                byte[] b = new byte[len + 5];
                int n = raf.read(b, 5, len);
                o.read("read(b,5," + len + ") " + n + " " + crc(b, 5, Math.max(n, 0)));
                break;
            }
            case 3: {
                byte[] b = new byte[r.nextInt(300)];
                try {
                    raf.readFully(b);
                    o.read("readFully " + crc(b, 0, b.length));
                } catch (EOFException e) {
                    o.read("readFully EOF at " + raf.getFilePointer());
                }
                break;
            }
            case 4: {
                int t = r.nextInt(3);
                try {
                    Object v = t == 0 ? raf.readInt() : t == 1 ? raf.readLong() : raf.readLine();
                    o.read("read type " + t + " " + v);
                } catch (EOFException e) {
                    o.read("read type " + t + " EOF");
                }
                break;
            }
            case 5:
                raf.write(r.nextInt(256));
                o.position("write(int) " + raf.getFilePointer());
                break;
            case 6:
                raf.write(bytes(r, r.nextInt(700)));
                o.position("write(b) " + raf.getFilePointer());
                break;
            case 7: {
                byte[] b = bytes(r, 700);
                int off = r.nextInt(100);
                int len = r.nextInt(600);
                raf.write(b, off, len);
                o.position("write(b,off,len) " + raf.getFilePointer());
                break;
            }
            case 8: {
                int t = r.nextInt(3);
                long v = r.nextLong();
                if (t == 0) {
                    raf.writeInt((int) v);
                } else if (t == 1) {
                    raf.writeLong(v);
                } else {
                    raf.writeUTF(Long.toString(v, 36));
                }
                o.position("write type " + t + " " + raf.getFilePointer());
                break;
            }
            case 9:
            case 10:
                raf.seek(r.nextInt(MAX_POS));
                break;
            case 11:
                o.position("getFilePointer " + raf.getFilePointer());
                break;
            case 12:
                o.position("typed " + shape.positions(raf));
                break;
            case 13: {
                IoLong bound = raf::getFilePointer;
                IoLongOf<RandomAccessFile> unbound = RandomAccessFile::getFilePointer;
                o.position("references " + bound.get() + " " + unbound.apply(raf));
                break;
            }
            case 14: {
                IoLong bound = raf::length;
                IoLongOf<RandomAccessFile> unbound = RandomAccessFile::length;
                o.length("length " + raf.length() + " " + bound.get() + " " + unbound.apply(raf));
                break;
            }
            case 15:
                o.length("typed " + shape.lengths(raf));
                break;
            case 16: {
                long n = r.nextInt(MAX_POS);
                if (r.nextBoolean()) {
                    raf.setLength(n);
                } else {
                    shape.setLength(raf, n);
                }
                o.length("setLength " + n + " " + raf.length() + " at " + raf.getFilePointer());
                break;
            }
            case 17:
                o.position("skipBytes " + raf.skipBytes(r.nextInt(600)) + " " + raf.getFilePointer());
                break;
            case 18: {
                FileChannel ch = raf.getChannel();
                ByteBuffer b = ByteBuffer.allocate(r.nextInt(500));
                long at = ch.position();
                int n = ch.read(b, at);
                o.read("channel " + at + " " + n + " " + crc(b.array(), 0, Math.max(n, 0)) + " of " + ch.size());
                break;
            }
            case 19:
                raf.getFD().sync();
                o.read("getFD " + raf.getFD().valid());
                break;
            default:
                // a constructor under pressure, on a file some other handles' use has made longer
                raf.close();
                h.raf = shape.open(h.file);
                o.length("reopened " + h.raf.length() + " at " + h.raf.getFilePointer());
                break;
        }
    }

    /**
     * What read() and getFilePointer() do on a handle the program has closed: fail, or answer (a
     * buffer or a field of the subclass's own).
     */
    private static String afterClose(RandomAccessFile raf) {
        String read;
        try {
            raf.read();
            read = "answers";
        } catch (IOException e) {
            read = e.getClass().getSimpleName() + " " + e.getMessage();
        }
        String position;
        try {
            raf.getFilePointer();
            position = "answers";
        } catch (IOException e) {
            position = e.getClass().getSimpleName() + " " + e.getMessage();
        }
        return "read " + read + ", getFilePointer " + position;
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static long crc(byte[] b, int off, int len) {
        CRC32 c = new CRC32();
        c.update(b, off, len);
        return c.getValue();
    }

    private static final class Handle {
        final Shape shape;
        final File file;
        RandomAccessFile raf;

        Handle(Shape shape, File file, RandomAccessFile raf) {
            this.shape = shape;
            this.file = file;
            this.raf = raf;
        }
    }

    /** CRCs of one round's outcomes of one shape, by kind. */
    static final class Outcomes {
        private final CRC32 reads = new CRC32();
        private final CRC32 positions = new CRC32();
        private final CRC32 lengths = new CRC32();
        private int count;

        void read(String s) {
            add(reads, s);
        }

        void position(String s) {
            add(positions, s);
        }

        void length(String s) {
            add(lengths, s);
        }

        private void add(CRC32 crc, String s) {
            crc.update((s + "\n").getBytes(StandardCharsets.UTF_8));
            count++;
        }

        @Override
        public String toString() {
            return count + " outcomes, reads " + reads.getValue() + " positions " + positions.getValue() + " lengths "
                    + lengths.getValue();
        }
    }
}
