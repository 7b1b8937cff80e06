package org.fdcap.agent.ops;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leak report of {@code fdcap.leaks=true}: where each managed file was opened (a stack
 * captured at open, only when this is on), a report line as soon as the GC collects a file object
 * that was never closed, and at exit the list of managed files still open, each with its opening
 * stack. Everything goes to the agent's log (stderr unless {@code fdcap.log.file}), at WARN, on
 * the logger {@code fdcap.leaks}, whatever {@code fdcap.log.level} says.
 */
public final class LeakLog {
    private static final Logger LOG = LoggerFactory.getLogger("fdcap.leaks");
    private final AtomicLong collected = new AtomicLong();

    /** A managed file still open: its path, its opening stack (null if opened before fdcap started), its state. */
    public record OpenFile(String path, Throwable openedAt, boolean suspended) {
    }

    public LeakLog() {
        Operations.alwaysLogged(LOG);
    }

    /** The stack of the open in progress, to keep with the file. */
    public Throwable openedHere() {
        return new Throwable("opened here");
    }

    /** A file object was garbage-collected without close(); reports it now. */
    public void collected(String path, Throwable openedAt) {
        collected.incrementAndGet();
        LOG.warn("leak: {} was garbage-collected without close(); {}", path, where(openedAt));
    }

    /**
     * The exit report: every file still open, with its opening stack. Zip and jar files opened by
     * {@code ZipFile} are left out: class loaders keep theirs open for the JVM's whole life.
     */
    public void report(List<OpenFile> stillOpen) {
        List<OpenFile> open = new java.util.ArrayList<>();
        for (OpenFile f : stillOpen) {
            if (!openedByZipFile(f.openedAt())) {
                open.add(f);
            }
        }
        StringBuilder sb = new StringBuilder("leak report: ");
        if (open.isEmpty()) {
            sb.append("no managed file left open");
        } else {
            sb.append(open.size()).append(" managed file(s) never closed");
        }
        sb.append("; ").append(collected.get()).append(" garbage-collected without close() (reported when collected)");
        for (OpenFile f : open) {
            sb.append("\n  leak: ").append(f.path()).append(f.suspended() ? " [suspended]" : " [open]").append("; ")
                    .append(where(f.openedAt()));
        }
        LOG.warn("{}", sb);
    }

    private static boolean openedByZipFile(Throwable openedAt) {
        if (openedAt != null) {
            for (StackTraceElement e : openedAt.getStackTrace()) {
                if (e.getClassName().equals("java.util.zip.ZipFile$Source")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** "opened at:" and the stack without fdcap's own frames. */
    static String where(Throwable openedAt) {
        if (openedAt == null) {
            return "opened before fdcap started (no stack)";
        }
        StringBuilder sb = new StringBuilder("opened at:");
        for (StackTraceElement e : openedAt.getStackTrace()) {
            if (e.getClassName().startsWith("org.fdcap.agent.")) {
                continue;
            }
            sb.append("\n      at ").append(e);
        }
        return sb.toString();
    }
}
