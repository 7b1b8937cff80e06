package org.fdcap.agent;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/**
 * The managed descriptors by {@link FileDescriptor} identity: an open-addressing table (linear
 * probing) of the {@link ManagedFd} records themselves, each a weak reference to its descriptor
 * object that carries the object's identity hash. One slot (4 bytes, at most half the table in
 * use) per managed descriptor, where a {@code ConcurrentHashMap} would add a 32-byte node: there
 * may be hundreds of thousands of them.
 *
 * <p>Lookups take no lock: they read the published array with acquire semantics, and a removed
 * record leaves a tombstone, never a gap, so a lookup never stops short of a record that is
 * there. Changes take the table's lock; the array is rebuilt (without tombstones) when it is
 * half full, and published. A lookup racing with a change may see the table before or after it,
 * as with a concurrent map; a record found after its removal is already marked closing.
 */
final class ManagedTable {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final Object TOMBSTONE = new Object();
    private static final int MIN_CAPACITY = 16;

    private volatile Object[] slots = new Object[MIN_CAPACITY];
    private volatile int size;
    /** Guarded by {@code this}. */
    private int tombstones;

    /** The record of {@code fdo}, or null when it is not managed. */
    ManagedFd get(FileDescriptor fdo) {
        int h = System.identityHashCode(fdo);
        Object[] t = slots;
        int mask = t.length - 1;
        for (int i = spread(h) & mask;; i = (i + 1) & mask) {
            Object e = SLOT.getAcquire(t, i);
            if (e == null) {
                return null;
            }
            if (e != TOMBSTONE) {
                ManagedFd m = (ManagedFd) e;
                if (m.hash == h && m.get() == fdo) {
                    return m;
                }
            }
        }
    }

    /** Adds {@code m} (its descriptor object must not be in the table). */
    synchronized void add(ManagedFd m) {
        if ((size + tombstones + 1) * 2 > slots.length) {
            rebuild();
        }
        Object[] t = slots;
        int mask = t.length - 1;
        int free = -1;
        int i = spread(m.hash) & mask;
        for (Object e; (e = t[i]) != null; i = (i + 1) & mask) {
            if (e == TOMBSTONE && free < 0) {
                free = i;
            }
        }
        if (free >= 0) {
            tombstones--;
            i = free;
        }
        SLOT.setRelease(t, i, m);
        size++;
    }

    /** Removes exactly {@code m}; false when it was not in the table. */
    synchronized boolean remove(ManagedFd m) {
        Object[] t = slots;
        int mask = t.length - 1;
        for (int i = spread(m.hash) & mask;; i = (i + 1) & mask) {
            Object e = t[i];
            if (e == null) {
                return false;
            }
            if (e == m) {
                SLOT.setRelease(t, i, TOMBSTONE);
                size--;
                tombstones++;
                return true;
            }
        }
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Calls {@code action} on every record in the table now (weakly consistent, as a concurrent map's). */
    void forEach(Consumer<ManagedFd> action) {
        Object[] t = slots;
        for (int i = 0; i < t.length; i++) {
            Object e = SLOT.getAcquire(t, i);
            if (e != null && e != TOMBSTONE) {
                action.accept((ManagedFd) e);
            }
        }
    }

    /** A new array, at most a third full, with every record and no tombstone; then published. */
    private void rebuild() {
        int capacity = MIN_CAPACITY;
        while (capacity < (size + 1) * 3) {
            capacity <<= 1;
        }
        Object[] old = slots;
        Object[] t = new Object[capacity];
        int mask = capacity - 1;
        for (Object e : old) {
            if (e != null && e != TOMBSTONE) {
                int i = spread(((ManagedFd) e).hash) & mask;
                while (t[i] != null) {
                    i = (i + 1) & mask;
                }
                t[i] = e;
            }
        }
        tombstones = 0;
        slots = t; // volatile write: the records in t are visible to whoever reads the new array
    }

    private static int spread(int h) {
        int p = h * 0x9E3779B9;
        return p ^ (p >>> 16);
    }
}
