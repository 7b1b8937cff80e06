package org.fdcap.core;

import java.io.File;
import java.io.InputStream;
import java.io.PrintStream;
import jnr.constants.platform.Errno;
import jnr.posix.POSIXHandler;

/**
 * A jnr-posix error handler that never prints and never throws for errors: callers check return
 * values and errno themselves, once. jnr-posix calls it only from convenience methods. Used by
 * {@link SystemCalls#jnrPosix()}, and public for tests and benchmarks that call jnr-posix beside it.
 */
public final class SilentPosixHandler implements POSIXHandler {
    @Override
    public void error(Errno error, String extraData) {
    }

    @Override
    public void error(Errno error, String methodName, String extraData) {
    }

    @Override
    public void unimplementedError(String methodName) {
        throw new UnsupportedOperationException(methodName + " is not available on this platform");
    }

    @Override
    public void warn(WARNING_ID id, String message, Object... data) {
    }

    @Override
    public boolean isVerbose() {
        return false;
    }

    @Override
    public File getCurrentWorkingDirectory() {
        return new File(System.getProperty("user.dir"));
    }

    @Override
    public String[] getEnv() {
        return new String[0];
    }

    @Override
    public InputStream getInputStream() {
        return System.in;
    }

    @Override
    public PrintStream getOutputStream() {
        return System.out;
    }

    @Override
    public int getPID() {
        return (int) ProcessHandle.current().pid();
    }

    @Override
    public PrintStream getErrorStream() {
        return System.err;
    }
}
