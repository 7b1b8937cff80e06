package org.fdcap.core;

/**
 * A delete or rename the program is making of a name that may lead to a tracked file, announced
 * before it happens ({@link FdTracker#beforeRemove}, {@link FdTracker#beforeRename}) so that the
 * file's handles stay on the same data, suspended or not, exactly as open descriptors would.
 *
 * <p>Between the announcement and {@link #done()} no handle of the file is suspended, and a
 * restore that finds no file at its name waits for {@code done()} before it looks again.
 */
public interface NameChange {
    /** For a name that leads to no tracked file: nothing to do. */
    NameChange NONE = new NameChange() { // not a lambda: this runs while the program starts
        @Override
        public void done() {
        }
    };

    /**
     * The change is over, done or failed: the tracker looks at what the names lead to now and
     * follows (a renamed file is reopened by its new name; a file whose last known name is gone is
     * kept reachable, through the unlinked-file pool or one descriptor of its own), or undoes what
     * it prepared. Call it exactly once, however the change ended; it never throws.
     */
    void done();
}
