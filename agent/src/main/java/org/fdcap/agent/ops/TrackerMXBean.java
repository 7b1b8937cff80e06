package org.fdcap.agent.ops;

/**
 * The agent's tracker as seen over JMX, registered as {@code org.fdcap:type=Tracker} in the
 * platform MBean server. An MXBean: every attribute is a plain number or string, so a remote
 * client (jconsole, VisualVM, {@code java -jar fdcap-agent.jar status}) needs no fdcap class.
 *
 * <p>Counters only grow, from 0 when the agent's start-up ends; gauges describe the moment they
 * are read. Attributes are read one after the other, not as one atomic snapshot. Each attribute
 * has the name of its number in the stats line ({@code fdcap.stats}), lowercased.
 */
public interface TrackerMXBean {
    /** The most descriptors the tracker lets be open at once (the cap less what it does not manage). */
    int getCapacity();

    /**
     * Descriptors counted against the capacity now: {@link #getOpen()} + {@link #getUnsuspendable()}
     * + {@link #getAnchors()}.
     */
    int getActive();

    /** Managed files holding a descriptor now. */
    int getOpen();

    /** Managed files whose descriptor is closed now (to be restored on next use). */
    int getSuspended();

    /** Managed files in use (inside a read, write, ...) or pinned for good (a stream built on getFD()) now. */
    int getPinned();

    /** Descriptors counted against the capacity that fdcap cannot suspend, now. */
    int getUnsuspendable();

    /**
     * Descriptors held open now for a lasting reason, not for the moment of an operation: the sum
     * of {@link #getEscaped()}, {@link #getLocked()}, {@link #getDeleted()} and {@link #getAnchors()}.
     * An open that needs room never waits for these.
     */
    int getHeld();

    /** Managed files pinned for good now: their descriptor went into a stream (or getFD() with fdcap.getfd=pin). */
    int getEscaped();

    /** Managed files open now on files this process holds a lock on (closing any would drop the lock). */
    int getLocked();

    /** Managed files open now on files deleted by another process, kept open (nothing could reopen them). */
    int getDeleted();

    /** Descriptors fdcap keeps on files the program deleted or replaced while they were open, one per file. */
    int getAnchors();

    /** Operations on managed files (each pins its file once). */
    long getUses();

    /** Restores: uses that found their file suspended and reopened it (failed attempts included). */
    long getRestores();

    /** Descriptors closed to make room. */
    long getSuspensions();

    /**
     * Of the {@link #getSuspensions()}, those made ahead of need by the background thread that keeps
     * {@code fdcap.spare} descriptors free (the others were made by a program thread that needed the room).
     */
    long getAhead();

    /** Failed restores and failed suspensions (a suspension refused for a good reason is not an error). */
    long getErrors();

    /**
     * Times the cap was exceeded by an adoption with no room (the agent reserves room before each
     * open, so this stays 0; kept for library trackers that adopt without).
     */
    long getOvershoots();

    /** The last error counted in {@link #getErrors()}, or an empty string. */
    String getLastError();

    /** Every managed file, open ones from the least recently used, then suspended and pinned ones. */
    String describe();
}
