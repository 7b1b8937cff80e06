package org.fdcap.agent.managed;


import java.io.FileDescriptor;
import java.lang.ref.ReferenceQueue;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.fdcap.agent.jdk.NativeCalls;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManagedTableTest {
    private final ReferenceQueue<FileDescriptor> queue = new ReferenceQueue<>();

    private ManagedFd record(FileDescriptor fdo, long ino) {
        return new ManagedFd(fdo, queue, new NativeCalls.FdInfo(0, 1, ino, true), true);
    }

    @Test
    void findsEveryRecordByItsDescriptorObjectAndNothingElse() {
        ManagedTable table = new ManagedTable();
        List<FileDescriptor> fdos = new ArrayList<>();
        List<ManagedFd> records = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            FileDescriptor fdo = new FileDescriptor();
            fdos.add(fdo);
            records.add(record(fdo, i));
            table.add(records.get(i));
        }

        for (int i = 0; i < fdos.size(); i++) {
            assertSame(records.get(i), table.get(fdos.get(i)));
        }
        assertNull(table.get(new FileDescriptor()));
        assertEquals(5_000, table.size());
    }

    @Test
    void removedRecordsAreGoneAndTheOthersStillFoundAcrossRebuilds() {
        ManagedTable table = new ManagedTable();
        List<FileDescriptor> fdos = new ArrayList<>();
        List<ManagedFd> records = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < 500; i++) {
                FileDescriptor fdo = new FileDescriptor();
                ManagedFd m = record(fdo, fdos.size());
                fdos.add(fdo);
                records.add(m);
                table.add(m);
            }
            // remove every other live record: their slots are reused by the next round's records
            for (int i = round * 500; i < records.size(); i += 2) {
                if (records.get(i) != null) {
                    assertTrue(table.remove(records.get(i)));
                    assertFalse(table.remove(records.get(i)));
                    records.set(i, null);
                }
            }
        }

        int live = 0;
        for (int i = 0; i < fdos.size(); i++) {
            if (records.get(i) == null) {
                assertNull(table.get(fdos.get(i)));
            } else {
                assertSame(records.get(i), table.get(fdos.get(i)));
                live++;
            }
        }
        assertEquals(live, table.size());
        AtomicInteger seen = new AtomicInteger();
        table.forEach(m -> seen.incrementAndGet());
        assertEquals(live, seen.get());
    }

    @Test
    void theIndexLivesInTheDescriptorObjectUntilTheRecordIsRemoved() throws Exception {
        ManagedTable table = new ManagedTable();
        FileDescriptor fdo = new FileDescriptor();
        ManagedFd m = record(fdo, 1);
        assertEquals(-1, handleOf(fdo));

        table.add(m);
        assertEquals(m.index, handleOf(fdo));
        assertTrue(m.index >= 0);

        assertTrue(table.remove(m));
        assertEquals(-1, handleOf(fdo), "the JDK's value is back: valid() and the native cleanup see what they expect");
        assertEquals(-1, m.index);
        assertNull(table.get(fdo));
    }

    @Test
    void anIndexThatLeadsToAnotherObjectsRecordFindsNothing() throws Exception {
        ManagedTable table = new ManagedTable();
        FileDescriptor mine = new FileDescriptor();
        FileDescriptor stranger = new FileDescriptor();
        ManagedFd m = record(mine, 1);
        table.add(m);
        handleField().setLong(stranger, m.index); // a copied or stale index
        assertNull(table.get(stranger));
        handleField().setLong(stranger, 1L << 40); // past the array, and past any int
        assertNull(table.get(stranger));

        // A removed record's slot goes to the next record: an object still holding the old index
        // (written back behind the table's back here) does not find it.
        int slot = m.index;
        table.remove(m);
        FileDescriptor next = new FileDescriptor();
        ManagedFd n = record(next, 2);
        table.add(n);
        assertEquals(slot, n.index);
        handleField().setLong(mine, slot);
        assertNull(table.get(mine));
        assertSame(n, table.get(next));
    }

    @Test
    void addingAnObjectTwiceIsRefused() {
        ManagedTable table = new ManagedTable();
        ManagedFd m = record(new FileDescriptor(), 1);
        table.add(m);
        assertThrows(IllegalArgumentException.class, () -> table.add(m));
        assertEquals(1, table.size());
    }

    private static Field handleField() throws NoSuchFieldException {
        Field f = FileDescriptor.class.getDeclaredField("handle");
        f.setAccessible(true);
        return f;
    }

    private static long handleOf(FileDescriptor fdo) throws Exception {
        return handleField().getLong(fdo);
    }

    @Test
    void aRecordKnowsItsFileByDeviceAndInode() {
        ManagedFd m = record(new FileDescriptor(), 42);

        assertTrue(m.isFile(1, 42));
        assertFalse(m.isFile(1, 43));
        assertFalse(m.isFile(2, 42));
    }
}
