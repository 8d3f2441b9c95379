package io.github.peft4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.PretrainedModel;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options of every command that runs a base model ({@code --model}, {@code --threads},
 * {@code --device}) and the one way they load it, with an adapter on top when one is given.
 *
 * <pre>{@code
 * @Mixin ModelOptions base;
 * try (ModelOptions.Loaded m = base.load(adapter)) {
 *     Evaluator.evaluate(m.model(), data, 16, new CausalLmLoss());
 * }
 * }</pre>
 */
final class ModelOptions {

    @Option(names = "--model", description = "base model directory (default: ${DEFAULT-VALUE})")
    Path model = BaseModels.BUNDLED;

    @Option(names = "--threads", description = "engine threads (default: the launcher's, else the engine's)")
    int threads;

    @Mixin
    DeviceOption device;

    /**
     * Sets the thread count, starts the engine on the device and loads the base model.
     *
     * @param adapter an adapter directory to load on top, or {@code null}
     * @return the loaded model, to close
     */
    Loaded load(Path adapter) {
        return load(adapter, true);
    }

    /**
     * @param adapter an adapter directory to load on top, or {@code null}
     * @param needsTokenizer whether the command tokenizes (merging does not)
     * @return the loaded model, to close
     */
    Loaded load(Path adapter, boolean needsTokenizer) {
        Offline.threads(threads);
        NDManager manager = device.newManager();
        PretrainedModel base = null;
        try {
            base = BaseModels.loadCausalLm(model, manager, needsTokenizer);
            PeftModel peft = adapter == null ? null : Adapters.load(base, adapter);
            return new Loaded(manager, base, peft);
        } catch (RuntimeException e) {
            if (base != null) {
                base.close();
            }
            manager.close();
            throw e;
        }
    }

    /**
     * A base model on its manager, with its adapter if one was loaded.
     *
     * @param manager the manager of the weights
     * @param base the base model
     * @param peft the base with the adapter, or {@code null}
     */
    record Loaded(NDManager manager, PretrainedModel base, PeftModel peft) implements AutoCloseable {

        /** @return the model to run: base + adapter, else the base */
        Block model() {
            return peft == null ? base.block() : peft;
        }

        @Override
        public void close() {
            if (peft != null) {
                peft.close();
            }
            base.close();
            manager.close();
        }
    }
}
