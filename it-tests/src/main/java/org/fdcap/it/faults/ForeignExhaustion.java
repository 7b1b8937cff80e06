package org.fdcap.it.faults;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Descriptors the agent cannot see take everything: with files open, the program opens pipes and
 * socket pairs until the OS says "Too many open files" (or a bound), keeps them all, and then
 * goes on using its files and opening new ones. Under the agent the tracker's count says there
 * is room, the OS says there is none: the agent must suspend its own descriptors and retry, so
 * that the program proceeds. Prints CRCs only (not how many pipes fitted).
 *
 * <p>Usage: {@code ForeignExhaustion dir files maxForeign}
 */
public final class ForeignExhaustion {
    private ForeignExhaustion() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        int n = Integer.parseInt(args[1]);
        int maxForeign = Integer.parseInt(args[2]);
        RandomAccessFile[] rafs = new RandomAccessFile[n];
        FileChannel[] channels = new FileChannel[n];
        for (int i = 0; i < n; i++) {
            rafs[i] = new RandomAccessFile(dir.resolve("raf" + i).toFile(), "rw");
            rafs[i].write(("raf " + i + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            channels[i] = FileChannel.open(dir.resolve("ch" + i), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            channels[i].write(ByteBuffer.wrap(("ch " + i + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        }
        List<AutoCloseable> foreign = new ArrayList<>();
        boolean exhausted = false;
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            while (foreign.size() < maxForeign) {
                try {
                    Pipe p = Pipe.open();
                    foreign.add(p.source());
                    foreign.add(p.sink());
                    SocketChannel client = SocketChannel.open(server.getLocalAddress());
                    foreign.add(client);
                    foreign.add(server.accept());
                } catch (IOException e) {
                    if (!String.valueOf(e.getMessage()).contains("Too many open files")) {
                        throw e;
                    }
                    exhausted = true;
                    break;
                }
            }
            System.err.println("foreign descriptors: " + foreign.size() + (exhausted ? " (exhausted)" : ""));
            // The program goes on: its files, new files, with every foreign descriptor still held.
            CRC32 crc = new CRC32();
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < n; i++) {
                    rafs[i].seek(0);
                    crc.update(rafs[i].readLine().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    ByteBuffer b = ByteBuffer.allocate(64);
                    channels[i].read(b, 0);
                    crc.update(b.array(), 0, b.position());
                    channels[i].write(ByteBuffer.wrap(new byte[] {(byte) round}));
                }
            }
            for (int i = 0; i < n; i++) {
                Path extra = dir.resolve("extra" + i);
                Files.write(extra, new byte[] {(byte) i, 1, 2});
                crc.update(Files.readAllBytes(extra));
                try (RandomAccessFile r = new RandomAccessFile(extra.toFile(), "r")) {
                    crc.update(r.read());
                }
            }
            System.out.println("crc " + crc.getValue());
        } finally {
            for (AutoCloseable c : foreign) {
                c.close();
            }
        }
        for (int i = 0; i < n; i++) {
            rafs[i].close();
            channels[i].close();
        }
        System.out.println("done");
    }
}
