package io.github.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

class DeviceOptionTest {

    @Test
    void autoPicksTheFirstGpuOnlyWhenTheEngineSeesOne() {
        assertEquals(Device.cpu(), DeviceOption.resolve("auto", 0));
        assertEquals(Device.gpu(0), DeviceOption.resolve("auto", 2));
    }

    @Test
    void namesAndIndicesAreParsedCaseInsensitively() {
        assertEquals(Device.cpu(), DeviceOption.resolve("CPU", 1));
        assertEquals(Device.gpu(0), DeviceOption.resolve("gpu", 1));
        assertEquals(Device.gpu(0), DeviceOption.resolve("cuda", 1));
        assertEquals(Device.gpu(3), DeviceOption.resolve("gpu:3", 4));
        assertEquals(Device.gpu(1), DeviceOption.resolve(" cuda:1 ", 2));
    }

    @Test
    void aGpuTheEngineDoesNotSeeIsAUserErrorThatSaysHowManyItSees() {
        UserError none = assertThrows(UserError.class, () -> DeviceOption.resolve("gpu", 0));
        assertTrue(none.getMessage().startsWith("--device gpu: the PyTorch engine sees 0 GPUs"), none.getMessage());
        assertTrue(none.getMessage().contains("CPU natives"), none.getMessage());
        UserError tooHigh = assertThrows(UserError.class, () -> DeviceOption.resolve("gpu:2", 2));
        assertEquals("--device gpu:2: the PyTorch engine sees 2 GPUs", tooHigh.getMessage());
    }

    @Test
    void somethingElseIsRefusedWithTheAcceptedForms() {
        for (String bad : new String[] {"tpu", "gpu:", "gpu:x", "gpu:-1", "cuda0", ""}) {
            UserError e = assertThrows(UserError.class, () -> DeviceOption.resolve(bad, 8), bad);
            assertTrue(e.getMessage().endsWith("expected cpu, gpu, gpu:N, cuda, cuda:N or auto"), e.getMessage());
        }
    }
}
