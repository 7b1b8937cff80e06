package org.fdcap.core;

import java.util.List;

/**
 * What was still tracked when a tracker was destroyed: handles never closed and unsuspendable
 * descriptors never untracked. Empty when the tracker's users cleaned up after themselves.
 *
 * @param handles the handles still open or suspended
 * @param unsuspendables the unsuspendable descriptors still tracked
 */
public record LeakReport(List<LeakedHandle> handles, List<LeakedFd> unsuspendables) {

    public LeakReport {
        handles = List.copyOf(handles);
        unsuspendables = List.copyOf(unsuspendables);
    }

    /** A handle never closed. {@code openedAt} is {@code null} unless leak tracing was on. */
    public record LeakedHandle(String path, String state, int pins, Throwable openedAt) {
    }

    /** An unsuspendable descriptor never untracked, with the name it was registered under. */
    public record LeakedFd(int fd, String name, Throwable openedAt) {
    }

    public boolean isEmpty() {
        return handles.isEmpty() && unsuspendables.isEmpty();
    }

    /** One line per leak, with the opening stack under it when it was recorded. */
    @Override
    public String toString() {
        if (isEmpty()) {
            return "no leaks";
        }
        StringBuilder sb = new StringBuilder();
        sb.append(handles.size()).append(" handle(s) and ").append(unsuspendables.size())
                .append(" unsuspendable descriptor(s) still tracked");
        for (LeakedHandle h : handles) {
            sb.append("\n  ").append(h.path()).append(" [").append(h.state());
            if (h.pins() > 0) {
                sb.append(", pinned ").append(h.pins());
            }
            sb.append(']');
            appendStack(sb, h.openedAt());
        }
        for (LeakedFd f : unsuspendables) {
            sb.append("\n  ").append(f.name()).append(" [unsuspendable, fd ").append(f.fd()).append(']');
            appendStack(sb, f.openedAt());
        }
        return sb.toString();
    }

    private static void appendStack(StringBuilder sb, Throwable openedAt) {
        if (openedAt == null) {
            return;
        }
        for (StackTraceElement e : openedAt.getStackTrace()) {
            sb.append("\n      at ").append(e);
        }
    }
}
