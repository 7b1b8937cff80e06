package org.fdcap.agent.ops;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import org.fdcap.agent.bootstrap.FdBridge;
import org.fdcap.agent.instrumentation.ManagementFactoryHook;
import org.slf4j.LoggerFactory;

/**
 * Registers {@code org.fdcap:type=Tracker} in the platform MBean server the moment that server
 * exists, and never creates it: creating it costs CPU (every platform MXBean is registered) that a
 * program without JMX should not pay. {@link ManagementFactoryHook} has the JDK's
 * {@code getPlatformMBeanServer()} hand over the server before its first return, so whoever
 * creates it (the program, a monitoring agent, the JDK's management agent started by
 * {@code -Dcom.sun.management.jmxremote}, {@code jcmd ManagementAgent.start_local}, the
 * {@code status} command) finds the MBean at once. A server that exists already when the agent
 * starts (an attach) gets it at once. Registered once; nothing is thrown into the program.
 */
final class MBeanRegistration implements Consumer<Object> {
    private final Object bean;
    private final AtomicBoolean done = new AtomicBoolean();

    private MBeanRegistration(Object bean) {
        this.bean = bean;
    }

    /** Registers {@code bean} now if the platform server exists, else as soon as it is created. */
    static void start(Instrumentation inst, Object bean) {
        MBeanRegistration registration = new MBeanRegistration(bean);
        FdBridge.onPlatformMBeanServer(registration);
        try {
            Class<?> loaded = ManagementFactoryHook.install(inst, MBeanRegistration.class.getModule());
            if (loaded != null) {
                registration.registerIfCreated(loaded);
            }
        } catch (Throwable t) {
            FdBridge.onPlatformMBeanServer(null);
            LoggerFactory.getLogger(Operations.class).warn("the MBean {} will not be registered: {}",
                    Operations.MBEAN_NAME, t.toString());
        }
    }

    /** Called by the rewritten {@code getPlatformMBeanServer()} with the server it is about to return. */
    @Override
    public void accept(Object server) {
        register((MBeanServer) server);
    }

    private void register(MBeanServer server) {
        if (!done.compareAndSet(false, true)) {
            return;
        }
        FdBridge.onPlatformMBeanServer(null);
        try {
            server.registerMBean(bean, new ObjectName(Operations.MBEAN_NAME));
        } catch (Throwable t) {
            LoggerFactory.getLogger(Operations.class).warn("could not register the MBean {}: {}",
                    Operations.MBEAN_NAME, t.toString());
        }
    }

    /**
     * ManagementFactory was loaded before the agent: registers now if its platform server exists.
     * Under ManagementFactory's lock, which {@code getPlatformMBeanServer()} holds: a call begun
     * before the method was rewritten has ended (and set the field), any later call runs the
     * rewritten method. No MBean server at all means no platform server, without initializing
     * ManagementFactory.
     */
    private void registerIfCreated(Class<?> managementFactory) throws ReflectiveOperationException {
        synchronized (managementFactory) {
            if (MBeanServerFactory.findMBeanServer(null).isEmpty()) {
                return;
            }
            Field field;
            try {
                field = managementFactory.getDeclaredField("platformMBeanServer");
            } catch (NoSuchFieldException e) {
                // Another JDK: ask for the server (the rewritten method hands it over), at the
                // risk of creating it when only some other MBean server exists.
                managementFactory.getMethod("getPlatformMBeanServer").invoke(null);
                return;
            }
            field.setAccessible(true);
            MBeanServer server = (MBeanServer) field.get(null);
            if (server != null) {
                register(server);
            }
        }
    }
}
