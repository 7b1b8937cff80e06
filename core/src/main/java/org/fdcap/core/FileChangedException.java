package org.fdcap.core;

import java.io.IOException;

/**
 * A suspended handle could not be restored because its path no longer leads to the file it was
 * opened on: the file was deleted, or replaced by another file, behind the tracker's back. The
 * handle stays suspended; every later {@link FsHandle#acquire()} fails the same way until it is
 * closed. No data of another file was read or written.
 */
public class FileChangedException extends IOException {
    private static final long serialVersionUID = 1L;

    public FileChangedException(String message) {
        super(message);
    }
}
