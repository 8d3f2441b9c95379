package io.github.peft4j.train;

import io.github.peft4j.core.AdapterTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftMethods;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.io.AdapterDirectory;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.core.safetensors.SafetensorsWriter;
import io.github.peft4j.core.tuner.Tensors;
import io.github.peft4j.train.optim.DecayRule;
import io.github.peft4j.train.optim.NamedParameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the trainer needs from a model: its trainable parameters with stable names, and saving and
 * loading exactly those. A {@link PeftModel} saves its trainable adapters in the HF PEFT layout;
 * any other DJL block saves its trainable parameters as {@code model.safetensors}.
 */
abstract class TrainableModel {

    /** The weights file of a plain block's trainable parameters. */
    static final String PLAIN_WEIGHTS = "model.safetensors";

    private final Block block;

    TrainableModel(Block block) {
        this.block = block;
    }

    /** @return the block to run forward */
    final Block block() {
        return block;
    }

    abstract List<NamedParameter> parameters(DecayRule decay);

    abstract void save(Path dir);

    abstract void load(Path dir);

    static TrainableModel of(Block block) {
        return block instanceof PeftModel peft ? new Peft(peft) : new Plain(block);
    }

    /** A PeftModel: the active, trainable adapters. */
    static final class Peft extends TrainableModel {
        private final PeftModel model;

        Peft(PeftModel model) {
            super(model);
            this.model = model;
        }

        private List<String> trainedAdapters() {
            List<String> out = new ArrayList<>();
            for (String name : model.activeAdapters()) {
                if (model.tensors(name).stream().anyMatch(t -> t.parameter().requiresGradient())) {
                    out.add(name);
                }
            }
            return out;
        }

        @Override
        List<NamedParameter> parameters(DecayRule decay) {
            List<NamedParameter> out = new ArrayList<>();
            for (String name : trainedAdapters()) {
                for (AdapterTensor t : model.tensors(name)) {
                    if (t.parameter().requiresGradient()) {
                        out.add(new NamedParameter(t.key(), t.parameter(), decay.decays(t.key())));
                    }
                }
            }
            if (out.isEmpty()) {
                throw new PeftConfigException("the model has no trainable adapter tensors: add an adapter, activate it"
                        + " (setActiveAdapters) and keep it trainable; adapters: " + model.adapterNames()
                        + ", active: " + model.activeAdapters());
            }
            long all = model.trainableParameters().size();
            if (all != out.size()) {
                throw new PeftConfigException(model.trainableParameters().size() - out.size()
                        + " trainable parameters are not tensors of an active adapter (was a base parameter"
                        + " unfrozen?); the trainer only trains and saves adapter tensors");
            }
            return out;
        }

        @Override
        void save(Path dir) {
            model.save(dir, trainedAdapters());
        }

        @Override
        void load(Path dir) {
            for (String name : trainedAdapters()) {
                Path location = AdapterDirectory.location(dir, name, PeftModel.DEFAULT_ADAPTER);
                AdapterDirectory.Contents contents = AdapterDirectory.read(location);
                if (!contents.config().peftType().equals(model.config(name).peftType())) {
                    throw new PeftFormatException(location.resolve("adapter_config.json"), "peft_type",
                            "expected " + model.config(name).peftType() + " for adapter '" + name + "' but found "
                                    + contents.config().peftType());
                }
                try (NDManager scratch = model.manager().newSubManager()) {
                    Map<String, NDArray> tensors = contents.loadTensors(scratch);
                    PeftMethods.forType(contents.config().peftType())
                            .loadSavedStateDict(model.injectionContext(), name, tensors, contents.weightsFile());
                }
            }
        }
    }

    /** Any DJL block: every parameter that requires a gradient, by its HF path. */
    static final class Plain extends TrainableModel {
        Plain(Block block) {
            super(block);
        }

        private Map<String, Parameter> trainable() {
            Map<String, Parameter> out = new LinkedHashMap<>();
            for (Map.Entry<String, Parameter> e : ModuleTree.of(block()).parameters().entrySet()) {
                if (e.getValue().requiresGradient() && e.getValue().isInitialized()) {
                    out.put(e.getKey(), e.getValue());
                }
            }
            return out;
        }

        @Override
        List<NamedParameter> parameters(DecayRule decay) {
            List<NamedParameter> out = new ArrayList<>();
            trainable().forEach((k, p) -> out.add(new NamedParameter(k, p, decay.decays(k))));
            if (out.isEmpty()) {
                throw new PeftConfigException(block().getClass().getSimpleName()
                        + " has no initialised parameter that requires a gradient");
            }
            return out;
        }

        @Override
        void save(Path dir) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            trainable().forEach((k, p) -> tensors.put(k, p.getArray()));
            SafetensorsWriter.write(dir.resolve(PLAIN_WEIGHTS), tensors);
        }

        @Override
        void load(Path dir) {
            Path file = dir.resolve(PLAIN_WEIGHTS);
            if (!Files.isRegularFile(file)) {
                throw new PeftFormatException(file, null, "missing: the checkpoint has no trained weights");
            }
            try (SafetensorsFile f = SafetensorsFile.open(file);
                    NDManager scratch = NDManager.newBaseManager()) {
                for (Map.Entry<String, Parameter> e : trainable().entrySet()) {
                    if (!f.contains(e.getKey())) {
                        throw new PeftFormatException(file, e.getKey(), "missing tensor of shape "
                                + e.getValue().getArray().getShape());
                    }
                    NDArray saved = f.load(e.getKey(), scratch);
                    if (!saved.getShape().equals(e.getValue().getArray().getShape())) {
                        throw new PeftFormatException(file, e.getKey(), "expected shape "
                                + e.getValue().getArray().getShape() + " but found " + saved.getShape());
                    }
                    Tensors.assign(e.getValue().getArray(), saved);
                }
            }
        }
    }
}
