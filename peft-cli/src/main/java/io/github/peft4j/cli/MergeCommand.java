package io.github.peft4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Folds an adapter into its base and writes a plain Hugging Face checkpoint
 * ({@code PeftModel.mergeAndUnload} + {@code HfModels.save}), tokenizer files included.
 *
 * <pre>{@code
 * peft4j merge --adapter runs/latest --output merged-model
 * }</pre>
 */
@Command(name = "merge", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Merge an adapter into the base model and save a standalone HF checkpoint.")
final class MergeCommand implements Callable<Integer> {

    @Option(names = "--model", description = "base model directory (default: ${DEFAULT-VALUE})")
    Path model = BaseModels.BUNDLED;

    @Option(names = "--adapter", required = true, description = "adapter directory")
    Path adapter;

    @Option(names = "--output", required = true, description = "where the merged checkpoint goes")
    Path output;

    @Mixin
    DeviceOption device;

    @Override
    public Integer call() throws IOException {
        try (NDManager manager = device.newManager();
                PretrainedModel base = BaseModels.loadCausalLm(model, manager);
                PeftModel peft = Adapters.load(base, adapter)) {
            Block merged = peft.mergeAndUnload();
            HfModels.save(merged, output);
            for (String name : HfModels.COMPANION_FILES) {
                Path source = model.resolve(name);
                if (Files.isRegularFile(source)) {
                    Files.copy(source, output.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (UncheckedIOException e) {
            throw new UserError("cannot write " + output + ": " + e.getMessage());
        }
        System.out.println("merged " + adapter + " into " + model + " -> " + output);
        return 0;
    }
}
