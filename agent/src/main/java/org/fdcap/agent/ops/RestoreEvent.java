package org.fdcap.agent.ops;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR event {@code org.fdcap.Restore}: a suspended file was reopened (same file, same offset)
 * because the program used it. Its duration covers making room, reopening, the identity check and
 * the seek. Off unless a recording enables it.
 */
@Name("org.fdcap.Restore")
@Label("fdcap Restore")
@Category("fdcap")
@Description("A suspended file was reopened at its offset because the program used it")
@Enabled(false)
@StackTrace(false)
public final class RestoreEvent extends Event {
    @Label("Path")
    @Description("The file reopened")
    String path;

    @Label("Reason")
    @Description("use: an operation on the file; close: restored so that the JDK's close runs unchanged")
    String reason;

    @Label("Descriptor")
    @Description("The new descriptor number")
    int fd;
}
