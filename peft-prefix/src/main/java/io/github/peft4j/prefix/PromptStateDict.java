package io.github.peft4j.prefix;

import io.github.peft4j.core.AdapterTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.tuner.AdapterKeys;
import io.github.peft4j.core.tuner.Tensors;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PEFT's {@code get_peft_model_state_dict} / {@code set_peft_model_state_dict} for prompt learning:
 * the encoder is saved as its output, {@code prompt_embeddings}, never as its own tensors; every
 * other tensor of the adapter (the copies of {@code modules_to_save}) is saved and loaded under its
 * usual key ({@code base_model.model.classifier.weight}).
 *
 * <pre>{@code
 * Map<String, NDArray> file = PromptStateDict.saved(model, "default", encoder, manager);
 * // {prompt_embeddings=[20, 768], base_model.model.classifier.weight=[2, 768], ...}
 * }</pre>
 */
final class PromptStateDict {

    private static final Logger LOG = LoggerFactory.getLogger(PromptStateDict.class);

    private PromptStateDict() {}

    static Map<String, NDArray> saved(InjectionContext model, String adapterName, BasePromptEncoder encoder,
            NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put(BasePromptEncoder.SAVED_KEY, encoder.promptEmbeddingsToSave(manager));
        for (AdapterTensor t : others(model, adapterName, encoder)) {
            out.put(t.savedKey(), t.parameter().getArray());
        }
        return out;
    }

    static void load(InjectionContext model, String adapterName, BasePromptEncoder encoder,
            Map<String, NDArray> tensors, Path source) {
        NDArray saved = tensors.get(BasePromptEncoder.SAVED_KEY);
        if (saved == null) {
            throw new PeftFormatException(source, BasePromptEncoder.SAVED_KEY, "missing: a "
                    + model.config(adapterName).peftType() + " adapter file holds this tensor; found "
                    + new TreeSet<>(tensors.keySet()));
        }
        encoder.loadPromptEmbeddings(saved, source);
        Map<String, NDArray> rest = new LinkedHashMap<>();
        tensors.forEach((k, v) -> rest.put(AdapterKeys.withoutPrefix(k), v));
        rest.remove(BasePromptEncoder.SAVED_KEY);
        for (AdapterTensor t : others(model, adapterName, encoder)) {
            String key = AdapterKeys.withoutPrefix(t.savedKey());
            NDArray value = rest.remove(key);
            if (value == null) {
                LOG.warn("{}: found missing adapter keys while loading the checkpoint: {}", source, List.of(key));
                continue;
            }
            Shape want = t.parameter().getArray().getShape();
            if (!want.equals(value.getShape())) {
                throw new PeftFormatException(source, t.savedKey(), "expected shape " + want + " but found "
                        + value.getShape());
            }
            Tensors.assign(t.parameter().getArray(), value);
        }
        if (!rest.isEmpty()) {
            LOG.warn("{}: ignoring tensors besides {}: {}", source, BasePromptEncoder.SAVED_KEY, new TreeSet<>(rest.keySet()));
        }
    }

    /** The adapter's tensors that are not the encoder's: {@code modules_to_save} copies. */
    private static List<AdapterTensor> others(InjectionContext model, String adapterName,
            BasePromptEncoder encoder) {
        Set<Parameter> own = Collections.newSetFromMap(new IdentityHashMap<>());
        own.addAll(encoder.parameters().values());
        return model.tensors(adapterName).stream().filter(t -> !own.contains(t.parameter())).toList();
    }
}
