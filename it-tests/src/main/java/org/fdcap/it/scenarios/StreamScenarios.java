package org.fdcap.it.scenarios;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.FileReader;
import java.io.FileWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Formatter;
import java.util.List;
import java.util.Scanner;
import java.util.logging.FileHandler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * {@code FileInputStream} and {@code FileOutputStream} opened on a path, and what the JDK builds
 * on them (readers, writers, {@code PrintWriter}, {@code Scanner}, {@code Formatter},
 * {@code FileHandler}), with many more of them open at once than a cap of 64 allows: every case
 * uses its streams round robin, so under the agent each one is suspended between two uses and
 * restored at the next. Prints one line per check (what was read, CRCs of what was written, and
 * the scenario's own checks of where every byte landed); the test compares the output with an
 * uncapped run without the agent.
 *
 * <p>Usage: {@code StreamScenarios workDir streamsPerCase}
 */
public final class StreamScenarios {
    private static Path dir;
    private static int n;

    private StreamScenarios() {
    }

    public static void main(String[] args) throws Exception {
        dir = Scratch.fresh(args[0]);
        n = Integer.parseInt(args[1]);
        // made first, while few descriptors are open: starting a process takes a few more for a moment
        Process mkfifo = new ProcessBuilder("mkfifo", dir.resolve("fifo").toString()).inheritIO().start();
        if (mkfifo.waitFor() != 0) {
            throw new IOException("mkfifo failed");
        }
        appendingStreamsWriteAtTheEndWhileOthersGrowTheFile();
        aTruncatingStreamTruncatesOnlyWhenItOpens();
        inputStreamsReadOnWhereTheyStopped();
        aStreamAndItsChannelShareOnePosition();
        streamsOnARandomAccessFilesDescriptorShareItsPosition();
        streamsOnAStreamsDescriptorShareIt();
        readersAndWritersBuiltOnStreams();
        scannersAndFormatters();
        fileHandlersLogToTheirOwnFiles();
        unclosedStreamsCollectedByTheGcCloseNothingOfAnotherFile();
        nonRegularFilesAreNotManagedAndStillWork();
        System.out.println("done");
    }

    // ---- FileOutputStream ----

    /**
     * Two appending streams and a RandomAccessFile writing at its end, on each file: a restored
     * appending stream must keep O_APPEND (a plain reopen at its saved offset would overwrite what
     * the others wrote meanwhile), and it must not truncate the file it reopens. A FileInputStream
     * follows each file as it grows ({@code tail -f}): each round it reads on from where it stopped.
     */
    private static void appendingStreamsWriteAtTheEndWhileOthersGrowTheFile() throws IOException {
        List<FileOutputStream> first = new ArrayList<>();
        List<FileOutputStream> second = new ArrayList<>();
        List<RandomAccessFile> rafs = new ArrayList<>();
        List<FileInputStream> followers = new ArrayList<>();
        StringBuilder[] expected = new StringBuilder[n];
        StringBuilder[] followed = new StringBuilder[n];
        for (int i = 0; i < n; i++) {
            File f = file("append-" + i);
            Files.write(f.toPath(), bytes("header " + i + "\n"));
            expected[i] = new StringBuilder("header " + i + "\n");
            followed[i] = new StringBuilder();
            first.add(new FileOutputStream(f, true));
            second.add(new FileOutputStream(f.getPath(), true));
            rafs.add(new RandomAccessFile(f, "rw"));
            followers.add(new FileInputStream(f));
        }
        long available = 0;
        long positions = 0;
        for (int round = 0; round < 4; round++) {
            for (int i = 0; i < n; i++) {
                String s = "a" + round + "." + i + ";";
                first.get(i).write(bytes(s));
                expected[i].append(s);
            }
            for (int i = 0; i < n; i++) {
                String s = "b" + round + "." + i + ";";
                second.get(i).write(bytes(s));
                expected[i].append(s);
            }
            for (int i = 0; i < n; i++) {
                RandomAccessFile raf = rafs.get(i);
                String s = "r" + round + "." + i + ";";
                raf.seek(raf.length());
                raf.write(bytes(s));
                expected[i].append(s);
            }
            for (int i = 0; i < n; i++) {
                // an appending stream's channel is at the end of the file
                positions += first.get(i).getChannel().position();
                String s = "c" + round + "." + i + ";";
                first.get(i).getChannel().write(ByteBuffer.wrap(bytes(s)));
                expected[i].append(s);
            }
            for (int i = 0; i < n; i++) {
                available += followers.get(i).available();
                followed[i].append(str(followers.get(i).readAllBytes()));
            }
        }
        closeAll(first);
        closeAll(second);
        closeAll(rafs);
        closeAll(followers);
        checkContents("append", expected);
        out("append: sum of the channels' positions", positions);
        int sameAsWritten = 0;
        for (int i = 0; i < n; i++) {
            sameAsWritten += followed[i].toString().equals(expected[i].toString()) ? 1 : 0;
        }
        out("append: followers read what was written, in order", sameAsWritten + " of " + n + ", available "
                + available);
    }

    /**
     * {@code new FileOutputStream(file)} truncates when it opens; a restore reopens the file and
     * must not truncate it again (that would lose what the stream wrote before its suspension, and
     * leave a hole of zeros before its next write).
     */
    private static void aTruncatingStreamTruncatesOnlyWhenItOpens() throws IOException {
        List<FileOutputStream> streams = new ArrayList<>();
        StringBuilder[] expected = new StringBuilder[n];
        for (int i = 0; i < n; i++) {
            File f = file("truncate-" + i);
            Files.write(f.toPath(), bytes("old content that the open truncates away, " + i));
            expected[i] = new StringBuilder();
            int how = i % 3;
            streams.add(how == 0 ? new FileOutputStream(f) : how == 1 ? new FileOutputStream(f, false)
                    : new FileOutputStream(f.getPath()));
        }
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < n; i++) {
                String s = "written " + round + " by " + i + ";";
                if (round == 1) {
                    streams.get(i).write(bytes(s), 0, s.length());
                } else {
                    streams.get(i).write(bytes(s));
                }
                expected[i].append(s);
            }
        }
        long at = 0;
        for (int i = 0; i < n; i++) {
            streams.get(i).write('!');
            expected[i].append('!');
            streams.get(i).flush();
            at += streams.get(i).getChannel().position();
        }
        closeAll(streams);
        checkContents("truncate", expected);
        out("truncate: sum of the channels' positions", at);
    }

    // ---- FileInputStream ----

    /**
     * Every read method, skip (forward, backward, past the end) and available, one step at a time
     * over all streams: after each restore the stream reads on at the offset it had, and
     * {@code available} counts from there.
     */
    private static void inputStreamsReadOnWhereTheyStopped() throws IOException {
        List<FileInputStream> streams = new ArrayList<>();
        byte[][] contents = new byte[n][];
        long[] pos = new long[n];
        StringBuilder[] results = new StringBuilder[n];
        for (int i = 0; i < n; i++) {
            contents[i] = content(i, 2_000 + (i % 7) * 300);
            File f = file("in-" + i);
            Files.write(f.toPath(), contents[i]);
            streams.add(i % 2 == 0 ? new FileInputStream(f) : new FileInputStream(f.getPath()));
            results[i] = new StringBuilder();
        }
        int misplaced = 0;
        for (int step = 0; step < 15; step++) {
            for (int i = 0; i < n; i++) {
                FileInputStream in = streams.get(i);
                byte[] c = contents[i];
                int p = (int) pos[i];
                String r;
                switch (step) {
                    case 0: {
                        int b = in.read();
                        misplaced += b == (c[p] & 0xff) ? 0 : 1;
                        pos[i]++;
                        r = "read " + b;
                        break;
                    }
                    case 1: {
                        byte[] b = new byte[40];
                        int got = in.read(b);
                        misplaced += Arrays.equals(b, 0, got, c, p, p + got) ? 0 : 1;
                        pos[i] += got;
                        r = "read(b) " + got + " " + crc(b, got);
                        break;
                    }
                    case 2:
                    case 7: {
                        long skipped = in.skip(step == 2 ? 100 + i % 50 : -(10 + i % 5));
                        pos[i] += skipped;
                        r = "skip " + skipped;
                        break;
                    }
                    case 3:
                    case 8: {
                        int available = in.available();
                        misplaced += available == c.length - pos[i] ? 0 : 1;
                        r = "available " + available;
                        break;
                    }
                    case 4: {
                        byte[] b = new byte[64];
                        int got = in.read(b, 8, 33);
                        misplaced += Arrays.equals(b, 8, 8 + got, c, p, p + got) ? 0 : 1;
                        pos[i] += got;
                        r = "read(b,8,33) " + got + " " + crc(b, b.length);
                        break;
                    }
                    case 5: {
                        byte[] b = in.readNBytes(50);
                        misplaced += Arrays.equals(b, 0, b.length, c, p, p + b.length) ? 0 : 1;
                        pos[i] += b.length;
                        r = "readNBytes " + b.length + " " + crc(b, b.length);
                        break;
                    }
                    case 6: {
                        byte[] b = new byte[30];
                        int got = in.readNBytes(b, 0, 30);
                        misplaced += Arrays.equals(b, 0, got, c, p, p + got) ? 0 : 1;
                        pos[i] += got;
                        r = "readNBytes(b) " + got + " " + crc(b, got);
                        break;
                    }
                    case 9: {
                        byte[] rest;
                        if (i % 3 == 0) {
                            rest = in.readAllBytes();
                            r = "readAllBytes ";
                        } else if (i % 3 == 1) {
                            ByteArrayOutputStream sink = new ByteArrayOutputStream();
                            r = "transferTo(memory) " + in.transferTo(sink) + " ";
                            rest = sink.toByteArray();
                        } else {
                            // stream to stream between two managed files (a channel transfer on JDK 21+)
                            File copy = file("in-copy-" + i);
                            try (FileOutputStream sink = new FileOutputStream(copy)) {
                                r = "transferTo(file) " + in.transferTo(sink) + " ";
                            }
                            rest = Files.readAllBytes(copy.toPath());
                        }
                        misplaced += Arrays.equals(rest, 0, rest.length, c, p, c.length) ? 0 : 1;
                        pos[i] += rest.length;
                        r += rest.length + " " + crc(rest, rest.length);
                        break;
                    }
                    case 10:
                        r = "at the end: read " + in.read() + " available " + in.available();
                        break;
                    case 11:
                        r = "skip past the end " + in.skip(10);
                        break;
                    case 12:
                        // lseek past the end: available counts nothing, the channel sees the offset
                        r = "available " + in.available() + " position " + in.getChannel().position();
                        break;
                    case 13:
                        r = "read " + in.read() + " skip back " + in.skip(-(20 + c.length % 5));
                        break;
                    default:
                        r = "available " + in.available() + " read " + in.read();
                        break;
                }
                results[i].append(r).append("; ");
            }
        }
        closeAll(streams);
        out("in: first stream", results[0]);
        out("in: last stream", results[n - 1]);
        out("in: crc of every result", crcOf(results));
        out("in: reads not where the file has those bytes", misplaced);
    }

    /**
     * {@code getChannel()} of a stream is a view of the stream's own descriptor: one position,
     * whichever of them moved it, across suspensions; some channels taken before the first use,
     * others after the stream was suspended.
     */
    private static void aStreamAndItsChannelShareOnePosition() throws IOException {
        List<FileInputStream> ins = new ArrayList<>();
        List<FileOutputStream> outs = new ArrayList<>();
        FileChannel[] inChannels = new FileChannel[n];
        FileChannel[] outChannels = new FileChannel[n];
        byte[][] contents = new byte[n][];
        StringBuilder[] results = new StringBuilder[n];
        for (int i = 0; i < n; i++) {
            contents[i] = content(1_000 + i, 600);
            Files.write(file("chin-" + i).toPath(), contents[i]);
            ins.add(new FileInputStream(file("chin-" + i)));
            outs.add(new FileOutputStream(file("chout-" + i)));
            if (i % 2 == 0) {
                inChannels[i] = ins.get(i).getChannel();
                outChannels[i] = outs.get(i).getChannel();
            }
            results[i] = new StringBuilder();
        }
        int wrong = 0;
        for (int step = 0; step < 6; step++) {
            for (int i = 0; i < n; i++) {
                FileInputStream in = ins.get(i);
                FileOutputStream out = outs.get(i);
                byte[] c = contents[i];
                if (inChannels[i] == null && step == 1) {
                    inChannels[i] = in.getChannel();
                    outChannels[i] = out.getChannel();
                }
                FileChannel ic = inChannels[i];
                FileChannel oc = outChannels[i];
                String r;
                switch (step) {
                    case 0:
                        in.readNBytes(10);
                        out.write(bytes("0123456789"));
                        r = "streams moved";
                        break;
                    case 1:
                        // the streams' reads and writes moved the channels
                        wrong += ic.position() == 10 && oc.position() == 10 ? 0 : 1;
                        ic.position(100 + i % 100);
                        oc.position(50);
                        r = "positions " + ic.position() + " " + oc.position();
                        break;
                    case 2: {
                        // the channels' positions moved the streams
                        int b = in.read();
                        wrong += b == (c[100 + i % 100] & 0xff) ? 0 : 1;
                        out.write('x');
                        r = "read at the channel's position " + b + ", wrote at " + oc.position();
                        break;
                    }
                    case 3: {
                        ByteBuffer five = ByteBuffer.allocate(5);
                        ic.read(five);
                        int b = in.read();
                        wrong += b == (c[106 + i % 100] & 0xff) ? 0 : 1;
                        oc.write(ByteBuffer.wrap(bytes("yz")));
                        out.write('w');
                        r = "read after the channel's read " + b + " stream at " + ic.position();
                        break;
                    }
                    case 4: {
                        long skipped = in.skip(20);
                        wrong += ic.position() == 127 + i % 100 ? 0 : 1;
                        r = "skip " + skipped + " channel at " + ic.position() + " size " + ic.size() + " available "
                                + in.available();
                        break;
                    }
                    default:
                        // truncating below the position moves it back: the stream writes there
                        oc.truncate(40);
                        out.write('t');
                        r = "truncated, channel at " + oc.position() + " size " + oc.size();
                        wrong += oc.position() == 41 ? 0 : 1;
                        break;
                }
                results[i].append(r).append("; ");
            }
        }
        // half closed through their channels: closing a stream's channel closes the stream
        StringBuilder afterChannelClosed = new StringBuilder();
        for (int i = 0; i < n; i += 2) {
            inChannels[i].close();
            outChannels[i].close();
            if (i < 6) {
                FileOutputStream out = outs.get(i);
                afterChannelClosed.append(outcome(ins.get(i)::read)).append(' ').append(outcome(() -> {
                    out.write(1);
                    return "wrote";
                })).append("; ");
            }
        }
        closeAll(ins);
        closeAll(outs);
        int open = 0;
        for (int i = 0; i < n; i++) {
            open += inChannels[i].isOpen() || outChannels[i].isOpen() ? 1 : 0;
        }
        out("channels: streams after their channels closed", afterChannelClosed);
        out("channels: first pair", results[0]);
        out("channels: last pair", results[n - 1]);
        out("channels: crc of every result", crcOf(results));
        out("channels: positions not shared", wrong);
        out("channels: still open after their streams closed", open);
        out("channels: output file 0", printable(Files.readAllBytes(file("chout-0").toPath())));
        out("channels: crc of every output file", crcOfFiles("chout-"));
    }

    /**
     * {@code new FileInputStream(raf.getFD())} and {@code new FileOutputStream(raf.getFD())}: the
     * three objects share one descriptor and its offset, across suspensions; closing the
     * RandomAccessFile closes the streams too.
     */
    private static void streamsOnARandomAccessFilesDescriptorShareItsPosition() throws IOException {
        List<RandomAccessFile> rafs = new ArrayList<>();
        List<FileInputStream> ins = new ArrayList<>();
        List<FileOutputStream> outs = new ArrayList<>();
        byte[][] expected = new byte[n][];
        StringBuilder[] results = new StringBuilder[n];
        for (int i = 0; i < n; i++) {
            expected[i] = content(2_000 + i, 200);
            Files.write(file("shared-" + i).toPath(), expected[i]);
            RandomAccessFile raf = new RandomAccessFile(file("shared-" + i), "rw");
            rafs.add(raf);
            ins.add(new FileInputStream(raf.getFD()));
            outs.add(new FileOutputStream(raf.getFD()));
            results[i] = new StringBuilder();
        }
        int wrong = 0;
        for (int step = 0; step < 8; step++) {
            for (int i = 0; i < n; i++) {
                RandomAccessFile raf = rafs.get(i);
                FileInputStream in = ins.get(i);
                FileOutputStream out = outs.get(i);
                byte[] e = expected[i];
                String r;
                switch (step) {
                    case 0:
                        raf.seek(10 + i % 20);
                        r = "seek";
                        break;
                    case 1: {
                        byte[] b = in.readNBytes(5);
                        int at = 10 + i % 20;
                        wrong += Arrays.equals(b, 0, 5, e, at, at + 5) && raf.getFilePointer() == at + 5 ? 0 : 1;
                        r = "stream read " + crc(b, 5) + " raf at " + raf.getFilePointer();
                        break;
                    }
                    case 2: {
                        int at = (int) raf.getFilePointer();
                        out.write(bytes("WXYZ"));
                        System.arraycopy(bytes("WXYZ"), 0, e, at, 4);
                        r = "stream wrote, raf at " + raf.getFilePointer();
                        break;
                    }
                    case 3: {
                        int b = raf.read();
                        wrong += b == (e[19 + i % 20] & 0xff) ? 0 : 1;
                        r = "raf read " + b + " stream skip " + in.skip(5) + " raf at " + raf.getFilePointer();
                        break;
                    }
                    case 4:
                        r = "available " + in.available() + " output channel at " + out.getChannel().position();
                        wrong += in.available() == 200 - (25 + i % 20) ? 0 : 1;
                        break;
                    case 5:
                        in.getChannel().position(0);
                        r = "input channel moved the raf to " + raf.getFilePointer();
                        break;
                    case 6: {
                        byte[] b = new byte[40];
                        raf.readFully(b);
                        wrong += Arrays.equals(b, 0, 40, e, 0, 40) ? 0 : 1;
                        r = "raf read " + crc(b, 40) + " stream channel at " + in.getChannel().position();
                        break;
                    }
                    default:
                        raf.seek(raf.length());
                        out.write(bytes("end"));
                        r = "length " + raf.length() + " stream available " + in.available();
                        break;
                }
                results[i].append(r).append("; ");
            }
        }
        StringBuilder closed = new StringBuilder();
        for (int i = 0; i < n; i++) {
            rafs.get(i).close();
            if (i < 3) {
                FileOutputStream out = outs.get(i);
                closed.append(outcome(ins.get(i)::read)).append(' ').append(outcome(() -> {
                    out.write(1);
                    return "wrote";
                })).append("; ");
            }
            expected[i] = concat(expected[i], bytes("end"));
        }
        closeAll(ins);
        closeAll(outs);
        out("shared: first", results[0]);
        out("shared: last", results[n - 1]);
        out("shared: crc of every result", crcOf(results));
        out("shared: positions not shared", wrong);
        out("shared: streams after the raf closed", closed);
        StringBuilder[] want = new StringBuilder[n];
        for (int i = 0; i < n; i++) {
            want[i] = new StringBuilder(new String(expected[i], StandardCharsets.ISO_8859_1));
        }
        checkContents("shared", want);
    }

    /**
     * Streams built on another stream's {@code getFD()}: two streams, one descriptor, one offset,
     * across suspensions; {@code getFD().sync()} and {@code valid()} on a suspended stream; closing
     * either stream closes both.
     */
    private static void streamsOnAStreamsDescriptorShareIt() throws IOException {
        List<FileInputStream> ins = new ArrayList<>();
        List<FileInputStream> inViews = new ArrayList<>();
        List<FileOutputStream> outs = new ArrayList<>();
        List<FileOutputStream> outViews = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            FileInputStream in = new FileInputStream(file("in-" + i));
            ins.add(in);
            inViews.add(new FileInputStream(in.getFD()));
            FileOutputStream out = new FileOutputStream(file("twice-" + i));
            outs.add(out);
            outViews.add(new FileOutputStream(out.getFD()));
        }
        int wrong = 0;
        int valid = 0;
        for (int round = 0; round < 4; round++) {
            for (int i = 0; i < n; i++) {
                FileInputStream in = round % 2 == 0 ? ins.get(i) : inViews.get(i);
                byte[] b = in.readNBytes(7);
                byte[] c = content(i, 2_000 + (i % 7) * 300);
                wrong += Arrays.equals(b, 0, 7, c, 7 * round, 7 * round + 7) ? 0 : 1;
                (round % 2 == 0 ? outViews : outs).get(i).write(bytes("<" + round + ">"));
            }
            for (int i = 0; i < n; i += 10) {
                outs.get(i).getFD().sync();
                valid += outViews.get(i).getFD().valid() && inViews.get(i).getFD().valid() ? 1 : 0;
            }
        }
        StringBuilder closed = new StringBuilder();
        for (int i = 0; i < n; i++) {
            (i % 2 == 0 ? inViews : ins).get(i).close();
            (i % 2 == 0 ? outs : outViews).get(i).close();
            if (i < 2) {
                FileInputStream other = (i % 2 == 0 ? ins : inViews).get(i);
                FileOutputStream otherOut = (i % 2 == 0 ? outViews : outs).get(i);
                closed.append(outcome(other::read)).append(' ').append(outcome(() -> {
                    otherOut.write(1);
                    return "wrote";
                })).append(' ').append(other.getFD().valid()).append("; ");
            }
        }
        StringBuilder[] expected = new StringBuilder[n];
        for (int i = 0; i < n; i++) {
            expected[i] = new StringBuilder("<0><1><2><3>");
        }
        out("twice: reads not where the file has those bytes", wrong);
        out("twice: descriptors valid", valid);
        out("twice: the other stream after one closed", closed);
        checkContents("twice", expected);
    }

    // ---- what the JDK builds on streams ----

    /**
     * FileWriter (truncating and appending) under BufferedWriter, PrintWriter(File),
     * PrintStream(String) and RandomAccessFiles, all open at once and flushed round by round; then
     * FileReader under BufferedReader reading them line by line, round robin, across the
     * decoder's reads (the files are bigger than its buffer and hold characters of several bytes).
     */
    private static void readersAndWritersBuiltOnStreams() throws IOException {
        List<BufferedWriter> writers = new ArrayList<>();
        List<FileWriter> appenders = new ArrayList<>();
        List<PrintWriter> printWriters = new ArrayList<>();
        List<PrintStream> printStreams = new ArrayList<>();
        List<RandomAccessFile> rafs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Files.write(file("appended-" + i).toPath(), bytes("first line " + i + "\n"));
            writers.add(new BufferedWriter(new FileWriter(file("text-" + i), StandardCharsets.UTF_8)));
            appenders.add(new FileWriter(file("appended-" + i), StandardCharsets.UTF_8, true));
            printWriters.add(new PrintWriter(file("printwriter-" + i), "UTF-8"));
            printStreams.add(new PrintStream(file("printstream-" + i).getPath(), "UTF-8"));
            rafs.add(new RandomAccessFile(file("mixed-raf-" + i), "rw"));
        }
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < n; i++) {
                BufferedWriter w = writers.get(i);
                for (int line = 0; line < 60; line++) {
                    w.write(textLine(i, round * 60 + line));
                    w.newLine();
                }
                w.flush();
                appenders.get(i).write("appended " + round + " \u00fc\n");
                appenders.get(i).flush();
                printWriters.get(i).printf("%d: %s%n", round, "print writer \u00e9 " + i);
                printWriters.get(i).flush();
                printStreams.get(i).print("print stream " + round + " \u2211 " + i + "\n");
                printStreams.get(i).flush();
                rafs.get(i).writeUTF("raf " + round + " " + i);
            }
        }
        int errors = 0;
        for (int i = 0; i < n; i++) {
            errors += printWriters.get(i).checkError() || printStreams.get(i).checkError() ? 1 : 0;
        }
        closeAll(writers);
        closeAll(appenders);
        closeAll(printWriters);
        closeAll(printStreams);
        closeAll(rafs);
        out("writers: errors reported", errors);
        out("writers: text-0", crc(Files.readAllBytes(file("text-0").toPath())));
        out("writers: appended-0", printable(Files.readAllBytes(file("appended-0").toPath())));
        out("writers: printwriter-0", printable(Files.readAllBytes(file("printwriter-0").toPath())));
        out("writers: printstream-0", printable(Files.readAllBytes(file("printstream-0").toPath())));
        for (String kind : List.of("text-", "appended-", "printwriter-", "printstream-", "mixed-raf-")) {
            out("writers: crc of every " + kind + " file", crcOfFiles(kind));
        }

        List<BufferedReader> readers = new ArrayList<>();
        List<FileReader> plain = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            readers.add(new BufferedReader(new FileReader(file("text-" + i), StandardCharsets.UTF_8), 1_024));
            plain.add(new FileReader(file("printwriter-" + i), StandardCharsets.UTF_8));
        }
        long[] crcs = new long[n];
        int[] lines = new int[n];
        int unexpected = 0;
        boolean more = true;
        for (int round = 0; more; round++) {
            more = false;
            for (int i = 0; i < n; i++) {
                BufferedReader reader = readers.get(i);
                CRC32 c = new CRC32();
                c.update((int) crcs[i]);
                for (int k = 0; k < 25; k++) {
                    String line = reader.readLine();
                    if (line == null) {
                        break;
                    }
                    more = true;
                    unexpected += line.equals(textLine(i, lines[i])) ? 0 : 1;
                    lines[i]++;
                    c.update(line.getBytes(StandardCharsets.UTF_8));
                }
                crcs[i] = c.getValue();
                if (round == 3 && i % 50 == 0) {
                    boolean ready = reader.ready();
                    long skipped = reader.skip(7);
                    String rest = reader.readLine();
                    unexpected += rest.equals(textLine(i, lines[i]).substring(7)) ? 0 : 1;
                    lines[i]++;
                    out("readers: " + i + " ready " + ready + ", skipped", skipped + " then read "
                            + printable(rest.getBytes(StandardCharsets.UTF_8)));
                }
            }
        }
        StringBuilder printed = new StringBuilder();
        for (int i = 0; i < n; i++) {
            char[] some = new char[12];
            int got = plain.get(i).read(some);
            printed.append(new String(some, 0, got)).append('|');
        }
        for (int i = 0; i < n; i++) {
            printed.append(plain.get(i).read()).append(plain.get(i).ready()).append('|');
        }
        closeAll(readers);
        closeAll(plain);
        out("readers: lines", Arrays.stream(lines).sum());
        out("readers: lines not as written", unexpected);
        out("readers: crc of every line", Arrays.hashCode(crcs));
        out("readers: FileReaders read", crc(printed.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /** Line {@code index} of text file {@code file}: characters of one to three bytes in UTF-8. */
    private static String textLine(int file, int index) {
        int line = index % 60;
        return "round " + index / 60 + " line " + line + " of file " + file
                + " \u2014 \u00fcn\u00efc\u00f6d\u00e9 \u2713 " + "x".repeat(line % 9);
    }

    /**
     * Scanner(File) reads numbers round robin (its buffer holds 1,024 characters, so it reads its
     * file many times); Formatter(File) writes them, flushed round by round.
     */
    private static void scannersAndFormatters() throws IOException {
        List<Formatter> formatters = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            formatters.add(new Formatter(file("numbers-" + i), "UTF-8"));
        }
        for (int round = 0; round < 6; round++) {
            for (int i = 0; i < n; i++) {
                Formatter f = formatters.get(i);
                for (int k = 0; k < 50; k++) {
                    f.format("%d %s%n", round * 1_000 + k * 7 + i, "w" + k);
                }
                f.flush();
            }
        }
        int failed = 0;
        for (Formatter f : formatters) {
            failed += f.ioException() == null ? 0 : 1;
            f.close();
        }
        out("formatters: errors", failed);
        out("formatters: crc of every file", crcOfFiles("numbers-"));

        List<Scanner> scanners = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            scanners.add(new Scanner(file("numbers-" + i), "UTF-8"));
        }
        long[] sums = new long[n];
        int wrong = 0;
        for (int round = 0; round < 6; round++) {
            for (int i = 0; i < n; i++) {
                Scanner s = scanners.get(i);
                for (int k = 0; k < 50; k++) {
                    int v = s.nextInt();
                    String w = s.next();
                    wrong += v == round * 1_000 + k * 7 + i && w.equals("w" + k) ? 0 : 1;
                    sums[i] += v;
                }
            }
        }
        int left = 0;
        for (Scanner s : scanners) {
            left += s.hasNext() ? 1 : 0;
            s.close();
        }
        out("scanners: sum", Arrays.stream(sums).sum());
        out("scanners: numbers not as written", wrong);
        out("scanners: with more to read", left);
    }

    /**
     * java.util.logging's FileHandler: each its own pattern (one rotating over three files, one
     * appending to a file that exists), logging round robin while the other files of this case are
     * in use. Each handler's lock file is locked for the handler's life, so it holds a descriptor
     * the agent never suspends: a few handlers, not hundreds.
     */
    private static void fileHandlersLogToTheirOwnFiles() throws IOException {
        java.util.logging.Formatter plain = new java.util.logging.Formatter() {
            @Override
            public String format(LogRecord record) {
                return record.getLevel() + " " + record.getLoggerName() + " " + record.getMessage() + "\n";
            }
        };
        int handlers = 6;
        Files.write(dir.resolve("fh-5.log"), bytes("before the handler\n"));
        List<FileHandler> opened = new ArrayList<>();
        List<Logger> loggers = new ArrayList<>();
        for (int h = 0; h < handlers; h++) {
            FileHandler handler = h == 4 ? new FileHandler(dir + "/fh-4.%g.log", 4_000, 3)
                    : h == 5 ? new FileHandler(dir + "/fh-5.log", true) : new FileHandler(dir + "/fh-" + h + ".log");
            handler.setFormatter(plain);
            handler.setEncoding("UTF-8");
            Logger logger = Logger.getLogger("streams.handler" + h);
            logger.setUseParentHandlers(false);
            logger.setLevel(Level.ALL);
            logger.addHandler(handler);
            opened.add(handler);
            loggers.add(logger);
        }
        List<FileInputStream> others = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            others.add(new FileInputStream(file("in-" + i)));
        }
        long otherBytes = 0;
        for (int record = 0; record < 300; record++) {
            for (int h = 0; h < handlers; h++) {
                loggers.get(h).log(record % 5 == 0 ? Level.WARNING : Level.INFO, "record " + record + " \u00e9");
            }
            // every other stream used between two records: the handlers' streams are suspended
            for (int i = record % 4; i < n; i += 4) {
                otherBytes += others.get(i).skip(3) + others.get(i).read();
            }
        }
        closeAll(others);
        for (int h = 0; h < handlers; h++) {
            loggers.get(h).removeHandler(opened.get(h));
            opened.get(h).close();
        }
        out("handlers: other streams read", otherBytes);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files.filter(p -> p.getFileName().toString().startsWith("fh-")).sorted()
                    ::iterator) {
                byte[] b = Files.readAllBytes(p);
                out("handlers: " + p.getFileName(), b.length + " bytes, crc " + crc(b, b.length));
            }
        }
        out("handlers: fh-0.log ends with", printable(tail(Files.readAllBytes(dir.resolve("fh-0.log")), 40)));
        byte[] appended = Files.readAllBytes(dir.resolve("fh-5.log"));
        out("handlers: fh-5.log starts with", printable(Arrays.copyOf(appended, 40)));
    }

    // ---- the GC ----

    /**
     * Streams dropped without close while suspended (and others after a restore): the JDK's
     * cleanup of a collected stream closes the number it registered; that number may belong to
     * another file by then, opened after the suspension. Streams opened before and after each
     * collection must read and write their own files.
     */
    private static void unclosedStreamsCollectedByTheGcCloseNothingOfAnotherFile() throws Exception {
        int verified = 0;
        int rounds = 4;
        for (int round = 0; round < rounds; round++) {
            leak(round);
            List<FileOutputStream> outs = new ArrayList<>();
            List<FileInputStream> ins = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                outs.add(new FileOutputStream(file("kept-" + round + "-" + i)));
                outs.get(i).write(bytes("kept " + round + " " + i));
                ins.add(new FileInputStream(file("in-" + i)));
                ins.get(i).skip(i);
            }
            System.gc();
            Thread.sleep(100);
            byte[][] read = new byte[n][];
            for (int i = 0; i < n; i++) {
                outs.get(i).write(bytes(" after the gc"));
                read[i] = ins.get(i).readNBytes(20);
            }
            leak(round + rounds);
            System.gc();
            Thread.sleep(100);
            for (int i = 0; i < n; i++) {
                outs.get(i).write(bytes(" and after another"));
                read[i] = concat(read[i], ins.get(i).readNBytes(20));
            }
            closeAll(outs);
            closeAll(ins);
            for (int i = 0; i < n; i++) {
                byte[] want = content(i, 2_000 + (i % 7) * 300);
                boolean in = Arrays.equals(read[i], 0, 40, want, i, i + 40);
                boolean out = str(Files.readAllBytes(file("kept-" + round + "-" + i).toPath()))
                        .equals("kept " + round + " " + i + " after the gc and after another");
                verified += in && out ? 1 : 0;
            }
        }
        int leakedIntact = 0;
        for (int round = 0; round < 2 * rounds; round++) {
            for (int i = 0; i < n; i++) {
                String s = str(Files.readAllBytes(file("leak-" + round + "-" + i).toPath()));
                leakedIntact += s.equals("leaked " + round + " " + i + ";" + i) ? 1 : 0;
            }
        }
        out("gc: streams that read and wrote their own files", verified + " of " + rounds * n);
        out("gc: files of collected streams intact", leakedIntact + " of " + 2 * rounds * n);
    }

    /** Streams written and read, then dropped without close; most are suspended by the next ones. */
    private static void leak(int round) throws IOException {
        for (int i = 0; i < n; i++) {
            FileOutputStream out = new FileOutputStream(file("leak-" + round + "-" + i));
            out.write(bytes("leaked " + round + " " + i));
            FileInputStream in = new FileInputStream(file("in-" + i));
            in.skip(1);
            if (i % 2 == 0) {
                out.getChannel().position();
            }
            out.write(bytes(";" + i));
        }
    }

    // ---- not regular files ----

    /**
     * Devices, the kernel's pseudo-files, a named pipe and the standard output are never managed (a
     * reopen could not continue them): they keep their descriptor across a burst of other files, and
     * work. The agent does not count them either (its capacity leaves a margin of 4 descriptors for
     * what it does not manage), so this case holds at most 2 of them while other files fill it.
     */
    private static void nonRegularFilesAreNotManagedAndStillWork() throws Exception {
        Pressure pressure = new Pressure(dir, n);
        List<FileInputStream> zeros = List.of(new FileInputStream("/dev/zero"));
        FileInputStream status = new FileInputStream("/proc/self/status");
        FileOutputStream stdout = new FileOutputStream(FileDescriptor.out);
        byte[] start = status.readNBytes(5);
        int nonZero = 0;
        System.out.flush();
        for (int round = 0; round < 3; round++) {
            for (FileInputStream z : zeros) {
                for (byte b : z.readNBytes(1_000)) {
                    nonZero += b == 0 ? 0 : 1;
                }
            }
            try (FileOutputStream devNull = new FileOutputStream("/dev/null")) {
                devNull.write(new byte[100]);
            }
            stdout.write(bytes("written through FileDescriptor.out, round " + round + "\n"));
            stdout.flush();
            pressure.apply();
        }
        out("devices: /dev/zero descriptors held after the bursts", descriptorsOn("/dev/zero"));
        out("devices: /proc/self/status descriptors held after the bursts", descriptorsOn("/proc/" + ProcessHandle
                .current().pid() + "/status"));
        out("devices: non-zero bytes from /dev/zero", nonZero);
        String text = str(concat(start, status.readAllBytes()));
        out("devices: /proc/self/status read on where it stopped", text.startsWith("Name:") + " "
                + text.lines().filter(l -> l.startsWith("Pid:")).count() + " Pid line");
        PrintStream printed = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        printed.println("printed through a PrintStream on FileDescriptor.out");
        pressure.apply();
        printed.println("and again after a burst");
        closeAll(zeros);
        status.close();
        // stdout itself stays open: closing either stream would close it for System.out too

        // a named pipe: each end's open waits for the other's
        Path fifo = dir.resolve("fifo").toAbsolutePath();
        FileOutputStream[] writer = new FileOutputStream[1];
        Thread opener = new Thread(() -> {
            try {
                writer[0] = new FileOutputStream(fifo.toFile());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        opener.start();
        StringBuilder piped = new StringBuilder();
        try (FileInputStream reader = new FileInputStream(fifo.toFile())) {
            opener.join();
            for (int round = 0; round < 3; round++) {
                writer[0].write(bytes("message " + round + ";"));
                pressure.apply();
                // read(), not readNBytes: JDK 17.0.21's readNBytes asks a pipe for its position
                byte[] b = new byte[10];
                for (int k = 0; k < b.length; k++) {
                    b[k] = (byte) reader.read();
                }
                piped.append(str(b));
            }
            out("devices: fifo descriptors held after the bursts", descriptorsOn(fifo.toString()));
            writer[0].close();
            piped.append(" then ").append(reader.read());
        }
        out("devices: fifo", piped);

        // opens that fail fail as they do without the agent, with the same message
        for (String name : List.of("absent/child", "missing", ".")) {
            File f = file(name);
            out("devices: open for reading " + name, outcome(() -> new FileInputStream(f)));
            out("devices: open for writing " + name, outcome(() -> new FileOutputStream(f, name.equals("."))));
        }
    }

    /** How many of this process's descriptors are open on {@code target} (from /proc/self/fd). */
    private static int descriptorsOn(String target) throws IOException {
        int count = 0;
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    count += Files.readSymbolicLink(fd).toString().equals(target) ? 1 : 0;
                } catch (IOException gone) {
                    // the listing's own descriptor, closed meanwhile
                }
            }
        }
        return count;
    }

    // ---- helpers ----

    private interface Io {
        Object run() throws IOException;
    }

    /**
     * What an operation returned (a stream: only that it opened), or the class and message of what
     * it threw, without the work directory (which differs from run to run).
     */
    private static String outcome(Io io) {
        try {
            Object result = io.run();
            if (result instanceof java.io.Closeable) {
                ((java.io.Closeable) result).close();
                return "opened";
            }
            return String.valueOf(result);
        } catch (IOException e) {
            return e.getClass().getSimpleName() + " " + String.valueOf(e.getMessage()).replace(dir.toString(), "<dir>");
        }
    }

    /** Prints whether every file holds what was written to it; the first wrong ones in full. */
    private static void checkContents(String name, StringBuilder[] expected) throws IOException {
        int right = 0;
        int shown = 0;
        CRC32 all = new CRC32();
        for (int i = 0; i < expected.length; i++) {
            byte[] got = Files.readAllBytes(file(name + "-" + i).toPath());
            all.update(got);
            if (str(got).equals(expected[i].toString())) {
                right++;
            } else if (shown++ < 3) {
                out(name + ": file " + i + " holds", printable(got));
                out(name + ": file " + i + " should hold", printable(bytes(expected[i].toString())));
            }
        }
        out(name + ": files as written", right + " of " + expected.length);
        byte[] first = Files.readAllBytes(file(name + "-0").toPath());
        out(name + ": file 0 begins", printable(Arrays.copyOf(first, Math.min(first.length, 80))));
        out(name + ": crc of every file", all.getValue());
    }

    private static long crcOfFiles(String prefix) throws IOException {
        CRC32 all = new CRC32();
        for (int i = 0; i < n; i++) {
            all.update(Files.readAllBytes(file(prefix + i).toPath()));
        }
        return all.getValue();
    }

    private static long crcOf(StringBuilder[] results) {
        CRC32 c = new CRC32();
        for (StringBuilder r : results) {
            c.update(r.toString().getBytes(StandardCharsets.UTF_8));
        }
        return c.getValue();
    }

    private static void closeAll(List<? extends java.io.Closeable> all) throws IOException {
        for (java.io.Closeable c : all) {
            c.close();
        }
    }

    private static File file(String name) {
        return dir.resolve(name).toFile();
    }

    /** {@code length} bytes that differ from file to file and from offset to offset. */
    private static byte[] content(int seed, int length) {
        byte[] b = new byte[length];
        for (int k = 0; k < length; k++) {
            b[k] = (byte) (seed * 31 + k * 7 + (k >> 8));
        }
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static byte[] tail(byte[] b, int n) {
        return Arrays.copyOfRange(b, Math.max(0, b.length - n), b.length);
    }

    private static long crc(byte[] b, int length) {
        CRC32 c = new CRC32();
        c.update(b, 0, Math.max(0, length));
        return c.getValue();
    }

    private static long crc(byte[] b) {
        return crc(b, b.length);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Bytes as ASCII text, every other byte (a newline, a zero, UTF-8) as {@code \xNN}. */
    private static String printable(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            if (x >= 0x20 && x < 0x7f && x != '\\') {
                s.append((char) x);
            } else {
                s.append(String.format("\\x%02x", x & 0xff));
            }
        }
        return s.toString();
    }

    private static String str(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static void out(String what, Object value) {
        System.out.println(what + ": " + value);
    }
}
