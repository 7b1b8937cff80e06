package org.fdcap.agent.ops;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR event {@code org.fdcap.Suspend}: fdcap closed a managed file's descriptor to make room.
 * Off unless a recording enables it (see docs/operations.md).
 */
@Name("org.fdcap.Suspend")
@Label("fdcap Suspend")
@Category("fdcap")
@Description("A managed file's descriptor was closed to make room; the file is reopened on its next use")
@Enabled(false)
@StackTrace(false)
public final class SuspendEvent extends Event {
    @Label("Path")
    @Description("The file whose descriptor was closed")
    String path;

    @Label("Reason")
    @Description("open: room for a file being opened; restore: room to restore another file;"
            + " os-limit: the OS refused an open (EMFILE/ENFILE)")
    String reason;

    @Label("Descriptor")
    @Description("The descriptor number that was closed")
    int fd;
}
