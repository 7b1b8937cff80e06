package org.fdcap.core;

import java.io.IOException;

/**
 * The tracker could not make room for another descriptor: every open descriptor it could close
 * is in use (pinned), unsuspendable, or could not be suspended. The tracker's equivalent of
 * {@code EMFILE}. Nothing was opened, and no count changed.
 */
public class TooManyOpenFilesException extends IOException {
    private static final long serialVersionUID = 1L;

    public TooManyOpenFilesException(String message) {
        super(message);
    }
}
