package io.github.peft4j.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The {@code --device} option every command that runs the model shares. The model, its adapters, the
 * optimizer state and every batch live on the device of the manager this creates: peft4j's layers and
 * trainer put new arrays on the device of the arrays they already hold, so choosing it here is enough.
 *
 * <pre>{@code
 * peft4j train --device gpu:0
 * peft4j eval --device cpu --adapter runs/latest/adapter
 * }</pre>
 */
final class DeviceOption {

    @Option(names = "--device", description = "cpu, gpu, gpu:N (cuda, cuda:N) or auto: the first GPU the engine"
            + " sees, else cpu (default: ${DEFAULT-VALUE})")
    String device = "auto";

    /**
     * A base manager on the chosen device. Call it after the thread count is set: it starts the engine.
     *
     * @return a new base manager the caller closes
     */
    NDManager newManager() {
        return NDManager.newBaseManager(resolve(device, Engine.getInstance().getGpuCount()));
    }

    /**
     * Parses a device name against the GPUs the engine sees.
     *
     * @param name what the user wrote
     * @param gpuCount how many GPUs the engine sees
     * @return the device
     * @throws UserError when the name is not a device or names a GPU that is not there
     */
    static Device resolve(String name, int gpuCount) {
        String spec = name.trim().toLowerCase(Locale.ROOT);
        if (spec.equals("auto")) {
            return gpuCount > 0 ? Device.gpu(0) : Device.cpu();
        }
        if (spec.equals("cpu")) {
            return Device.cpu();
        }
        int index = gpuIndex(spec, name);
        if (index >= gpuCount) {
            throw new UserError("--device " + name + ": the PyTorch engine sees " + gpuCount + " GPU"
                    + (gpuCount == 1 ? "" : "s") + (gpuCount == 0
                    ? " (peft4j's default build ships CPU natives; docs/getting-started.md#running-on-a-gpu says"
                    + " how to run on CUDA)" : ""));
        }
        return Device.gpu(index);
    }

    private static int gpuIndex(String spec, String name) {
        for (String prefix : new String[] {"gpu", "cuda"}) {
            if (spec.equals(prefix)) {
                return 0;
            }
            if (spec.startsWith(prefix + ":")) {
                String digits = spec.substring(prefix.length() + 1);
                if (!digits.isEmpty() && digits.chars().allMatch(Character::isDigit) && digits.length() < 4) {
                    return Integer.parseInt(digits);
                }
            }
        }
        throw new UserError("--device " + name + ": expected cpu, gpu, gpu:N, cuda, cuda:N or auto");
    }
}
