package org.fdcap.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.isMethod;
import static net.bytebuddy.matcher.ElementMatchers.isNative;
import static net.bytebuddy.matcher.ElementMatchers.isPrivate;
import static net.bytebuddy.matcher.ElementMatchers.isPublic;
import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.none;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;
import static net.bytebuddy.matcher.ElementMatchers.takesNoArguments;

import java.io.File;
import java.io.FileDescriptor;
import java.io.RandomAccessFile;
import java.lang.instrument.ClassFileTransformer;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * The one place that says what is instrumented:
 *
 * <table>
 *   <caption>instrumented JDK types</caption>
 *   <tr><th>type</th><th>methods</th><th>advice</th></tr>
 *   <tr><td>{@code java.io.RandomAccessFile}</td><td>private {@code open(String,int)}</td><td>make room
 *       before, register the descriptor after</td></tr>
 *   <tr><td></td><td>every public non-native instance method but close/getFD/getChannel/seek</td><td>restore + pin / unpin</td></tr>
 *   <tr><td></td><td>{@code seek(long)}</td><td>suspended: move the saved offset, skip the body;
 *       else restore + pin / unpin</td></tr>
 *   <tr><td></td><td>private {@code open(String,int)} failing with EMFILE</td><td>suspend some, retry</td></tr>
 *   <tr><td></td><td>{@code close()}</td><td>restore + pin / forget</td></tr>
 *   <tr><td></td><td>{@code getFD()}</td><td>with {@code fdcap.getfd=pin}: pin for good (the object
 *       escapes); by default nothing: the object is followed (below)</td></tr>
 *   <tr><td>{@code sun.nio.ch.FileChannelImpl}</td><td colspan="2">(registered where opened, below; a
 *       channel from {@code getChannel()} shares its file's descriptor)</td></tr>
 *   <tr><td></td><td>every public instance method but the ones below, and (JDK 21+) the
 *       package-private {@code available()} and {@code isOther()}</td><td>restore + pin / unpin</td></tr>
 *   <tr><td></td><td>{@code transferTo}, {@code transferFrom}</td><td>the same for both channels</td></tr>
 *   <tr><td></td><td>{@code lock}, {@code tryLock}</td><td>no descriptor of the file suspended while
 *       the lock is held, then as above</td></tr>
 *   <tr><td>{@code sun.nio.ch.FileLockImpl}</td><td>{@code invalidate()} (release, channel close)</td><td>the
 *       lock no longer holds the file's descriptors open</td></tr>
 *   <tr><td></td><td>{@code implCloseChannel()}</td><td>restore + pin / forget</td></tr>
 *   <tr><td>{@code java.io.FileDescriptor}</td><td>{@code valid()}</td><td>true while suspended</td></tr>
 *   <tr><td></td><td>{@code sync()} (JDK 21+)</td><td>restore + pin / unpin</td></tr>
 *   <tr><td>{@code java.io.UnixFileSystem}</td><td>{@code delete}, {@code rename}</td><td>follow the
 *       rename; keep a removed file reachable (pool or anchor); refuse (false) when that cannot be</td></tr>
 *   <tr><td>{@code java.io.FileInputStream}, {@code FileOutputStream}</td><td>private {@code open}</td><td>make
 *       room before, register the descriptor after (read-only; write-only, appending or not); on
 *       EMFILE: suspend some, retry</td></tr>
 *   <tr><td></td><td>every public instance method but close/getFD/getChannel</td><td>restore + pin / unpin</td></tr>
 *   <tr><td></td><td>{@code close()}, {@code getFD()}</td><td>as RandomAccessFile's</td></tr>
 *   <tr><td></td><td>constructor taking a {@code FileDescriptor}</td><td>share that descriptor's handle</td></tr>
 *   <tr><td>{@code sun.nio.fs.UnixChannelFactory}</td><td>static {@code newFileChannel(int, UnixPath, ...)}</td><td>make
 *       room before, register the channel after</td></tr>
 *   <tr><td></td><td>static {@code open(...)}</td><td>on EMFILE: suspend some, retry</td></tr>
 *   <tr><td>{@code sun.nio.fs.UnixFileSystemProvider}</td><td>{@code implDelete}, {@code move}, {@code copy}
 *       (its target)</td><td>as {@code java.io.UnixFileSystem}; refuse with an IOException</td></tr>
 *   <tr><td>{@code java.lang.management.ManagementFactory}</td><td>static {@code getPlatformMBeanServer()}</td><td>hand
 *       the server to the agent before returning it (registers fdcap's MBean); by
 *       {@link ManagementFactoryHook}, only when JMX is on, not one of the {@link #TYPES} above</td></tr>
 * </table>
 *
 * <p>Public native methods cannot take advice; their call sites are rewritten by
 * {@link CallSiteSubstitution}: {@code RandomAccessFile.getFilePointer()} on every JDK,
 * {@code length()}, {@code setLength(long)} and {@code FileDescriptor.sync()} where native (JDK 17).
 */
public final class Instrumentations {
    static final String RANDOM_ACCESS_FILE = "java.io.RandomAccessFile";
    static final String FILE_CHANNEL_IMPL = "sun.nio.ch.FileChannelImpl";
    static final String FILE_LOCK_IMPL = "sun.nio.ch.FileLockImpl";
    static final String FILE_DESCRIPTOR = "java.io.FileDescriptor";
    static final String IO_FILE_SYSTEM = "java.io.UnixFileSystem";
    static final String NIO_FILE_SYSTEM_PROVIDER = "sun.nio.fs.UnixFileSystemProvider";
    static final String FILE_INPUT_STREAM = "java.io.FileInputStream";
    static final String FILE_OUTPUT_STREAM = "java.io.FileOutputStream";
    static final String CHANNEL_FACTORY = "sun.nio.fs.UnixChannelFactory";

    /**
     * The JDK types {@link #transformer} instruments, by name: the one list ({@link JdkTypes} loads
     * and retransforms these; the transform cache stores these).
     */
    public static final List<String> TYPES = List.of(RANDOM_ACCESS_FILE, FILE_CHANNEL_IMPL, FILE_DESCRIPTOR,
            IO_FILE_SYSTEM, NIO_FILE_SYSTEM_PROVIDER, CHANNEL_FACTORY, FILE_INPUT_STREAM, FILE_OUTPUT_STREAM,
            FILE_LOCK_IMPL);

    private Instrumentations() {
    }

    /**
     * Byte Buddy's transformer of the {@link #TYPES} JDK types, not registered: {@link JdkTypes}
     * calls it, records what it makes, and retransforms the types. Failures go to {@code listener}.
     */
    public static ClassFileTransformer transformer(AgentBuilder.Listener listener) {
        return new AgentBuilder.Default(new ByteBuddy().with(TypeValidation.DISABLED))
                .disableClassFormatChanges()
                .with(AgentBuilder.TypeStrategy.Default.DECORATE)
                .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
                .with(listener)
                .ignore(none())
                .type(named(RANDOM_ACCESS_FILE))
                .transform((builder, type, loader, module, domain) -> builder
                        .visit(Advice.to(RandomAccessFileAdvice.Open.class)
                                .on(named("open").and(isPrivate()).and(takesArguments(String.class, int.class))))
                        .visit(Advice.to(OpenRetryAdvice.class)
                                .on(named("open").and(isPrivate()).and(takesArguments(String.class, int.class))))
                        .visit(Advice.to(RandomAccessFileAdvice.Use.class)
                                .on(publicInstanceMethods().and(not(namedOneOf("close", "getFD", "getChannel", "seek")))))
                        .visit(Advice.to(RandomAccessFileAdvice.Seek.class)
                                .on(named("seek").and(takesArguments(long.class))))
                        .visit(Advice.to(RandomAccessFileAdvice.Close.class)
                                .on(named("close").and(takesNoArguments())))
                        .visit(Advice.to(RandomAccessFileAdvice.GetFd.class).on(named("getFD"))))
                .type(named(FILE_CHANNEL_IMPL))
                .transform((builder, type, loader, module, domain) -> builder
                        .visit(Advice.to(FileChannelImplAdvice.Use.class)
                                .on(publicInstanceMethods().and(not(namedOneOf("setUninterruptible", "transferTo",
                                        "transferFrom", "lock", "tryLock")))
                                        .or(streamShortcuts())))
                        .visit(Advice.to(FileChannelImplAdvice.TransferTo.class)
                                .on(named("transferTo").and(takesArguments(3))))
                        .visit(Advice.to(FileChannelImplAdvice.TransferFrom.class)
                                .on(named("transferFrom").and(takesArguments(3))))
                        .visit(Advice.to(FileChannelImplAdvice.Lock.class)
                                .on(namedOneOf("lock", "tryLock").and(takesArguments(3))))
                        .visit(Advice.to(FileChannelImplAdvice.Close.class)
                                .on(named("implCloseChannel").and(takesNoArguments()))))
                .type(named(FILE_LOCK_IMPL))
                .transform((builder, type, loader, module, domain) -> builder
                        .visit(Advice.to(FileLockImplAdvice.class).on(named("invalidate").and(takesNoArguments()))))
                .type(named(FILE_DESCRIPTOR))
                .transform((builder, type, loader, module, domain) -> builder
                        .visit(Advice.to(FileDescriptorAdvice.Valid.class).on(named("valid").and(takesNoArguments())))
                        .visit(Advice.to(FileDescriptorAdvice.Sync.class)
                                .on(named("sync").and(takesNoArguments()).and(not(isNative())))))
                .type(named(IO_FILE_SYSTEM))
                .transform((builder, type, loader, module, domain) -> builder
                        .visit(Advice.to(FileSystemAdvice.IoDelete.class)
                                .on(named("delete").and(takesArguments(File.class))))
                        .visit(Advice.to(FileSystemAdvice.IoRename.class)
                                .on(named("rename").and(takesArguments(File.class, File.class)))))
                .type(named(NIO_FILE_SYSTEM_PROVIDER))
                .transform((builder, type, loader, module, domain) -> builder
                        .visit(Advice.to(FileSystemAdvice.NioDelete.class)
                                .on(named("implDelete").and(takesArguments(Path.class, boolean.class))))
                        .visit(Advice.to(FileSystemAdvice.NioMove.class)
                                .on(named("move").and(takesArguments(3)).and(takesArgument(0, Path.class))))
                        .visit(Advice.to(FileSystemAdvice.NioCopy.class)
                                .on(named("copy").and(takesArguments(3)).and(takesArgument(0, Path.class))
                                        .and(takesArgument(1, Path.class)))))
                .type(named(FILE_INPUT_STREAM))
                .transform((builder, type, loader, module, domain) -> builder
                        .visit(Advice.to(StreamAdvice.OpenInput.class)
                                .on(named("open").and(isPrivate()).and(takesArguments(String.class))))
                        .visit(Advice.to(OpenRetryAdvice.class).on(named("open").and(isPrivate())))
                        .visit(streamMethods()))
                .type(named(FILE_OUTPUT_STREAM))
                .transform((builder, type, loader, module, domain) -> builder
                        .visit(Advice.to(StreamAdvice.OpenOutput.class)
                                .on(named("open").and(isPrivate()).and(takesArguments(String.class, boolean.class))))
                        .visit(Advice.to(OpenRetryAdvice.class).on(named("open").and(isPrivate())))
                        .visit(streamMethods()))
                .type(named(CHANNEL_FACTORY))
                .transform((builder, type, loader, module, domain) -> builder
                        .visit(Advice.to(OpenRetryAdvice.class)
                                .on(named("open").and(isStatic()).and(returns(FileDescriptor.class))))
                        .visit(Advice.to(ChannelFactoryAdvice.Enter.class, ChannelFactoryAdvice.OptionsThird.class)
                                .on(channelOpenOptionsThird()))
                        .visit(Advice.to(ChannelFactoryAdvice.Enter.class, ChannelFactoryAdvice.OptionsFourth.class)
                                .on(channelOpenOptionsFourth()))
                        .visit(Advice.to(ChannelFactoryAdvice.Enter.class, ChannelFactoryAdvice.NoOptions.class)
                                .on(channelOpenOptionsUnknown())))
                .makeRaw();
    }

    /** What FileInputStream and FileOutputStream share: use, close, getFD, and streams on a FileDescriptor. */
    private static AsmVisitorWrapper streamMethods() {
        return new AsmVisitorWrapper.Compound(
                Advice.to(StreamAdvice.Use.class)
                        .on(publicInstanceMethods().and(not(namedOneOf("close", "getFD", "getChannel")))),
                Advice.to(StreamAdvice.Close.class).on(named("close").and(takesNoArguments())),
                Advice.to(StreamAdvice.GetFd.class).on(named("getFD")),
                Advice.to(StreamAdvice.Shared.class).on(isConstructor().and(takesArguments(FileDescriptor.class))));
    }

    /**
     * JDK 21+: the package-private {@code available()} and {@code isOther()} that the streams of
     * {@code Files.newInputStream} call directly (its {@code available}, {@code skip},
     * {@code readNBytes}, and the decoders of readers over it). Absent on JDK 17.
     */
    private static ElementMatcher.Junction<MethodDescription> streamShortcuts() {
        return isMethod().and(not(isStatic())).and(not(isNative())).and(namedOneOf("available", "isOther"))
                .and(takesNoArguments());
    }

    /**
     * {@code UnixChannelFactory.newFileChannel(int dfd, UnixPath path, ...)}: the overload every
     * {@code FileChannel} of the default file system is opened through. Its open options are the
     * third argument on JDK 22+ and the fourth on JDK 17-21 ({@link ChannelFactoryAdvice}); any
     * other form of it is still advised, without them.
     */
    private static ElementMatcher.Junction<MethodDescription> channelFactoryOpen() {
        return named("newFileChannel").and(isStatic()).and(takesArgument(0, int.class));
    }

    static ElementMatcher.Junction<MethodDescription> channelOpenOptionsThird() {
        return channelFactoryOpen().and(takesArguments(4)).and(takesArgument(2, Set.class));
    }

    static ElementMatcher.Junction<MethodDescription> channelOpenOptionsFourth() {
        return channelFactoryOpen().and(takesArguments(5)).and(takesArgument(3, Set.class));
    }

    static ElementMatcher.Junction<MethodDescription> channelOpenOptionsUnknown() {
        return channelFactoryOpen().and(not(channelOpenOptionsThird())).and(not(channelOpenOptionsFourth()));
    }

    private static ElementMatcher.Junction<MethodDescription> publicInstanceMethods() {
        return isMethod().and(isPublic()).and(not(isStatic())).and(not(isNative()));
    }
}
