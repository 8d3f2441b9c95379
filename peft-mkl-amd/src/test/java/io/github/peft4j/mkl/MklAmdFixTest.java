package io.github.peft4j.mkl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MklAmdFixTest {

    @TempDir
    Path dir;

    @Test
    void optOutValuesAndPrecedence() {
        assertFalse(MklAmdFix.optedOut(null, null));
        for (String off : new String[] {"false", "0", "off", "no", " FALSE "}) {
            assertTrue(MklAmdFix.optedOut(off, null), off);
            assertTrue(MklAmdFix.optedOut(null, off), off);
        }
        assertFalse(MklAmdFix.optedOut("true", null));
        assertFalse(MklAmdFix.optedOut("true", "false"), "the property wins over the environment");
        assertTrue(MklAmdFix.optedOut("false", "true"));
    }

    @Test
    void onlyLinuxX86_64() {
        assertTrue(MklAmdFix.isLinuxX86_64("Linux", "amd64"));
        assertTrue(MklAmdFix.isLinuxX86_64("Linux", "x86_64"));
        assertFalse(MklAmdFix.isLinuxX86_64("Linux", "aarch64"));
        assertFalse(MklAmdFix.isLinuxX86_64("Mac OS X", "x86_64"));
        assertFalse(MklAmdFix.isLinuxX86_64("Windows 11", "amd64"));
    }

    @Test
    void vendorIsTheFirstProcessorsVendorId() throws Exception {
        Path amd = Files.writeString(dir.resolve("amd"),
                "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\n");
        Path intel = Files.writeString(dir.resolve("intel"), "processor\t: 0\nvendor_id\t: GenuineIntel\n");
        Path arm = Files.writeString(dir.resolve("arm"), "processor\t: 0\nBogoMIPS\t: 50.00\n");
        assertEquals(Optional.of("AuthenticAMD"), MklAmdFix.cpuVendor(amd));
        assertEquals(Optional.of("GenuineIntel"), MklAmdFix.cpuVendor(intel));
        assertEquals(Optional.empty(), MklAmdFix.cpuVendor(arm));
        assertEquals(Optional.empty(), MklAmdFix.cpuVendor(dir.resolve("missing")));
    }
}
