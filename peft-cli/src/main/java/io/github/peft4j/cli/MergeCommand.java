package io.github.peft4j.cli;

import ai.djl.nn.Block;
import io.github.peft4j.models.HfModels;
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

    @Mixin
    ModelOptions base;

    @Option(names = "--adapter", required = true, description = "adapter directory")
    Path adapter;

    @Option(names = "--output", required = true, description = "where the merged checkpoint goes")
    Path output;

    @Override
    public Integer call() throws IOException {
        try (ModelOptions.Loaded loaded = base.load(adapter, false)) {
            Block merged = loaded.peft().mergeAndUnload();
            HfModels.save(merged, output);
            for (String name : HfModels.COMPANION_FILES) {
                Path source = base.model.resolve(name);
                if (Files.isRegularFile(source)) {
                    Files.copy(source, output.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (UncheckedIOException e) {
            throw new UserError("cannot write " + output + ": " + e.getMessage());
        }
        System.out.println("merged " + adapter + " into " + base.model + " -> " + output);
        return 0;
    }
}
