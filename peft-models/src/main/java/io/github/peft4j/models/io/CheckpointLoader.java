package io.github.peft4j.models.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.module.BlockSurgery;
import io.github.peft4j.core.module.LinearLike;
import io.github.peft4j.core.module.LinearTransform;
import io.github.peft4j.core.module.ModuleTree;
import io.github.peft4j.core.safetensors.SafetensorsCheckpoint;
import io.github.peft4j.models.HfModel;
import io.github.peft4j.models.LoadReport;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the tensors of a Hugging Face checkpoint into a model's parameters, matching names 1:1 as
 * transformers' {@code from_pretrained} does: keys saved from the bare model class get the
 * {@code base_model_prefix}; a missing tensor is an error naming the file and the key, unless the
 * model allows it (a fresh task head), and then it is initialised and reported; unused tensors
 * are reported; a tensor of the wrong shape is an error. BF16/F16/F64 weights become F32.
 *
 * <pre>{@code
 * try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
 *     LoadReport report = CheckpointLoader.load(ModelFactory.newModel(config, null), ckpt, manager, 0);
 * }
 * }</pre>
 */
public final class CheckpointLoader {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointLoader.class);

    private CheckpointLoader() {}

    /**
     * @param model the root block, not yet initialised
     * @param checkpoint the open checkpoint
     * @param manager the manager of the weights
     * @param seed the seed of parameters initialised fresh
     * @return what else was found
     * @throws PeftFormatException when a required tensor is missing or has the wrong shape or type
     */
    public static LoadReport load(HfModel model, SafetensorsCheckpoint checkpoint, NDManager manager, long seed) {
        return load(model, checkpoint, manager, seed, LinearTransform.IDENTITY);
    }

    /**
     * Loads as {@link #load(HfModel, SafetensorsCheckpoint, NDManager, long)}, then hands each linear
     * layer to {@code transform}. With a transform, the weights of linear layers are not read with the
     * rest of the model: each is read just before its layer is transformed and, when the transform
     * replaces the layer, closed right after, so at most one of them is in memory at a time. A weight
     * shared with another module (a tied head) is read with the rest and never closed.
     *
     * @param model the root block, not yet initialised
     * @param checkpoint the open checkpoint
     * @param manager the manager of the weights
     * @param seed the seed of parameters initialised fresh
     * @param transform called for each linear module in tree order, its weight and bias loaded
     * @return what else was found
     */
    public static LoadReport load(HfModel model, SafetensorsCheckpoint checkpoint, NDManager manager, long seed,
            LinearTransform transform) {
        Block block = model.asBlock();
        ModuleTree tree = ModuleTree.of(block);
        Set<String> expected = tree.parameters().keySet();
        List<ModuleTree.Module> linears = new ArrayList<>();
        for (ModuleTree.Module m : tree.modules().values()) {
            if (m.parent() != null && LinearLike.of(m.block()).isPresent()) {
                linears.add(m);
            }
        }
        // Weights read later, one layer at a time, each with the initialiser it would have had.
        Map<String, Parameter> deferredKeys = transform == LinearTransform.IDENTITY
                ? Map.of() : ownedWeights(tree, linears);
        Map<Parameter, Initializer> deferred = new IdentityHashMap<>();
        String prefix = model.basePrefix() + ".";
        boolean expectsPrefix = expected.stream().anyMatch(k -> k.startsWith(prefix));
        boolean hasPrefix = checkpoint.names().stream().map(model::modelKey).anyMatch(k -> k.startsWith(prefix));
        boolean bare = expectsPrefix && !hasPrefix;

        Map<String, String> fileKeyOf = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>();
        List<String> buffers = new ArrayList<>();
        for (String fileKey : checkpoint.names()) {
            String key = bare ? prefix + model.modelKey(fileKey) : model.modelKey(fileKey);
            if (expected.contains(key)) {
                fileKeyOf.put(key, fileKey);
            } else if (model.isBuffer(key) || isTiedHead(model, key)) {
                buffers.add(fileKey);
            } else {
                unexpected.add(fileKey);
            }
        }
        List<String> fresh = new ArrayList<>();
        ParameterInit.initialize(model, manager, (key, owner) -> {
            Initializer real = initializerOf(key, owner, model, checkpoint, fileKeyOf, fresh, bare, prefix, seed);
            Parameter later = deferredKeys.get(key);
            if (later == null) {
                return real;
            }
            deferred.put(later, real);
            return (m, shape, type) -> m.create(new Shape(0), type);  // a placeholder until its turn
        });
        if (transform != LinearTransform.IDENTITY) {
            transformLinears(block, linears, deferred, manager, transform);
        }
        if (!fresh.isEmpty()) {
            LOG.warn("Some weights of {} were not in the checkpoint {} and are newly initialized: {}",
                    model.architecture(), checkpoint.path(), fresh);
        }
        if (!unexpected.isEmpty()) {
            LOG.warn("Some weights of the checkpoint {} were not used by {}: {}", checkpoint.path(),
                    model.architecture(), unexpected);
        }
        return new LoadReport(fresh, unexpected, buffers, bare);
    }

    private static Initializer initializerOf(String key, Block owner, HfModel model, SafetensorsCheckpoint checkpoint,
            Map<String, String> fileKeyOf, List<String> fresh, boolean bare, String prefix, long seed) {
        String fileKey = fileKeyOf.get(key);
        if (fileKey != null) {
            return new FromCheckpoint(checkpoint, fileKey);
        }
        if (model.mayBeMissing(key, bare)) {
            fresh.add(key);
            return HfInitializer.of(model, key, owner, seed);
        }
        return (m, shape, type) -> {
            throw new PeftFormatException(checkpoint.path(), bare ? key.substring(prefix.length()) : key,
                    "missing: " + model.architecture() + " needs this tensor with shape " + shape
                            + "; the checkpoint holds " + checkpoint.names().size() + " tensors");
        };
    }

    /** The weights of linear modules that own them alone (not a tied head reading the embedding), by key. */
    private static Map<String, Parameter> ownedWeights(ModuleTree tree, List<ModuleTree.Module> linears) {
        Map<Parameter, Integer> holders = new IdentityHashMap<>();
        tree.parameters().values().forEach(p -> holders.merge(p, 1, Integer::sum));
        Map<String, Parameter> owned = new LinkedHashMap<>();
        for (ModuleTree.Module m : linears) {
            Parameter weight = LinearLike.of(m.block()).orElseThrow().weight();
            boolean direct = m.block().getDirectParameters().values().stream().anyMatch(p -> p == weight);
            if (direct && holders.getOrDefault(weight, 0) == 1) {
                owned.put(m.path() + "." + weight.getName(), weight);
            }
        }
        return owned;
    }

    private static void transformLinears(Block root, List<ModuleTree.Module> linears,
            Map<Parameter, Initializer> deferred, NDManager manager, LinearTransform transform) {
        for (ModuleTree.Module m : linears) {
            LinearLike linear = LinearLike.of(m.block()).orElseThrow();
            Parameter weight = linear.weight();
            Initializer real = deferred.get(weight);
            if (real != null) {
                weight.close();                       // the placeholder
                weight.setInitializer(real);
                weight.initialize(manager, DataType.FLOAT32);
            }
            Block replacement = transform.apply(root, m.path(), m.block(), linear);
            if (replacement != m.block()) {
                BlockSurgery.replace(m.parent(), m.block(), replacement);
                if (real != null) {
                    weight.close();
                }
            }
        }
    }

    private static boolean isTiedHead(HfModel model, String key) {
        return model.config().tieWordEmbeddings() && key.equals("lm_head.weight");
    }

    /** Reads one checkpoint tensor, checked against the shape the architecture computes. */
    private static final class FromCheckpoint implements Initializer {
        private final SafetensorsCheckpoint checkpoint;
        private final String fileKey;

        FromCheckpoint(SafetensorsCheckpoint checkpoint, String fileKey) {
            this.checkpoint = checkpoint;
            this.fileKey = fileKey;
        }

        @Override
        public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
            Shape found = checkpoint.info(fileKey).djlShape();
            if (!found.equals(shape)) {
                throw new PeftFormatException(checkpoint.fileOf(fileKey), fileKey,
                        "expected shape " + shape + " from config.json but found " + found);
            }
            NDArray array = checkpoint.load(fileKey, manager);
            if (array.getDataType() == dataType) {
                return array;
            }
            if (!array.getDataType().isFloating()) {
                array.close();
                throw new PeftFormatException(checkpoint.fileOf(fileKey), fileKey,
                        "expected a floating-point tensor but found " + checkpoint.info(fileKey).dtype());
            }
            NDArray converted = array.toType(dataType, true);
            array.close();
            return converted;
        }
    }
}
