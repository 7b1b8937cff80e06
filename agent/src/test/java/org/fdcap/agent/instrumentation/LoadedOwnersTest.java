package org.fdcap.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import org.junit.jupiter.api.Test;

class LoadedOwnersTest {
    static class Plain {
    }

    static class Positioning extends Plain {
    }

    static class MyFile extends RandomAccessFile {
        MyFile(File f) throws IOException {
            super(f, "r");
        }
    }

    static class DeeperFile extends MyFile {
        DeeperFile(File f) throws IOException {
            super(f);
        }
    }

    interface Positioned {
        long getFilePointer() throws IOException;
    }

    private static String internal(Class<?> c) {
        return c.getName().replace('.', '/');
    }

    @Test
    void onlyALoadedClassOutsideRandomAccessFilesHierarchyIsKnown() {
        ClassLoader loader = getClass().getClassLoader();
        CallSiteSubstitution.LoadedOwners owners = new CallSiteSubstitution.LoadedOwners(loader);
        Class<?>[] loaded = {Plain.class, Positioning.class, MyFile.class, DeeperFile.class, Positioned.class};
        assertNotNull(loaded);

        assertTrue(owners.test(internal(Plain.class)));
        assertTrue(owners.test(internal(Positioning.class)));
        assertFalse(owners.test(internal(MyFile.class)), "a RandomAccessFile");
        assertFalse(owners.test(internal(DeeperFile.class)), "a RandomAccessFile, two levels down");
        assertFalse(owners.test(internal(Positioned.class)), "an interface: a RandomAccessFile may implement it");
        assertFalse(owners.test("java/io/RandomAccessFile"));
        assertFalse(owners.test("com/example/NotThere"));
    }

    @Test
    void aClassNotYetLoadedIsNotKnownAndAskingDoesNotLoadIt() {
        ClassLoader loader = getClass().getClassLoader();
        String name = "org.fdcap.agent.instrumentation.OwnerNeverLoaded";

        assertFalse(new CallSiteSubstitution.LoadedOwners(loader).test(name.replace('.', '/')));
        assertNull(CallSiteSubstitution.FindLoadedClass.find(loader, name), "loaded by the question");
    }
}
