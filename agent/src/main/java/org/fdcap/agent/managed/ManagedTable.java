package org.fdcap.agent.managed;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The managed descriptors by {@link FileDescriptor}: a dense array of the {@link ManagedFd}
 * records, each found through an index the table writes into its descriptor object's
 * {@code handle} field. That field holds a Windows HANDLE; on Linux the JDK keeps it at -1 and
 * never reads it but in {@code valid()} (whose advice answers from the number alone) and to pass
 * it, unused, to the native cleanup. A lookup is then one read of the object the caller is about
 * to use anyway, and one array element: no identity hash, no probing, and the records sit close
 * together (4 bytes each, with up to twice the room), where an identity-hashed table spread them
 * over a table kept at most half full, a cache line per lookup that was rarely in the cache.
 *
 * <p>Lookups take no lock: they read the index with acquire semantics, then the published array;
 * the index is written after the record and the array it is in, so a lookup that sees an index
 * finds its record. The record's weak reference must lead back to the very object asked about:
 * an index from elsewhere (a record removed and its slot reused, a value not ours) finds nothing.
 * Changes take the table's lock. A lookup racing with a change may see the table before or after
 * it, as with a concurrent map; a record found after its removal is already marked closing.
 */
public final class ManagedTable {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(ManagedFd[].class);
    private static final int MIN_CAPACITY = 16;
    /** What the JDK keeps in {@code FileDescriptor.handle} on Linux, and what a removal puts back. */
    private static final long NO_INDEX = -1;

    private volatile ManagedFd[] slots = new ManagedFd[MIN_CAPACITY];
    private volatile int size;
    /** Guarded by {@code this}: slots freed by removals (a stack), and the first never used. */
    private int[] free = new int[0];
    private int freeCount;
    private int unused;

    /** The record of {@code fdo}, or null when it is not managed. */
    ManagedFd get(FileDescriptor fdo) {
        long i = (long) Handle.FIELD.getAcquire(fdo);
        ManagedFd[] t = slots;
        if (i >= 0 && i < t.length) {
            ManagedFd m = (ManagedFd) SLOT.getAcquire(t, (int) i);
            // refersTo, not get() ==: no keep-alive barrier for a referent only compared.
            if (m != null && m.refersTo(fdo)) {
                return m;
            }
        }
        return null;
    }

    /** Adds {@code m} (its descriptor object must not be in the table, and must not be collected). */
    synchronized void add(ManagedFd m) {
        FileDescriptor fdo = m.get();
        if (fdo == null || m.index >= 0) {
            throw new IllegalArgumentException("a collected or already added descriptor object");
        }
        int i = freeCount > 0 ? free[--freeCount] : unused++;
        ManagedFd[] t = slots;
        if (i >= t.length) {
            t = Arrays.copyOf(t, t.length * 2);
            slots = t; // volatile write: published before any index into it
        }
        m.index = i;
        SLOT.setRelease(t, i, m);
        Handle.FIELD.setRelease(fdo, (long) i);
        size++;
    }

    /** Removes exactly {@code m}; false when it was not in the table. */
    synchronized boolean remove(ManagedFd m) {
        int i = m.index;
        ManagedFd[] t = slots;
        if (i < 0 || t[i] != m) {
            return false;
        }
        SLOT.setRelease(t, i, null);
        m.index = -1;
        FileDescriptor fdo = m.get();
        if (fdo != null) {
            Handle.FIELD.compareAndSet(fdo, (long) i, NO_INDEX);
        }
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, Math.max(16, free.length * 2));
        }
        free[freeCount++] = i;
        size--;
        return true;
    }

    /**
     * Makes sure this JDK's {@code FileDescriptor} has the field the index is kept in; called as
     * the agent starts (after {@code java.io} is opened to it), so that a JDK without it means no
     * agent, not failing lookups in the middle of the program's file operations.
     */
    public static void requireIndexField() {
        Handle.FIELD.getClass();
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Calls {@code action} on every record in the table now (weakly consistent, as a concurrent map's). */
    void forEach(Consumer<ManagedFd> action) {
        ManagedFd[] t = slots;
        for (int i = 0; i < t.length; i++) {
            ManagedFd m = (ManagedFd) SLOT.getAcquire(t, i);
            if (m != null) {
                action.accept(m);
            }
        }
    }

    /** {@code FileDescriptor.handle}, opened to the agent by {@link JdkAccess#open} (or by the tests' JVM options). */
    private static final class Handle {
        static final VarHandle FIELD;

        static {
            try {
                FIELD = MethodHandles.privateLookupIn(FileDescriptor.class, MethodHandles.lookup())
                        .findVarHandle(FileDescriptor.class, "handle", long.class);
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new ExceptionInInitializerError("java.io.FileDescriptor has no accessible long field 'handle',"
                        + " where fdcap keeps its index: " + e);
            }
        }
    }
}
