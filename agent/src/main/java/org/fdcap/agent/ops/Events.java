package org.fdcap.agent.ops;

/**
 * Emits the JFR events {@link SuspendEvent} and {@link RestoreEvent}. Nothing is allocated unless
 * a recording enables them: a shared probe instance answers {@code isEnabled()} (which reads the
 * event type's static configuration, not the instance) before any event object is created. When
 * the {@code jdk.jfr} module is absent (a jlinked runtime) both stay off.
 *
 * <p>Called on the suspend and restore paths, which must not load classes: the event classes are
 * loaded when Flight Recorder initializes (before its first recording starts, on the thread that
 * starts it), or at once if it already has. Loading them registers them with Flight Recorder,
 * which costs a tenth of the agent's start-up; a program that never records does not pay it.
 */
public final class Events {
    private static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.jfr").isPresent();
    /** Set once the event classes are loaded and registered. */
    private static volatile boolean ready;

    private Events() {
    }

    /** Whether a recording wants {@code org.fdcap.Suspend} now. */
    public static boolean suspendEnabled() {
        return ready && Probes.SUSPEND.isEnabled();
    }

    /** Whether a recording wants {@code org.fdcap.Restore} now. */
    public static boolean restoreEnabled() {
        return ready && Probes.RESTORE.isEnabled();
    }

    /** Starts timing a suspension; call only when {@link #suspendEnabled()}. */
    public static Object beginSuspend() {
        SuspendEvent e = new SuspendEvent();
        e.begin();
        return e;
    }

    /** Records the suspension begun by {@link #beginSuspend()}. */
    public static void commitSuspend(Object started, String path, String reason, int fd) {
        SuspendEvent e = (SuspendEvent) started;
        e.end();
        if (e.shouldCommit()) {
            e.path = path;
            e.reason = reason;
            e.fd = fd;
            e.commit();
        }
    }

    /** Starts timing a restore; call only when {@link #restoreEnabled()}. */
    public static Object beginRestore() {
        RestoreEvent e = new RestoreEvent();
        e.begin();
        return e;
    }

    /** Records the restore begun by {@link #beginRestore()}. */
    public static void commitRestore(Object started, String path, String reason, int fd) {
        RestoreEvent e = (RestoreEvent) started;
        e.end();
        if (e.shouldCommit()) {
            e.path = path;
            e.reason = reason;
            e.fd = fd;
            e.commit();
        }
    }

    /**
     * Loads (and so registers) the event classes when Flight Recorder initializes, or now if it
     * has; call once before the agent goes live.
     */
    public static void load() {
        if (AVAILABLE) {
            Registration.watch();
        }
    }

    /** Only loaded when jdk.jfr is present. */
    private static final class Registration implements jdk.jfr.FlightRecorderListener {
        static void watch() {
            // Calls recorderInitialized at once when Flight Recorder is already up.
            jdk.jfr.FlightRecorder.addListener(new Registration());
        }

        @Override
        public void recorderInitialized(jdk.jfr.FlightRecorder recorder) {
            if (!ready) {
                Probes.SUSPEND.isEnabled();
                Probes.RESTORE.isEnabled();
                ready = true;
            }
        }
    }

    /** Only initialized when jdk.jfr is present. */
    private static final class Probes {
        static final SuspendEvent SUSPEND = new SuspendEvent();
        static final RestoreEvent RESTORE = new RestoreEvent();
    }
}
