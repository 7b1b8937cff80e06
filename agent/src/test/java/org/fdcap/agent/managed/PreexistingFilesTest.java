package org.fdcap.agent.managed;


import java.util.List;
import java.util.Set;
import org.fdcap.core.Stat;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PreexistingFilesTest {
    @Test
    void deviceNumbersAreEncodedAsStatReportsThem() {
        assertEquals(0x801, Stat.makedev(8, 1));
        assertEquals(0x10305, Stat.makedev(0x103, 5));
        assertEquals(0x1_2340_1256L, Stat.makedev(0x12, 0x123456));
    }

    @Test
    void onlyThisProcessesLocksAreTakenFromProcLocks() {
        List<String> lines = List.of(
                "1: POSIX  ADVISORY  WRITE 4242 08:01:1234567 0 EOF",
                "2: FLOCK  ADVISORY  WRITE 4242 00:2f:77 0 EOF",
                "2: -> POSIX  ADVISORY  WRITE 4242 08:01:99 0 EOF",
                "3: POSIX  ADVISORY  READ 1111 08:01:555 0 EOF",
                "4: OFDLCK ADVISORY  WRITE -1 08:01:666 0 EOF");

        assertEquals(Set.of("2049:1234567", "47:77", "2049:99"), PreexistingFiles.lockedBy(lines, 4242));
    }
}
